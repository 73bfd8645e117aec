/**
 * The objects' pruning of old records, and the alarm work it takes (issue 11: an alarm run for
 * the outbox alone reads which work is due once and does no more; a key claim arms the
 * coordinator's alarm without reading its due work when the alarm is already set early enough;
 * a SKU object's change that writes events does not read it either when the alarm is set no
 * later than their flush, and the alarm is never later than the object's next due work).
 * Time moves with the test subclasses' clock (support/test-clock.ts), never slept through.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { FINISHED_RETENTION_MS } from "../durable-objects/reservation-coordinator.store";
import { DUE_EXPIRIES_SQL, TERMINAL_RETENTION_MS } from "../durable-objects/sku-inventory/due-work";
import { IDEMPOTENCY_RETENTION_MS } from "../durable-objects/sku-inventory/meta";
import { OUTBOX_FLUSH_DELAY_MS } from "../durable-objects/sku-inventory/outbox";
import { resetClock } from "./support/test-clock";

const DAY = 24 * 60 * 60 * 1000;
const policy = { allowBackorder: false, softBufferPct: 0, reorderPoint: 0 };
const recording = (sku: string) => env.RECORDING_SKU.getByName(sku);
const crashing = (name: string) => env.CRASHING_COORDINATOR.getByName(name);

afterEach(async () => {
  await resetClock();
});

type Kept = { idempotency: number; reservations: number; lines: number; outbox: number; alarm: number | null };

/** What a SKU object keeps that pruning removes, and its alarm. */
function kept(stub: DurableObjectStub): Promise<Kept> {
  return runInDurableObject(stub, async (_i, state) => {
    const n = (table: string) => state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
    return {
      idempotency: n("idempotency"),
      reservations: n("reservations"),
      lines: n("reservation_lines"),
      outbox: n("outbox"),
      alarm: await state.storage.getAlarm(),
    };
  });
}

/** Runs the object's alarm once (the recording sink takes what it sends). */
async function runAlarm(stub: DurableObjectStub): Promise<void> {
  expect(await runDurableObjectAlarm(stub)).toBe(true);
}

/** Sets the SKU's on-hand at L1 (under an idempotency key), then holds `quantity` of it as reservation `id`. */
async function stockAndHold(
  stub: ReturnType<typeof recording>,
  sku: string,
  r: { onHand: number; key: string; id: string; type: "soft" | "hard"; quantity: number; expiresAt: number },
): Promise<void> {
  const adjusted = await stub.adjustStock({
    sku,
    actor: "operator:test",
    locationId: "L1",
    onHand: r.onHand,
    reason: "initial",
    idempotencyKey: r.key,
    requestHash: r.key,
    policy,
  });
  expect(adjusted.ok).toBe(true);
  const held = await stub.applyReservation({
    sku,
    actor: "checkout:test",
    reservationId: r.id,
    attempt: 1,
    type: r.type,
    lines: [{ locationId: "L1", quantity: r.quantity }],
    expiresAt: r.expiresAt,
    reference: r.id,
    policy,
  });
  expect(held.ok).toBe(true);
}

