/**
 * Webhook subscriptions (in `DB`) and their delivery log. Subscriptions are soft-deleted
 * (`deleted_at`) so their delivery log stays readable for operators.
 *
 * Deliveries live in the read databases (issue 19, domain/webhook-store.ts): a delivery's id
 * names its database (`deliveryDb`), deliveries made before that are in `DB`, and a
 * subscription's log is read from every store and merged. What a delivery's outcome does to
 * its subscription (the failure streak, disabling) is a second write, in `DB`, made only when
 * the delivery's own update changed it: at most once per delivery (a crash between the two
 * loses that one step of the streak, never counts it twice).
 */
import { and, asc, desc, eq, gt, isNotNull, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { skuDirectory, webhookDeliveries, webhookSubscriptions, type WebhookDeliveryRow, type WebhookSubscriptionRow } from "../d1/schema";
import type { DeliveryFailureClass } from "../domain/webhook-targets";
import { MAX_CONSECUTIVE_FAILURES } from "../domain/webhooks";
import {
  deliveryIdPrefix,
  deliveryStoreOf,
  LEGACY_STORE,
  newestFirst,
  parseEventTypes,
  type DeliveryStore,
  type SubscriptionTarget,
} from "../domain/webhook-store";
import { guardedRow, inJson } from "./d1-sql";
import { readDb, readDbs } from "./read-partitions";

/** The database holding a delivery (its id names it); null when the id names a read database that does not exist (no such delivery). */
export function deliveryDbOrNull(env: Env, deliveryId: string): D1Database | null {
  const store = deliveryStoreOf(deliveryId);
  if (store === LEGACY_STORE) return env.DB;
  return readDbs(env)[store] ?? null;
}

/** The database holding a delivery (its id names it); a RangeError for a read database that does not exist. */
export function deliveryDb(env: Env, deliveryId: string): D1Database {
  const store = deliveryStoreOf(deliveryId);
  return store === LEGACY_STORE ? env.DB : readDb(env, store);
}

/** Every store of deliveries: the read databases, and `DB` for those made before they were partitioned. */
export function deliveryStores(env: Env): { store: DeliveryStore; db: D1Database }[] {
  return [{ store: LEGACY_STORE, db: env.DB }, ...readDbs(env).map((db, i) => ({ store: i as DeliveryStore, db }))];
}

/** A subscription row as the fan-out needs it. */
function subscriptionTarget(r: { id: string; vendorId: string | null; eventTypes: string }): SubscriptionTarget {
  return { id: r.id, vendorId: r.vendorId, eventTypes: parseEventTypes(r.eventTypes) };
}

/**
 * The live (not deleted, not disabled) subscriptions that may receive events of these vendors:
 * theirs and the operator-wide ones (one read of `DB`; at most MAX_SUBSCRIPTIONS_PER_OWNER per owner).
 */
export async function liveSubscriptionsFor(db: D1Database, vendorIds: readonly string[]): Promise<SubscriptionTarget[]> {
  const s = webhookSubscriptions;
  const owners = [...new Set(vendorIds)];
  const rows = await drizzle(db)
    .select({ id: s.id, vendorId: s.vendorId, eventTypes: s.eventTypes })
    .from(s)
    .where(and(isNull(s.deletedAt), isNull(s.disabledAt), owners.length === 0 ? isNull(s.vendorId) : or(isNull(s.vendorId), inJson(s.vendorId, owners))))
    .orderBy(asc(s.id))
    .all();
  return rows.map(subscriptionTarget);
}

/**
 * The live subscriptions that may receive events of these SKUs: their vendors' (by the SKU
 * directory) and the operator-wide ones, in one read of `DB` that needs no earlier read of the
 * SKUs' owners (the EVENTS consumer runs it beside its master-facts read).
 */
export async function liveSubscriptionsForSkus(db: D1Database, skus: readonly string[]): Promise<SubscriptionTarget[]> {
  const s = webhookSubscriptions;
  const d = drizzle(db);
  const owners = d
    .selectDistinct({ vendorId: skuDirectory.vendorId })
    .from(skuDirectory)
    .where(inJson(skuDirectory.sku, [...new Set(skus)]));
  const rows = await d
    .select({ id: s.id, vendorId: s.vendorId, eventTypes: s.eventTypes })
    .from(s)
    .where(and(isNull(s.deletedAt), isNull(s.disabledAt), or(isNull(s.vendorId), sql`${s.vendorId} IN ${owners}`)))
    .orderBy(asc(s.id))
    .all();
  return rows.map(subscriptionTarget);
}

/** An event to deliver: its id, type, SKU (null for events not about one) and the event part of its WEBHOOKS message. */
export interface DeliveryEventRow {
  id: string;
  type: string;
  sku: string | null;
  /** JSON of `{eventId, eventType, payload}`: kept with each pending delivery, so the sweeper can send it. */
  message: string;
}

/** A delivery just created: its id and subscription. */
export interface NewDelivery {
  id: string;
  subscriptionId: string;
}

/**
 * Inserts deliveries into read partition `partition`'s database `db` (one statement): one per
 * (subscription, event index) pair, each with its event's message, none twice (unique
 * subscription × event: a repeat inserts nothing). `guard` (over the event row `ev`) limits
 * them: the EVENTS consumer's keeps events whose `processed_events` row does not exist yet and
 * puts this statement first in its batch. Returns the rows inserted (id, subscription, event id).
 */
export function deliveryInserts(
  db: D1Database,
  partition: number,
  events: readonly DeliveryEventRow[],
  pairs: readonly (readonly [subscriptionId: string, eventIndex: number])[],
  now: number,
  guard: SQL = sql`1`,
) {
  const wd = webhookDeliveries;
  const field = (key: string) => sql.raw(`ev.value ->> '${key}'`);
  return drizzle(db)
    .insert(wd)
    .select(
      guardedRow(
        wd,
        {
          id: sql`${deliveryIdPrefix(partition)} || lower(hex(randomblob(12)))`,
          subscriptionId: sql.raw("dv.value ->> 0"),
          eventId: field("id"),
          eventType: field("type"),
          sku: field("sku"),
          status: "pending",
          attempts: 0,
          payload: field("message"),
          sends: 0,
          createdAt: now,
          updatedAt: now,
        },
        guard,
        sql`json_each(${JSON.stringify(pairs)}) AS dv JOIN json_each(${JSON.stringify(events)}) AS ev ON ev.key = dv.value ->> 1`,
      ),
    )
    .onConflictDoNothing({ target: [wd.subscriptionId, wd.eventId] })
    .returning({ id: wd.id, subscriptionId: wd.subscriptionId, eventId: wd.eventId });
}

/** The pairs (subscription, event index) of events and the subscriptions each goes to. */
export function deliveryPairs(perEvent: readonly (readonly string[])[]): [string, number][] {
  return perEvent.flatMap((subs, i) => subs.map((id) => [id, i] as [string, number]));
}

/** Runs `deliveryInserts` on its own; returns the deliveries created. */
export async function insertDeliveryRows(
  db: D1Database,
  partition: number,
  events: readonly DeliveryEventRow[],
  pairs: readonly (readonly [string, number])[],
  now: number,
): Promise<NewDelivery[]> {
  if (pairs.length === 0) return [];
  return (await deliveryInserts(db, partition, events, pairs, now).all()).map((r) => ({ id: r.id, subscriptionId: r.subscriptionId }));
}

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

/** A page of a subscription's deliveries in one store, newest first, before the (createdAt, id) cursor. */
async function deliveriesIn(
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

/**
 * A page of a subscription's deliveries, newest first, before the (createdAt, id) cursor: the
 * same page read from every store (in parallel, each by the `webhook_deliveries_log` index)
 * and merged, so one cursor pages through all of them.
 */
export async function listDeliveries(
  env: Env,
  filter: { subscriptionId: string; before?: { createdAt: number; id: string } | undefined; status?: WebhookDeliveryRow["status"] | undefined; limit: number },
): Promise<WebhookDeliveryRow[]> {
  const pages = await Promise.all(deliveryStores(env).map(({ db }) => deliveriesIn(db, filter)));
  return newestFirst(pages, filter.limit);
}

/** Records a delivery that is not about an inventory event (the test event), in the store its id names, with its message. */
export async function insertDelivery(
  env: Env,
  row: { id: string; subscriptionId: string; eventId: string; eventType: string; message: string; now: number },
): Promise<void> {
  await drizzle(deliveryDb(env, row.id))
    .insert(webhookDeliveries)
    .values({
      id: row.id,
      subscriptionId: row.subscriptionId,
      eventId: row.eventId,
      eventType: row.eventType,
      status: "pending",
      payload: row.message,
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

/**
 * Pending deliveries whose last activity (creation, send or attempt) was before `before`,
 * oldest first: those sent whose message may be lost, and those never sent (their send failed
 * or never ran) — except `purchase_order.*` ones never sent, which the purchase-order sweeper
 * owns (it sends them only once their order's change committed, services/purchase-orders.ts).
 */
export async function stalledDeliveries(db: D1Database, before: number, limit: number): Promise<StalledDelivery[]> {
  const d = webhookDeliveries;
  return drizzle(db)
    .select({ id: d.id, subscriptionId: d.subscriptionId, payload: d.payload, sends: d.sends })
    .from(d)
    .where(and(eq(d.status, "pending"), lt(d.updatedAt, before), or(isNotNull(d.enqueuedAt), sql`${d.eventType} NOT LIKE 'purchase_order.%'`)))
    .orderBy(asc(d.updatedAt), asc(d.id))
    .limit(limit)
    .all();
}

/** Marks deliveries as sent again (a re-drive, or the first send of one never sent), if still pending. */
export async function markResent(db: D1Database, ids: readonly string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  const d = webhookDeliveries;
  await drizzle(db)
    .update(d)
    .set({ updatedAt: now, sends: sql`${d.sends} + 1`, enqueuedAt: sql`COALESCE(${d.enqueuedAt}, ${now})` })
    .where(and(inJson(d.id, ids), eq(d.status, "pending")))
    .run();
}

/** A delivery with what sending it needs from its subscription. */
export interface DeliveryTarget {
  delivery: { id: string; status: WebhookDeliveryRow["status"]; attempts: number };
  subscription: { id: string; url: string; secret: string; disabledAt: number | null; deletedAt: number | null };
}

/**
 * A delivery (from the store its id names) and its subscription's URL, secret and state (from
 * `DB`), read in parallel; null when either is unknown.
 */
export async function findDeliveryTarget(env: Env, deliveryId: string, subscriptionId: string): Promise<DeliveryTarget | null> {
  const d = webhookDeliveries;
  const s = webhookSubscriptions;
  const db = deliveryDbOrNull(env, deliveryId);
  if (db === null) return null;
  const [delivery, subscription] = await Promise.all([
    drizzle(db).select({ id: d.id, status: d.status, attempts: d.attempts, subscriptionId: d.subscriptionId }).from(d).where(eq(d.id, deliveryId)).get(),
    drizzle(env.DB)
      .select({ id: s.id, url: s.url, secret: s.secret, disabledAt: s.disabledAt, deletedAt: s.deletedAt })
      .from(s)
      .where(eq(s.id, subscriptionId))
      .get(),
  ]);
  if (delivery === undefined || subscription === undefined || delivery.subscriptionId !== subscription.id) return null;
  return { delivery: { id: delivery.id, status: delivery.status, attempts: delivery.attempts }, subscription };
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

/** A 2xx: the delivery is done and, if this call finished it, the subscription's failure streak ends. */
export async function recordDelivered(env: Env, a: AttemptRecord): Promise<void> {
  const wd = webhookDeliveries;
  const s = webhookSubscriptions;
  const done = await drizzle(deliveryDb(env, a.deliveryId))
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
    .where(and(eq(wd.id, a.deliveryId), eq(wd.status, "pending")))
    .run();
  if (done.meta.changes === 0) return;
  await drizzle(env.DB)
    .update(s)
    .set({ consecutiveFailures: 0 })
    .where(and(eq(s.id, a.subscriptionId), gt(s.consecutiveFailures, 0)))
    .run();
}

/** A failed attempt that will be retried. */
export async function recordRetry(env: Env, a: AttemptRecord): Promise<void> {
  const wd = webhookDeliveries;
  await drizzle(deliveryDb(env, a.deliveryId))
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
 * The delivery failed for good (`countsAsAttempt`: an HTTP attempt was made now). If this call
 * failed it, the subscription's streak grows by one; at MAX_CONSECUTIVE_FAILURES it is disabled.
 */
export async function recordFailed(env: Env, a: AttemptRecord, countsAsAttempt: boolean): Promise<void> {
  const wd = webhookDeliveries;
  const s = webhookSubscriptions;
  const done = await drizzle(deliveryDb(env, a.deliveryId))
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
    .where(and(eq(wd.id, a.deliveryId), eq(wd.status, "pending")))
    .run();
  if (done.meta.changes === 0) return;
  const disabling = sql`${s.disabledAt} IS NULL AND ${s.consecutiveFailures} + 1 >= ${MAX_CONSECUTIVE_FAILURES}`;
  await drizzle(env.DB)
    .update(s)
    .set({
      consecutiveFailures: sql`${s.consecutiveFailures} + 1`,
      disabledAt: sql`CASE WHEN ${disabling} THEN ${a.at} ELSE ${s.disabledAt} END`,
      disabledReason: sql`CASE WHEN ${disabling} THEN ${`${MAX_CONSECUTIVE_FAILURES} consecutive failed deliveries`} ELSE ${s.disabledReason} END`,
      updatedAt: a.at,
    })
    .where(eq(s.id, a.subscriptionId))
    .run();
}

/**
 * Gives up a pending delivery without counting it against the subscription: it was disabled or
 * deleted (`cancelled`), or its queue message was lost on every send (`lost`).
 */
export async function cancelDelivery(env: Env, deliveryId: string, reason: string, now: number, failure: "cancelled" | "lost" = "cancelled"): Promise<void> {
  const wd = webhookDeliveries;
  const db = deliveryDbOrNull(env, deliveryId);
  if (db === null) return;
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
