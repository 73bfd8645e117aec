/**
 * The EVENTS partitions are configured in three places that must agree: wrangler.toml (one
 * producer binding `EVENTS_<i>` per partition, a consumer block per partition queue with its
 * own dead-letter queue, and a consumer for that dead-letter queue), queues/queue-names.ts
 * (`EVENT_PARTITIONS`, what the dispatcher routes) and the SKU object's `eventQueues` (the
 * bindings it sends through). Also: the demo catalogue's SKU ids spread evenly over them.
 * The same for the WEBHOOKS partitions: `WEBHOOKS_<i>` producers and per-partition consumer and
 * dead-letter blocks, `WEBHOOK_PARTITIONS` and `webhookQueues` (services/webhook-queue.ts);
 * and SCALE.md's WEBHOOKS arithmetic (deliveries per partition at the spec's peak, from the
 * real key and partition function), asserted exactly so a change fails until the page follows.
 * And the SYNC and REORDER partitions: `SYNC_<i>` / `REORDER_<i>` producers with per-partition
 * consumer and dead-letter blocks configured as the single queues were, `SYNC_PARTITIONS` /
 * `REORDER_PARTITIONS`, and the senders' `syncQueues` / `reorderQueues`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { partitionBalance } from "../../domain/event-partitions";
import { webhookPartitionOf } from "../../domain/webhook-partitions";
import { eventQueues } from "../../durable-objects/sku-inventory/outbox";
import { EVENT_PARTITIONS, type QueueConfig, REORDER_PARTITIONS, SYNC_PARTITIONS, WEBHOOK_PARTITIONS } from "../../queues/queue-names";
import { reorderQueues } from "../../services/reorder-queue";
import { syncQueues } from "../../services/sync-send";
import { webhookQueues } from "../../services/webhook-queue";
import { demoCatalogue } from "../../scripts/local-stack.mjs";

const toml = readFileSync(path.resolve(__dirname, "../../wrangler.toml"), "utf8");

/** The key = "string"/number pairs of every `[[name]]` block (enough TOML for these blocks). */
function blocks(name: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const part of toml.split(/^\[/m).slice(1)) {
    const header = part.slice(0, part.indexOf("\n"));
    if (header !== `[${name}]]`) continue;
    const entry: Record<string, string> = {};
    for (const m of part.matchAll(/^(\w+)\s*=\s*"?([^"\n]*)"?\s*$/gm)) entry[m[1]!] = m[2]!;
    out.push(entry);
  }
  return out;
}

describe("EVENTS partitions configuration", () => {
  const producers = blocks("queues.producers").filter((p) => p.binding!.startsWith("EVENTS"));
  const consumers = blocks("queues.consumers");

  it("wrangler.toml has one EVENTS_<i> producer per partition, in order, on the partition's queue; no unpartitioned EVENTS binding", () => {
    expect(EVENT_PARTITIONS.length).toBeGreaterThanOrEqual(4);
    expect(producers.map((p) => [p.binding, p.queue])).toEqual(EVENT_PARTITIONS.map((q, i) => [`EVENTS_${i}`, q.name]));
  });

  it("the SKU object sends through exactly those bindings, partition i through EVENTS_<i>", () => {
    const env = new Proxy({}, { get: (_t, name) => `binding:${String(name)}` }) as unknown as Env;
    expect(eventQueues(env)).toEqual(EVENT_PARTITIONS.map((_q, i) => `binding:EVENTS_${i}`));
  });

  it("every partition has its consumer (max_retries as in queue-names) dead-lettering to its own queue, which has a consumer too", () => {
    for (const q of EVENT_PARTITIONS) {
      const c = consumers.find((b) => b.queue === q.name);
      expect(c, q.name).toMatchObject({ dead_letter_queue: q.deadLetter, max_retries: String(q.maxAttempts - 1), max_batch_size: "100" });
      expect(
        consumers.find((b) => b.queue === q.deadLetter),
        q.deadLetter,
      ).toBeDefined();
    }
    expect(new Set(EVENT_PARTITIONS.map((q) => q.deadLetter)).size).toBe(EVENT_PARTITIONS.length);
  });

  it("the demo catalogue's SKU ids (10,000 of its scheme) spread over the partitions with max/mean ≤ 1.2", () => {
    const { skus } = demoCatalogue(10_000);
    expect(skus).toHaveLength(10_000);
    const { maxOverMean, counts } = partitionBalance(
      skus.map((s: { sku: string }) => s.sku),
      EVENT_PARTITIONS.length,
    );
    expect(maxOverMean, counts.join(" / ")).toBeLessThanOrEqual(1.2);
  });
});

