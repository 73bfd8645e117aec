/**
 * Pre-orders against confirmed purchase orders, a reservation's expected dates and the SKU's
 * expiry horizon over HTTP (issue 14, items 4–6):
 *
 * - a confirmed (not shipped) PO of 20 is an expected arrival: 20 racing pre-orders are
 *   accepted, the 21st is 409; shipping it turns the arrival into the transfer line (still 20
 *   pre-ordered, nothing counted twice); the receipt covers them first come, first served;
 * - cancelling a confirmed PO withdraws its arrival: the pre-orders against it keep waiting,
 *   their dates move to the next arrival (or null), new ones are refused;
 * - a confirm step a crash left `confirming` is finished by the sweeper after the lease (not
 *   within it), or by a ship of the order;
 * - a backordered or pre-ordered line of GET /reservations/{id} shows `expectedAt`;
 * - `expiryAlertDays` of PUT /planning-settings/{sku} sets the SKU object's horizon (the alarm
 *   alerts a lot 20 days out only once it is 30), null restores 7, out of range is 400;
 * - `verify()` clean after each.
 */
import { createExecutionContext, createScheduledController, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CRONS, handleScheduled } from "../workers/scheduled";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";
import { clockNow, resetClock } from "./support/test-clock";
import { readDbOfVendor } from "./support/read-model";

const DAY = 24 * 60 * 60 * 1000;
let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  for (const sku of ["CPO-1", "CPO-2", "CPO-3", "CPO-LOT"]) await createSku(sku);
  await createSku("CPO-BO", { allowBackorder: true });
});
afterEach(resetClock);

const post = (path: string, key: string, body?: unknown, idempotencyKey?: string) =>
  api("POST", path, { key, ...(body !== undefined ? { body } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) });

/** A purchase order to L2 created, submitted and confirmed with `expectedAt` (not shipped). */
async function confirmedPo(lines: { sku: string; quantity: number }[], key: string, expectedAt: string) {
  const po = await post("/api/v2/purchase-orders", keys.operator, { vendorId: "V1", locationId: "L2", lines }, key);
  expect(po.status).toBe(201);
  expect((await post(`/api/v2/purchase-orders/${po.body.id}/submit`, keys.operator)).status).toBe(200);
  const confirmed = await post(`/api/v2/purchase-orders/${po.body.id}/confirm`, keys.vendor, { expectedAt });
  expect(confirmed.body.status).toBe("confirmed");
  return po.body.id as string;
}
const order = (type: "hard" | "preorder", sku: string, quantity: number, key: string) =>
  post("/api/v2/inventory/reserve", keys.checkout, { type, reference: `o-${key}`, items: [{ sku, quantity, locationId: "L2" }] }, key);
const reservation = (id: string) => api("GET", `/api/v2/reservations/${id}`, { key: keys.checkout });
const poStatus = async (id: string) => (await api("GET", `/api/v2/purchase-orders/${id}`, { key: keys.operator })).body.status;
const sweep = (at: number) => handleScheduled(createScheduledController({ cron: CRONS.sweep, scheduledTime: at }), env, createExecutionContext());

