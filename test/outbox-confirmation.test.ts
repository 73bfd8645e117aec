/**
 * The read models converge on the objects even when the queue loses events: a SKU object keeps
 * every sent event until the EVENTS consumer has applied it (D1 `processed_events`), checks 5 s
 * after the send (dropping what was applied) and, for any still missing, a minute after it, and
 * sends the lost ones again. The objects are RecordingSkuInventory
 * (test-only subclass): their events go to an in-memory recorder — i.e. they are "lost" unless
 * the test hands them to the EVENTS consumer — and their clock can be moved, so the minute
 * passes without sleeping.
 *
 * Proves: a sent event is kept; a missing event is taken as lost — and sent again (logged
 * `outbox.resent`, counted `event_lost` in the object's health) — at the first check after a
 * NEWER event of the SKU was applied, not a second before the check is due; while nothing
 * newer was applied the consumer is only behind and the check waits (no resend) until the
 * event is LOST_AFTER_MS old, then it goes out again; once applied it is dropped at the next
 * check and never sent again; an event applied in time is dropped without a resend; when D1
 * cannot answer, nothing is dropped or re-sent and the check waits (counted `event_confirm`).
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { InventoryEvent } from "../domain/events";
import { CONFIRM_AFTER_MS, CONFIRM_FIRST_MS, LOST_AFTER_MS } from "../durable-objects/sku-inventory/outbox";
import { EVENTS_QUEUE, runAcked } from "./support/event-fixtures";
import { expectLogged } from "./support/log-capture";
import { readDbOfSku } from "./support/read-model";

const policy = { allowBackorder: false, softBufferPct: 10, reorderPoint: 5 };
const object = (sku: string) => env.RECORDING_SKU.getByName(sku);
let n = 0;

async function adjust(sku: string, delta: number) {
  const res = await object(sku).adjustStock({
    sku,
    actor: "operator:test",
    locationId: "L1",
    delta,
    reason: "restock",
    idempotencyKey: `oc-${++n}`,
    requestHash: `h-${n}`,
    policy,
  });
  expect(res.ok).toBe(true);
}

/** Runs the object's alarm with its clock `ms` ahead of real time; returns what it sent. */
async function alarmAt(sku: string, ms: number): Promise<InventoryEvent[]> {
  await object(sku).setClockOffset(ms);
  await runDurableObjectAlarm(object(sku));
  return object(sku).takeRecordedEvents();
}

const health = (sku: string) => object(sku).health();

afterEach(async () => {
  await object("OC-CLOCK").setClockOffset(0);
});