describe("WEBHOOKS partitions configuration", () => {
  const producers = blocks("queues.producers").filter((p) => p.binding!.startsWith("WEBHOOKS"));
  const consumers = blocks("queues.consumers");

  it("wrangler.toml has one WEBHOOKS_<i> producer per partition (at least 4), in order, on the partition's queue; no unpartitioned WEBHOOKS binding", () => {
    expect(WEBHOOK_PARTITIONS.length).toBeGreaterThanOrEqual(4);
    expect(producers.map((p) => [p.binding, p.queue])).toEqual(WEBHOOK_PARTITIONS.map((q, i) => [`WEBHOOKS_${i}`, q.name]));
  });

  it("partition 0 keeps the single queue's name (messages in flight at the rollout are drained)", () => {
    expect(WEBHOOK_PARTITIONS[0]).toMatchObject({ name: "edge-inventory-webhooks", deadLetter: "edge-inventory-webhooks-dlq" });
  });

  it("the senders send through exactly those bindings, partition i through WEBHOOKS_<i>", () => {
    const env = new Proxy({}, { get: (_t, name) => `binding:${String(name)}` }) as unknown as Env;
    expect(webhookQueues(env)).toEqual(WEBHOOK_PARTITIONS.map((_q, i) => `binding:WEBHOOKS_${i}`));
  });

  it("every partition has its consumer configured like the single queue was (batch 20, max_retries as in queue-names) dead-lettering to its own queue, which has a consumer too", () => {
    for (const q of WEBHOOK_PARTITIONS) {
      const c = consumers.find((b) => b.queue === q.name);
      expect(c, q.name).toMatchObject({ dead_letter_queue: q.deadLetter, max_retries: "8", max_batch_size: "20", max_batch_timeout: "1" });
      expect(Number(c!.max_retries) + 1).toBe(q.maxAttempts);
      expect(
        consumers.find((b) => b.queue === q.deadLetter),
        q.deadLetter,
      ).toMatchObject({ max_retries: "2" });
    }
    expect(new Set(WEBHOOK_PARTITIONS.map((q) => q.deadLetter)).size).toBe(WEBHOOK_PARTITIONS.length);
  });

  it("the README's create loop (every queue and dead-letter queue wrangler.toml names) covers every partition and its dead-letter queue", () => {
    const named = new Set([...toml.matchAll(/^(?:queue|dead_letter_queue) = "([^"]+)"/gm)].map((m) => m[1]!));
    for (const q of [...WEBHOOK_PARTITIONS, ...EVENT_PARTITIONS, ...SYNC_PARTITIONS, ...REORDER_PARTITIONS]) {
      expect(named.has(q.name), q.name).toBe(true);
      expect(named.has(q.deadLetter), q.deadLetter).toBe(true);
    }
    const readme = readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
    expect(readme).toContain("grep -E '^(queue|dead_letter_queue) = ' wrangler.toml");
  });
});

const jobQueues: [string, readonly QueueConfig[], (env: Env) => readonly Queue[], string, { batch: string; retries: string; dlqBatch: string }][] = [
  ["SYNC", SYNC_PARTITIONS, syncQueues, "edge-inventory-sync", { batch: "4", retries: "2", dlqBatch: "10" }],
  ["REORDER", REORDER_PARTITIONS, reorderQueues, "edge-inventory-reorder", { batch: "1", retries: "3", dlqBatch: "10" }],
];

describe.each(jobQueues)("%s partitions configuration", (binding, partitions, senders, single, settings) => {
  const producers = blocks("queues.producers").filter((p) => p.binding === binding || p.binding!.startsWith(`${binding}_`));
  const consumers = blocks("queues.consumers");

  it("wrangler.toml has one <binding>_<i> producer per partition (at least 4), in order, on the partition's queue; no unpartitioned binding", () => {
    expect(partitions.length).toBeGreaterThanOrEqual(4);
    expect(producers.map((p) => [p.binding, p.queue])).toEqual(partitions.map((q, i) => [`${binding}_${i}`, q.name]));
  });

  it("partition 0 keeps the single queue's name; the others are named -1, -2, …", () => {
    expect(partitions[0]).toMatchObject({ name: single, deadLetter: `${single}-dlq` });
    expect(partitions.map((q) => q.name)).toEqual(partitions.map((_q, i) => (i === 0 ? single : `${single}-${i}`)));
  });

  it("the senders send through exactly those bindings, partition i through <binding>_<i>", () => {
    const env = new Proxy({}, { get: (_t, name) => `binding:${String(name)}` }) as unknown as Env;
    expect(senders(env)).toEqual(partitions.map((_q, i) => `binding:${binding}_${i}`));
  });

  it("every partition has its consumer configured as the single queue was, dead-lettering to its own queue, which has a consumer too", () => {
    for (const q of partitions) {
      const c = consumers.find((b) => b.queue === q.name);
      expect(c, q.name).toMatchObject({
        dead_letter_queue: q.deadLetter,
        max_retries: settings.retries,
        max_batch_size: settings.batch,
        max_batch_timeout: "1",
      });
      expect(Number(c!.max_retries) + 1).toBe(q.maxAttempts);
      expect(
        consumers.find((b) => b.queue === q.deadLetter),
        q.deadLetter,
      ).toMatchObject({ max_retries: "2", max_batch_size: settings.dlqBatch });
    }
    expect(new Set(partitions.map((q) => q.deadLetter)).size).toBe(partitions.length);
  });
});

describe("WEBHOOKS at the spec's peak (SCALE.md, WEBHOOKS partitions)", () => {
  const PEAK = 15_000;
  /** mulberry32, seeded as bench/partition-balance.mjs. */
  function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const rnd = prng(20261130);
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join("");
  // 8 subscription ids of the real shape (wh_ + 24 hex), each taking one delivery per update.
  const subscriptions = Array.from({ length: 8 }, () => `wh_${hex(24)}`);
  const spreadIds = Array.from({ length: 10_000 }, (_, i) => `SPREAD-${String(i).padStart(5, "0")}`);
  const uniform = Array.from({ length: 100_000 }, () => spreadIds[Math.floor(rnd() * spreadIds.length)]!);
  const cdf: number[] = [];
  spreadIds.reduce((acc, _id, k) => (cdf[k] = acc + 1 / (k + 1)), 0);
  const zipf = Array.from({ length: 100_000 }, () => {
    const x = rnd() * cdf[cdf.length - 1]!;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return spreadIds[lo]!;
  });

  /** Over the subscriptions, the worst max/mean and the busiest partition's deliveries/s at the peak (one delivery per update). */
  function worst(updates: readonly string[], n: number): { maxOverMean: number; busiestPerSecond: number } {
    let max = 0;
    let best = 0;
    for (const subscriptionId of subscriptions) {
      const counts = Array.from({ length: n }, () => 0);
      for (const sku of updates) counts[webhookPartitionOf({ subscriptionId, eventId: "e", payload: { sku } }, n)]! += 1;
      max = Math.max(max, Math.max(...counts));
      best = Math.max(best, Math.max(...counts) / (updates.length / n));
    }
    return { maxOverMean: Math.round(best * 1000) / 1000, busiestPerSecond: Math.round((PEAK * max) / updates.length) };
  }

  it("one delivery per update, N = 4 and N = 8: the busiest partition for demo ids, uniform and Zipf(1.0) updates over 10,000 SKUs", () => {
    const demo = demoCatalogue(10_000).skus.map((s: { sku: string }) => s.sku);
    const figures = Object.fromEntries([4, 8].map((n) => [n, { demo: worst(demo, n), uniform: worst(uniform, n), zipf: worst(zipf, n) }]));
    console.log(JSON.stringify({ event: "test.webhook_partitions_at_peak", figures }));
    expect(WEBHOOK_PARTITIONS).toHaveLength(4);
    expect(figures).toEqual({
      4: {
        demo: { maxOverMean: 1.05, busiestPerSecond: 3936 },
        uniform: { maxOverMean: 1.047, busiestPerSecond: 3925 },
        zipf: { maxOverMean: 1.522, busiestPerSecond: 5709 },
      },
      8: {
        demo: { maxOverMean: 1.06, busiestPerSecond: 1988 },
        uniform: { maxOverMean: 1.073, busiestPerSecond: 2012 },
        zipf: { maxOverMean: 2.171, busiestPerSecond: 4071 },
      },
    });
  });
});