describe("pre-orders against confirmed purchase orders", () => {
  it("a confirmed PO of 20: 20 racing pre-orders accepted, the 21st 409; ship doubles nothing; the receipt covers them first come, first served", async () => {
    const id = await confirmedPo([{ sku: "CPO-1", quantity: 20 }], "cpo1-po", "2026-12-20T08:00:00Z");
    const stub = skuObject("CPO-1");
    expect(await stub.getExpectedArrival(`${id}:0`)).toMatchObject({
      status: "expected",
      quantity: 20,
      locationId: "L2",
      expectedAt: Date.parse("2026-12-20T08:00:00Z"),
    });
    // Nothing moved: not in transit yet. Public availability already says preorder, with the date.
    expect((await stub.snapshot()).totals).toMatchObject({ onHand: 0, inTransit: 0, available: 0 });
    expect((await api("GET", "/api/v2/availability/CPO-1")).body).toMatchObject({ status: "preorder", availabilityDate: "2026-12-20" });

    const placed = await Promise.all(Array.from({ length: 20 }, (_, i) => order("preorder", "CPO-1", 1, `cpo1-${i}`)));
    expect(placed.map((r) => r.status)).toEqual(Array(20).fill(201));
    const beyond = await order("preorder", "CPO-1", 1, "cpo1-21");
    expect(beyond.status).toBe(409);
    expect(beyond.body.error).toMatchObject({ code: "insufficient_stock", details: [{ sku: "CPO-1", locationId: "L2", requested: 1, available: 0 }] });
    const queue = (await stub.preorders()).map((q) => q.reservationId);
    expect(queue).toHaveLength(20);

    // Ship: the arrival becomes the transfer line in one transaction — 20 in transit, 20 expected, not 40.
    expect((await post(`/api/v2/purchase-orders/${id}/ship`, keys.vendor)).body.status).toBe("shipped");
    expect(await stub.getExpectedArrival(`${id}:0`)).toMatchObject({ status: "shipped" });
    expect((await stub.snapshot()).totals).toMatchObject({ inTransit: 20, available: 0 });
    expect((await order("preorder", "CPO-1", 1, "cpo1-22")).status).toBe(409);
    expect((await stub.preorders()).map((q) => [q.reservationId, q.expectedAt])).toEqual(queue.map((r) => [r, Date.parse("2026-12-20T08:00:00Z")]));
    await expectConsistent("CPO-1");

    // 12 arrive: exactly the first 12 in line are hard; the other 8 wait. Then the rest.
    expect((await post(`/api/v2/purchase-orders/${id}/receive`, keys.operator, { lines: [{ sku: "CPO-1", received: 12 }] }, "cpo1-rcv-a")).status).toBe(200);
    const waiting = async () => Promise.all(queue.map(async (r) => (await reservation(r)).body.lines[0].preordered as number));
    expect(await waiting()).toEqual([...Array(12).fill(0), ...Array(8).fill(1)]);
    expect((await reservation(queue[12]!)).body).toMatchObject({ type: "preorder", lines: [{ preordered: 1, expectedAt: "2026-12-20T08:00:00.000Z" }] });
    expect((await post(`/api/v2/purchase-orders/${id}/receive`, keys.operator, { lines: [{ sku: "CPO-1", received: 8 }] }, "cpo1-rcv-b")).status).toBe(200);
    expect(await waiting()).toEqual(Array(20).fill(0));
    expect((await stub.snapshot()).totals).toMatchObject({ onHand: 20, reserved: 20, inTransit: 0, available: 0 });
    await expectConsistent("CPO-1");
  });

  it("cancelling a confirmed PO withdraws its arrival: its pre-orders keep waiting with the next arrival's date (or null); new ones are refused", async () => {
    const a = await confirmedPo([{ sku: "CPO-2", quantity: 10 }], "cpo2-a", "2026-12-20T00:00:00Z");
    await confirmedPo([{ sku: "CPO-2", quantity: 5 }], "cpo2-b", "2027-01-10T00:00:00Z");
    const first = await order("preorder", "CPO-2", 10, "cpo2-p1");
    const second = await order("preorder", "CPO-2", 3, "cpo2-p2");
    expect([first.status, second.status]).toEqual([201, 201]);
    expect((await skuObject("CPO-2").preorders()).map((q) => q.expectedAt)).toEqual([Date.parse("2026-12-20T00:00:00Z"), Date.parse("2027-01-10T00:00:00Z")]);

    const cancelled = await post(`/api/v2/purchase-orders/${a}/cancel`, keys.operator);
    expect(cancelled.body.status).toBe("cancelled");
    expect(await skuObject("CPO-2").getExpectedArrival(`${a}:0`)).toMatchObject({ status: "cancelled" });
    // 13 wait for the 5 of the other order: the first in line's last unit has no arrival any more, the second's neither.
    expect((await skuObject("CPO-2").preorders()).map((q) => [q.waiting, q.expectedAt])).toEqual([
      [10, null],
      [3, null],
    ]);
    expect((await reservation(first.body.id)).body).toMatchObject({ type: "preorder", status: "active", lines: [{ preordered: 10, expectedAt: null }] });
    expect((await order("preorder", "CPO-2", 1, "cpo2-p3")).status).toBe(409);
    // Repeating the cancel changes nothing; the object's figures are untouched throughout.
    expect((await post(`/api/v2/purchase-orders/${a}/cancel`, keys.operator)).body.status).toBe("cancelled");
    expect((await skuObject("CPO-2").snapshot()).totals).toMatchObject({ onHand: 0, reserved: 0, inTransit: 0 });
    await expectConsistent("CPO-2");
  });

  it("a confirm step a crash left 'confirming' is finished by the sweeper after the lease, not within it; a ship finishes it first", async () => {
    const make = async (key: string) => {
      const po = await post(
        "/api/v2/purchase-orders",
        keys.operator,
        { vendorId: "V1", locationId: "L2", expectedAt: "2026-12-24T00:00:00Z", lines: [{ sku: "CPO-3", quantity: 4 }] },
        key,
      );
      await post(`/api/v2/purchase-orders/${po.body.id}/submit`, keys.operator);
      // The confirm batch committed, the Worker died before telling the SKU.
      const now = Date.now();
      // The order is in its vendor's read database.
      await (await readDbOfVendor("V1")).prepare("UPDATE purchase_orders SET status = 'confirming', updated_at = ? WHERE id = ?").bind(now, po.body.id).run();
      return { id: po.body.id as string, now };
    };
    const crashed = await make("cpo3-a");
    await sweep(crashed.now + 30_000);
    expect(await poStatus(crashed.id)).toBe("confirming");
    expect(await skuObject("CPO-3").getExpectedArrival(`${crashed.id}:0`)).toBeNull();
    await sweep(crashed.now + 120_000);
    expect(await poStatus(crashed.id)).toBe("confirmed");
    expect(await skuObject("CPO-3").getExpectedArrival(`${crashed.id}:0`)).toMatchObject({
      status: "expected",
      quantity: 4,
      expectedAt: Date.parse("2026-12-24T00:00:00Z"),
    });

    const shipped = await make("cpo3-b");
    expect((await post(`/api/v2/purchase-orders/${shipped.id}/ship`, keys.vendor)).body.status).toBe("shipped");
    expect(await skuObject("CPO-3").getExpectedArrival(`${shipped.id}:0`)).toMatchObject({ status: "shipped", quantity: 4 });
    // One confirmed (4 expected) and one shipped (4 in transit): 8 pre-orderable.
    expect((await skuObject("CPO-3").publicLevels()).levels.find((l) => l.locationId === "L2")).toMatchObject({ inTransit: 4, preorderable: 8 });
    await expectConsistent("CPO-3");
  });
});

