/**
 * Failures of alarm work are never silent (issue 10, item 3). Faults are injected through
 * the test-only subclasses of support/worker-under-test.ts: a trigger that makes a SKU
 * object's expiry fail (its transaction rolls back with an invariant breach, or storage
 * throws), and a coordinator whose SKU calls reject. Time is moved with those subclasses'
 * clock, never slept through, so every alarm they set lies in the real future and runs
 * only when the test runs it (`runDurableObjectAlarm`).
 *
 * Each failure must be logged with its cause, counted where an operator sees it
 * (`health()`, and for a SKU the audit endpoint), and retried with backoff: the row records
 * its attempts and next attempt, and the alarm is set for that, never in the past (which
 * would fire it over and over). Once the fault is gone the retry succeeds.
 */
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CoordinatorReserveInput } from "../durable-objects/reservation-coordinator.types";
import { api, createSku, expectConsistent, seedBasics, setOnHand, type Keys } from "./support/fixtures";
import { expectLogged } from "./support/log-capture";
import { clockNow, setClockOffset, waitUntil } from "./support/test-clock";
import { expiryFaultSql } from "./support/worker-under-test";

const DAY = 24 * 60 * 60 * 1000;
const policy = { allowBackorder: false, softBufferPct: 10, reorderPoint: 0 };
const recording = (sku: string) => env.RECORDING_SKU.getByName(sku);
const crashing = (name: string) => env.CRASHING_COORDINATOR.getByName(name);

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
});

afterEach(async () => {
  // The clock offset and the rejecting calls are module state of the test subclasses.
  await crashing("af-reset").setClockOffset(0);
  await crashing("af-reset").rejectSkuCalls(false);
});

type StoredExpiry = { status: string; expiry_attempts: number; expiry_retry_at: number | null };

/** A SKU object's reservation row and alarm, read from its storage. */
function storedSku(stub: DurableObjectStub, id: string) {
  return runInDurableObject(stub, async (_instance, state) => ({
    row: state.storage.sql.exec<StoredExpiry>("SELECT status, expiry_attempts, expiry_retry_at FROM reservations WHERE id = ?", id).one(),
    alarm: await state.storage.getAlarm(),
  }));
}

type StoredSaga = { status: string; pending_op: string | null; alarm_attempts: number; alarm_retry_at: number | null };

/** A coordinator's reservation row and alarm, read from its storage. */
function storedSaga(stub: DurableObjectStub, id: string) {
  return runInDurableObject(stub, async (_instance, state) => ({
    row: state.storage.sql.exec<StoredSaga>("SELECT status, pending_op, alarm_attempts, alarm_retry_at FROM reservations WHERE id = ?", id).one(),
    alarm: await state.storage.getAlarm(),
  }));
}

async function stockUp(stub: ReturnType<typeof recording> | ReturnType<typeof env.SKU_INVENTORY.getByName>, sku: string, onHand: number) {
  const res = await stub.adjustStock({
    sku,
    actor: "operator:test",
    locationId: "L1",
    onHand,
    reason: "initial",
    idempotencyKey: `af-${sku}-${onHand}`,
    requestHash: `af-${sku}-${onHand}`,
    policy,
  });
  expect(res.ok).toBe(true);
}

async function hold(
  stub: ReturnType<typeof recording> | ReturnType<typeof env.SKU_INVENTORY.getByName>,
  sku: string,
  id: string,
  quantity: number,
  expiresAt: number,
) {
  const res = await stub.applyReservation({
    sku,
    actor: "checkout:test",
    reservationId: id,
    attempt: 1,
    type: "soft",
    lines: [{ locationId: "L1", quantity }],
    expiresAt,
    reference: id,
    policy,
  });
  expect(res.ok).toBe(true);
}

