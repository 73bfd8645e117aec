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
 * stalledAfterMs + one cron interval. A re-sent message goes to the same WEBHOOKS partition as
 * its first send (the partition is a function of the message: domain/webhook-partitions.ts).
 *
 * A delivery never sent at all (its event's send failed, or the event's vendor moved to another
 * read database before a retry could find it) carries its message from creation, so it is sent
 * the same way once idle for stalledAfterMs — except a purchase-order delivery never sent,
 * which the purchase-order sweeper owns.
 *
 * Retention: finished deliveries (delivered or failed) are kept `WEBHOOK_RETENTION_DAYS` (14
 * days unless set: the delivery log a subscriber or operator reads,
 * `GET /api/v2/webhooks/{id}/deliveries`), then
 * deleted, at most `pruneLimit` per run and store, oldest first. Pending ones are never deleted.
 *
 * Every store of deliveries is swept (the read databases, and `DB` for deliveries made before
 * they were partitioned), each with its own limits, one after another.
 */
import { WEBHOOK_RETENTION, type WebhookMessage } from "../domain/webhooks";
import { cancelDelivery, deliveryStores, markResent, pruneFinishedDeliveries, stalledDeliveries } from "../repositories/webhooks";
import { webhookRetentionMs } from "./environment";
import { sendWebhookMessages } from "./webhook-queue";

export const WEBHOOK_SWEEP = {
  /** The longest retry delay (1 h, domain/webhooks.ts) and ten minutes of margin. */
  stalledAfterMs: 70 * 60_000,
  /** The first send and three re-drives. */
  maxSends: 4,
  /** Deliveries looked at per run and store; the rest wait for the next run (oldest first). */
  batchLimit: 500,
  /** How long a finished delivery stays in the log unless `WEBHOOK_RETENTION_DAYS` says otherwise. */
  retentionMs: WEBHOOK_RETENTION.defaultDays * 24 * 3_600_000,
  /** Finished deliveries deleted per run and store at most (7.2M a day per store at one run a minute). */
  pruneLimit: 5_000,
} as const;

function messageOf(id: string, subscriptionId: string, payload: string | null): WebhookMessage | null {
  if (payload === null) return null;
  try {
    const part = JSON.parse(payload) as Pick<WebhookMessage, "eventId" | "eventType" | "payload">;
    return { v: 1, deliveryId: id, subscriptionId, eventId: part.eventId, eventType: part.eventType, payload: part.payload };
  } catch {
    return null;
  }
}

/** Re-sends or gives up the pending deliveries that have been idle too long, and deletes finished ones past their retention, as of `now`, in every store. */
export async function sweepWebhookDeliveries(env: Env, now: number): Promise<{ resent: number; failed: number; pruned: number }> {
  const total = { resent: 0, failed: 0, pruned: 0 };
  const retentionMs = webhookRetentionMs(env);
  for (const { db } of deliveryStores(env)) {
    const one = await sweepStore(env, db, now, retentionMs);
    total.resent += one.resent;
    total.failed += one.failed;
    total.pruned += one.pruned;
  }
  if (total.resent > 0 || total.failed > 0 || total.pruned > 0) console.log(JSON.stringify({ event: "webhooks.sweep", ...total }));
  return total;
}

async function sweepStore(env: Env, db: D1Database, now: number, retentionMs: number): Promise<{ resent: number; failed: number; pruned: number }> {
  const pruned = await pruneFinishedDeliveries(db, now - retentionMs, WEBHOOK_SWEEP.pruneLimit);
  const stalled = await stalledDeliveries(db, now - WEBHOOK_SWEEP.stalledAfterMs, WEBHOOK_SWEEP.batchLimit);
  const resend: WebhookMessage[] = [];
  let failed = 0;
  for (const delivery of stalled) {
    const message = messageOf(delivery.id, delivery.subscriptionId, delivery.payload);
    if (message !== null && delivery.sends < WEBHOOK_SWEEP.maxSends) {
      resend.push(message);
      continue;
    }
    await cancelDelivery(env, delivery.id, `lost: no activity after ${delivery.sends} sends of its queue message`, now, "lost");
    failed++;
  }
  // Each to its delivery's partition, as on its first send (services/webhook-queue.ts).
  await sendWebhookMessages(env, resend, (sent) =>
    markResent(
      db,
      sent.map((m) => m.deliveryId),
      now,
    ),
  );
  return { resent: resend.length, failed, pruned };
}
