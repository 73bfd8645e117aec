/**
 * Sending webhook delivery messages to the WEBHOOKS partitions (issue 19). Every send of a
 * delivery goes through here — the first send (`event-projection.ts` `sendDeliveries`, purchase
 * order events), the sweeper's re-drives and a dead-letter replay — so a delivery always lands
 * on `webhookPartitionOf(message, N)` (domain/webhook-partitions.ts), N = the number of
 * `WEBHOOKS_<i>` producer bindings (wrangler.toml; the queue names are in
 * `queues/queue-names.ts` `WEBHOOK_PARTITIONS`, checked to agree by
 * test/node/queue-config.test.ts).
 */
import { webhookPartitionOf } from "../domain/webhook-partitions";
import type { WebhookMessage } from "../domain/webhooks";
import { byPartition } from "../domain/event-partitions";

/** The WEBHOOKS producers, partition i at index i (binding `WEBHOOKS_<i>`). */
export function webhookQueues(env: Env): readonly Queue[] {
  return [env.WEBHOOKS_0, env.WEBHOOKS_1, env.WEBHOOKS_2, env.WEBHOOKS_3];
}

/** The partition (index into `webhookQueues`) of a delivery message. */
export function webhookPartition(env: Env, message: WebhookMessage): number {
  return webhookPartitionOf(message, webhookQueues(env).length);
}

/** The WEBHOOKS queue a delivery message goes to. */
export function webhookQueueFor(env: Env, message: WebhookMessage): Queue {
  return webhookQueues(env)[webhookPartition(env, message)]!;
}

/** A queue accepts at most this many messages per sendBatch. */
export const WEBHOOK_SEND_BATCH_MAX = 100;

/**
 * Sends each message to its partition: per partition, in the given order, up to 100 per
 * sendBatch, one send after another. `afterSend` runs after each successful sendBatch with the
 * messages it carried (callers mark those deliveries sent there), so when a send fails, the
 * messages sent before it are already marked and only the rest are sent again by a retry or
 * the sweeper. The first failed send throws; nothing after it is sent.
 */
export async function sendWebhookMessages(
  env: Env,
  messages: readonly WebhookMessage[],
  afterSend?: (sent: readonly WebhookMessage[]) => Promise<void>,
): Promise<void> {
  const queues = webhookQueues(env);
  for (const [partition, group] of byPartition(messages, (m) => webhookPartitionOf(m, queues.length))) {
    for (let i = 0; i < group.length; i += WEBHOOK_SEND_BATCH_MAX) {
      const chunk = group.slice(i, i + WEBHOOK_SEND_BATCH_MAX);
      await queues[partition]!.sendBatch(chunk.map((body) => ({ body, contentType: "json" as const })));
      if (afterSend !== undefined) await afterSend(chunk);
    }
  }
}
