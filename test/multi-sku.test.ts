/**
 * Multi-SKU reservations are all-or-nothing, and crash-safe: a coordinator that dies in
 * the middle of its fan-out is undone by its alarm, or finished by the client's retry.
 * The crashing coordinator's clock is set a day ahead (support/test-clock.ts), so its
 * recovery alarm lies in the real future and runs only when the test runs it.
 */
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CoordinatorReserveInput } from "../durable-objects/reservation-coordinator.types";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";
import { allowLogged } from "./support/log-capture";
import { resetClock, setClockOffset, waitUntil } from "./support/test-clock";

const DAY = 24 * 60 * 60 * 1000;

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  for (const sku of ["MS-1", "MS-2", "MS-3", "MS-4", "CR-1", "CR-2", "CR-3", "CR-4", "RT-1", "RT-2", "RT-3", "RT-4"]) {
    await createSku(sku);
    await setOnHand(keys, sku, "L1", 10);
  }
});

const reserved = async (sku: string) => (await skuObject(sku).snapshot()).totals;

describe("all or nothing", () => {
  it("an order whose last line is short holds nothing, and says which line was short", async () => {
    const res = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "ms-short",
      body: {
        type: "hard",
        reference: "order-short",
        items: [
          { sku: "MS-1", quantity: 4, locationId: "L1" },
          { sku: "MS-2", quantity: 5, locationId: "L1" },
          { sku: "MS-3", quantity: 11, locationId: "L1" },
        ],
      },
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: "insufficient_stock",
      details: [{ sku: "MS-3", locationId: "L1", requested: 11, available: 10 }],
    });
    for (const sku of ["MS-1", "MS-2", "MS-3"]) {
      expect(await reserved(sku)).toMatchObject({ reserved: 0, available: 10 });
      await expectConsistent(sku);
    }
    const got = await api("GET", `/api/v2/reservations/${"x"}`, { key: keys.checkout });
    expect(got.status).toBe(400);
  });

  it("a complete order holds every line; release gives every line back", async () => {
    const res = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "ms-ok",
      body: {
        type: "hard",
        reference: "order-ok",
        items: [
          { sku: "MS-1", quantity: 4 },
          { sku: "MS-2", quantity: 5 },
          { sku: "MS-4", quantity: 1, locationId: "L1" },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.lines).toEqual([
      { sku: "MS-1", locationId: "L1", quantity: 4, backordered: 0 },
      { sku: "MS-2", locationId: "L1", quantity: 5, backordered: 0 },
      { sku: "MS-4", locationId: "L1", quantity: 1, backordered: 0 },
    ]);
    expect(await reserved("MS-1")).toMatchObject({ reserved: 4 });
    expect(await reserved("MS-2")).toMatchObject({ reserved: 5 });
    const committed = await api("POST", "/api/v2/inventory/commit", { key: keys.checkout, body: { reservationId: res.body.id } });
    expect(committed.body.status).toBe("committed");
    expect(await reserved("MS-4")).toMatchObject({ reserved: 0, committed: 1 });
    const released = await api("POST", "/api/v2/inventory/release", { key: keys.checkout, body: { reservationId: res.body.id } });
    expect(released.body.status).toBe("released");
    for (const sku of ["MS-1", "MS-2", "MS-4"]) {
      expect(await reserved(sku)).toMatchObject({ reserved: 0, committed: 0, available: 10 });
      await expectConsistent(sku);
    }
  });

  it("promoting a multi-SKU hold is all or nothing too: one short line leaves every line soft", async () => {
    const hold = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "ms-promote",
      body: {
        type: "soft",
        reference: "cart",
        items: [
          { sku: "MS-1", quantity: 6, locationId: "L1" },
          { sku: "MS-2", quantity: 6, locationId: "L1" },
        ],
      },
    });
    expect(hold.status).toBe(201);
    const hard = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "ms-promote-blocker",
      body: { type: "hard", reference: "other", items: [{ sku: "MS-2", quantity: 5, locationId: "L1" }] },
    });
    expect(hard.status).toBe(201);
    const promoted = await api("POST", "/api/v2/inventory/promote", { key: keys.checkout, body: { reservationId: hold.body.id } });
    expect(promoted.status).toBe(409);
    expect(promoted.body.error.details).toEqual([{ sku: "MS-2", locationId: "L1", requested: 6, available: 5 }]);
    expect(await reserved("MS-1")).toMatchObject({ softHeld: 6, reserved: 0 });
    expect(await reserved("MS-2")).toMatchObject({ softHeld: 6, reserved: 5 });
    const again = await api("GET", `/api/v2/reservations/${hold.body.id}`, { key: keys.checkout });
    expect(again.body).toMatchObject({ type: "soft", status: "active" });
    await expectConsistent("MS-1");
    await expectConsistent("MS-2");
  });
});

