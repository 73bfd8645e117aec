/**
 * Pre-orders, lots and expiry, availability dates (issue 14, items 4, 6, 7): pre-orders are
 * limited to dated arrivals not yet promised (409 beyond); 50 racing pre-orders against a PO
 * of 30 and one of 20 — the receipt of the 30 makes exactly the first 30 in queue order hard,
 * the 20 wait for the next arrival and become hard on its receipt; arriving units serve
 * backorders first, then pre-orders, then new orders; the reservation view's backordered and
 * pre-ordered figures drop as units are covered; receipts put units in lots, fulfilment picks
 * first-expiry-first-out; the alarm (test clock, no sleeping) raises `inventory.expiring` once
 * (one D1 alert) and moves expired units to on hold; public availability carries
 * `availabilityDate` on preorder and backorder; `verify()` clean after everything.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";
import { readDbOfSku } from "./support/read-model";
import { clockNow, resetClock, setClockOffset, waitUntil } from "./support/test-clock";

const DAY = 24 * 60 * 60 * 1000;
let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  for (const sku of ["PRE-1", "PRE-2", "LOT-1", "LOT-2"]) await createSku(sku);
  await createSku("PRE-BO", { allowBackorder: true });
  await createSku("PRE-BO2", { allowBackorder: true });
});
afterEach(resetClock);

const post = (path: string, key: string, body?: unknown, idempotencyKey?: string) =>
  api("POST", path, { key, ...(body !== undefined ? { body } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) });

/** A purchase order to L2 created, submitted, confirmed with `expectedAt` and shipped (its lines in transit). */
async function shippedPo(lines: { sku: string; quantity: number }[], key: string, expectedAt: string) {
  const po = await post("/api/v2/purchase-orders", keys.operator, { vendorId: "V1", locationId: "L2", lines }, key);
  expect(po.status).toBe(201);
  expect((await post(`/api/v2/purchase-orders/${po.body.id}/submit`, keys.operator)).status).toBe(200);
  expect((await post(`/api/v2/purchase-orders/${po.body.id}/confirm`, keys.vendor, { expectedAt })).status).toBe(200);
  const ship = await post(`/api/v2/purchase-orders/${po.body.id}/ship`, keys.vendor);
  expect(ship.body.status).toBe("shipped");
  return po.body.id as string;
}
const receivePo = (id: string, lines: { sku: string; received: number }[], key: string) =>
  post(`/api/v2/purchase-orders/${id}/receive`, keys.operator, { lines }, key);
const order = (type: "hard" | "preorder", sku: string, quantity: number, key: string, extra: object = {}) =>
  post("/api/v2/inventory/reserve", keys.checkout, { type, reference: `o-${key}`, items: [{ sku, quantity, locationId: "L2" }], ...extra }, key);
const reservation = (id: string) => api("GET", `/api/v2/reservations/${id}`, { key: keys.checkout });
const publicGet = (sku: string) => api("GET", `/api/v2/availability/${sku}`);

