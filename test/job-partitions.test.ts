/**
 * The SYNC and REORDER partitions (issue 19): N = 4 queues each, a message's partition read
 * from the message alone (domain/job-partitions.ts).
 *
 * Proves:
 * - (pure) a 10,000-item job of one vendor, planned for 4 partitions, sends chunks to every
 *   SYNC partition with max/mean ≤ 1.2 — for each of 50 vendors' jobs, not one lucky one — and
 *   every SKU of a chunk is in the chunk's partition, for at most 3 chunks more than the plain
 *   packing; a one-chunk job stays one chunk; the nightly REORDER run's chunks over 100,000
 *   SKUs spread with max/mean ≤ 1.2; a SKU's SYNC, REORDER and EVENTS partitions agree;
 * - a real sync job of 400 SKUs through the partitioned local queues (miniflare delivers each
 *   partition to its consumer) reaches `completed` with exact counts, its chunks sent to all
 *   four partitions, each to its own;
 * - a SYNC chunk dead-lettered on partition k is recorded under partition k's queue (its last
 *   error too), and its replay sends it to partition k only, where it completes the job; a
 *   dead letter recorded under the old single queue's name (partition 0) is replayed to its
 *   message's own partition, for SYNC and REORDER; an invalid REORDER body is not replayed;
 * - a nightly REORDER run sends each chunk to its first SKU's partition, all four partitions
 *   get chunks, each partition's consumer plans them, and the run completes (every chunk
 *   counted planned, drafting done).
 */
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { partitionOf } from "../domain/event-partitions";
import { reorderPartitionOf, syncPartitionOf } from "../domain/job-partitions";
import { REORDER_CHUNK_SKUS, type ReorderMessage } from "../domain/reorder-messages";
import { planChunks, type SyncChunkMessage } from "../domain/sync-chunks";
import type { SyncFeedItem } from "../domain/sync-items";
import { REORDER_PARTITIONS, SYNC_PARTITIONS } from "../queues/queue-names";
import { app } from "../workers/app";
import { CRONS, handleScheduled } from "../workers/scheduled";
import {
  capturingPartitions,
  REORDER_PARTITION_QUEUES,
  runAcked,
  runQueue,
  SYNC_PARTITION_DLQS,
  SYNC_PARTITION_QUEUES,
  tableRows,
  withEnv,
} from "./support/event-fixtures";
import { type Keys, seedBasics } from "./support/fixtures";
import { expectLogged } from "./support/log-capture";
import { queryAllReadDbs } from "./support/read-model";
import { createSkus, waitForJob } from "./support/sync-fixtures";

const N = 4;
let keys: Keys;

beforeAll(async () => {
  keys = await seedBasics();
});

/** A feed item as the ingest check passes it on. */
const item = (sku: string, i: number, locationId = "L1"): SyncFeedItem => ({ sku, locationId, quantity: 1, itemIndex: i, row: null }) as SyncFeedItem;

/** Chunks per partition of a plan, as the SYNC producers route them. */
function perPartition(chunks: { skus: { sku: string }[] }[]): number[] {
  const counts = Array.from({ length: N }, () => 0);
  for (const c of chunks) counts[syncPartitionOf(c, N)]! += 1;
  return counts;
}

