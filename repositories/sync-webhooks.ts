/**
 * Webhook deliveries of `sync.completed` events: one per (subscription, job), created for
 * the job's vendor's live subscriptions that asked for the event and for operator-wide
 * ones. The unique (subscription, event) index makes a repeat create nothing.
 */
import { and, eq, isNull, or, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { webhookDeliveries, webhookSubscriptions } from "../d1/schema";
import { SYNC_COMPLETED_EVENT_TYPE } from "../domain/sync-jobs";
import { guardedRow } from "./d1-sql";

/** Creates the deliveries of a job's completion event that do not exist yet. */
export async function insertSyncCompletedDeliveries(db: D1Database, eventId: string, vendorId: string, now: number): Promise<void> {
  const s = webhookSubscriptions;
  const wd = webhookDeliveries;
  const row = {
    id: sql`'whd_' || lower(hex(randomblob(12)))`,
    subscriptionId: sql`${s.id}`,
    eventId,
    eventType: SYNC_COMPLETED_EVENT_TYPE,
    sku: null,
    status: "pending",
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  } as const;
  const live = and(
    isNull(s.deletedAt),
    isNull(s.disabledAt),
    or(eq(s.vendorId, vendorId), isNull(s.vendorId)),
    sql`EXISTS (SELECT 1 FROM json_each(${s.eventTypes}) WHERE value = ${SYNC_COMPLETED_EVENT_TYPE})`,
  )!;
  await drizzle(db)
    .insert(wd)
    .select(guardedRow(wd, row, live, s))
    .onConflictDoNothing({ target: [wd.subscriptionId, wd.eventId] })
    .run();
}