describe("SKU object: a failing expiry", () => {
  it("is logged with its cause, counted, retried with backoff (the alarm set for the retry, not the past), and succeeds once the fault is gone", async () => {
    const stub = recording("AF-1");
    await stub.setClockOffset(DAY);
    await stockUp(stub, "AF-1", 10);
    await hold(stub, "AF-1", "af-1", 3, (await stub.clockNow()) + 1_000);
    await stub.injectExpiryFault("rollback");

    // The hold falls due; the alarm's expiry of it rolls back.
    await stub.setClockOffset(DAY + 5_000);
    // The clock when the alarm ran: its next alarm must be later (never re-armed in the past), however long the assertions take.
    const ranAt1 = await stub.clockNow();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const [first] = expectLogged(
      { event: "reservation.expiry_failed", sku: "AF-1", reservationId: "af-1", attempt: 1, code: "invariant_violation" },
      { exactly: true },
    );
    expect(first!.error).toMatch(/invariant/);
    expect((await stub.snapshot()).totals).toMatchObject({ softHeld: 3 });
    let health = await stub.health();
    expect(health.failures).toEqual([
      { kind: "expiry", count: 1, lastAt: expect.any(Number), lastError: expect.stringMatching(/^invariant_violation/), lastRef: "af-1" },
    ]);
    expect(health.expiriesRetrying).toBe(1);
    let stored = await storedSku(stub, "af-1");
    expect(stored.row).toMatchObject({ status: "active", expiry_attempts: 1 });
    // Backed off from the failure by 1 s, and the alarm is set for exactly that retry.
    expect(stored.row.expiry_retry_at! - health.failures[0]!.lastAt).toBe(1_000);
    expect(stored.alarm).toBe(stored.row.expiry_retry_at);
    expect(health.nextDueAt).toBe(stored.row.expiry_retry_at);
    expect(stored.alarm!).toBeGreaterThan(ranAt1);

    // Before the retry is due, an alarm run tries nothing (positive control below).
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.health()).failures[0]!.count).toBe(1);

    // The retry is due and the fault still there: attempt 2, the delay doubles.
    await stub.setClockOffset(DAY + 6_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expectLogged({ event: "reservation.expiry_failed", reservationId: "af-1", attempt: 2 }, { exactly: true });
    health = await stub.health();
    expect(health.failures[0]!.count).toBe(2);
    stored = await storedSku(stub, "af-1");
    expect(stored.row.expiry_attempts).toBe(2);
    expect(stored.row.expiry_retry_at! - health.failures[0]!.lastAt).toBe(2_000);
    expect(stored.alarm).toBe(stored.row.expiry_retry_at);

    // The fault is removed; the next retry expires the hold.
    await stub.injectExpiryFault(null);
    await stub.setClockOffset(DAY + 8_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.snapshot()).totals).toMatchObject({ softHeld: 0, available: 10 });
    expect((await stub.ledger(0, 100)).filter((r) => r.op === "expire").map((r) => [r.reservationId, r.delta.softHeld])).toEqual([["af-1", -3]]);
    health = await stub.health();
    expect(health.failures[0]!.count).toBe(2);
    expect(health.expiriesRetrying).toBe(0);
    expect((await stub.verify()).ok).toBe(true);
  });

  it("that throws does not stop the other expiries of the run, and is logged, counted and backed off the same way", async () => {
    const stub = recording("AF-2");
    await stub.setClockOffset(DAY);
    await stockUp(stub, "AF-2", 10);
    const due = (await stub.clockNow()) + 1_000;
    await hold(stub, "AF-2", "af-2-bad", 2, due);
    await hold(stub, "AF-2", "af-2-ok", 4, due);
    await stub.injectExpiryFault("throw", "af-2-bad");

    await stub.setClockOffset(DAY + 5_000);
    // The clock when the alarm ran: its next alarm must be later (never re-armed in the past), however long the assertions take.
    const ranAt2 = await stub.clockNow();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const [log] = expectLogged({ event: "reservation.expiry_failed", reservationId: "af-2-bad", attempt: 1, code: "exception" }, { exactly: true });
    expect(log!.error).toMatch(/injected fault: expiry refused by storage/);
    // The other hold expired in the same run.
    expect((await stub.snapshot()).totals).toMatchObject({ softHeld: 2 });
    let stored = await storedSku(stub, "af-2-bad");
    expect(stored.row).toMatchObject({ status: "active", expiry_attempts: 1 });
    expect(stored.alarm!).toBeGreaterThan(ranAt2);
    // The other expiry's events wait to be sent (100 ms); once sent, the alarm is for the retry.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    stored = await storedSku(stub, "af-2-bad");
    expect(stored.row.expiry_attempts).toBe(1);
    expect(stored.alarm).toBe(stored.row.expiry_retry_at);
    expect((await stub.health()).failures).toMatchObject([{ kind: "expiry", count: 1, lastRef: "af-2-bad" }]);

    await stub.injectExpiryFault(null);
    await stub.setClockOffset(DAY + 7_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.snapshot()).totals).toMatchObject({ softHeld: 0 });
    expect((await stub.health()).expiriesRetrying).toBe(0);
  });

  it("shows in the operator's audit endpoint", async () => {
    // The production binding's objects read the same test clock (ClockedSkuInventory).
    await setClockOffset(DAY);
    await createSku("AF-3");
    await setOnHand(keys, "AF-3", "L1", 10);
    const stub = env.SKU_INVENTORY.getByName("AF-3");
    const clean = await api("GET", "/api/v2/inventory/AF-3/audit", { key: keys.operator });
    expect(clean.body).toMatchObject({ sku: "AF-3", ok: true, health: { failures: [], expiriesRetrying: 0 } });

    // A hold due in a second, its expiry made to fail; the hold falls due and the test runs the alarm.
    await runInDurableObject(stub, (_instance, state) => void state.storage.sql.exec(expiryFaultSql("rollback")));
    await hold(stub, "AF-3", "af-3", 2, (await clockNow()) + 1_000);
    await setClockOffset(DAY + 5_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expectLogged({ event: "reservation.expiry_failed", sku: "AF-3", reservationId: "af-3" });

    const audit = await api("GET", "/api/v2/inventory/AF-3/audit", { key: keys.operator });
    expect(audit.status).toBe(200);
    expect(audit.body).toMatchObject({ sku: "AF-3", ok: true, health: { failures: [{ kind: "expiry", lastRef: "af-3" }], expiriesRetrying: 1 } });
    expect(audit.body.health.failures[0].count).toBeGreaterThanOrEqual(1);

    // Remove the fault and end the hold, so no retry outlives the test.
    await runInDurableObject(stub, (_instance, state) => void state.storage.sql.exec("DROP TRIGGER test_expiry_fault"));
    await stub.release({ sku: "AF-3", actor: "checkout:test", reservationId: "af-3", attempt: 1, reason: "release", type: "soft" });
    expect((await stub.snapshot()).totals).toMatchObject({ softHeld: 0 });
    await expectConsistent("AF-3");
  });
});