describe("pre-orders", () => {
  it("50 racing pre-orders against a PO of 30 and one of 20: the 30 received make exactly the first 30 hard, the other 20 wait, a 51st is 409", async () => {
    const early = await shippedPo([{ sku: "PRE-1", quantity: 30 }], "pre1-po-a", "2026-12-10T08:00:00Z");
    const late = await shippedPo([{ sku: "PRE-1", quantity: 20 }], "pre1-po-b", "2027-01-15T08:00:00Z");
    expect((await publicGet("PRE-1")).body).toMatchObject({ status: "preorder", available: 0, availabilityDate: "2026-12-10" });

    const placed = await Promise.all(Array.from({ length: 50 }, (_, i) => order("preorder", "PRE-1", 1, `pre1-${i}`)));
    expect(placed.map((r) => r.status)).toEqual(Array(50).fill(201));
    expect(placed.every((r) => r.body.type === "preorder" && r.body.lines[0].preordered === 1 && r.body.lines[0].quantity === 1)).toBe(true);
    const beyond = await order("preorder", "PRE-1", 1, "pre1-51");
    expect(beyond.status).toBe(409);
    expect(beyond.body.error).toMatchObject({ code: "insufficient_stock", details: [{ sku: "PRE-1", locationId: "L2", requested: 1, available: 0 }] });
    // Nothing is counted for waiting units; the queue is the order the object accepted them.
    expect((await skuObject("PRE-1").snapshot()).totals).toMatchObject({ onHand: 0, reserved: 0, inTransit: 50, available: 0 });
    const queue = await skuObject("PRE-1").preorders();
    expect(queue).toHaveLength(50);
    expect(queue.map((q) => q.expectedAt)).toEqual([
      ...Array(30).fill(Date.parse("2026-12-10T08:00:00Z")),
      ...Array(20).fill(Date.parse("2027-01-15T08:00:00Z")),
    ]);
    const arrival = queue.map((q) => q.reservationId);
    expect(new Set(arrival)).toEqual(new Set(placed.map((r) => r.body.id)));
    expect((await skuObject("PRE-1").publicLevels()).levels.find((l) => l.locationId === "L2")).toMatchObject({ preorderable: 0, availabilityDate: null });

    // The PO of 30 arrives: exactly the first 30 in line become hard reservations.
    expect((await receivePo(early, [{ sku: "PRE-1", received: 30 }], "pre1-rcv-a")).status).toBe(200);
    const waiting = async () =>
      Promise.all(
        arrival.map(
          async (id) =>
            ((await skuObject("PRE-1").getReservation(id)) as { reservation: { lines: { preordered: number }[] } }).reservation.lines[0]!.preordered,
        ),
      );
    expect(await waiting()).toEqual([...Array(30).fill(0), ...Array(20).fill(1)]);
    expect((await skuObject("PRE-1").snapshot()).totals).toMatchObject({ onHand: 30, reserved: 30, inTransit: 20, available: 0 });
    const first = await reservation(arrival[0]!);
    expect(first.body).toMatchObject({ type: "hard", lines: [{ quantity: 1, backordered: 0, preordered: 0 }] });
    const last = await reservation(arrival[49]!);
    expect(last.body).toMatchObject({ type: "preorder", lines: [{ quantity: 1, preordered: 1 }] });
    // A hard order finds nothing: the arrived units went to the pre-orders.
    expect((await order("hard", "PRE-1", 1, "pre1-new")).status).toBe(409);
    // A waiting pre-order cannot be picked; a covered one can.
    expect((await post("/api/v2/inventory/commit", keys.checkout, { reservationId: arrival[49] })).status).toBe(409);
    expect((await post("/api/v2/inventory/commit", keys.checkout, { reservationId: arrival[0] })).body.status).toBe("committed");
    await expectConsistent("PRE-1");

    // The next arrival covers the rest.
    expect((await receivePo(late, [{ sku: "PRE-1", received: 20 }], "pre1-rcv-b")).status).toBe(200);
    expect(await waiting()).toEqual(Array(50).fill(0));
    expect((await reservation(arrival[49]!)).body.type).toBe("hard");
    expect(await skuObject("PRE-1").preorders()).toEqual([]);
    const covers = (await skuObject("PRE-1").ledger(0, 1000)).filter((e) => e.op === "preorder_cover");
    expect(covers.map((e) => e.reservationId)).toEqual(arrival);
    await expectConsistent("PRE-1");
  });

  it("arrivals serve backorders first, then pre-orders in order, then new orders; the views' backordered and preordered drop", async () => {
    const poId = await shippedPo([{ sku: "PRE-BO", quantity: 10 }], "prebo-po", "2026-12-20T00:00:00Z");
    const p1 = await order("preorder", "PRE-BO", 4, "prebo-p1");
    expect(p1.status).toBe(201);
    const h = await order("hard", "PRE-BO", 3, "prebo-h");
    expect(h.body.lines[0]).toMatchObject({ quantity: 3, backordered: 3 });
    // Expected 10, promised 3 (backorder) + 4 (pre-order): 3 left.
    expect((await order("preorder", "PRE-BO", 4, "prebo-p2-big")).status).toBe(409);
    const p2 = await order("preorder", "PRE-BO", 3, "prebo-p2");
    expect(p2.status).toBe(201);
    expect((await order("preorder", "PRE-BO", 1, "prebo-p3")).status).toBe(409);

    // 8 of 10 arrive: the backorder (3) first, then p1 (4), then 1 of p2.
    expect((await receivePo(poId, [{ sku: "PRE-BO", received: 8 }], "prebo-rcv")).status).toBe(200);
    expect((await reservation(h.body.id)).body.lines[0]).toMatchObject({ quantity: 3, backordered: 0 });
    expect((await reservation(p1.body.id)).body).toMatchObject({ type: "hard", lines: [{ quantity: 4, preordered: 0 }] });
    expect((await reservation(p2.body.id)).body).toMatchObject({ type: "preorder", lines: [{ quantity: 3, preordered: 2 }] });
    expect((await skuObject("PRE-BO").snapshot()).totals).toMatchObject({ onHand: 8, reserved: 8, inTransit: 2, available: 0 });
    // A new order is backordered: nothing was left for it.
    expect((await order("hard", "PRE-BO", 1, "prebo-new")).body.lines[0].backordered).toBe(1);
    await expectConsistent("PRE-BO");

    // Releasing a waiting pre-order drops its units; releasing a covered one serves the next in line.
    expect((await post("/api/v2/inventory/release", keys.checkout, { reservationId: p1.body.id })).status).toBe(200);
    expect((await reservation(p2.body.id)).body).toMatchObject({ type: "hard", lines: [{ quantity: 3, preordered: 0 }] });
    await expectConsistent("PRE-BO");
  });

  it("public availability carries availabilityDate: preorder (the next unpromised arrival), backorder (lead time when nothing is expected)", async () => {
    expect((await publicGet("PRE-BO2")).body).toMatchObject({ status: "backorder", available: 0 });
    const leadTime = new Date(Date.now() + 7 * DAY).toISOString().slice(0, 10);
    expect((await publicGet("PRE-BO2")).body.availabilityDate).toBe(leadTime);
    // In stock: no date at all.
    await setOnHand(keys, "PRE-2", "L2", 5);
    const inStock = await publicGet("PRE-2");
    expect(inStock.body.status).toBe("in_stock");
    expect("availabilityDate" in inStock.body).toBe(false);
    await setOnHand(keys, "PRE-2", "L2", 0);
    const a = await shippedPo([{ sku: "PRE-2", quantity: 2 }], "pre2-a", "2026-11-01T00:00:00Z");
    await shippedPo([{ sku: "PRE-2", quantity: 5 }], "pre2-b", "2026-12-01T00:00:00Z");
    expect(a).toMatch(/^po_/);
    const view = async () => (await skuObject("PRE-2").publicLevels()).levels.find((l) => l.locationId === "L2");
    expect(await view()).toMatchObject({ available: 0, inTransit: 7, preorderable: 7, availabilityDate: Date.parse("2026-11-01T00:00:00Z") });
    expect((await order("preorder", "PRE-2", 2, "pre2-p")).status).toBe(201);
    // The first arrival is promised: the next free unit comes with the second.
    expect(await view()).toMatchObject({ preorderable: 5, availabilityDate: Date.parse("2026-12-01T00:00:00Z") });
    expect((await order("preorder", "PRE-2", 6, "pre2-big")).status).toBe(409);
    expect((await order("preorder", "PRE-2", 5, "pre2-rest")).status).toBe(201);
    expect(await view()).toMatchObject({ preorderable: 0, availabilityDate: null });
    expect((await skuObject("PRE-2").preorders()).map((q) => [q.waiting, q.expectedAt])).toEqual([
      [2, Date.parse("2026-11-01T00:00:00Z")],
      [5, Date.parse("2026-12-01T00:00:00Z")],
    ]);
    await expectConsistent("PRE-2");
  });
});

