/**
 * The SYNC consumer and its dead-letter consumer, called directly (`createMessageBatch` +
 * `getQueueResult` through `runQueue`). Jobs are created through the HTTP app with a
 * capturing SYNC producer, so their chunks reach the consumer only when a test hands them
 * over. Proves: a redelivered chunk changes nothing (D1 rows and objects as they were); a
 * chunk whose D1 write failed after its objects applied is retried and recorded once (the
 * objects replay their outcomes); a poison chunk is retried with backoff, its error is
 * recorded on the last attempt, and the dead-letter consumer fails its items so the job
 * still completes; an unreadable body is retried; a chunk of an unknown job is dropped.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { SyncChunkMessage } from "../domain/sync-chunks";
import { app } from "../workers/app";
import { capturingQueue, runAcked, runQueue, syncProducers, tableRows, withEnv } from "./support/event-fixtures";
import { seedBasics, skuObject, type Keys } from "./support/fixtures";
import { allErrors, createSkus, SYNC_DLQ, SYNC_QUEUE, waitForJob } from "./support/sync-fixtures";
import { expectLogged } from "./support/log-capture";

let keys: Keys;

beforeAll(async () => {
  keys = await seedBasics();
});

/** Posts a feed through the app with a capturing SYNC producer; returns the job id and its chunk messages. */
async function captureJob(items: { sku: string; locationId: string; quantity: number }[], idempotencyKey = crypto.randomUUID()) {
  const sync = capturingQueue();
  const response = await app.fetch(
    new Request("http://inventory.test/api/v2/inventory/sync", {
      method: "POST",
      headers: { authorization: `Bearer ${keys.vendor}`, "content-type": "application/json", "idempotency-key": idempotencyKey },
      body: JSON.stringify({ items }),
    }),
    withEnv(syncProducers(sync.queue)),
    createExecutionContext(),
  );
  expect(response.status).toBe(202);
  const body = (await response.json()) as { jobId: string };
  return { jobId: body.jobId, chunks: sync.sent as SyncChunkMessage[] };
}

const jobRow = (id: string) => env.DB.prepare("SELECT * FROM sync_jobs WHERE id = ?").bind(id).first<Record<string, unknown>>();
const chunkRow = (id: string, index: number) =>
  env.DB.prepare("SELECT * FROM sync_job_chunks WHERE job_id = ? AND chunk_index = ?").bind(id, index).first<Record<string, unknown>>();
const versions = async (skus: string[]) => Promise.all(skus.map(async (sku) => (await skuObject(sku).snapshot()).version));

/** A D1 binding whose batches fail, as in a D1 outage after the objects were called. */
function failingBatches(): D1Database {
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "batch") return async () => Promise.reject(new Error("D1 unavailable (test)"));
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A SKU_INVENTORY binding whose objects always throw, as an object that keeps failing would. */
const throwingObjects = {
  getByName: () => ({
    applySync: async () => {
      throw new Error("object unavailable (test)");
    },
  }),
} as unknown as Env["SKU_INVENTORY"];

describe("redelivery", () => {
  it("a chunk delivered twice is applied and recorded once", async () => {
    const skus = ["RQ-1", "RQ-2", "RQ-3"];
    await createSkus(keys.operator, skus, "V1");
    const { jobId, chunks } = await captureJob([
      ...skus.map((sku, i) => ({ sku, locationId: "L1", quantity: 5 + i })),
      { sku: "RQ-NOPE", locationId: "L1", quantity: 1 },
    ]);
    expect(chunks).toHaveLength(1);
    await runAcked(SYNC_QUEUE, [chunks[0]]);
    const job = await jobRow(jobId);
    expect(job).toMatchObject({ status: "completed_with_errors", applied: 3, errors: 1, chunks_done: 1 });
    const before = { job, errors: await tableRows("sync_job_errors", "job_id, item_index"), versions: await versions(skus) };
    expect(before.versions).toEqual([1, 1, 1]);

    await runAcked(SYNC_QUEUE, [chunks[0]]);
    expect({ job: await jobRow(jobId), errors: await tableRows("sync_job_errors", "job_id, item_index"), versions: await versions(skus) }).toEqual(before);
  });

  it("a chunk whose D1 write failed after its objects applied is retried and recorded once", async () => {
    const skus = ["RD-1", "RD-2"];
    await createSkus(keys.operator, skus, "V1");
    const { jobId, chunks } = await captureJob(skus.map((sku) => ({ sku, locationId: "L2", quantity: 9 })));
    const failed = await runQueue(SYNC_QUEUE, [chunks[0]], { DB: failingBatches() });
    expect(failed.result.retryMessages).toEqual([{ msgId: failed.ids[0], delaySeconds: 2 }]);
    expectLogged(
      { event: "queue.message_failed", queue: "edge-inventory-sync", attempts: 1, last: false, error: "Error: D1 unavailable (test)" },
      { exactly: true },
    );
    expect(await versions(skus)).toEqual([1, 1]);
    expect(await jobRow(jobId)).toMatchObject({ status: "running", applied: 0, chunks_done: 0 });

    await runAcked(SYNC_QUEUE, [{ body: chunks[0], attempts: 2 }]);
    expect(await jobRow(jobId)).toMatchObject({ status: "completed", applied: 2, chunks_done: 1 });
    // The objects replayed their stored outcomes: still one change each.
    expect(await versions(skus)).toEqual([1, 1]);
  });
});

