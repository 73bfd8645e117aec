/**
 * The EVENTS partitions are configured in three places that must agree: wrangler.toml (one
 * producer binding `EVENTS_<i>` per partition, a consumer block per partition queue with its
 * own dead-letter queue, and a consumer for that dead-letter queue), queues/queue-names.ts
 * (`EVENT_PARTITIONS`, what the dispatcher routes) and the SKU object's `eventQueues` (the
 * bindings it sends through). Also: the demo catalogue's SKU ids spread evenly over them.
 * The same for the WEBHOOKS partitions: `WEBHOOKS_<i>` producers and per-partition consumer and
 * dead-letter blocks, `WEBHOOK_PARTITIONS` and `webhookQueues` (services/webhook-queue.ts).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { partitionBalance } from "../../domain/event-partitions";
import { eventQueues } from "../../durable-objects/sku-inventory/outbox";
import { EVENT_PARTITIONS, WEBHOOK_PARTITIONS } from "../../queues/queue-names";
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
    for (const q of [...WEBHOOK_PARTITIONS, ...EVENT_PARTITIONS]) {
      expect(named.has(q.name), q.name).toBe(true);
      expect(named.has(q.deadLetter), q.deadLetter).toBe(true);
    }
    const readme = readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
    expect(readme).toContain("grep -E '^(queue|dead_letter_queue) = ' wrangler.toml");
  });
});

