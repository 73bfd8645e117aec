/**
 * WEBHOOKS dead-letter consumer: records the message for operators and marks its delivery
 * failed (not counted against the subscription: the failure was ours, not the receiver's).
 * Each partition has its own dead-letter queue, so the record names the partition's queue
 * (the one a replay from the dashboard's dead-letter API is listed under).
 */
import { WebhookMessageSchema } from "../domain/webhooks";
import { cancelDelivery } from "../repositories/webhooks";
import { recordDeadLetters } from "./dead-letter";
import { webhookPartitionDeadLettering } from "./queue-names";

/** Records each dead-lettered delivery message, fails its delivery, and acks it; a batch from a queue that is no partition's DLQ is retried. */
export async function consumeWebhooksDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const partition = webhookPartitionDeadLettering(batch.queue);
  if (partition === undefined) {
    console.error(JSON.stringify({ event: "queue.unknown", queue: batch.queue, messages: batch.messages.length }));
    batch.retryAll();
    return;
  }
  await recordDeadLetters(batch, env, partition, async (message) => {
    const parsed = WebhookMessageSchema.safeParse(message.body);
    if (parsed.success) await cancelDelivery(env, parsed.data.deliveryId, "dead-lettered: the consumer failed on every attempt", Date.now());
  });
}