describe("partition keys (pure)", () => {
  it("a 10,000-item job's chunks spread over all 4 SYNC partitions with max/mean ≤ 1.2, each chunk's SKUs in its partition (50 vendors' jobs)", () => {
    expect(SYNC_PARTITIONS).toHaveLength(N);
    for (let v = 0; v < 50; v++) {
      const items = Array.from({ length: 10_000 }, (_, i) => item(`V${v}-SKU-${String(i).padStart(5, "0")}`, i));
      const chunks = planChunks(items, undefined, N);
      const counts = perPartition(chunks);
      const mean = chunks.length / N;
      expect(Math.min(...counts), `vendor ${v}: ${counts.join(" / ")}`).toBeGreaterThan(0);
      expect(Math.max(...counts) / mean, `vendor ${v}: ${counts.join(" / ")}`).toBeLessThanOrEqual(1.2);
      for (const c of chunks) expect(new Set(c.skus.map((s) => partitionOf(s.sku, N)))).toEqual(new Set([syncPartitionOf(c, N)]));
      // Every item once, and at most N − 1 chunks more than the plain packing (50 chunks of 200).
      expect(chunks.flatMap((c) => c.skus.flatMap((s) => s.items.map((i) => i.i))).sort((a, b) => a - b)).toEqual(items.map((i) => i.itemIndex));
      expect(chunks.length).toBeLessThanOrEqual(planChunks(items).length + N - 1);
    }
  });

  it("the same holds for 2,000 SKUs × 5 locations; a SKU's items stay together; a one-chunk job stays one chunk", () => {
    const items = Array.from({ length: 10_000 }, (_, i) => item(`MULTI-${Math.floor(i / 5)}`, i, `L${i % 5}`));
    const chunks = planChunks(items, undefined, N);
    const counts = perPartition(chunks);
    expect(Math.max(...counts) / (chunks.length / N), counts.join(" / ")).toBeLessThanOrEqual(1.2);
    const chunksOfSku = new Map<string, number>();
    for (const c of chunks) for (const s of c.skus) chunksOfSku.set(s.sku, (chunksOfSku.get(s.sku) ?? 0) + 1);
    expect([...chunksOfSku.values()].every((n) => n === 1)).toBe(true);
    // Positive control beside it: 150 SKUs fit one chunk, which is not split by partition.
    const small = planChunks(
      Array.from({ length: 150 }, (_, i) => item(`SMALL-${i}`, i)),
      undefined,
      N,
    );
    expect(small).toHaveLength(1);
    expect(new Set(small[0]!.skus.map((s) => partitionOf(s.sku, N))).size).toBeGreaterThan(1);
  });

  it("the nightly REORDER run's chunks (keyset pages of 100 over 100,000 SKUs) spread with max/mean ≤ 1.2; a SKU's partitions agree", () => {
    expect(REORDER_PARTITIONS).toHaveLength(N);
    const skus = Array.from({ length: 100_000 }, (_, i) => `ACME-${String(i).padStart(6, "0")}`);
    const counts = Array.from({ length: N }, () => 0);
    for (let i = 0; i < skus.length; i += REORDER_CHUNK_SKUS) {
      const message: ReorderMessage = { v: 1, kind: "chunk", origin: "2030-01-01", skus: skus.slice(i, i + REORDER_CHUNK_SKUS), seq: i / 100 };
      counts[reorderPartitionOf(message, N)]! += 1;
    }
    expect(Math.max(...counts) / (1_000 / N), counts.join(" / ")).toBeLessThanOrEqual(1.2);
    for (const sku of skus.slice(0, 200)) {
      const p = partitionOf(sku, N);
      expect(reorderPartitionOf({ v: 1, kind: "sku", origin: "2030-01-01", sku, reason: "low_stock" }, N)).toBe(p);
      expect(syncPartitionOf({ skus: [{ sku }] }, N)).toBe(p);
    }
    // A draft goes by its group: the same group, whatever the reason, one partition.
    const draft = (reason: "run" | "sweep" | "more") => reorderPartitionOf({ v: 1, kind: "draft", vendorId: "V1", locationId: "L1", reason }, N);
    expect(new Set([draft("run"), draft("sweep"), draft("more")]).size).toBe(1);
  });
});

/** A producer that records what it sends and passes it on to the real queue. */
function recordingProducer(real: Queue): { queue: Queue; sent: unknown[] } {
  const sent: unknown[] = [];
  const queue = {
    async send(body: unknown, options?: QueueSendOptions) {
      sent.push(body);
      return real.send(body, options);
    },
    async sendBatch(requests: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) {
      const list = [...requests];
      for (const r of list) sent.push(r.body);
      return real.sendBatch(list, options);
    },
  } as unknown as Queue;
  return { queue, sent };
}

