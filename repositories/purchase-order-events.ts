/**
 * Webhook deliveries of `purchase_order.*` events, in the read database the order's id hashes
 * to (its delivery store, domain/webhook-store.ts; deliveries made before deliveries were
 * partitioned are in `DB`). The delivery rows are the outbox (with the event in `payload`,
 * `enqueued_at` null), one per live subscription that asked for the type — the order's
 * vendor's and operator-wide ones; a repeat inserts nothing (unique subscription × event id).
 * The order itself lives in its vendor's read database, which may be another one, so the rows
 * are written in their own batch, before the order's change (services/purchase-orders.ts says
 * why and how a crash in between converges). Sending them to WEBHOOKS follows the change; the
 * purchase-order sweeper sends any a lost send left unsent and drops those of a change that
 * never committed.
 */
import { and, asc, eq, gte, isNull, like, lt, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { webhookDeliveries } from "../d1/schema";
import { deliveryInserts } from "./webhooks";

/** The event part of a delivery's WEBHOOKS message. */
export interface PoEventMessage {
  eventId: string;
  eventType: string;
  payload: Record<string, unknown>;
}

/** Inserts the deliveries of an order's event to these subscriptions, in read partition `partition`'s database `db` (nothing for those already there). */
export async function insertPoEventDeliveries(
  db: D1Database,
  partition: number,
  event: PoEventMessage,
  subscriptionIds: readonly string[],
  now: number,
): Promise<void> {
  if (subscriptionIds.length === 0) return;
  await deliveryInserts(
    db,
    partition,
    [{ id: event.eventId, type: event.eventType, sku: null, message: JSON.stringify(event) }],
    subscriptionIds.map((id) => [id, 0] as const),
    now,
  ).run();
}

/** A delivery whose WEBHOOKS message was never sent. */
export interface UnsentPoDelivery {
  id: string;
  subscriptionId: string;
  eventId: string;
  payload: string | null;
}

/**
 * Pending `purchase_order.*` deliveries never sent, created before `before` (oldest first);
 * `eventId` narrows to one event, `eventIdPrefix` to the events of one order (`evt:po:<id>:`).
 */
export async function unsentPoDeliveries(
  db: D1Database,
  filter: { before?: number; eventId?: string; eventIdPrefix?: string; limit: number },
): Promise<UnsentPoDelivery[]> {
  const wd = webhookDeliveries;
  const where: SQL[] = [eq(wd.status, "pending"), isNull(wd.enqueuedAt), like(wd.eventType, "purchase_order.%")];
  if (filter.before !== undefined) where.push(lt(wd.updatedAt, filter.before));
  if (filter.eventId !== undefined) where.push(eq(wd.eventId, filter.eventId));
  // A range, so the event-id index serves it (event ids hold no character above "~").
  if (filter.eventIdPrefix !== undefined) where.push(gte(wd.eventId, filter.eventIdPrefix), lt(wd.eventId, `${filter.eventIdPrefix}~`));
  return drizzle(db)
    .select({ id: wd.id, subscriptionId: wd.subscriptionId, eventId: wd.eventId, payload: wd.payload })
    .from(wd)
    .where(and(...where))
    .orderBy(asc(wd.updatedAt), asc(wd.id))
    .limit(filter.limit)
    .all();
}

/**
 * Deletes the never-sent deliveries of an event whose change did not commit (a crash or a lost
 * race between the two batches), so a later retry of the step inserts them afresh.
 */
export async function dropUnsentPoDeliveries(db: D1Database, eventId: string): Promise<void> {
  const wd = webhookDeliveries;
  await drizzle(db)
    .delete(wd)
    .where(and(eq(wd.eventId, eventId), eq(wd.status, "pending"), isNull(wd.enqueuedAt)))
    .run();
}