describe("a reservation's expected dates", () => {
  it("a backordered line shows the date of the arrival that covers its last unit (null when none does)", async () => {
    const shipped = await post(
      "/api/v2/purchase-orders",
      keys.operator,
      { vendorId: "V1", locationId: "L2", lines: [{ sku: "CPO-BO", quantity: 5 }] },
      "cpobo-a",
    );
    await post(`/api/v2/purchase-orders/${shipped.body.id}/submit`, keys.operator);
    await post(`/api/v2/purchase-orders/${shipped.body.id}/confirm`, keys.vendor, { expectedAt: "2026-12-12T00:00:00Z" });
    expect((await post(`/api/v2/purchase-orders/${shipped.body.id}/ship`, keys.vendor)).body.status).toBe("shipped");
    const h1 = await order("hard", "CPO-BO", 3, "cpobo-h1");
    const h2 = await order("hard", "CPO-BO", 4, "cpobo-h2");
    expect([h1.body.lines[0].backordered, h2.body.lines[0].backordered]).toEqual([3, 4]);
    // Units 1–5 come on Dec 12: h1's 3 and 2 of h2's 4; h2's last unit has no arrival yet.
    expect((await reservation(h1.body.id)).body.lines[0]).toMatchObject({ backordered: 3, expectedAt: "2026-12-12T00:00:00.000Z" });
    expect((await reservation(h2.body.id)).body.lines[0]).toMatchObject({ backordered: 4, expectedAt: null });
    await confirmedPo([{ sku: "CPO-BO", quantity: 10 }], "cpobo-b", "2027-01-05T00:00:00Z");
    expect((await reservation(h2.body.id)).body.lines[0]).toMatchObject({ backordered: 4, expectedAt: "2027-01-05T00:00:00.000Z" });
    // Covered: no date any more.
    await post(`/api/v2/purchase-orders/${shipped.body.id}/receive`, keys.operator, { lines: [{ sku: "CPO-BO", received: 5 }] }, "cpobo-rcv");
    const covered = (await reservation(h1.body.id)).body.lines[0];
    expect(covered.backordered).toBe(0);
    expect("expectedAt" in covered).toBe(false);
    await expectConsistent("CPO-BO");
  });
});

