/**
 * Webhook subscriptions and their delivery log in D1. Subscriptions are soft-deleted
 * (`deleted_at`) so their delivery log stays readable for operators.
 */
import { and, asc, desc, eq, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { webhookDeliveries, webhookSubscriptions, type WebhookDeliveryRow, type WebhookSubscriptionRow } from "../d1/schema";
import type { DeliveryFailureClass } from "../domain/webhook-targets";
import { MAX_CONSECUTIVE_FAILURES } from "../domain/webhooks";

/** A live (not deleted) subscription by id. */
export async function findSubscription(db: D1Database, id: string): Promise<WebhookSubscriptionRow | undefined> {
  return drizzle(db)
    .select()
    .from(webhookSubscriptions)
    .where(and(eq(webhookSubscriptions.id, id), isNull(webhookSubscriptions.deletedAt)))
    .get();
}

/** How many live subscriptions one owner has (`vendorId` null: the operator-wide ones). */
export async function countSubscriptions(db: D1Database, vendorId: string | null): Promise<number> {
  const owner = vendorId === null ? isNull(webhookSubscriptions.vendorId) : eq(webhookSubscriptions.vendorId, vendorId);
  const row = await drizzle(db)
    .select({ n: sql<number>`count(*)` })
    .from(webhookSubscriptions)
    .where(and(owner, isNull(webhookSubscriptions.deletedAt)))
    .get();
  return row?.n ?? 0;
}

/** Inserts a subscription (event types stored as a JSON array). */
export async function insertSubscription(
  db: D1Database,
  row: { id: string; vendorId: string | null; url: string; description: string | null; eventTypes: string[]; secret: string },
): Promise<WebhookSubscriptionRow> {
  return drizzle(db)
    .insert(webhookSubscriptions)
    .values({ ...row, eventTypes: JSON.stringify(row.eventTypes) })
    .returning()
    .get();
}

/**
 * One page of live subscriptions in id order, after `afterId`; `vendorId` restricts to
 * one vendor's (undefined: all).
 */
export async function listSubscriptions(
  db: D1Database,
  filter: { vendorId?: string | undefined; afterId?: string | undefined; limit: number },
): Promise<WebhookSubscriptionRow[]> {
  const conditions: SQL[] = [isNull(webhookSubscriptions.deletedAt)];
  if (filter.vendorId !== undefined) conditions.push(eq(webhookSubscriptions.vendorId, filter.vendorId));
  if (filter.afterId !== undefined) conditions.push(sql`${webhookSubscriptions.id} > ${filter.afterId}`);
  return drizzle(db)
    .select()
    .from(webhookSubscriptions)
    .where(and(...conditions))
    .orderBy(asc(webhookSubscriptions.id))
    .limit(filter.limit)
    .all();
}

/** Marks a subscription deleted; nothing more is delivered to it. */
export async function deleteSubscription(db: D1Database, id: string, now: number): Promise<void> {
  await drizzle(db)
    .update(webhookSubscriptions)
    .set({ deletedAt: now, updatedAt: now })
    .where(and(eq(webhookSubscriptions.id, id), isNull(webhookSubscriptions.deletedAt)))
    .run();
}

/** Replaces the secret; deliveries signed from now on use the new one. */
export async function replaceSecret(db: D1Database, id: string, secret: string, now: number): Promise<WebhookSubscriptionRow | undefined> {
  return drizzle(db)
    .update(webhookSubscriptions)
    .set({ secret, secretRotatedAt: now, updatedAt: now })
    .where(and(eq(webhookSubscriptions.id, id), isNull(webhookSubscriptions.deletedAt)))
    .returning()
    .get();
}

/** Re-enables a disabled subscription and forgets its failure streak. */
export async function enableSubscription(db: D1Database, id: string, now: number): Promise<WebhookSubscriptionRow | undefined> {
  return drizzle(db)
    .update(webhookSubscriptions)
    .set({ disabledAt: null, disabledReason: null, consecutiveFailures: 0, updatedAt: now })
    .where(and(eq(webhookSubscriptions.id, id), isNull(webhookSubscriptions.deletedAt)))
    .returning()
    .get();
}

/** A page of a subscription's deliveries, newest first, before the (createdAt, id) cursor. */
export async function listDeliveries(
  db: D1Database,
  filter: { subscriptionId: string; before?: { createdAt: number; id: string } | undefined; status?: WebhookDeliveryRow["status"] | undefined; limit: number },
): Promise<WebhookDeliveryRow[]> {
  const d = webhookDeliveries;
  const conditions: (SQL | undefined)[] = [eq(d.subscriptionId, filter.subscriptionId)];
  if (filter.status !== undefined) conditions.push(eq(d.status, filter.status));
  if (filter.before !== undefined) {
    const { createdAt, id } = filter.before;
    conditions.push(or(lt(d.createdAt, createdAt), and(eq(d.createdAt, createdAt), lt(d.id, id))));
  }
  return drizzle(db)
    .select()
    .from(d)
    .where(and(...conditions))
    .orderBy(desc(d.createdAt), desc(d.id))
    .limit(filter.limit)
    .all();
}

/** Records a delivery that is not about an inventory event (the test event). */
export async function insertDelivery(
  db: D1Database,
  row: { id: string; subscriptionId: string; eventId: string; eventType: string; now: number },
): Promise<void> {
  await drizzle(db)
    .insert(webhookDeliveries)
    .values({
      id: row.id,
      subscriptionId: row.subscriptionId,
      eventId: row.eventId,
      eventType: row.eventType,
      status: "pending",
      createdAt: row.now,
      updatedAt: row.now,
    })
    .run();
}

/** Deliveries of an event whose queue message has not been sent yet. */
export async function unsentDeliveries(db: D1Database, eventId: string): Promise<{ id: string; subscriptionId: string }[]> {
  return drizzle(db)
    .select({ id: webhookDeliveries.id, subscriptionId: webhookDeliveries.subscriptionId })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.eventId, eventId), isNull(webhookDeliveries.enqueuedAt), eq(webhookDeliveries.status, "pending")))
    .all();
}

