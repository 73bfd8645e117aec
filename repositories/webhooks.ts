/**
 * Webhook subscriptions and their delivery log in D1. Subscriptions are soft-deleted
 * (`deleted_at`) so their delivery log stays readable for operators.
 */
import { and, asc, desc, eq, exists, gt, isNotNull, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { webhookDeliveries, webhookSubscriptions, type WebhookDeliveryRow, type WebhookSubscriptionRow } from "../d1/schema";
import type { DeliveryFailureClass } from "../domain/webhook-targets";
import { MAX_CONSECUTIVE_FAILURES } from "../domain/webhooks";
import { inJson } from "./d1-sql";

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
  const d = webhookDeliveries;
  await drizzle(db)
    .update(d)
    .set({ enqueuedAt: now, updatedAt: now, payload, sends: sql`${d.sends} + 1` })
    .where(and(inJson(d.id, ids), isNull(d.enqueuedAt)))
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
  const d = webhookDeliveries;
  return drizzle(db)
    .select({ id: d.id, subscriptionId: d.subscriptionId, payload: d.payload, sends: d.sends })
    .from(d)
    .where(and(eq(d.status, "pending"), lt(d.updatedAt, before), isNotNull(d.enqueuedAt)))
    .orderBy(asc(d.updatedAt), asc(d.id))
    .limit(limit)
    .all();
}

/** Marks deliveries as sent again (a re-drive), if still pending. */
export async function markResent(db: D1Database, ids: readonly string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  const d = webhookDeliveries;
  await drizzle(db)
    .update(d)
    .set({ updatedAt: now, sends: sql`${d.sends} + 1` })
    .where(and(inJson(d.id, ids), eq(d.status, "pending")))
    .run();
}

/** A delivery with what sending it needs from its subscription. */
export interface DeliveryTarget {
  delivery: { id: string; status: WebhookDeliveryRow["status"]; attempts: number };
  subscription: { id: string; url: string; secret: string; disabledAt: number | null; deletedAt: number | null };
}

/** A delivery and its subscription's URL, secret and state, or null when the delivery is unknown. */
export async function findDeliveryTarget(db: D1Database, deliveryId: string): Promise<DeliveryTarget | null> {
  const d = webhookDeliveries;
  const s = webhookSubscriptions;
  const row = await drizzle(db)
    .select({
      delivery: { id: d.id, status: d.status, attempts: d.attempts },
      subscription: { id: s.id, url: s.url, secret: s.secret, disabledAt: s.disabledAt, deletedAt: s.deletedAt },
    })
    .from(d)
    .innerJoin(s, eq(s.id, d.subscriptionId))
    .where(eq(d.id, deliveryId))
    .get();
  return row ?? null;
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

/** The delivery is still pending: a subscription's streak changes only with its delivery's first outcome. */
function stillPending(d: ReturnType<typeof drizzle>, deliveryId: string): SQL {
  const wd = webhookDeliveries;
  return exists(
    d
      .select({ one: sql`1` })
      .from(wd)
      .where(and(eq(wd.id, deliveryId), eq(wd.status, "pending"))),
  );
}

/** A 2xx: the delivery is done and the subscription's failure streak ends. */
export async function recordDelivered(db: D1Database, a: AttemptRecord): Promise<void> {
  const d = drizzle(db);
  const wd = webhookDeliveries;
  const s = webhookSubscriptions;
  await d.batch([
    d
      .update(s)
      .set({ consecutiveFailures: 0 })
      .where(and(eq(s.id, a.subscriptionId), gt(s.consecutiveFailures, 0), stillPending(d, a.deliveryId))),
    d
      .update(wd)
      .set({
        status: "delivered",
        attempts: sql`${wd.attempts} + 1`,
        lastStatusCode: a.statusCode,
        lastError: null,
        lastFailure: null,
        lastAttemptAt: a.at,
        deliveredAt: a.at,
        updatedAt: a.at,
        payload: null,
      })
      .where(and(eq(wd.id, a.deliveryId), eq(wd.status, "pending"))),
  ]);
}

/** A failed attempt that will be retried. */
export async function recordRetry(db: D1Database, a: AttemptRecord): Promise<void> {
  const wd = webhookDeliveries;
  await drizzle(db)
    .update(wd)
    .set({
      attempts: sql`${wd.attempts} + 1`,
      lastStatusCode: a.statusCode,
      lastError: a.error,
      lastFailure: a.failure,
      lastAttemptAt: a.at,
      updatedAt: a.at,
    })
    .where(and(eq(wd.id, a.deliveryId), eq(wd.status, "pending")))
    .run();
}

/**
 * The delivery failed for good (`countsAsAttempt`: an HTTP attempt was made now). The
 * subscription's streak grows once per failed delivery; at MAX_CONSECUTIVE_FAILURES it is
 * disabled.
 */
export async function recordFailed(db: D1Database, a: AttemptRecord, countsAsAttempt: boolean): Promise<void> {
  const d = drizzle(db);
  const wd = webhookDeliveries;
  const s = webhookSubscriptions;
  const disabling = sql`${s.disabledAt} IS NULL AND ${s.consecutiveFailures} + 1 >= ${MAX_CONSECUTIVE_FAILURES}`;
  await d.batch([
    d
      .update(s)
      .set({
        consecutiveFailures: sql`${s.consecutiveFailures} + 1`,
        disabledAt: sql`CASE WHEN ${disabling} THEN ${a.at} ELSE ${s.disabledAt} END`,
        disabledReason: sql`CASE WHEN ${disabling} THEN ${`${MAX_CONSECUTIVE_FAILURES} consecutive failed deliveries`} ELSE ${s.disabledReason} END`,
        updatedAt: a.at,
      })
      .where(and(eq(s.id, a.subscriptionId), stillPending(d, a.deliveryId))),
    d
      .update(wd)
      .set({
        status: "failed",
        attempts: sql`${wd.attempts} + ${countsAsAttempt ? 1 : 0}`,
        lastStatusCode: sql`COALESCE(${a.statusCode}, ${wd.lastStatusCode})`,
        lastError: a.error,
        lastFailure: a.failure,
        lastAttemptAt: countsAsAttempt ? a.at : sql`${wd.lastAttemptAt}`,
        failedAt: a.at,
        updatedAt: a.at,
        payload: null,
      })
      .where(and(eq(wd.id, a.deliveryId), eq(wd.status, "pending"))),
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
  const wd = webhookDeliveries;
  await drizzle(db)
    .update(wd)
    .set({ status: "failed", lastError: reason, lastFailure: failure, failedAt: now, updatedAt: now, payload: null })
    .where(and(eq(wd.id, deliveryId), eq(wd.status, "pending")))
    .run();
}

/** Deletes up to `limit` finished (delivered or failed) deliveries created before `before` (ms), oldest first; returns how many. */
export async function pruneFinishedDeliveries(db: D1Database, before: number, limit: number): Promise<number> {
  const d = drizzle(db);
  const wd = webhookDeliveries;
  // The partial index webhook_deliveries_finished (created_at where status <> 'pending').
  const oldest = d
    .select({ id: wd.id })
    .from(wd)
    .where(and(sql`${wd.status} <> 'pending'`, lt(wd.createdAt, before)))
    .orderBy(asc(wd.createdAt))
    .limit(limit);
  const result = await d.delete(wd).where(sql`${wd.id} IN ${oldest}`).run();
  return result.meta.changes;
}
