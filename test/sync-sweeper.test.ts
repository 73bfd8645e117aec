/**
 * The sync sweeper (the every-minute cron, `workers/scheduled.ts` → `sync-sweeper.ts`): every
 * sync job finishes although the queue lost chunk messages. Jobs are created through the HTTP
 * app with a capturing SYNC producer, so their messages are "lost" (never delivered) until the
 * test hands them over. The cron runs through the Worker's `scheduled` handler with a chosen
 * `scheduledTime`, so time is advanced, not waited for.
 *
 * Proves: a chunk is not re-sent before the bound (negative, next to the positive a minute
 * after it); past the bound its stored message is sent again and, delivered through the real
 * SYNC queue, completes the job with every item applied once; a chunk whose message is lost on
 * every send fails its items (`chunk_failed`, with the reason) after the fourth send, so the job
 * completes and nothing is left queued; chunks a request recorded but never managed to send
 * (it answered 503 and the client never retried) are sent by the sweeper; a re-drive of a chunk
 * that was only slow changes nothing twice.
 */
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { SyncChunkMessage } from "../domain/sync-chunks";
import { app } from "../workers/app";
import { CRONS, handleScheduled } from "../workers/scheduled";
import { SYNC_SWEEP } from "../services/sync-sweeper";
import { capturingQueue, runAcked, syncProducers, withEnv } from "./support/event-fixtures";
import { seedBasics, skuObject, type Keys } from "./support/fixtures";
import { expectLogged } from "./support/log-capture";
import { queryAllReadDbs } from "./support/read-model";
import { waitUntil } from "./support/test-clock";
import { allErrors, createSkus, SYNC_QUEUE, waitForJob } from "./support/sync-fixtures";

let keys: Keys;

beforeAll(async () => {
  keys = await seedBasics();
});

