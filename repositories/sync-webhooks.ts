/**
 * Webhook deliveries of `sync.completed` events: one per (subscription, job), created for
 * the job's vendor's live subscriptions that asked for the event and for operator-wide
 * ones. The unique (subscription, event) index makes a repeat create nothing.
 */
import { SYNC_COMPLETED_EVENT_TYPE } from "../domain/sync-jobs";

/** Creates the deliveries of a job's completion event that do not exist yet. */
export async function insertSyncCompletedDeliveries(db: D1Database, eventId: string, vendorId: string, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, sku, status, attempts, created_at, updated_at)
       SELECT 'whd_' || lower(hex(randomblob(12))), s.id, ?1, ?3, NULL, 'pending', 0, ?4, ?4
       FROM webhook_subscriptions s
       WHERE s.deleted_at IS NULL AND s.disabled_at IS NULL AND (s.vendor_id = ?2 OR s.vendor_id IS NULL)
         AND EXISTS (SELECT 1 FROM json_each(s.event_types) WHERE value = ?3)
       ON CONFLICT (subscription_id, event_id) DO NOTHING`,
    )
    .bind(eventId, vendorId, SYNC_COMPLETED_EVENT_TYPE, now)
    .run();
}
