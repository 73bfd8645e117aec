/**
 * The webhook sweeper (run by the cron): no delivery stays `pending` forever because its
 * WEBHOOKS message was lost (a crash of the local runtime loses every queued message; in
 * production a message can be lost too). A pending delivery with no activity — no send, no
 * attempt — for `WEBHOOK_SWEEP.stalledAfterMs` is sent again from the message kept with it.
 * Deliveries are idempotent (a delivered one is never sent again), and the delivery's own
 * attempt count keeps bounding its HTTP attempts across re-sends. After `maxSends` sends with
 * no activity it fails as `lost`, not counted against the subscriber.
 *
 * The bound: the queue retries a failed attempt after at most an hour, so a pending delivery
 * idle for longer than that plus a margin has lost its message; it is re-sent within
 * stalledAfterMs + one cron interval.
 */
import type { WebhookMessage } from "../domain/webhooks";
import { cancelDelivery, markResent, stalledDeliveries } from "../repositories/webhooks";

export const WEBHOOK_SWEEP = {
  /** The longest retry delay (1 h, domain/webhooks.ts) and ten minutes of margin. */
  stalledAfterMs: 70 * 60_000,
  /** The first send and three re-drives. */
  maxSends: 4,
  /** Deliveries looked at per run; the rest wait for the next run (oldest first). */
  batchLimit: 500,
} as const;

/** The WEBHOOKS queue accepts at most this many messages per sendBatch. */
const SEND_BATCH_MAX = 100;

function messageOf(id: string, subscriptionId: string, payload: string | null): WebhookMessage | null {
  if (payload === null) return null;
  try {
    const part = JSON.parse(payload) as Pick<WebhookMessage, "eventId" | "eventType" | "payload">;
    return { v: 1, deliveryId: id, subscriptionId, eventId: part.eventId, eventType: part.eventType, payload: part.payload };
  } catch {
    return null;
  }
}

/** Re-sends or gives up the pending deliveries that have been idle too long, as of `now`. */
export async function sweepWebhookDeliveries(env: Env, now: number): Promise<{ resent: number; failed: number }> {
  const stalled = await stalledDeliveries(env.DB, now - WEBHOOK_SWEEP.stalledAfterMs, WEBHOOK_SWEEP.batchLimit);
  const resend: WebhookMessage[] = [];
  let failed = 0;
  for (const delivery of stalled) {
    const message = messageOf(delivery.id, delivery.subscriptionId, delivery.payload);
    if (message !== null && delivery.sends < WEBHOOK_SWEEP.maxSends) {
      resend.push(message);
      continue;
    }
    await cancelDelivery(env.DB, delivery.id, `lost: no activity after ${delivery.sends} sends of its queue message`, now, "lost");
    failed++;
  }
  for (let i = 0; i < resend.length; i += SEND_BATCH_MAX) {
    const group = resend.slice(i, i + SEND_BATCH_MAX);
    await env.WEBHOOKS.sendBatch(group.map((body) => ({ body, contentType: "json" as const })));
    await markResent(
      env.DB,
      group.map((m) => m.deliveryId),
      now,
    );
  }
  if (resend.length > 0 || failed > 0) console.log(JSON.stringify({ event: "webhooks.sweep", resent: resend.length, failed }));
  return { resent: resend.length, failed };
}
