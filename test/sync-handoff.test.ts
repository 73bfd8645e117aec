/**
 * The SYNC consumer sends the events of a chunk's changes itself (`handOffEvents`,
 * durable-objects/sku-inventory/outbox.ts): each SKU object writes its events as sent and hands
 * them back with its outcomes, and the consumer sends them all — one flush message per SKU, one
 * sendBatch per EVENTS partition — before it records the chunk. Proves: every applied value's
 * `inventory.updated` goes out once, in one call per partition, and no object keeps an unsent
 * event for its alarm, nor wakes a minute on to check them (its own check waits for the day-old
 * pruning); the sweeper checks the chunk's events instead (one D1 read per chunk), leaves
 * missing ones alone until they count as lost, then replays the objects and sends the same
 * events again, and clears the chunk once they are applied; a failed send retries the chunk
 * without recording it, and the retry's replaying objects hand the same events over again (so
 * a delivery that stopped before sending loses nothing); and an object called with the flag
 * sends nothing from its alarm, and returns them again on a replay.
 */
import { createExecutionContext, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { type EventFlush, partitionOf } from "../domain/event-partitions";
import type { SyncChunkMessage } from "../domain/sync-chunks";
import type { SyncApplyInput } from "../durable-objects/sku-sync.types";
import { app } from "../workers/app";
import { CONFIRM_AFTER_MS, HANDED_OFF_CHECK_MS } from "../durable-objects/sku-inventory/outbox";
import { checkChunkEvents, EVENT_CHECK } from "../services/sync-sweeper";
import { capturingQueue, EVENTS_QUEUE, runAcked, runQueue, syncProducers, withEnv } from "./support/event-fixtures";
import { seedBasics, skuObject, type Keys } from "./support/fixtures";
import { expectLogged } from "./support/log-capture";
import { createSkus, SYNC_QUEUE } from "./support/sync-fixtures";

let keys: Keys;

beforeAll(async () => {
  keys = await seedBasics();
});

/** Posts a feed through the app with a capturing SYNC producer; returns the job id and its chunk messages. */
async function captureJob(items: { sku: string; locationId: string; quantity: number }[]) {
  const sync = capturingQueue();
  const response = await app.fetch(
    new Request("http://inventory.test/api/v2/inventory/sync", {
      method: "POST",
      headers: { authorization: `Bearer ${keys.vendor}`, "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ items }),
    }),
    withEnv(syncProducers(sync.queue)),
    createExecutionContext(),
  );
  expect(response.status).toBe(202);
  const body = (await response.json()) as { jobId: string };
  return { jobId: body.jobId, chunks: sync.sent as SyncChunkMessage[] };
}

/** Capturing stand-ins for the four EVENTS partitions, counting sendBatch calls per partition. */
function capturingPartitions() {
  const queues = [capturingQueue(), capturingQueue(), capturingQueue(), capturingQueue()];
  const calls = [0, 0, 0, 0];
  const overrides = Object.fromEntries(
    queues.map((q, i) => {
      const sendBatch = q.queue.sendBatch.bind(q.queue);
      q.queue.sendBatch = async (requests) => {
        calls[i]! += 1;
        return sendBatch(requests);
      };
      return [`EVENTS_${i}`, q.queue];
    }),
  ) as Partial<Env>;
  return {
    overrides,
    calls,
    flushes: () => queues.flatMap((q, i) => (q.sent as EventFlush[]).map((flush) => ({ partition: i, flush }))),
    failNextSends: (n: number) => {
      for (const q of queues) q.failSends = n;
    },
  };
}

const jobRow = (id: string) => env.DB.prepare("SELECT * FROM sync_jobs WHERE id = ?").bind(id).first<Record<string, unknown>>();

const chunkRow = (jobId: string) =>
  env.DB.prepare(
    "SELECT status, finished_at, event_ids, events_check_at, event_checks, payload IS NOT NULL AS has_payload FROM sync_job_chunks WHERE job_id = ? AND chunk_index = 0",
  )
    .bind(jobId)
    .first<{ status: string; finished_at: number; event_ids: string | null; events_check_at: number | null; event_checks: number; has_payload: number }>();

// First in the file: the check runs over every chunk due, so it must see only its own.
describe("the sweeper checks a recorded chunk's events", () => {
  it("no object wakes a minute on; missing events are left alone until lost, then replayed and sent again; applied ones clear the chunk", async () => {
    const skus = ["HC-1", "HC-2", "HC-3"];
    await createSkus(keys.operator, skus, "V1");
    const { jobId, chunks } = await captureJob(skus.map((sku) => ({ sku, locationId: "L1", quantity: 6 })));
    const lost = capturingPartitions();
    await runAcked(SYNC_QUEUE, [chunks[0]], lost.overrides);
    const ids = lost
      .flushes()
      .flatMap((s) => s.flush.events.map((e) => e.id))
      .sort();
    expect(ids).toHaveLength(6);

    const recorded = (await chunkRow(jobId))!;
    expect(recorded).toMatchObject({ status: "done", events_check_at: recorded.finished_at + CONFIRM_AFTER_MS, event_checks: 0, has_payload: 1 });
    expect((JSON.parse(recorded.event_ids!) as { id: string }[]).map((e) => e.id).sort()).toEqual(ids);
    // The objects check their handed-off rows only with the day-old pruning, not a minute on.
    for (const sku of skus) expect((await skuObject(sku).health()).nextDueAt).toBeGreaterThanOrEqual(recorded.finished_at + HANDED_OFF_CHECK_MS - 60_000);

    // A minute on: none applied (the capturing queue kept them), but not lost yet: nothing is sent.
    const early = capturingPartitions();
    expect(await checkChunkEvents(withEnv(early.overrides), recorded.finished_at + CONFIRM_AFTER_MS)).toEqual({ checked: 1, resent: 0 });
    expect(early.flushes()).toEqual([]);
    expect(await chunkRow(jobId)).toMatchObject({ events_check_at: recorded.finished_at + 2 * CONFIRM_AFTER_MS, event_checks: 0 });

    // Lost: the objects replay and hand the same events over, which go out again.
    const at = recorded.finished_at + EVENT_CHECK.lostAfterMs;
    const resend = capturingPartitions();
    expect(await checkChunkEvents(withEnv(resend.overrides), at)).toEqual({ checked: 1, resent: 6 });
    expectLogged({ event: "sync.events_resent", jobId, missing: 6, sent: 6 }, { exactly: true });
    const again = resend.flushes();
    expect(again.flatMap((s) => s.flush.events.map((e) => e.id)).sort()).toEqual(ids);
    expect(await chunkRow(jobId)).toMatchObject({ events_check_at: at + 2 * CONFIRM_AFTER_MS, event_checks: 1, has_payload: 1 });
    for (const sku of skus) expect((await skuObject(sku).snapshot()).version).toBe(1);

    // Delivered and applied: the next check clears the chunk.
    await runAcked(
      EVENTS_QUEUE,
      again.map((s) => s.flush),
    );
    expect(await checkChunkEvents(env, at + 2 * CONFIRM_AFTER_MS)).toEqual({ checked: 1, resent: 0 });
    expect(await chunkRow(jobId)).toMatchObject({ event_ids: null, events_check_at: null, has_payload: 0 });
    expect(await checkChunkEvents(env, at + 60 * CONFIRM_AFTER_MS)).toEqual({ checked: 0, resent: 0 });
  });
});

describe("the SYNC consumer sends its chunk's events", () => {
  it("one flush per SKU, one sendBatch per partition; nothing left for the objects' alarms; a redelivery once recorded sends nothing", async () => {
    const skus = Array.from({ length: 24 }, (_, i) => `HO-${String(i).padStart(2, "0")}`);
    await createSkus(keys.operator, skus, "V1");
    const { jobId, chunks } = await captureJob(
      skus.flatMap((sku, i) => [
        { sku, locationId: "L1", quantity: 10 + i },
        { sku, locationId: "L2", quantity: 3 },
      ]),
    );
    expect(chunks).toHaveLength(1);

    const events = capturingPartitions();
    await runAcked(SYNC_QUEUE, [chunks[0]], events.overrides);
    expect(await jobRow(jobId)).toMatchObject({ status: "completed", applied: 48 });

    const sent = events.flushes();
    expect(sent.map((s) => s.flush.sku).sort()).toEqual(skus);
    for (const { partition, flush } of sent) {
      expect(partition).toBe(partitionOf(flush.sku, 4));
      // The two changes, then the SKU-level crossing from zero stock their transaction made.
      expect(flush.events.map((e) => [e.type, e.locationId, e.after?.available, e.cause.reference])).toEqual([
        ["inventory.updated", "L1", 10 + skus.indexOf(flush.sku), jobId],
        ["inventory.updated", "L2", 3, jobId],
        ["inventory.back_in_stock", null, 13 + skus.indexOf(flush.sku), jobId],
      ]);
    }
    const used = new Set(sent.map((s) => s.partition));
    expect(events.calls.filter((n) => n > 0)).toHaveLength(used.size);
    expect(events.calls.every((n) => n <= 1)).toBe(true);
    // Written as sent: the alarm has nothing to send; each row waits for its check.
    for (const sku of skus.slice(0, 4)) {
      expect(await skuObject(sku).outboxSize()).toBe(0);
      expect((await skuObject(sku).health()).eventsAwaitingConfirmation).toBe(3);
    }

    // Redelivered once recorded: a duplicate, so no object is called and nothing is sent again.
    const again = capturingPartitions();
    await runAcked(SYNC_QUEUE, [{ body: chunks[0], attempts: 2 }], again.overrides);
    expect(await jobRow(jobId)).toMatchObject({ status: "completed", applied: 48, chunks_done: 1 });
    expect((await skuObject(skus[0]!).snapshot()).version).toBe(2);
    expect(again.flushes()).toEqual([]);
  });

  it("a send that fails retries the chunk unrecorded; the retry gets the same events from the replaying objects, sends them and records it", async () => {
    const skus = ["HF-1", "HF-2", "HF-3"];
    await createSkus(keys.operator, skus, "V1");
    const { jobId, chunks } = await captureJob(skus.map((sku) => ({ sku, locationId: "L1", quantity: 7 })));
    const events = capturingPartitions();
    events.failNextSends(1);
    const failed = await runQueue(SYNC_QUEUE, [chunks[0]], events.overrides);
    expect(failed.result.retryMessages).toEqual([{ msgId: failed.ids[0], delaySeconds: 2 }]);
    expectLogged({ event: "queue.message_failed", queue: "edge-inventory-sync", attempts: 1, error: "Error: queue unavailable (test)" }, { exactly: true });
    expect(await jobRow(jobId)).toMatchObject({ status: "running", chunks_done: 0 });
    // The objects applied and wrote their events as handed off; the send failed.
    for (const sku of skus) expect((await skuObject(sku).health()).eventsAwaitingConfirmation).toBe(2);

    const retry = capturingPartitions();
    await runAcked(SYNC_QUEUE, [{ body: chunks[0], attempts: 2 }], retry.overrides);
    expect(await jobRow(jobId)).toMatchObject({ status: "completed", applied: 3, chunks_done: 1 });
    const resent = retry.flushes();
    expect(resent.map((s) => s.flush.sku).sort()).toEqual(skus);
    for (const { flush } of resent)
      expect(flush.events.map((e) => [e.id, e.type])).toEqual([
        [`evt:${flush.sku}:1`, "inventory.updated"],
        [`evt:${flush.sku}:2`, "inventory.back_in_stock"],
      ]);
    // Applied once: the retry replayed the objects' outcomes.
    for (const sku of skus) expect((await skuObject(sku).snapshot()).version).toBe(1);
  });
});

describe("an object asked to hand its events off", () => {
  const object = (sku: string) => env.RECORDING_SKU.getByName(sku);
  const input = (sku: string, jobId: string, quantity: number): SyncApplyInput => ({
    sku,
    jobId,
    chunkIndex: 0,
    mode: "absolute",
    items: [{ itemIndex: 0, locationId: "L1", quantity }],
    actor: "vendor:V1:key_test",
    policy: { allowBackorder: false, softBufferPct: 10, reorderPoint: 0 },
    idempotencyKey: `sync:${jobId}:0:${sku}`,
    requestHash: `h-${quantity}`,
    handOffEvents: true,
  });

  it("returns its events, its alarm sends none of them, and a replay returns them again", async () => {
    await object("HO-OBJ").takeRecordedEvents();
    const first = await object("HO-OBJ").applySync(input("HO-OBJ", "job-ho-1", 12));
    expect(first).toMatchObject({ ok: true, replayed: false, outcomes: [{ outcome: "applied", after: 12 }] });
    const events = "events" in first ? (first.events ?? []) : [];
    expect(events.map((e) => [e.type, e.sku, e.sequence, e.after?.available])).toEqual([
      ["inventory.updated", "HO-OBJ", 1, 12],
      ["inventory.back_in_stock", "HO-OBJ", 2, 12],
    ]);

    expect(await runDurableObjectAlarm(object("HO-OBJ"))).toBe(true);
    expect(await object("HO-OBJ").takeRecordedEvents()).toEqual([]);
    expect(await object("HO-OBJ").outboxSize()).toBe(0);
    expect((await object("HO-OBJ").health()).eventsAwaitingConfirmation).toBe(2);

    const replay = await object("HO-OBJ").applySync(input("HO-OBJ", "job-ho-1", 12));
    expect(replay).toMatchObject({ ok: true, replayed: true });
    expect("events" in replay ? replay.events : null).toEqual(events);

    // Without the flag the alarm sends, as before.
    const plain = { ...input("HO-OBJ", "job-ho-2", 15), handOffEvents: undefined };
    const second = await object("HO-OBJ").applySync(plain);
    expect("events" in second ? second.events : undefined).toBeUndefined();
    expect(await object("HO-OBJ").outboxSize()).toBe(1);
    await runDurableObjectAlarm(object("HO-OBJ"));
    expect((await object("HO-OBJ").takeRecordedEvents()).map((e) => e.after?.onHand)).toEqual([15]);
  });
});