describe("coordinator: failing fan-out calls and alarm work", () => {
  const input = (id: string, skus: string[], ttlSeconds = 3600): CoordinatorReserveInput => ({
    id,
    requestHash: `hash-${id}`,
    principal: "checkout",
    actor: "checkout:test",
    type: "hard",
    reference: id,
    ttlSeconds,
    parts: skus.map((sku) => ({ sku, policy, lines: [{ locationId: "L1", quantity: 3 }] })),
  });
  const skuTotals = async (sku: string) => (await env.SKU_INVENTORY.getByName(sku).snapshot()).totals;

  it("a rejected SKU call is logged and counted; the alarm's retry of the undo backs off and finishes once the SKU objects answer", async () => {
    for (const sku of ["AF-C1", "AF-C2"]) await stockUp(env.SKU_INVENTORY.getByName(sku), sku, 10);
    const coordinator = crashing("af-coord-1");
    await coordinator.setClockOffset(DAY);
    await coordinator.rejectSkuCalls(true);

    const res = await coordinator.reserve(input("rsv_af_1", ["AF-C1", "AF-C2"]));
    expect(res).toMatchObject({ ok: false, code: "retry_later" });
    const calls = expectLogged({ event: "coordinator.sku_call_failed", reservationId: "rsv_af_1", method: "applyReservation" }, { count: 2, exactly: true });
    expect(calls.map((c) => c.sku).sort()).toEqual(["AF-C1", "AF-C2"]);
    expect(calls[0]!.error).toMatch(/injected fault: SKU object AF-C\d is unreachable/);
    expectLogged({ event: "coordinator.sku_call_failed", reservationId: "rsv_af_1", method: "release" }, { count: 2, exactly: true });
    expect((await coordinator.health()).failures).toMatchObject([{ kind: "sku_call", count: 4, lastError: expect.stringMatching(/unreachable/) }]);

    // The alarm takes over the unfinished undo; the SKU objects are still unreachable.
    // The clock when the alarm ran: its next alarm must be later (never re-armed in the past), however long the assertions take.
    const ranAt3 = await coordinator.clockNow();
    expect(await runDurableObjectAlarm(coordinator)).toBe(true);
    // Two more releases failed (expectLogged counts the whole test's lines).
    expectLogged({ event: "coordinator.sku_call_failed", reservationId: "rsv_af_1", method: "release" }, { count: 4, exactly: true });
    const [task] = expectLogged(
      { event: "coordinator.alarm_task_failed", reservationId: "rsv_af_1", task: "recover", pendingOp: "undo", attempt: 1 },
      { exactly: true },
    );
    expect(task!.error).toMatch(/retry_later/);
    let health = await coordinator.health();
    const taskCount = health.failures.find((f) => f.kind === "alarm_task")!;
    expect(taskCount).toMatchObject({ count: 1, lastRef: "rsv_af_1" });
    expect(health.failures.find((f) => f.kind === "sku_call")!.count).toBe(6);
    expect(health.retrying).toBe(1);
    let stored = await storedSaga(coordinator, "rsv_af_1");
    expect(stored.row).toMatchObject({ status: "aborted", pending_op: "undo", alarm_attempts: 1 });
    expect(stored.row.alarm_retry_at! - taskCount.lastAt).toBe(1_000);
    expect(stored.alarm).toBe(stored.row.alarm_retry_at);
    expect(stored.alarm!).toBeGreaterThan(ranAt3);

    // The SKU objects answer again; when the retry is due the undo finishes.
    await coordinator.rejectSkuCalls(false);
    await coordinator.setClockOffset(DAY + 2_000);
    expect(await runDurableObjectAlarm(coordinator)).toBe(true);
    stored = await storedSaga(coordinator, "rsv_af_1");
    expect(stored.row).toMatchObject({ status: "aborted", pending_op: null, alarm_attempts: 0, alarm_retry_at: null });
    health = await coordinator.health();
    expect(health).toMatchObject({ pending: 0, retrying: 0 });
    for (const sku of ["AF-C1", "AF-C2"]) expect(await skuTotals(sku)).toMatchObject({ reserved: 0, available: 10 });
  });

  it("the coordinator's own expiry that the SKU objects cannot take yet is retried with backoff, not re-armed in the past", async () => {
    for (const sku of ["AF-C3", "AF-C4"]) await stockUp(env.SKU_INVENTORY.getByName(sku), sku, 10);
    const coordinator = crashing("af-coord-2");
    await coordinator.setClockOffset(DAY);
    expect(await coordinator.reserve(input("rsv_af_2", ["AF-C3", "AF-C4"], 60))).toMatchObject({ ok: true, reservation: { status: "active" } });
    for (const sku of ["AF-C3", "AF-C4"]) expect(await skuTotals(sku)).toMatchObject({ reserved: 3 });

    // The reservation falls due while the SKU objects cannot be reached.
    await coordinator.rejectSkuCalls(true);
    await coordinator.setClockOffset(DAY + 120_000);
    // The clock when the alarm ran: its next alarm must be later (never re-armed in the past), however long the assertions take.
    const ranAt4 = await coordinator.clockNow();
    expect(await runDurableObjectAlarm(coordinator)).toBe(true);
    expectLogged({ event: "coordinator.sku_call_failed", reservationId: "rsv_af_2", method: "release" }, { count: 2, exactly: true });
    expectLogged({ event: "coordinator.alarm_task_failed", reservationId: "rsv_af_2", task: "expire", attempt: 1 }, { exactly: true });
    const stored = await storedSaga(coordinator, "rsv_af_2");
    expect(stored.row).toMatchObject({ status: "active", pending_op: "expire", alarm_attempts: 1 });
    expect(stored.alarm).toBe(stored.row.alarm_retry_at);
    expect(stored.alarm!).toBeGreaterThan(ranAt4);

    // Reachable again: the retry expires the reservation on every SKU.
    await coordinator.rejectSkuCalls(false);
    await coordinator.setClockOffset(DAY + 122_000);
    expect(await runDurableObjectAlarm(coordinator)).toBe(true);
    expect((await storedSaga(coordinator, "rsv_af_2")).row).toMatchObject({ status: "expired", pending_op: null, alarm_attempts: 0 });
    for (const sku of ["AF-C3", "AF-C4"]) {
      expect(await skuTotals(sku)).toMatchObject({ reserved: 0, available: 10 });
      const expiries = (await env.SKU_INVENTORY.getByName(sku).ledger(0, 100)).filter((r) => r.op === "expire");
      expect(expiries.map((r) => [r.reservationId, r.delta.reserved])).toEqual([["rsv_af_2", -3]]);
    }
  });

  // Last in the file: it kills every object (abortAllDurableObjects).
  it("an operation still in flight is left to it, and meanwhile the alarm is not re-armed in the past", async () => {
    const coordinator = crashing("af-coord-3");
    await coordinator.setClockOffset(DAY);
    await coordinator.stallAfter(0);
    const stalled = coordinator.reserve(input("rsv_af_3", ["AF-C5"])).then(
      () => "answered",
      () => "died",
    );
    // The stalled reserve is asynchronous work in flight: wait (bounded) for its row.
    await waitUntil(
      async () => (await runInDurableObject(coordinator, (_instance, state) => state.storage.sql.exec("SELECT id FROM reservations").toArray())).length === 1,
      "the stalled reservation's row",
    );

    // The clock when the alarm ran: its next alarm must be later (never re-armed in the past), however long the assertions take.
    const ranAt5 = await coordinator.clockNow();
    expect(await runDurableObjectAlarm(coordinator)).toBe(true);
    expectLogged({ event: "coordinator.alarm_task_deferred", reservationId: "rsv_af_3" });
    const stored = await storedSaga(coordinator, "rsv_af_3");
    expect(stored.row).toMatchObject({ status: "pending", pending_op: "reserve" });
    expect(stored.alarm!).toBeGreaterThan(ranAt5);

    await coordinator.stallAfter(null);
    await coordinator.setClockOffset(0);
    await abortAllDurableObjects();
    expect(await stalled).toBe("died");
  });
});