/** A transfer L1 → L2 of `quantity` units of `sku`, created and in transit. */
async function transfer(sku: string, quantity: number, key: string) {
  const t = await post("/api/v2/transfers", keys.operator, { fromLocationId: "L1", toLocationId: "L2", lines: [{ sku, quantity }] }, key);
  expect(t.status).toBe(201);
  return t.body.id as string;
}
const receiveTransfer = (id: string, line: object, key: string) => post(`/api/v2/transfers/${id}/receive`, keys.operator, { lines: [line] }, key);

describe("lots and expiry", () => {
  it("receipts put units in lots; a fulfilment picks first expiry first out across two lots, tied to its ledger row", async () => {
    await setOnHand(keys, "LOT-1", "L1", 20);
    const id = await transfer("LOT-1", 12, "lot1-t");
    expect((await receiveTransfer(id, { sku: "LOT-1", received: 5, lot: "B-LATE", expiresOn: "2030-06-01" }, "lot1-r1")).status).toBe(200);
    expect((await receiveTransfer(id, { sku: "LOT-1", received: 7, lot: "A-EARLY", expiresOn: "2030-03-01" }, "lot1-r2")).status).toBe(200);
    // Bad lot input never reaches the object.
    expect((await receiveTransfer(id, { sku: "LOT-1", received: 1, lot: "X" }, "lot1-bad")).status).toBe(400);
    const before = await skuObject("LOT-1").lots("L2");
    expect(before.lots.map((l) => [l.lot, l.expiresOn, l.units])).toEqual([
      ["A-EARLY", "2030-03-01", 7],
      ["B-LATE", "2030-06-01", 5],
    ]);
    const r = await order("hard", "LOT-1", 9, "lot1-o");
    expect(r.status).toBe(201);
    expect((await post("/api/v2/inventory/fulfil", keys.checkout, { reservationId: r.body.id })).body.status).toBe("fulfilled");
    const after = await skuObject("LOT-1").lots("L2");
    expect(after.lots.map((l) => [l.lot, l.units])).toEqual([
      ["A-EARLY", 0],
      ["B-LATE", 3],
    ]);
    const fulfil = (await skuObject("LOT-1").ledger(0, 1000)).find((e) => e.op === "fulfil" && e.reservationId === r.body.id)!;
    expect(after.moves.filter((m) => m.op === "fulfil").map((m) => [m.lot, m.delta, m.ledgerSeq, m.reservationId])).toEqual([
      ["A-EARLY", -7, fulfil.seq, r.body.id],
      ["B-LATE", -2, fulfil.seq, r.body.id],
    ]);
    // Damage takes from the earliest lot left too.
    const damage = await post(
      "/api/v2/inventory/LOT-1/states",
      keys.operator,
      { locationId: "L2", from: "sellable", to: "damaged", quantity: 1, reason: "crushed" },
      "lot1-dmg",
    );
    expect(damage.status).toBe(200);
    expect((await skuObject("LOT-1").lots("L2")).lots.map((l) => l.units)).toEqual([0, 2]);
    await expectConsistent("LOT-1");
  });

  it("the alarm raises inventory.expiring once at the horizon (one D1 alert) and moves expired units to on hold at the date; orders on them wait as backorders", async () => {
    await setClockOffset(DAY);
    const start = await clockNow();
    await setOnHand(keys, "LOT-2", "L1", 10);
    const id = await transfer("LOT-2", 10, "lot2-t");
    const expiresOn = new Date(start + 10 * DAY).toISOString().slice(0, 10);
    const expiresAt = Date.parse(`${expiresOn}T00:00:00Z`);
    expect((await receiveTransfer(id, { sku: "LOT-2", received: 10, lot: "L2-A", expiresOn }, "lot2-r")).status).toBe(200);
    const held = await order("hard", "LOT-2", 2, "lot2-o", { ttlSeconds: 30 * 24 * 60 * 60 });
    expect(held.status).toBe(201);
    const stub = skuObject("LOT-2");
    const lot = async () => (await stub.lots("L2")).lots[0]!;

    // Before the horizon: nothing (the alarm runs; the lot is not alerted).
    await runDurableObjectAlarm(stub);
    expect(await lot()).toMatchObject({ units: 10, alertedAt: null, expiredAt: null });
    // Within 7 days of the date: alerted, once.
    await setClockOffset(expiresAt - 6 * DAY - Date.now());
    await runDurableObjectAlarm(stub);
    const alerted = (await lot()).alertedAt;
    expect(alerted).not.toBeNull();
    await setClockOffset(expiresAt - 6 * DAY + 60_000 - Date.now());
    await runDurableObjectAlarm(stub);
    expect((await lot()).alertedAt).toBe(alerted);
    // The alert is projected into the read database of the SKU's vendor (issue 19 item 2).
    const alertRow = async () =>
      (await readDbOfSku("LOT-2")).prepare("SELECT status, occurrences, available FROM alerts WHERE sku = 'LOT-2' AND kind = 'expiring'").all<{
        status: string;
        occurrences: number;
        available: number;
      }>();
    const open = await waitUntil(async () => {
      const rows = (await alertRow()).results;
      return rows.length === 1 ? rows : undefined;
    }, "the expiring alert to be projected");
    expect(open).toEqual([{ status: "open", occurrences: 1, available: 10 }]);
    expect((await stub.snapshot()).totals).toMatchObject({ onHand: 10, onHold: 0, reserved: 2, available: 8 });

    // At the date: every unit on hold (ledgered), the order's 2 units wait as a backorder.
    await setClockOffset(expiresAt + 1000 - Date.now());
    await runDurableObjectAlarm(stub);
    expect(await lot()).toMatchObject({ units: 0, expiredAt: expect.any(Number) });
    expect((await stub.snapshot()).totals).toMatchObject({ onHand: 10, onHold: 10, reserved: 2, available: -2 });
    const expiry = (await stub.ledger(0, 1000)).filter((e) => e.op === "lot_expire");
    expect(expiry.map((e) => [e.reason, e.delta.onHold, e.reference])).toEqual([["expired", 10, "L2-A"]]);
    const r = await stub.getReservation(held.body.id);
    expect("reservation" in r && r.reservation.lines[0]).toMatchObject({ quantity: 2, backordered: 2 });
    // Running the alarm again changes nothing.
    await setClockOffset(expiresAt + 2000 - Date.now());
    await runDurableObjectAlarm(stub);
    expect((await stub.ledger(0, 1000)).filter((e) => e.op === "lot_expire")).toHaveLength(1);
    const resolved = await waitUntil(async () => {
      const rows = (await alertRow()).results;
      return rows.length === 1 && rows[0]!.status === "resolved" ? rows : undefined;
    }, "the expiring alert to resolve");
    expect(resolved).toEqual([{ status: "resolved", occurrences: 1, available: 10 }]);
    await expectConsistent("LOT-2");
  });
});
