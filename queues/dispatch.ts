/**
 * The queue entry: routes a batch to its consumer by queue name (names and limits in
 * `queue-names.ts`, mirroring wrangler.toml). Every EVENTS partition and every partition's
 * dead-letter queue has the same consumer, which reads the partition from the batch's queue
 * name; the same for the WEBHOOKS, SYNC and REORDER partitions. A batch from an unknown queue is retried, so it
 * ends in that queue's dead-letter queue rather than being dropped. Each batch handed over is
 * counted per queue (services/load-counters.ts).
 */
import { countQueueBatch } from "../services/load-counters";
import { consumeEventsDeadLetters } from "./events-dlq.consumer";
import { consumeEvents } from "./events.consumer";
import { EVENT_PARTITIONS, REORDER_PARTITIONS, SYNC_PARTITIONS, WEBHOOK_PARTITIONS } from "./queue-names";
import { consumeReorder, consumeReorderDeadLetters } from "./reorder.consumer";
import { consumeSyncDeadLetters } from "./sync-dlq.consumer";
import { consumeSync } from "./sync.consumer";
import { consumeWebhooksDeadLetters } from "./webhooks-dlq.consumer";
import { consumeWebhooks } from "./webhooks.consumer";

type Consumer = (batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext) => Promise<void>;

const consumers: Record<string, Consumer> = {
  ...Object.fromEntries(
    EVENT_PARTITIONS.flatMap((p) => [
      [p.name, consumeEvents],
      [p.deadLetter, consumeEventsDeadLetters],
    ]),
  ),
  ...Object.fromEntries(
    WEBHOOK_PARTITIONS.flatMap((p) => [
      [p.name, consumeWebhooks],
      [p.deadLetter, consumeWebhooksDeadLetters],
    ]),
  ),
  ...Object.fromEntries(
    SYNC_PARTITIONS.flatMap((p) => [
      [p.name, consumeSync],
      [p.deadLetter, consumeSyncDeadLetters],
    ]),
  ),
  ...Object.fromEntries(
    REORDER_PARTITIONS.flatMap((p) => [
      [p.name, consumeReorder],
      [p.deadLetter, consumeReorderDeadLetters],
    ]),
  ),
};

/** The Worker's `queue` handler: hands the batch to the consumer of its queue. */
export async function handleQueueBatch(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const consumer = consumers[batch.queue];
  if (consumer === undefined) {
    console.error(JSON.stringify({ event: "queue.unknown", queue: batch.queue, messages: batch.messages.length }));
    batch.retryAll();
    return;
  }
  countQueueBatch(batch.queue, batch.messages.length);
  await consumer(batch, env, ctx);
}