describe("SKU object: pruning", () => {
  it("keeps an idempotency record and a finished reservation until their retention ends, then the alarm deletes them", async () => {
    const sku = "PRUNE-SKU-1";
    const stub = recording(sku);
    await stub.setClockOffset(DAY);
    const start = await stub.clockNow();
    await stockAndHold(stub, sku, { onHand: 10, key: "prune-adjust", id: "prune-res", type: "hard", quantity: 2, expiresAt: start + 3_600_000 });
    const released = await stub.release({ sku, actor: "checkout:test", reservationId: "prune-res", attempt: 1, reason: "release", type: "hard" });
    expect(released.ok).toBe(true);
    await stub.takeRecordedEvents();

    // The outbox's alarm: events sent, nothing pruned (the records are young).
    await runAlarm(stub);
    expect((await stub.takeRecordedEvents()).length).toBeGreaterThan(0);
    let now = await kept(stub);
    expect(now).toMatchObject({ idempotency: 1, reservations: 1, lines: 1 });
    // The alarm waits for the next due work: the sent events' check, well before any pruning.
    expect(now.alarm).not.toBeNull();
    expect(now.alarm!).toBeLessThan(start + IDEMPOTENCY_RETENTION_MS);

    // A day on, the idempotency record is due and goes; the released reservation stays (7 days).
    await stub.setClockOffset(DAY + IDEMPOTENCY_RETENTION_MS + 1_000);
    await runAlarm(stub);
    now = await kept(stub);
    expect(now).toMatchObject({ idempotency: 0, reservations: 1, lines: 1 });

    // Past the finished reservation's retention, it and its lines go too.
    await stub.setClockOffset(DAY + TERMINAL_RETENTION_MS + 2_000);
    await runAlarm(stub);
    now = await kept(stub);
    expect(now).toMatchObject({ idempotency: 0, reservations: 0, lines: 0 });
  });

  it("an expiry due in the same alarm run as an outbox send is not skipped", async () => {
    const sku = "PRUNE-SKU-2";
    const stub = recording(sku);
    await stub.setClockOffset(DAY);
    const start = await stub.clockNow();
    await stockAndHold(stub, sku, { onHand: 5, key: "p2", id: "prune-hold", type: "soft", quantity: 3, expiresAt: start + 1_000 });
    // Both the outbox (sent at once) and the expiry (a second on) are due at this run.
    await stub.setClockOffset(DAY + 5_000);
    await runAlarm(stub);
    expect((await stub.snapshot()).totals).toMatchObject({ softHeld: 0 });
    const status = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec<{ status: string }>("SELECT status FROM reservations WHERE id = 'prune-hold'").one(),
    );
    expect(status.status).toBe("expired");
    // Its event is in the outbox, sent by the next run (armed for it).
    await stub.takeRecordedEvents();
    await runAlarm(stub);
    const sent = (await stub.takeRecordedEvents()).filter((e) => e.sku === sku);
    expect(sent.map((e) => e.type)).toContain("reservation.expired");
  });

  it("v12 dropped reservations_due: the due expiries are read through the two partial indexes, not by scanning reservations", async () => {
    const stub = recording("PRUNE-SKU-PLAN");
    await stockAndHold(stub, "PRUNE-SKU-PLAN", { onHand: 5, key: "p3", id: "prune-plan", type: "soft", quantity: 1, expiresAt: Date.now() + DAY });
    const seen = await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      const indexes = sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reservations' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .toArray()
        .map((r) => r.name);
      const plan = sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${DUE_EXPIRIES_SQL}`, 1, 1, 1, 10)
        .toArray()
        .map((r) => r.detail);
      return { indexes, plan };
    });
    expect(seen.indexes).toEqual(["reservations_due_fresh", "reservations_expiry_retry", "reservations_terminal"]);
    expect(seen.plan.some((d) => d.includes("USING INDEX reservations_due_fresh"))).toBe(true);
    expect(seen.plan.some((d) => d.includes("USING INDEX reservations_expiry_retry"))).toBe(true);
    expect(seen.plan.filter((d) => /SCAN reservations(?! USING)/.test(d))).toEqual([]);
  });
});

describe("coordinator: key claims", () => {
  it("a new claim arms the alarm for its pruning; the alarm deletes the claim after its retention", async () => {
    const stub = crashing("prune-claims");
    await stub.setClockOffset(DAY);
    const start = await stub.clockNow();
    const claimed = await stub.claimKey({ id: "res_prune-claim-1", requestHash: "h1", target: "res_prune-claim-1_SKU" });
    expect(claimed).toEqual({ ok: true, claim: "claimed" });
    const alarmAfterFirst = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(alarmAfterFirst).not.toBeNull();
    expect(alarmAfterFirst!).toBeGreaterThanOrEqual(start + FINISHED_RETENTION_MS);
    expect(alarmAfterFirst!).toBeLessThan(start + FINISHED_RETENTION_MS + 60_000);

    // A later claim is due later: the alarm stays where it is.
    await stub.setClockOffset(DAY + 10_000);
    expect(await stub.claimKey({ id: "res_prune-claim-2", requestHash: "h2", target: "res_prune-claim-2_SKU" })).toEqual({ ok: true, claim: "claimed" });
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBe(alarmAfterFirst);
    // The same key with another request is refused; with the same request it is confirmed.
    expect(await stub.claimKey({ id: "res_prune-claim-1", requestHash: "other", target: "x" })).toMatchObject({ ok: false, code: "idempotency_conflict" });
    expect(await stub.claimKey({ id: "res_prune-claim-1", requestHash: "h1", target: "res_prune-claim-1_SKU" })).toEqual({ ok: true, claim: "claimed" });

    const claims = () =>
      runInDurableObject(stub, (_i, state) =>
        state.storage.sql
          .exec<{ id: string }>("SELECT id FROM key_claims WHERE id LIKE 'res_prune-claim-%' ORDER BY id")
          .toArray()
          .map((r) => r.id),
      );
    // Past the first claim's retention only: the first goes, the second stays, and the alarm moves to it.
    await stub.setClockOffset(DAY + FINISHED_RETENTION_MS + 5_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await claims()).toEqual(["res_prune-claim-2"]);
    const next = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(next).toBeGreaterThanOrEqual(start + 10_000 + FINISHED_RETENTION_MS);
    await stub.setClockOffset(DAY + FINISHED_RETENTION_MS + 20_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await claims()).toEqual([]);
  });
});

describe("SKU object: the alarm after each change", () => {
  it("is never later than the next due work; a change that writes events leaves an alarm set no later than their flush; the alarm run sets the exact time", async () => {
    const sku = "ARM-SKU-1";
    const stub = recording(sku);
    await stub.setClockOffset(DAY);
    const alarm = () => runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    /** The alarm is set, and no later than the earliest work due (read exactly, as `health` does). */
    const armedInTime = async (what: string) => {
      const [at, due] = [await alarm(), (await stub.health()).nextDueAt];
      expect(due, what).not.toBeNull();
      expect(at, what).not.toBeNull();
      expect(at!, what).toBeLessThanOrEqual(due!);
      return at!;
    };

    const now = await stub.clockNow();
    await stockAndHold(stub, sku, { onHand: 10, key: "arm-adjust", id: "arm-hold", type: "soft", quantity: 2, expiresAt: now + 60_000 });
    const first = await armedInTime("after the stock change and the hold");
    expect(first).toBeLessThanOrEqual((await stub.clockNow()) + OUTBOX_FLUSH_DELAY_MS);

    // A change before that alarm: its events are due at its own flush, later; the alarm stays.
    const reserved = await stub.applyReservation({
      sku,
      actor: "checkout:test",
      reservationId: "arm-hard",
      attempt: 1,
      type: "hard",
      lines: [{ locationId: "L1", quantity: 3 }],
      expiresAt: now + 30_000,
      reference: "arm-hard",
      policy,
    });
    expect(reserved.ok).toBe(true);
    expect(await armedInTime("after a second reservation")).toBe(first);

    // The alarm sends the events and sets the exact next time (their confirmation check).
    await stub.setClockOffset(DAY + 1_000);
    await runAlarm(stub);
    expect(await alarm()).toBe((await stub.health()).nextDueAt);

    // A release after that: the alarm was later than its events' flush, so it moves to it.
    const released = await stub.release({ sku, actor: "checkout:test", reservationId: "arm-hold", attempt: 1, reason: "release", type: "soft" });
    expect(released.ok).toBe(true);
    expect(await armedInTime("after the release")).toBeLessThanOrEqual((await stub.clockNow()) + OUTBOX_FLUSH_DELAY_MS);

    // Past the hard reservation's expiry, the alarms run it: nothing was left waiting.
    await stub.setClockOffset(DAY + 31_000);
    for (let run = 0; run < 3; run++) {
      if ((await alarm()) === null) break;
      await runAlarm(stub);
    }
    const status = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec<{ status: string }>("SELECT status FROM reservations WHERE id = 'arm-hard'").one(),
    );
    expect(status.status).toBe("expired");
    await armedInTime("after the expiry");
  });
});