/**
 * Marks deliveries as sent to the WEBHOOKS queue, keeping the event part of their message
 * (`payload`: JSON of `{eventId, eventType, payload}`) so that the sweeper can send it again.
 */
export async function markEnqueued(db: D1Database, ids: readonly string[], now: number, payload: string): Promise<void> {
  if (ids.length === 0) return;
  await db
    .prepare(
      `UPDATE webhook_deliveries SET enqueued_at = ?1, updated_at = ?1, payload = ?3, sends = sends + 1
       WHERE id IN (SELECT value FROM json_each(?2)) AND enqueued_at IS NULL`,
    )
    .bind(now, JSON.stringify(ids), payload)
    .run();
}

/** A pending delivery with no activity for a while: its queue message may have been lost. */
export interface StalledDelivery {
  id: string;
  subscriptionId: string;
  payload: string | null;
  sends: number;
}

/** Pending, sent deliveries whose last activity (send or attempt) was before `before`, oldest first. */
export async function stalledDeliveries(db: D1Database, before: number, limit: number): Promise<StalledDelivery[]> {
  const { results } = await db
    .prepare(
      `SELECT id, subscription_id, payload, sends FROM webhook_deliveries
       WHERE status = 'pending' AND updated_at < ?1 AND enqueued_at IS NOT NULL ORDER BY updated_at, id LIMIT ?2`,
    )
    .bind(before, limit)
    .all<{ id: string; subscription_id: string; payload: string | null; sends: number }>();
  return results.map((r) => ({ id: r.id, subscriptionId: r.subscription_id, payload: r.payload, sends: r.sends }));
}

/** Marks deliveries as sent again (a re-drive), if still pending. */
export async function markResent(db: D1Database, ids: readonly string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .prepare("UPDATE webhook_deliveries SET updated_at = ?1, sends = sends + 1 WHERE id IN (SELECT value FROM json_each(?2)) AND status = 'pending'")
    .bind(now, JSON.stringify(ids))
    .run();
}

/** A delivery with what sending it needs from its subscription. */
export interface DeliveryTarget {
  delivery: { id: string; status: WebhookDeliveryRow["status"]; attempts: number };
  subscription: { id: string; url: string; secret: string; disabledAt: number | null; deletedAt: number | null };
}

