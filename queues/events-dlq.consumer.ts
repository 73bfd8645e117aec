/**
 * EVENTS dead-letter consumer: records events the EVENTS consumer gave up on, for operators.
 * Each partition has its own dead-letter queue, so the record names the partition's queue.
 */
import { recordDeadLetters } from "./dead-letter";
import { eventPartitionDeadLettering } from "./queue-names";

/** Records each dead-lettered event message and acks it; a batch from a queue that is no partition's DLQ is retried. */
export async function consumeEventsDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const partition = eventPartitionDeadLettering(batch.queue);
  if (partition === undefined) {
    console.error(JSON.stringify({ event: "queue.unknown", queue: batch.queue, messages: batch.messages.length }));
    batch.retryAll();
    return;
  }
  await recordDeadLetters(batch, env, partition);
}