/** Posts a feed with a capturing SYNC producer: its messages are kept, not delivered. */
async function postLost(items: { sku: string; locationId: string; quantity: number }[], sync = capturingQueue()) {
  const response = await app.fetch(
    new Request("http://inventory.test/api/v2/inventory/sync", {
      method: "POST",
      headers: { authorization: `Bearer ${keys.vendor}`, "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ items }),
    }),
    withEnv(syncProducers(sync.queue)),
    createExecutionContext(),
  );
  const body = (await response.json()) as { jobId?: string; error?: { details: { jobId: string } } };
  return { status: response.status, jobId: body.jobId ?? body.error!.details.jobId, sent: sync.sent as SyncChunkMessage[] };
}

/** Runs the every-minute cron at `at` with the given SYNC producer (the real queue by default). */
async function cron(at: number, sync?: Queue): Promise<void> {
  await handleScheduled(
    createScheduledController({ cron: CRONS.sweep, scheduledTime: at }),
    sync ? withEnv(syncProducers(sync)) : env,
    createExecutionContext(),
  );
}

const chunks = (jobId: string) =>
  env.DB.prepare(
    "SELECT chunk_index, status, sends, enqueued_at, payload IS NOT NULL AS has_payload, error FROM sync_job_chunks WHERE job_id = ? ORDER BY chunk_index",
  )
    .bind(jobId)
    .all<{ chunk_index: number; status: string; sends: number; enqueued_at: number | null; has_payload: number; error: string | null }>()
    .then((r) => r.results);

/** How many of these SKUs' events the EVENTS consumer has applied (their dedupe rows, in every read database). */
const applied = async (skus: string[]) =>
  (
    await queryAllReadDbs<{ n: number }>("SELECT COUNT(*) AS n FROM processed_events WHERE sku IN (SELECT value FROM json_each(?))", JSON.stringify(skus))
  ).reduce((sum, r) => sum + r.n, 0);

const onHand = async (sku: string, locationId: string) => (await skuObject(sku).snapshot()).locations.find((l) => l.locationId === locationId)?.onHand ?? 0;

const bound = SYNC_SWEEP.stalledAfterMs;

describe("the sync sweeper", () => {
  it("re-sends a lost chunk only past the bound; through the real queue the job then completes, each item applied once", async () => {
    const skus = ["SW-1", "SW-2", "SW-3"];
    await createSkus(keys.operator, skus, "V1");
    const lost = await postLost(skus.map((sku) => ({ sku, locationId: "L1", quantity: 7 })));
    expect(lost.status).toBe(202);
    expect(lost.sent).toHaveLength(1);
    const [sentAt] = (await chunks(lost.jobId)).map((c) => c.enqueued_at!);
    expect(await chunks(lost.jobId)).toEqual([{ chunk_index: 0, status: "queued", sends: 1, enqueued_at: sentAt, has_payload: 1, error: null }]);

    // Not yet: a minute before the bound nothing is sent (the capturing producer would see it).
    const early = capturingQueue();
    await cron(sentAt! + bound - 60_000, early.queue);
    expect(early.sent).toEqual([]);
    expect((await chunks(lost.jobId))[0]!.sends).toBe(1);

    // Past the bound: the stored message goes out again — here through the real SYNC queue.
    await cron(sentAt! + bound + 1);
    expectLogged({ event: "sync.sweep", resent: 1, failed: 0 }, { exactly: true });
    const job = await waitForJob(keys.vendor, lost.jobId);
    expect(job).toMatchObject({ status: "completed", counts: { applied: 3, errors: 0, pending: 0 } });
    // Recorded; the payload stays until the sweeper has seen the chunk's events applied.
    expect(await chunks(lost.jobId)).toEqual([{ chunk_index: 0, status: "done", sends: 2, enqueued_at: sentAt! + bound + 1, has_payload: 1, error: null }]);
    for (const sku of skus) {
      expect(await onHand(sku, "L1")).toBe(7);
      expect((await skuObject(sku).snapshot()).version).toBe(1);
    }
    await waitUntil(async () => (await applied(skus)) === skus.length * 2, "the consumer to apply the chunk's events");
    await cron(Date.now() + 61_000);
    expect((await chunks(lost.jobId))[0]!.has_payload).toBe(0);
    // The original message turning up after all changes nothing twice.
    await runAcked(SYNC_QUEUE, [lost.sent[0]]);
    expect((await skuObject("SW-1").snapshot()).version).toBe(1);
    expect(await waitForJob(keys.vendor, lost.jobId)).toMatchObject({ counts: { applied: 3 } });
  });

  it("a chunk lost on every send fails its items after the fourth send, and the job completes", async () => {
    await createSkus(keys.operator, ["SL-1", "SL-2"], "V1");
    const lost = await postLost([
      { sku: "SL-1", locationId: "L1", quantity: 3 },
      { sku: "SL-2", locationId: "L2", quantity: 4 },
    ]);
    let at = (await chunks(lost.jobId))[0]!.enqueued_at!;
    const resent = capturingQueue();
    for (let send = 2; send <= SYNC_SWEEP.maxSends; send++) {
      at += bound + 1;
      await cron(at, resent.queue);
      expect((await chunks(lost.jobId))[0]).toMatchObject({ status: "queued", sends: send });
    }
    expect(resent.sent).toHaveLength(SYNC_SWEEP.maxSends - 1);
    expectLogged({ event: "sync.sweep", resent: 1, failed: 0 }, { count: SYNC_SWEEP.maxSends - 1, exactly: true });
    expect(resent.sent).toEqual(Array.from({ length: SYNC_SWEEP.maxSends - 1 }, () => lost.sent[0]));

    at += bound + 1;
    await cron(at, resent.queue);
    expect(resent.sent).toHaveLength(SYNC_SWEEP.maxSends - 1);
    const [chunk] = await chunks(lost.jobId);
    expect(chunk).toMatchObject({ status: "failed", sends: SYNC_SWEEP.maxSends, has_payload: 0 });
    expect(chunk!.error).toMatch(/^lost: no outcome after 4 sends/);
    expectLogged({ event: "sync.sweep", resent: 0, failed: 1 }, { exactly: true });
    const job = await waitForJob(keys.vendor, lost.jobId);
    expect(job).toMatchObject({ status: "failed", counts: { applied: 0, errors: 2, pending: 0 } });
    expect((await allErrors(keys.vendor, lost.jobId)).map((e) => [e.sku, e.code])).toEqual([
      ["SL-1", "chunk_failed"],
      ["SL-2", "chunk_failed"],
    ]);

    // Nothing is left for a later run.
    const later = capturingQueue();
    await cron(at + bound * 10, later.queue);
    expect(later.sent).toEqual([]);
    expect((await chunks(lost.jobId))[0]!.status).toBe("failed");
  });

  it("sends the chunks a request recorded but never sent (it answered 503 and no retry came)", async () => {
    await createSkus(keys.operator, ["SN-1"], "V1");
    const down = capturingQueue();
    down.failSends = 1;
    const lost = await postLost([{ sku: "SN-1", locationId: "L1", quantity: 9 }], down);
    expect(lost.status).toBe(503);
    expectLogged({ event: "sync.enqueue_failed", jobId: lost.jobId }, { exactly: true });
    expectLogged({ status: 503, code: "retry_later" }, { exactly: true });
    expect(await chunks(lost.jobId)).toEqual([expect.objectContaining({ status: "queued", sends: 0, enqueued_at: null, has_payload: 1 })]);
    const created = (await env.DB.prepare("SELECT created_at FROM sync_jobs WHERE id = ?").bind(lost.jobId).first<{ created_at: number }>())!.created_at;

    const early = capturingQueue();
    await cron(created + bound - 60_000, early.queue);
    expect(early.sent).toEqual([]);

    await cron(created + bound + 1);
    expectLogged({ event: "sync.sweep", resent: 1 }, { exactly: true });
    expect(await waitForJob(keys.vendor, lost.jobId)).toMatchObject({ status: "completed", counts: { applied: 1 } });
    expect(await onHand("SN-1", "L1")).toBe(9);
  });

  it("an unknown cron expression does nothing but say so", async () => {
    await handleScheduled(createScheduledController({ cron: "0 3 * * *", scheduledTime: Date.now() }), env, createExecutionContext());
    expectLogged({ event: "scheduled.unhandled", cron: "0 3 * * *" }, { exactly: true });
  });
});