/** Calls the app with some bindings replaced. */
async function callWith(overrides: Partial<Env>, method: string, path: string, key: string, body?: unknown) {
  const response = await app.fetch(
    new Request(`http://inventory.test${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        "idempotency-key": crypto.randomUUID(),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    withEnv(overrides),
    createExecutionContext(),
  );
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const replayPath = (queue: string, messageId: string) => `/api/v2/dead-letters/${encodeURIComponent(`${queue}:${messageId}`)}/replay`;

/** A SKU_INVENTORY binding whose objects always throw. */
const throwingObjects = {
  getByName: () => ({
    applySync: async () => {
      throw new Error("object unavailable (test)");
    },
  }),
} as unknown as Env["SKU_INVENTORY"];

describe("a sync job through the partitioned SYNC queues", () => {
  it("400 SKUs: chunks on all four partitions, each on its own; the local queues deliver them and the job completes with exact counts", async () => {
    const skus = Array.from({ length: 400 }, (_, i) => `JS-${String(i).padStart(3, "0")}`);
    await createSkus(keys.operator, skus, "V1");
    const recording = SYNC_PARTITION_QUEUES.map((_q, i) => recordingProducer(env[`SYNC_${i}` as "SYNC_0"]));
    const res = await callWith(Object.fromEntries(recording.map((r, i) => [`SYNC_${i}`, r.queue])), "POST", "/api/v2/inventory/sync", keys.vendor, {
      items: skus.map((sku, i) => ({ sku, locationId: "L1", quantity: 10 + (i % 7) })),
    });
    expect(res.status).toBe(202);
    const sent = recording.map((r) => r.sent as SyncChunkMessage[]);
    expect(sent.map((s) => s.length > 0)).toEqual([true, true, true, true]);
    for (const [p, messages] of sent.entries()) for (const m of messages) expect(m.skus.every((s) => partitionOf(s.sku, N) === p)).toBe(true);
    const total = sent.reduce((n, s) => n + s.length, 0);

    const job = await waitForJob(keys.vendor, res.body.jobId);
    expect(job).toMatchObject({ status: "completed", counts: { applied: 400, errors: 0, pending: 0 }, chunks: { total, done: total } });
    const doneChunks = await env.DB.prepare("SELECT COUNT(*) AS n FROM sync_job_chunks WHERE job_id = ? AND status = 'done'")
      .bind(res.body.jobId)
      .first<{ n: number }>();
    expect(doneChunks?.n).toBe(total);
  });
});

describe("SYNC dead letters by partition", () => {
  it("dead-lettered on partition k: recorded under partition k's queue, replayed to partition k only, where it completes the job", async () => {
    const skus = Array.from({ length: 240 }, (_, i) => `JD-${String(i).padStart(3, "0")}`);
    await createSkus(keys.operator, skus, "V1");
    const first = capturingPartitions("SYNC");
    const res = await callWith(first.overrides, "POST", "/api/v2/inventory/sync", keys.vendor, {
      items: skus.map((sku) => ({ sku, locationId: "L1", quantity: 3 })),
    });
    expect(res.status).toBe(202);
    const jobId = res.body.jobId as string;
    const chunksOn = first.partitions.map((c) => c.sent as SyncChunkMessage[]);
    // A partition other than 0 (0 also has the old single queue's name), with its chunk.
    const k = chunksOn.findIndex((c, i) => i > 0 && c.length > 0);
    expect(k).toBeGreaterThan(0);
    const dead = chunksOn[k]![0]!;
    expect(syncPartitionOf(dead, N)).toBe(k);
    for (const [p, messages] of chunksOn.entries()) if (p !== k && messages.length > 0) await runAcked(SYNC_PARTITION_QUEUES[p]!, messages);
    const others = chunksOn[k]!.slice(1);
    if (others.length > 0) await runAcked(SYNC_PARTITION_QUEUES[k]!, others);

    // Its last attempt on partition k records the error under partition k; then partition k's dead-letter queue.
    const last = await runQueue(SYNC_PARTITION_QUEUES[k]!, [{ body: dead, id: "jp-dead-1", attempts: 3 }], { SKU_INVENTORY: throwingObjects });
    expect(last.result.retryMessages).toHaveLength(1);
    await runAcked(SYNC_PARTITION_DLQS[k]!, [{ body: dead, id: "jp-dead-1" }]);
    expectLogged({ event: "queue.dead_letter", queue: SYNC_PARTITION_QUEUES[k], messageId: "jp-dead-1" });
    expect((await tableRows("dead_letters", "queue, message_id")).filter((r) => r.message_id === "jp-dead-1")).toEqual([
      expect.objectContaining({
        queue: SYNC_PARTITION_QUEUES[k],
        dead_letter_queue: SYNC_PARTITION_DLQS[k],
        error: "Error: object unavailable (test)",
        attempts: 3,
      }),
    ]);
    const deadItems = dead.skus.reduce((n, s) => n + s.items.length, 0);
    expect(await waitForJob(keys.vendor, jobId)).toMatchObject({ status: "completed_with_errors", counts: { applied: 240 - deadItems, errors: deadItems } });

    const replay = capturingPartitions("SYNC");
    const replayed = await callWith(replay.overrides, "POST", replayPath(SYNC_PARTITION_QUEUES[k]!, "jp-dead-1"), keys.operator);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ queue: SYNC_PARTITION_QUEUES[k], reopened: "sync_chunk" });
    expect(replay.partitions.map((c) => c.sent)).toEqual(SYNC_PARTITION_QUEUES.map((_q, i) => (i === k ? [dead] : [])));
    await runAcked(SYNC_PARTITION_QUEUES[k]!, replay.partitions[k]!.sent);
    expect(await waitForJob(keys.vendor, jobId)).toMatchObject({ status: "completed", counts: { applied: 240, errors: 0, pending: 0 } });
  });

  it("a dead letter recorded under the single queue's name (partition 0) is replayed to its message's own partition; REORDER too; an invalid REORDER body is refused", async () => {
    const skus = Array.from({ length: 40 }, (_, i) => `JL-${String(i).padStart(2, "0")}`);
    // A chunk (not failed: nothing to reopen) and a REORDER message whose keys map to partitions other than 0.
    const sku = skus.find((s) => partitionOf(s, N) !== 0)!;
    const chunk: SyncChunkMessage = {
      v: 1,
      jobId: "job-old",
      chunkIndex: 0,
      vendorId: "V1",
      mode: "absolute",
      actor: "vendor:test",
      skus: [{ sku, items: [{ i: 0, l: "L1", q: 1 }] }],
    };
    const reorder: ReorderMessage = { v: 1, kind: "sku", origin: "2030-01-01", sku, reason: "manual" };
    const insert = (queue: string, id: string, body: string) =>
      env.DB.prepare("INSERT INTO dead_letters (queue, message_id, dead_letter_queue, body) VALUES (?, ?, ?, ?)").bind(queue, id, `${queue}-dlq`, body);
    await env.DB.batch([
      insert(SYNC_PARTITION_QUEUES[0], "jp-old-sync", JSON.stringify(chunk)),
      insert(REORDER_PARTITION_QUEUES[0], "jp-old-reorder", JSON.stringify(reorder)),
      insert(REORDER_PARTITION_QUEUES[0], "jp-bad-reorder", '{"v":1,"kind":"nope"}'),
    ]);
    const sync = capturingPartitions("SYNC");
    const re = capturingPartitions("REORDER");
    const overrides = { ...sync.overrides, ...re.overrides };
    expect((await callWith(overrides, "POST", replayPath(SYNC_PARTITION_QUEUES[0], "jp-old-sync"), keys.operator)).status).toBe(200);
    expect((await callWith(overrides, "POST", replayPath(REORDER_PARTITION_QUEUES[0], "jp-old-reorder"), keys.operator)).status).toBe(200);
    const bad = await callWith(overrides, "POST", replayPath(REORDER_PARTITION_QUEUES[0], "jp-bad-reorder"), keys.operator);
    expect(bad.status).toBe(409);
    expect(bad.body.error.code).toBe("dead_letter_unreplayable");
    const p = partitionOf(sku, N);
    expect(sync.partitions.map((c) => c.sent)).toEqual(SYNC_PARTITION_QUEUES.map((_q, i) => (i === p ? [chunk] : [])));
    expect(re.partitions.map((c) => c.sent)).toEqual(REORDER_PARTITION_QUEUES.map((_q, i) => (i === p ? [reorder] : [])));
  });
});

describe("the nightly REORDER run over the partitions", () => {
  it("each chunk goes to its first SKU's partition, all four get chunks, each partition's consumer plans them, and the run completes", async () => {
    const skus = Array.from({ length: 12 * REORDER_CHUNK_SKUS }, (_, i) => `JR-${String(i).padStart(4, "0")}`);
    await createSkus(keys.operator, skus, "V1");
    const at = Date.UTC(2030, 0, 2, 2, 0, 0);
    const origin = "2030-01-01";
    const reorder = capturingPartitions("REORDER");
    await handleScheduled(createScheduledController({ cron: CRONS.reorder, scheduledTime: at }), withEnv(reorder.overrides), createExecutionContext());
    const chunks = reorder.partitions.map((c) => c.sent as ReorderMessage[]);
    for (const [p, messages] of chunks.entries()) for (const m of messages) expect(reorderPartitionOf(m, N), JSON.stringify(m).slice(0, 80)).toBe(p);
    expect(chunks.map((c) => c.length > 0)).toEqual([true, true, true, true]);
    const all = chunks.flat();
    // Master rows live in their vendors' read databases (issue 19 item 3): counted over all of them.
    const active = (await queryAllReadDbs<{ n: number }>("SELECT COUNT(*) AS n FROM skus WHERE status = 'active'")).reduce((n, r) => n + r.n, 0);
    expect(active).toBeGreaterThanOrEqual(skus.length);
    expect(all.reduce((n, m) => n + (m.kind === "chunk" ? m.skus.length : 0), 0)).toBe(active);
    expect(await env.DB.prepare("SELECT status, chunks FROM reorder_runs WHERE origin = ?").bind(origin).first()).toEqual({
      status: "done",
      chunks: all.length,
    });

    // Each partition's consumer plans its chunks; the drafts they send are captured per partition too.
    const drafts = capturingPartitions("REORDER");
    for (const [p, messages] of chunks.entries()) await runAcked(REORDER_PARTITION_QUEUES[p]!, messages, drafts.overrides);
    expect(await env.DB.prepare("SELECT planned_chunks, chunks, draft_status FROM reorder_runs WHERE origin = ?").bind(origin).first()).toEqual({
      planned_chunks: all.length,
      chunks: all.length,
      draft_status: "done",
    });
    expectLogged({ event: "reorder.planned", kind: "chunk", origin }, { count: all.length, exactly: true });
    for (const [p, messages] of drafts.partitions.map((c) => c.sent as ReorderMessage[]).entries())
      for (const m of messages) expect(reorderPartitionOf(m, N)).toBe(p);
  });
});