/** A delivery and its subscription's URL, secret and state, or null when the delivery is unknown. */
export async function findDeliveryTarget(db: D1Database, deliveryId: string): Promise<DeliveryTarget | null> {
  const row = await db
    .prepare(
      `SELECT d.id, d.status, d.attempts, s.id AS subscription_id, s.url, s.secret, s.disabled_at, s.deleted_at
       FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id WHERE d.id = ?`,
    )
    .bind(deliveryId)
    .first<{
      id: string;
      status: WebhookDeliveryRow["status"];
      attempts: number;
      subscription_id: string;
      url: string;
      secret: string;
      disabled_at: number | null;
      deleted_at: number | null;
    }>();
  if (row === null) return null;
  return {
    delivery: { id: row.id, status: row.status, attempts: row.attempts },
    subscription: { id: row.subscription_id, url: row.url, secret: row.secret, disabledAt: row.disabled_at, deletedAt: row.deleted_at },
  };
}

/** The outcome of one HTTP attempt. */
export interface AttemptRecord {
  deliveryId: string;
  subscriptionId: string;
  statusCode: number | null;
  error: string | null;
  /** The failure's class (`domain/webhook-targets.ts`); null on success. */
  failure: DeliveryFailureClass | null;
  at: number;
}

/** A 2xx: the delivery is done and the subscription's failure streak ends. */
export async function recordDelivered(db: D1Database, a: AttemptRecord): Promise<void> {
  await db.batch([
    db
      .prepare(
        `UPDATE webhook_subscriptions SET consecutive_failures = 0
         WHERE id = ?1 AND consecutive_failures > 0 AND EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = ?2 AND status = 'pending')`,
      )
      .bind(a.subscriptionId, a.deliveryId),
    db
      .prepare(
        `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status_code = ?2, last_error = NULL,
           last_failure = NULL, last_attempt_at = ?3, delivered_at = ?3, updated_at = ?3, payload = NULL
         WHERE id = ?1 AND status = 'pending'`,
      )
      .bind(a.deliveryId, a.statusCode, a.at),
  ]);
}

/** A failed attempt that will be retried. */
export async function recordRetry(db: D1Database, a: AttemptRecord): Promise<void> {
  await db
    .prepare(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = ?2, last_error = ?3, last_failure = ?5, last_attempt_at = ?4, updated_at = ?4
       WHERE id = ?1 AND status = 'pending'`,
    )
    .bind(a.deliveryId, a.statusCode, a.error, a.at, a.failure)
    .run();
}

/**
 * The delivery failed for good (`countsAsAttempt`: an HTTP attempt was made now). The
 * subscription's streak grows once per failed delivery; at MAX_CONSECUTIVE_FAILURES it is
 * disabled.
 */
export async function recordFailed(db: D1Database, a: AttemptRecord, countsAsAttempt: boolean): Promise<void> {
  await db.batch([
    db
      .prepare(
        `UPDATE webhook_subscriptions SET
           consecutive_failures = consecutive_failures + 1,
           disabled_at = CASE WHEN disabled_at IS NULL AND consecutive_failures + 1 >= ?3 THEN ?4 ELSE disabled_at END,
           disabled_reason = CASE WHEN disabled_at IS NULL AND consecutive_failures + 1 >= ?3 THEN ?5 ELSE disabled_reason END,
           updated_at = ?4
         WHERE id = ?1 AND EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = ?2 AND status = 'pending')`,
      )
      .bind(a.subscriptionId, a.deliveryId, MAX_CONSECUTIVE_FAILURES, a.at, `${MAX_CONSECUTIVE_FAILURES} consecutive failed deliveries`),
    db
      .prepare(
        `UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + ?5, last_status_code = COALESCE(?2, last_status_code),
           last_error = ?3, last_failure = ?6, last_attempt_at = CASE WHEN ?5 = 1 THEN ?4 ELSE last_attempt_at END, failed_at = ?4, updated_at = ?4,
           payload = NULL
         WHERE id = ?1 AND status = 'pending'`,
      )
      .bind(a.deliveryId, a.statusCode, a.error, a.at, countsAsAttempt ? 1 : 0, a.failure),
  ]);
}

/**
 * Gives up a pending delivery without counting it against the subscription: it was disabled or
 * deleted (`cancelled`), or its queue message was lost on every send (`lost`).
 */
export async function cancelDelivery(
  db: D1Database,
  deliveryId: string,
  reason: string,
  now: number,
  failure: "cancelled" | "lost" = "cancelled",
): Promise<void> {
  await db
    .prepare(
      "UPDATE webhook_deliveries SET status = 'failed', last_error = ?2, last_failure = ?4, failed_at = ?3, updated_at = ?3, payload = NULL WHERE id = ?1 AND status = 'pending'",
    )
    .bind(deliveryId, reason, now, failure)
    .run();
}