describe("outbox confirmation", () => {
  it("a missing event older than one the consumer applied is lost: sent again at the first check, dropped once applied", async () => {
    await adjust("OC-1", 7);
    const first = await alarmAt("OC-1", 0);
    expect(first.map((e) => [e.id, e.type])).toEqual([
      ["evt:OC-1:1", "inventory.updated"],
      ["evt:OC-1:2", "inventory.back_in_stock"],
    ]);
    expect(await object("OC-1").outboxSize()).toBe(0);
    expect((await health("OC-1")).eventsAwaitingConfirmation).toBe(2);
    // A later change's event reaches the consumer; the first two never do (the recorder "lost" them).
    await adjust("OC-1", 1);
    const later = await alarmAt("OC-1", 0);
    expect(later.map((e) => e.id)).toEqual(["evt:OC-1:3"]);
    await runAcked(EVENTS_QUEUE, later);

    // Not yet: just before the check is due nothing goes out again.
    expect(await alarmAt("OC-1", CONFIRM_AFTER_MS - 1_000)).toEqual([]);
    // Due: evt 3 was applied and 1, 2 were not, so they were lost; both go out again, 3 is dropped.
    const resent = await alarmAt("OC-1", CONFIRM_AFTER_MS + 1_000);
    expect(resent).toEqual(first);
    expectLogged({ event: "outbox.resent", sku: "OC-1", count: 2 }, { exactly: true });
    expect((await health("OC-1")).failures).toEqual([expect.objectContaining({ kind: "event_lost", count: 1, lastRef: "events 1–2" })]);
    expect((await health("OC-1")).eventsAwaitingConfirmation).toBe(2);

    // This time the consumer applies them; the next check (backed off: two minutes) drops them.
    await runAcked(EVENTS_QUEUE, resent);
    expect(await alarmAt("OC-1", CONFIRM_AFTER_MS + 1_000 + CONFIRM_AFTER_MS)).toEqual([]);
    expect((await health("OC-1")).eventsAwaitingConfirmation).toBe(2);
    expect(await alarmAt("OC-1", CONFIRM_AFTER_MS + 1_000 + 2 * CONFIRM_AFTER_MS + 1_000)).toEqual([]);
    expect((await health("OC-1")).eventsAwaitingConfirmation).toBe(0);
    // Gone for good: much later nothing is sent.
    expect(await alarmAt("OC-1", 100 * CONFIRM_AFTER_MS)).toEqual([]);
    await object("OC-1").setClockOffset(0);
  });

  it("the first check comes CONFIRM_FIRST_MS after the send and drops what was applied; a missing event waits for the minute check, where a newer applied one (already dropped) makes it lost", async () => {
    await adjust("OC-5", 6);
    const sent = await alarmAt("OC-5", 0);
    expect(sent.map((e) => e.id)).toEqual(["evt:OC-5:1", "evt:OC-5:2"]);
    type Stored = { sequence: number; sent_at: number; next_attempt_at: number };
    const stored = () =>
      runInDurableObject(object("OC-5"), async (_i, state) => ({
        rows: state.storage.sql.exec<Stored>("SELECT sequence, sent_at, next_attempt_at FROM outbox ORDER BY sequence").toArray(),
        alarm: await state.storage.getAlarm(),
      }));
    const afterSend = await stored();
    // The object is armed for the early check: 5 s after the send, not a minute.
    expect(afterSend.rows.map((r) => r.next_attempt_at - r.sent_at)).toEqual([CONFIRM_FIRST_MS, CONFIRM_FIRST_MS]);
    expect(afterSend.alarm).toBe(afterSend.rows[0]!.next_attempt_at);
    const sentAt = afterSend.rows[0]!.sent_at;
    // Only the newer event reaches the consumer.
    await runAcked(EVENTS_QUEUE, [sent[1]!]);

    // The early check: the applied one is dropped; the missing one is not judged yet (no resend,
    // nothing counted) and waits for the check a minute after its send.
    expect(await alarmAt("OC-5", CONFIRM_FIRST_MS + 500)).toEqual([]);
    const afterFirst = await stored();
    expect(afterFirst.rows).toEqual([{ sequence: 1, sent_at: sentAt, next_attempt_at: sentAt + CONFIRM_AFTER_MS }]);
    expect(await health("OC-5")).toMatchObject({ eventsAwaitingConfirmation: 1, failures: [] });

    // A minute after the send: a newer event was applied (its row is gone, the object remembers
    // its sequence), so the missing one was lost and goes out again.
    expect(await alarmAt("OC-5", CONFIRM_AFTER_MS + 1_000)).toEqual([sent[0]]);
    expectLogged({ event: "outbox.resent", sku: "OC-5", count: 1 }, { exactly: true });
    await object("OC-5").setClockOffset(0);
  });

  it("while nothing newer was applied the consumer is only behind: no resend until the event is LOST_AFTER_MS old", async () => {
    await adjust("OC-4", 5);
    const sent = await alarmAt("OC-4", 0);
    expect(sent).toHaveLength(2);
    // Checks come and go; nothing says the events were lost, so nothing is re-sent or counted.
    for (let at = CONFIRM_AFTER_MS + 1_000; at < LOST_AFTER_MS; at += CONFIRM_AFTER_MS + 1_000) {
      expect(await alarmAt("OC-4", at)).toEqual([]);
    }
    expect(await health("OC-4")).toMatchObject({ eventsAwaitingConfirmation: 2, failures: [] });
    // Positive control: once they are LOST_AFTER_MS old they go out again.
    expect(await alarmAt("OC-4", LOST_AFTER_MS + CONFIRM_AFTER_MS + 1_000)).toEqual(sent);
    expectLogged({ event: "outbox.resent", sku: "OC-4", count: 2 }, { exactly: true });
    await object("OC-4").setClockOffset(0);
  });

  it("an event the consumer applied in time is dropped at the check without a resend", async () => {
    await adjust("OC-2", 3);
    const sent = await alarmAt("OC-2", 0);
    expect(sent).toHaveLength(2);
    await runAcked(EVENTS_QUEUE, sent);
    expect(await alarmAt("OC-2", CONFIRM_AFTER_MS + 1_000)).toEqual([]);
    expect(await health("OC-2")).toMatchObject({ eventsAwaitingConfirmation: 0, failures: [] });
    await object("OC-2").setClockOffset(0);
  });

  it("when D1 cannot answer, nothing is dropped or re-sent; the check waits and is counted", async () => {
    await adjust("OC-3", 4);
    const sent = await alarmAt("OC-3", 0);
    expect(sent).toHaveLength(2);
    // processed_events unreadable for this object (in its read database): rename the table away for a moment.
    const readDb = await readDbOfSku("OC-3");
    await readDb.exec("ALTER TABLE processed_events RENAME TO processed_events_away");
    try {
      expect(await alarmAt("OC-3", CONFIRM_AFTER_MS + 1_000)).toEqual([]);
      expectLogged({ event: "outbox.confirm_failed", sku: "OC-3", count: 2 }, { exactly: true });
    } finally {
      await readDb.exec("ALTER TABLE processed_events_away RENAME TO processed_events");
    }
    expect(await health("OC-3")).toMatchObject({ eventsAwaitingConfirmation: 2, failures: [expect.objectContaining({ kind: "event_confirm", count: 1 })] });
    // Once D1 answers again and the events are LOST_AFTER_MS old, they go out again.
    expect(await alarmAt("OC-3", LOST_AFTER_MS + CONFIRM_AFTER_MS + 2_000)).toEqual(sent);
    expectLogged({ event: "outbox.resent", sku: "OC-3", count: 2 }, { exactly: true });
    await object("OC-3").setClockOffset(0);
  });

  it("the rows and their columns are as STORAGE-SCHEMA.md says", async () => {
    await adjust("OC-CLOCK", 1);
    await alarmAt("OC-CLOCK", 0);
    const rows = await runInDurableObject(object("OC-CLOCK"), (_i, state) =>
      state.storage.sql.exec<{ sent_at: number | null; resends: number }>("SELECT sent_at, resends FROM outbox ORDER BY sequence").toArray(),
    );
    expect(rows.length).toBe(2);
    for (const r of rows) expect(r).toMatchObject({ sent_at: expect.any(Number), resends: 0 });
  });

  it("once every event was confirmed and deleted, the next one's sequence still follows the last, in a new instance too", async () => {
    await adjust("OC-SEQ", 3);
    await adjust("OC-SEQ", 2);
    const sent = await alarmAt("OC-SEQ", 0);
    // The first change brings the SKU back in stock: three events, sequences 1–3.
    expect(sent.map((e) => [e.sequence, e.type])).toEqual([
      [1, "inventory.updated"],
      [2, "inventory.back_in_stock"],
      [3, "inventory.updated"],
    ]);
    await runAcked(EVENTS_QUEUE, sent);
    expect(await alarmAt("OC-SEQ", CONFIRM_FIRST_MS + 1_000)).toEqual([]);
    expect(await object("OC-SEQ").outboxSize()).toBe(0);
    // No row of its own keeps the sequence: the outbox and the highest confirmed one do.
    const kept = await runInDurableObject(object("OC-SEQ"), (_i, state) =>
      state.storage.sql.exec<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key IN ('event_seq', 'applied_seq') ORDER BY key").toArray(),
    );
    expect(kept).toEqual([{ key: "applied_seq", value: "3" }]);
    await evictDurableObject(object("OC-SEQ"));
    await adjust("OC-SEQ", 1);
    const next = await alarmAt("OC-SEQ", 0);
    expect(next.map((e) => [e.sequence, e.id, e.type])).toEqual([[4, "evt:OC-SEQ:4", "inventory.updated"]]);
    await object("OC-SEQ").setClockOffset(0);
  });
});
