/**
 * WEBHOOKS consumer: one message per (subscription, event) delivery. Sends the signed POST;
 * a 2xx marks it delivered; anything else (status, network error, 10 s timeout) is recorded
 * and retried after min(2^attempt × 5 s, 1 h), until the last attempt marks it failed.
 * Messages are independent and sent concurrently. A body that is not a delivery message, or
 * a handler that throws (e.g. D1 unavailable), is retried and ends in the dead-letter queue.
 * One consumer for every WEBHOOKS partition (`queue-names.ts`); the batch's queue name says
 * which, so a last attempt's failure is recorded under the partition it failed on, as its
 * dead-letter queue's consumer records it.
 */
import { WebhookMessageSchema, webhookRetryDelaySeconds } from "../domain/webhooks";
import { deliverWebhook } from "../services/webhook-delivery";
import { handleEachMessage } from "./each-message";
import { webhookPartitionNamed } from "./queue-names";

/** Attempts each delivery of the batch, concurrently; a batch from a queue that is no WEBHOOKS partition is retried. */
export async function consumeWebhooks(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const partition = webhookPartitionNamed(batch.queue);
  if (partition === undefined) {
    console.error(JSON.stringify({ event: "queue.unknown", queue: batch.queue, messages: batch.messages.length }));
    batch.retryAll();
    return;
  }
  await handleEachMessage(batch, env, {
    queue: partition,
    groupOf: (message) => message.id,
    handle: async (message) => {
      const parsed = WebhookMessageSchema.safeParse(message.body);
      if (!parsed.success) throw new TypeError(`invalid webhook message: ${parsed.error.issues[0]?.message ?? "?"}`);
      const result = await deliverWebhook(env, parsed.data, message.attempts, partition.maxAttempts);
      return result.outcome === "retry" ? { retryDelaySeconds: result.delaySeconds } : undefined;
    },
    retryDelaySeconds: webhookRetryDelaySeconds,
  });
}
