/**
 * Webhook deliveries of events not about a SKU — a sync job's `sync.completed`, a vendor's
 * `sync.failed`, a subscription's test event — stored in the read database their key hashes
 * to (domain/webhook-store.ts `hashedDeliveryPartition`), not in `DB`. Inventory events'
 * deliveries are made by the EVENTS consumer in the SKU's read database
 * (services/event-projection.ts); purchase orders' by services/purchase-orders.ts.
 */
import { hashedDeliveryPartition, subscribersOf } from "../domain/webhook-store";
import { readDb, readPartitionCount } from "../repositories/read-partitions";
import { insertDeliveryRows, liveSubscriptionsFor, unsentDeliveries } from "../repositories/webhooks";
import { sendDeliveries } from "./event-projection";

/** The read partition and database storing the deliveries keyed by `key`. */
export function deliveryStoreFor(env: Env, key: string): { partition: number; db: D1Database } {
  const partition = hashedDeliveryPartition(key, readPartitionCount(env));
  return { partition, db: readDb(env, partition) };
}

/**
 * Creates the deliveries of a vendor's event (its live subscriptions and the operator-wide ones
 * that asked for the type; none twice) and sends those not sent yet. Safe to repeat: a repeat
 * after a failed send sends the rest, and nothing twice once the sends succeeded.
 */
export async function fanOutVendorEvent(
  env: Env,
  event: { eventId: string; eventType: string; payload: Record<string, unknown> },
  vendorId: string,
  now: number,
): Promise<void> {
  const { partition, db } = deliveryStoreFor(env, event.eventId);
  const subscribers = subscribersOf({ type: event.eventType, vendorId }, await liveSubscriptionsFor(env.DB, [vendorId]));
  await insertDeliveryRows(
    db,
    partition,
    [{ id: event.eventId, type: event.eventType, sku: null, message: JSON.stringify(event) }],
    subscribers.map((id) => [id, 0] as const),
    now,
  );
  await sendDeliveries(env, db, await unsentDeliveries(db, event.eventId), event, now);
}