describe("the expiry horizon in the planning settings", () => {
  it("expiryAlertDays sets the SKU object's horizon: a lot 20 days out is alerted only at 30; null restores 7; out of range is 400", async () => {
    const start = await clockNow();
    await setOnHand(keys, "CPO-LOT", "L1", 5);
    const t = await post(
      "/api/v2/transfers",
      keys.operator,
      { fromLocationId: "L1", toLocationId: "L2", lines: [{ sku: "CPO-LOT", quantity: 5 }] },
      "cpolot-t",
    );
    const expiresOn = new Date(start + 20 * DAY).toISOString().slice(0, 10);
    expect(
      (await post(`/api/v2/transfers/${t.body.id}/receive`, keys.operator, { lines: [{ sku: "CPO-LOT", received: 5, lot: "A", expiresOn }] }, "cpolot-r"))
        .status,
    ).toBe(200);
    const stub = skuObject("CPO-LOT");
    // Control: with the default 7 days the alarm does not alert it.
    await runDurableObjectAlarm(stub);
    expect((await stub.lots("L2")).lots[0]).toMatchObject({ units: 5, alertedAt: null });

    const put = await api("PUT", "/api/v2/planning-settings/CPO-LOT", { key: keys.vendor, body: { expiryAlertDays: 30, packSize: 6 } });
    expect(put.status).toBe(200);
    expect(put.body.settings).toMatchObject({ expiryAlertDays: 30, packSize: 6 });
    expect(put.body.alertThresholds).toMatchObject({ expiryAlertDays: 30 });
    expect((await stub.lots()).horizonDays).toBe(30);
    await runDurableObjectAlarm(stub);
    expect((await stub.lots("L2")).lots[0]!.alertedAt).not.toBeNull();

    const get = await api("GET", "/api/v2/planning-settings/CPO-LOT", { key: keys.operator });
    expect(get.body.settings).toMatchObject({ expiryAlertDays: 30 });
    for (const bad of [0, 366, 7.5, "7"]) {
      expect((await api("PUT", "/api/v2/planning-settings/CPO-LOT", { key: keys.operator, body: { expiryAlertDays: bad } })).status).toBe(400);
    }
    expect((await stub.lots()).horizonDays).toBe(30);
    const cleared = await api("PUT", "/api/v2/planning-settings/CPO-LOT", { key: keys.operator, body: { expiryAlertDays: null } });
    expect(cleared.status).toBe(200);
    expect("expiryAlertDays" in cleared.body.settings).toBe(false);
    expect(cleared.body.alertThresholds.expiryAlertDays).toBe(7);
    expect((await stub.lots()).horizonDays).toBe(7);
    // Another vendor's key may not set it.
    expect((await api("PUT", "/api/v2/planning-settings/CPO-LOT", { key: keys.otherVendor, body: { expiryAlertDays: 3 } })).status).toBe(403);
    await expectConsistent("CPO-LOT");
  });
});