describe("a poison chunk", () => {
  it("is retried with backoff, dead-lettered with its error, and its items fail so the job completes", async () => {
    const skus = Array.from({ length: 201 }, (_, i) => `PC-${String(i).padStart(3, "0")}`);
    await createSkus(keys.operator, skus, "V1");
    const { jobId, chunks } = await captureJob(skus.map((sku) => ({ sku, locationId: "L1", quantity: 4 })));
    // More than one chunk's worth: planned partition by partition (test/job-partitions.test.ts), one chunk per SYNC partition here.
    expect(chunks.map((c) => c.chunkIndex)).toEqual([0, 1, 2, 3]);
    expect(chunks.reduce((n, c) => n + c.skus.length, 0)).toBe(201);
    // Every chunk but the last applies; the last one is poison.
    await runAcked(SYNC_QUEUE, chunks.slice(0, 3));
    const poisoned = chunks[3]!.skus.map((s) => s.sku);
    const applied = 201 - poisoned.length;

    const poison = { body: chunks[3], id: "sync-poison-1" };
    for (const [attempts, delaySeconds] of [
      [1, 2],
      [2, 4],
    ] as const) {
      const { result } = await runQueue(SYNC_QUEUE, [{ ...poison, attempts }], { SKU_INVENTORY: throwingObjects });
      expect(result.retryMessages).toEqual([{ msgId: poison.id, delaySeconds }]);
      expect(await tableRows("dead_letters", "queue, message_id")).toEqual([]);
    }
    const last = await runQueue(SYNC_QUEUE, [{ ...poison, attempts: 3 }], { SKU_INVENTORY: throwingObjects });
    // Still a retry: with max_retries spent, the platform moves it to the dead-letter queue.
    expect(last.result.retryMessages).toHaveLength(1);
    expect(await env.DB.prepare("SELECT error, attempts FROM dead_letters WHERE message_id = ?").bind(poison.id).first()).toEqual({
      error: "Error: object unavailable (test)",
      attempts: 3,
    });
    expect(await jobRow(jobId)).toMatchObject({ status: "running", chunks_done: 3 });
    const failures = expectLogged({ event: "queue.message_failed", queue: "edge-inventory-sync", messageId: poison.id }, { count: 3, exactly: true });
    expect(failures.map((f) => [f.attempts, f.last])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);

    const dlq = await runQueue(SYNC_DLQ, [poison]);
    expect(dlq.result.explicitAcks).toEqual([poison.id]);
    const job = await waitForJob(keys.vendor, jobId);
    expect(job).toMatchObject({
      status: "completed_with_errors",
      counts: { applied, errors: poisoned.length, pending: 0 },
      chunks: { total: 4, done: 4 },
    });
    expect(await allErrors(keys.vendor, jobId)).toEqual(
      poisoned.map((sku) => expect.objectContaining({ item: Number(sku.slice(3)), sku, locationId: "L1", quantity: "4", code: "chunk_failed" })),
    );
    expect(await chunkRow(jobId, 3)).toMatchObject({
      status: "failed",
      errors: poisoned.length,
      error: expect.stringContaining("object unavailable (test)"),
    });
    expect(await versions(poisoned)).toEqual(poisoned.map(() => 0));
    expect(await versions(chunks[0]!.skus.map((s) => s.sku))).toEqual(chunks[0]!.skus.map(() => 1));

    // The dead-letter queue delivers at least once: a repeat changes nothing.
    const before = await jobRow(jobId);
    await runQueue(SYNC_DLQ, [poison]);
    expect(await jobRow(jobId)).toEqual(before);
    expectLogged({ event: "queue.dead_letter", queue: "edge-inventory-sync", messageId: poison.id }, { count: 2, exactly: true });
  });

  it("an unreadable body is retried; dead-lettered, it still fails its chunk if it names one", async () => {
    await createSkus(keys.operator, ["PB-1", "PB-2"], "V1");
    const { jobId, chunks } = await captureJob(["PB-1", "PB-2"].map((sku) => ({ sku, locationId: "L1", quantity: 1 })));
    const mangled = { v: 99, jobId, chunkIndex: chunks[0]!.chunkIndex, skus: "lost" };
    const { result, ids } = await runQueue(SYNC_QUEUE, [mangled, "not even an object"]);
    expect(result.retryMessages).toEqual([
      { msgId: ids[0], delaySeconds: 2 },
      { msgId: ids[1], delaySeconds: 2 },
    ]);
    expectLogged(
      { event: "queue.message_failed", queue: "edge-inventory-sync", error: /^InvalidSyncMessageError: invalid sync chunk/ },
      { count: 2, exactly: true },
    );
    await runAcked(SYNC_DLQ, [mangled, "not even an object"]);
    expectLogged({ event: "queue.dead_letter", queue: "edge-inventory-sync" }, { count: 2, exactly: true });
    // No item could be named: the chunk counts all its items as errors, with no rows.
    expect(await jobRow(jobId)).toMatchObject({ status: "failed", errors: 2, chunks_done: 1 });
    expect(await allErrors(keys.vendor, jobId)).toEqual([]);
  });

  it("a chunk of a job that does not exist is acked and changes nothing", async () => {
    const body: SyncChunkMessage = {
      v: 1,
      jobId: `sync_${"f".repeat(32)}`,
      chunkIndex: 0,
      vendorId: "V1",
      mode: "absolute",
      actor: "x",
      skus: [{ sku: "RQ-1", items: [{ i: 0, l: "L1", q: 1 }] }],
    };
    await runAcked(SYNC_QUEUE, [body]);
    expectLogged({ event: "sync.unknown_chunk", jobId: body.jobId, chunkIndex: 0 }, { exactly: true });
    expect((await skuObject("RQ-1").snapshot()).locations.find((l) => l.locationId === "L1")?.onHand).toBe(5);
  });
});
