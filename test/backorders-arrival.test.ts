/**
 * Backorders served on arrival (issue 14): units that arrive at a SKU × location — a stock
 * increase, units back to sellable, another order released — cover accepted backorders
 * there first-come-first-served (the order the object accepted them) before any new order
 * can take them; each covered line emits `reservation.backorder_covered`; a line still
 * backordered cannot be picked ahead of older ones; verify() stays clean throughout.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createSku, expectConsistent, seedBasics, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  for (const sku of ["BO-1", "BO-2", "BO-3"]) await createSku(sku, { allowBackorder: true });
});

const reserve = (sku: string, key: string, quantity: number) =>
  api("POST", "/api/v2/inventory/reserve", {
    key: keys.checkout,
    idempotencyKey: key,
    body: { type: "hard", reference: `o-${key}`, items: [{ sku, quantity, locationId: "L1" }] },
  });
const patch = (sku: string, delta: number) =>
  api("PATCH", `/api/v2/inventory/${sku}`, { key: keys.operator, body: { locationId: "L1", delta, reason: "received" } });
const backorderedOf = async (sku: string, id: string) => {
  const r = await skuObject(sku).getReservation(id);
  if (!("reservation" in r)) throw new Error(`no reservation ${id}`);
  return r.reservation.lines[0]!.backordered;
};
/** Reservation ids in the order the SKU object accepted them (its ledger). */
const acceptedOrder = async (sku: string) => (await skuObject(sku).ledger(0, 1000)).filter((e) => e.op === "reserve").map((e) => e.reservationId!);

describe("first come, first served on arrival", () => {
  it("50 racing backorders: a +20 arrival covers exactly the 20 oldest, a +15 the next 15, in acceptance order", async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => reserve("BO-1", `race-${i}`, 1)));
    expect(results.every((r) => r.status === 201 && r.body.lines[0].backordered === 1)).toBe(true);
    const order = await acceptedOrder("BO-1");
    expect(order).toHaveLength(50);
    expect((await skuObject("BO-1").snapshot()).totals).toMatchObject({ onHand: 0, reserved: 50, available: -50 });

    expect((await patch("BO-1", 20)).status).toBe(200);
    const after20 = await Promise.all(order.map((id) => backorderedOf("BO-1", id)));
    expect(after20).toEqual([...Array(20).fill(0), ...Array(30).fill(1)]);
    await expectConsistent("BO-1");

    // A further +15 covers the next 15 in line, and no new order could have taken them.
    expect((await patch("BO-1", 15)).status).toBe(200);
    const after35 = await Promise.all(order.map((id) => backorderedOf("BO-1", id)));
    expect(after35).toEqual([...Array(35).fill(0), ...Array(15).fill(1)]);
    expect((await skuObject("BO-1").snapshot()).totals).toMatchObject({ onHand: 35, reserved: 50, available: -15 });
    await expectConsistent("BO-1");
  });

  it("units back from on_hold to sellable cover the oldest backorder; a partial arrival covers part of a line", async () => {
    expect((await patch("BO-2", 6)).status).toBe(200);
    const hold = await api("POST", "/api/v2/inventory/BO-2/states", {
      key: keys.operator,
      idempotencyKey: "bo2-hold",
      body: { locationId: "L1", from: "sellable", to: "on_hold", quantity: 6, reason: "qa_hold" },
    });
    expect(hold.status).toBe(200);
    const a = await reserve("BO-2", "bo2-a", 4);
    const b = await reserve("BO-2", "bo2-b", 3);
    expect([a.body.lines[0].backordered, b.body.lines[0].backordered]).toEqual([4, 3]);

    const release = await api("POST", "/api/v2/inventory/BO-2/states", {
      key: keys.operator,
      idempotencyKey: "bo2-release",
      body: { locationId: "L1", from: "on_hold", to: "sellable", quantity: 5, reason: "qa_passed" },
    });
    expect(release.status).toBe(200);
    expect(release.body.backordersCovered).toEqual([
      { reservationId: a.body.id, locationId: "L1", covered: 4, remaining: 0 },
      { reservationId: b.body.id, locationId: "L1", covered: 1, remaining: 2 },
    ]);
    expect(release.body.level).toMatchObject({ onHand: 6, reserved: 7, onHold: 1, available: -2 });

    // A new order now is backordered in full: the arrived units went to the older ones.
    const c = await reserve("BO-2", "bo2-c", 1);
    expect(c.body.lines[0].backordered).toBe(1);
    // b is still backordered: it cannot be picked, even though 6 units are on the shelf.
    const pickB = await api("POST", "/api/v2/inventory/commit", { key: keys.checkout, body: { reservationId: b.body.id } });
    expect(pickB.status).toBe(409);
    expect(pickB.body.error.code).toBe("insufficient_stock");
    const pickA = await api("POST", "/api/v2/inventory/commit", { key: keys.checkout, body: { reservationId: a.body.id } });
    expect(pickA.status).toBe(200);
    await expectConsistent("BO-2");
  });

  it("units freed by a released order cover the backorders waiting there", async () => {
    expect((await patch("BO-3", 2)).status).toBe(200);
    const first = await reserve("BO-3", "bo3-first", 2);
    const waiting = await reserve("BO-3", "bo3-waiting", 2);
    expect(waiting.body.lines[0].backordered).toBe(2);
    expect((await api("POST", "/api/v2/inventory/release", { key: keys.checkout, body: { reservationId: first.body.id } })).status).toBe(200);
    expect(await backorderedOf("BO-3", waiting.body.id)).toBe(0);
    await expectConsistent("BO-3");
  });
});

describe("events", () => {
  const object = (sku: string) => env.RECORDING_SKU.getByName(sku);
  const policy = { allowBackorder: true, softBufferPct: 10, reorderPoint: 0 };
  const hard = (sku: string, id: string, quantity: number) =>
    object(sku).applyReservation({
      sku,
      actor: "checkout:t",
      reservationId: id,
      attempt: 1,
      type: "hard",
      lines: [{ locationId: "L1", quantity }],
      expiresAt: Date.now() + 3_600_000,
      reference: `ref-${id}`,
      policy,
    });

  it("each covered line emits reservation.backorder_covered with what was covered and what still waits", async () => {
    expect((await hard("BE-1", "r1", 2)).ok).toBe(true);
    expect((await hard("BE-1", "r2", 3)).ok).toBe(true);
    const res = await object("BE-1").adjustStock({
      sku: "BE-1",
      actor: "operator:t",
      locationId: "L1",
      delta: 4,
      reason: "received",
      idempotencyKey: "k",
      requestHash: "k",
      policy,
    });
    expect(res.ok).toBe(true);
    for (let i = 0; i < 5 && (await object("BE-1").outboxSize()) > 0; i++) await runDurableObjectAlarm(object("BE-1"));
    const covered = (await object("BE-1").takeRecordedEvents()).filter((e) => e.sku === "BE-1" && e.type === "reservation.backorder_covered");
    expect(covered.map((e) => ({ id: e.cause.reservationId, reference: e.cause.reference, locationId: e.locationId, backorder: e.backorder }))).toEqual([
      { id: "r1", reference: "ref-r1", locationId: "L1", backorder: { locationId: "L1", covered: 2, remaining: 0 } },
      { id: "r2", reference: "ref-r2", locationId: "L1", backorder: { locationId: "L1", covered: 2, remaining: 1 } },
    ]);
    expect((await object("BE-1").verify()).ok).toBe(true);
  });
});
