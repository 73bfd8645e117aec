/**
 * Poison messages, with the consumers called directly: an invalid body or a handler that
 * throws is retried with exponential backoff (`getQueueResult` shows the retry and its
 * delay) while the rest of its batch is processed and acked; on its last attempt (attempt
 * `max_retries + 1` = 6) the consumer records the error, the platform moves the message to
 * the dead-letter queue (configured in wrangler.toml), and the dead-letter consumer records
 * it in `dead_letters` and acks. Also: a batch from an unknown queue is retried whole.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createSku, seedBasics } from "./support/fixtures";
import { EVENTS_DLQ, EVENTS_QUEUE, WEBHOOKS_DLQ, runQueue, tableRows, updatedEvent } from "./support/event-fixtures";
import { expectLogged } from "./support/log-capture";
import { readDbOfSku } from "./support/read-model";

beforeAll(async () => {
  await seedBasics();
  await createSku("DL-1");
});

const deadLetter = (queue: string, messageId: string) =>
  env.DB.prepare("SELECT * FROM dead_letters WHERE queue = ? AND message_id = ?").bind(queue, messageId).first<Record<string, unknown>>();

describe("poison messages on EVENTS", () => {
  it("an invalid body and a throwing handler are retried with backoff; the rest of the batch is applied and acked", async () => {
    const good1 = updatedEvent("DL-1", 1, "L1", { onHand: 5 });
    const good2 = updatedEvent("DL-1", 2, "L2", { onHand: 7 });
    const missingFields = { id: "evt:DL-1:3", type: "inventory.updated", sku: "DL-1" };
    const badTimestamp = { ...updatedEvent("DL-1", 4, "L1", { onHand: 1 }), occurredAt: "not a time" };
    const { result, ids } = await runQueue(EVENTS_QUEUE, [good1, missingFields, { body: "just text", attempts: 3 }, good2, badTimestamp]);
    expect(result.outcome).toBe("ok");
    expect(result.explicitAcks.sort()).toEqual([ids[0], ids[3]].sort());
    expect(result.retryMessages).toEqual([
      { msgId: ids[1], delaySeconds: 4 },
      { msgId: ids[2], delaySeconds: 16 },
      { msgId: ids[4], delaySeconds: 4 },
    ]);
    const levels = (
      await (await readDbOfSku("DL-1")).prepare("SELECT * FROM inventory_levels WHERE sku = 'DL-1' ORDER BY sku, location_id").all<Record<string, unknown>>()
    ).results;
    // The throwing handler wrote nothing: its batch never ran (it failed before D1).
    expect(levels.map((r) => [r.location_id, r.on_hand, r.last_sequence])).toEqual([
      ["L1", 5, 1],
      ["L2", 7, 2],
    ]);
    // Not the last attempt: nothing recorded yet.
    expect(await tableRows("dead_letters", "queue, message_id")).toEqual([]);
    // The batch failed on the bad timestamp and fell back to one message at a time; each failure is logged once.
    expectLogged({ event: "events.batch_fallback", messages: 3, error: /RangeError: not a timestamp/ }, { exactly: true });
    const failed = expectLogged({ event: "queue.message_failed", queue: "edge-inventory-events" }, { count: 3, exactly: true });
    expect(failed.map((f) => [f.messageId, f.attempts, f.last])).toEqual([
      [ids[1], 1, false],
      [ids[2], 3, false],
      [ids[4], 1, false],
    ]);
  });

  it("on the last attempt the error is recorded; the dead-letter consumer marks it received and acks", async () => {
    const body = { id: "evt:DL-1:9", type: "inventory.exploded", sku: "DL-1" };
    const { result, ids } = await runQueue(EVENTS_QUEUE, [{ body, attempts: 6, id: "poison-1" }, updatedEvent("DL-1", 10, "L1", { onHand: 2 })]);
    // Still a retry: with max_retries exhausted, the platform moves it to the dead-letter queue.
    expect(result.retryMessages).toEqual([{ msgId: "poison-1", delaySeconds: 128 }]);
    expect(result.explicitAcks).toEqual([ids[1]]);
    const recorded = await deadLetter(EVENTS_QUEUE, "poison-1");
    expect(recorded).toMatchObject({
      dead_letter_queue: EVENTS_DLQ,
      body: JSON.stringify(body),
      attempts: 6,
      failed_at: expect.any(Number),
      received_at: null,
    });
    expect(recorded!.error).toMatch(/^InvalidEventError: invalid event body: .*type/);
    expectLogged({ event: "queue.message_failed", messageId: "poison-1", attempts: 6, last: true }, { exactly: true });

    // The dead-letter queue delivers it (attempts restart at 1; the id is kept).
    const dlq = await runQueue(EVENTS_DLQ, [{ body, id: "poison-1" }]);
    expect(dlq.result.explicitAcks).toEqual(["poison-1"]);
    expect(await deadLetter(EVENTS_QUEUE, "poison-1")).toMatchObject({ attempts: 6, error: recorded!.error, received_at: expect.any(Number) });

    // Received twice (at-least-once): still one row.
    await runQueue(EVENTS_DLQ, [{ body, id: "poison-1" }]);
    expect((await tableRows("dead_letters", "queue, message_id")).filter((r) => r.message_id === "poison-1")).toHaveLength(1);
    expectLogged({ event: "queue.dead_letter", queue: "edge-inventory-events", messageId: "poison-1" }, { count: 2, exactly: true });
  });

  it("a dead letter with no recorded error (e.g. the consumer crashed) is still recorded, reason unknown", async () => {
    await runQueue(EVENTS_DLQ, [{ body: { anything: true }, id: "crashed-1" }]);
    expectLogged({ event: "queue.dead_letter", messageId: "crashed-1" }, { exactly: true });
    expect(await deadLetter(EVENTS_QUEUE, "crashed-1")).toMatchObject({
      error: null,
      attempts: null,
      received_at: expect.any(Number),
      body: '{"anything":true}',
    });
  });

  it("webhook dead letters are recorded too, and their delivery is marked failed", async () => {
    await env.DB.batch([
      env.DB.prepare("INSERT INTO webhook_subscriptions (id, url, event_types, secret) VALUES ('wh_dl', 'https://x.example/h', '[]', 's')"),
      env.DB.prepare(
        "INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, status, created_at, updated_at) VALUES ('whd_dl', 'wh_dl', 'evt:X:1', 'inventory.updated', 'pending', 0, 0)",
      ),
    ]);
    const body = { v: 1, deliveryId: "whd_dl", subscriptionId: "wh_dl", eventId: "evt:X:1", eventType: "inventory.updated", payload: {} };
    const { result } = await runQueue(WEBHOOKS_DLQ, [{ body, id: "wh-dead-1" }]);
    expect(result.explicitAcks).toEqual(["wh-dead-1"]);
    expectLogged({ event: "queue.dead_letter", queue: "edge-inventory-webhooks", messageId: "wh-dead-1" }, { exactly: true });
    expect(await deadLetter("edge-inventory-webhooks", "wh-dead-1")).toMatchObject({ dead_letter_queue: WEBHOOKS_DLQ, received_at: expect.any(Number) });
    expect(await env.DB.prepare("SELECT status, last_error FROM webhook_deliveries WHERE id = 'whd_dl'").first()).toEqual({
      status: "failed",
      last_error: "dead-lettered: the consumer failed on every attempt",
    });
    // Not the subscriber's fault: its failure streak is untouched.
    expect(await env.DB.prepare("SELECT consecutive_failures FROM webhook_subscriptions WHERE id = 'wh_dl'").first()).toEqual({ consecutive_failures: 0 });
  });

  it("a batch from an unknown queue is retried whole", async () => {
    const { result } = await runQueue("some-other-queue", [{ x: 1 }]);
    expect(result.retryBatch.retry).toBe(true);
    expectLogged({ event: "queue.unknown", queue: "some-other-queue", messages: 1 }, { exactly: true });
  });
});
