/**
 * WEBHOOKS dead-letter consumer: records the message for operators and marks its delivery
 * failed (not counted against the subscription: the failure was ours, not the receiver's).
 */
import { WebhookMessageSchema } from "../domain/webhooks";
import { cancelDelivery } from "../repositories/webhooks";
import { recordDeadLetters } from "./dead-letter";
import { QUEUES } from "./queue-names";

/** Records each dead-lettered delivery message, fails its delivery, and acks it. */
export async function consumeWebhooksDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await recordDeadLetters(batch, env, QUEUES.webhooks, async (message) => {
    const parsed = WebhookMessageSchema.safeParse(message.body);
    if (parsed.success) await cancelDelivery(env.DB, parsed.data.deliveryId, "dead-lettered: the consumer failed on every attempt", Date.now());
  });
}
