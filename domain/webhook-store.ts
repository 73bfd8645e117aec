/**
 * Where webhook deliveries are stored (issue 19), and which subscriptions an event goes to.
 * Pure.
 *
 * A delivery row lives in a read database (`READ_<i>`): the one of the vendor its event is
 * about, written there with the event's read-model rows, so deliveries grow with the read
 * databases, not in `DB`. The delivery's id names its database (`whd_r<i>_<24 hex>`), so every
 * later step — the WEBHOOKS consumer, the sweeper, a dead-letter replay — finds the row from
 * the id alone, and a delivery never moves: when its vendor's rows move to another read
 * database, its deliveries stay where they were written until retention deletes them.
 * Deliveries made before this (`whd_<24 hex>`) are in `DB` (`LEGACY_STORE`).
 */
import { partitionOf } from "./event-partitions";

/** The store of deliveries whose id names no read database: `DB`, where they all were before migration 0023. */
export const LEGACY_STORE = "DB" as const;

/** Where a delivery row is: a read partition, or `DB` for one made before deliveries were partitioned. */
export type DeliveryStore = number | typeof LEGACY_STORE;

/** The id prefix of deliveries stored in read partition `partition`. */
export function deliveryIdPrefix(partition: number): string {
  if (!Number.isInteger(partition) || partition < 0) throw new RangeError(`bad read partition ${partition}`);
  return `whd_r${partition}_`;
}

const PARTITIONED_ID = /^whd_r(\d{1,3})_/;

/** A delivery id: `whd_r<i>_<24 hex>` (in read database i), or `whd_<24 hex>` (in `DB`, made before deliveries were partitioned). */
export const DELIVERY_ID_PATTERN = /^whd_(?:r\d{1,3}_)?[0-9a-f]{24}$/;

/** The store a delivery id names. */
export function deliveryStoreOf(deliveryId: string): DeliveryStore {
  const match = PARTITIONED_ID.exec(deliveryId);
  return match === null ? LEGACY_STORE : Number(match[1]);
}

/** A live subscription as the fan-out needs it. */
export interface SubscriptionTarget {
  id: string;
  /** Null: operator-wide (every vendor's events). */
  vendorId: string | null;
  eventTypes: readonly string[];
}

/**
 * The subscriptions one event goes to: operator-wide ones and its vendor's, that asked for its
 * type (an event of a SKU without master data, `vendorId` null, goes to operator-wide ones
 * only). In the order given.
 */
export function subscribersOf(event: { type: string; vendorId: string | null }, subscriptions: readonly SubscriptionTarget[]): string[] {
  return subscriptions.filter((s) => (s.vendorId === null || s.vendorId === event.vendorId) && s.eventTypes.includes(event.type)).map((s) => s.id);
}

/** A subscription row's stored event types (a JSON array); anything else asks for nothing. */
export function parseEventTypes(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((t): t is string => typeof t === "string") : [];
  } catch {
    return [];
  }
}

/** Delivery log rows, newest first by (createdAt, id): the first `limit` of several stores' pages merged. */
export function newestFirst<T extends { createdAt: number; id: string }>(pages: readonly (readonly T[])[], limit: number): T[] {
  return pages
    .flat()
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, limit);
}

/**
 * The read partition (of M) storing the deliveries of an event not about a SKU (a purchase
 * order's, a sync job's, a test event): the hash of a key that stays the same for every retry
 * of the event (the order's id, the event's id), so a retry finds what an earlier attempt made.
 */
export function hashedDeliveryPartition(key: string, partitions: number): number {
  return partitionOf(`deliveries:${key}`, partitions);
}