describe("crash in the middle of a fan-out", () => {
  afterEach(resetClock);

  const input = (id: string, skus: string[]): CoordinatorReserveInput => ({
    id,
    requestHash: `hash-${id}`,
    principal: "checkout",
    actor: "checkout:test",
    type: "hard",
    reference: id,
    ttlSeconds: 3600,
    parts: skus.map((sku) => ({ sku, policy: { allowBackorder: false, softBufferPct: 10, reorderPoint: 0 }, lines: [{ locationId: "L1", quantity: 3 }] })),
  });

  /** Starts a reservation that stalls after two SKU calls, waits for those, then kills every object. */
  async function crashMidFanOut(name: string, id: string, skus: string[]) {
    const coordinator = env.CRASHING_COORDINATOR.getByName(name);
    await setClockOffset(DAY);
    await coordinator.stallAfter(2);
    const pending = coordinator.reserve(input(id, skus));
    const outcome = pending.then(
      () => "answered",
      () => "died",
    );
    // The fan-out is asynchronous work in flight: wait (bounded) until two SKUs hold their lines.
    await waitUntil(async () => (await Promise.all(skus.map(reserved))).filter((t) => t.reserved > 0).length === 2, "two SKUs holding their lines");
    // Before any SKU was called, the alarm was set no later than the pending step's recovery
    // (this subclass recovers at once: recovery delay 0), with nothing else due here.
    const armed = await runInDurableObject(coordinator, async (_instance, state) => ({
      alarm: await state.storage.getAlarm(),
      row: state.storage.sql.exec<{ pending_op: string; pending_since: number }>("SELECT pending_op, pending_since FROM reservations WHERE id = ?", id).one(),
    }));
    expect(armed.row.pending_op).toBe("reserve");
    expect(armed.alarm).not.toBeNull();
    expect(armed.alarm!).toBeLessThanOrEqual(armed.row.pending_since);
    await coordinator.stallAfter(null);
    await abortAllDurableObjects();
    expect(await outcome).toBe("died");
  }

  it("is undone by the coordinator's alarm: the lines that were held are released", async () => {
    const skus = ["CR-1", "CR-2", "CR-3", "CR-4"];
    await crashMidFanOut("crash-undo", "rsv_crash_undo", skus);

    // The object died after two SKUs took their lines and before the others were asked.
    expect((await Promise.all(skus.map(reserved))).map((t) => t.reserved)).toEqual([3, 3, 0, 0]);

    const revived = env.CRASHING_COORDINATOR.getByName("crash-undo");
    expect(await runDurableObjectAlarm(revived)).toBe(true);
    for (const sku of skus) {
      expect(await reserved(sku)).toMatchObject({ reserved: 0, available: 10 });
      await expectConsistent(sku);
    }
    expect(await revived.get({ id: "rsv_crash_undo", principal: "checkout", anyPrincipal: false })).toMatchObject({
      ok: false,
      code: "reservation_not_found",
    });
    // Running the alarm again changes nothing (the run above, which undid the lines, is its positive control).
    await runDurableObjectAlarm(revived);
    for (const sku of skus) expect(await reserved(sku)).toMatchObject({ reserved: 0 });
    // Kept in case the runtime fires the alarm itself while the fan-out is in flight (its clock, a day ahead, should prevent it).
    allowLogged({ event: "coordinator.alarm_task_deferred", reservationId: "rsv_crash_undo" });
  });

  it("is finished by a retry of the same request before the alarm runs", async () => {
    const skus = ["RT-1", "RT-2", "RT-3", "RT-4"];
    await crashMidFanOut("crash-retry", "rsv_crash_retry", skus);
    expect((await Promise.all(skus.map(reserved))).map((t) => t.reserved)).toEqual([3, 3, 0, 0]);

    const retried = await env.CRASHING_COORDINATOR.getByName("crash-retry").reserve(input("rsv_crash_retry", skus));
    expect(retried).toMatchObject({ ok: true, reservation: { status: "active", lines: skus.map((sku) => ({ sku, quantity: 3 })) } });
    expect((await Promise.all(skus.map(reserved))).map((t) => t.reserved)).toEqual([3, 3, 3, 3]);

    // The alarm now finds nothing stuck and leaves the reservation as it is.
    await runDurableObjectAlarm(env.CRASHING_COORDINATOR.getByName("crash-retry"));
    expect((await Promise.all(skus.map(reserved))).map((t) => t.reserved)).toEqual([3, 3, 3, 3]);
    allowLogged({ event: "coordinator.alarm_task_deferred", reservationId: "rsv_crash_retry" });
    for (const sku of skus) await expectConsistent(sku);
    // Positive control: the same alarm run does act on this reservation once its hour is up (it expires on every SKU).
    await setClockOffset(DAY + 3_600_000 + 60_000);
    expect(await runDurableObjectAlarm(env.CRASHING_COORDINATOR.getByName("crash-retry"))).toBe(true);
    expect((await Promise.all(skus.map(reserved))).map((t) => t.reserved)).toEqual([0, 0, 0, 0]);
  });
});
