/**
 * Inventory events: what a SKU object records in its outbox, in the same transaction as the
 * change, and flushes to the EVENTS queue. Consumers validate bodies with `InventoryEventSchema`
 * (they may come from an older producer) and dedupe by `id`. Pure.
 */
import { z } from "zod";

export const INVENTORY_EVENT_TYPES = [
  "inventory.updated",
  "inventory.low_stock",
  "inventory.out_of_stock",
  "inventory.back_in_stock",
  "reservation.created",
  "reservation.released",
  "reservation.expired",
  "reservation.fulfilled",
  "reservation.backorder_covered",
  "reservation.updated",
  "reservation.preorder_covered",
  "inventory.expiring",
  "inventory.lot_expired",
  "sync.conflict",
] as const;
export type InventoryEventType = (typeof INVENTORY_EVENT_TYPES)[number];

const Counts = z.object({
  onHand: z.number().int(),
  reserved: z.number().int(),
  softHeld: z.number().int(),
  committed: z.number().int(),
  inTransit: z.number().int(),
  damaged: z.number().int(),
  onHold: z.number().int(),
  available: z.number().int(),
});
export type EventCounts = z.infer<typeof Counts>;

/**
 * One event. `id` is `evt:<sku>:<sequence>`, unique and stable across redeliveries;
 * `sequence` grows by one per event of this SKU (per-SKU order). `before`/`after` are the
 * location's counts for `inventory.updated`, the SKU's totals for threshold events
 * (`locationId` null), and absent for reservation events, which carry `reservation`.
 */
export const InventoryEventSchema = z.object({
  id: z.string().min(1),
  type: z.enum(INVENTORY_EVENT_TYPES),
  sku: z.string().min(1),
  locationId: z.string().nullable(),
  sequence: z.number().int().positive(),
  occurredAt: z.string(),
  cause: z.object({
    /** The ledger row that made the change (null for reservation-level events). */
    ledgerSeq: z.number().int().nullable(),
    op: z.string(),
    reason: z.string().nullable(),
    reference: z.string().nullable(),
    reservationId: z.string().nullable(),
    actor: z.string(),
  }),
  before: Counts.nullable(),
  after: Counts.nullable(),
  reservation: z
    .object({
      id: z.string(),
      type: z.enum(["soft", "hard", "preorder"]),
      status: z.string(),
      lines: z.array(z.object({ locationId: z.string(), quantity: z.number().int() })),
    })
    .nullable(),
  /** `sync.conflict` only: the feed value held for an operator's review. Absent on older events. */
  syncReview: z
    .object({
      reviewId: z.string(),
      jobId: z.string(),
      vendorQuantity: z.number().int(),
      onHand: z.number().int(),
      proposed: z.number().int(),
      reason: z.enum(["large_change", "below_committed"]),
    })
    .nullable()
    .optional(),
  /**
   * `reservation.backorder_covered` only: units that arrived at `locationId` covered this many
   * backordered units of the reservation's line there; `remaining` still wait. Absent on older events.
   */
  backorder: z.object({ locationId: z.string(), covered: z.number().int().positive(), remaining: z.number().int().nonnegative() }).nullable().optional(),
  /**
   * `reservation.preorder_covered` only: units that arrived at `locationId` became a hard
   * reservation for this many pre-ordered units of the line; `remaining` still wait for the
   * next arrival. Absent on older events.
   */
  preorder: z.object({ locationId: z.string(), covered: z.number().int().positive(), remaining: z.number().int().nonnegative() }).nullable().optional(),
  /**
   * `inventory.expiring` and `inventory.lot_expired` only: the lot at `locationId`, its expiry
   * date, its units (expiring: still sellable; expired: moved to on hold), the SKU's alert
   * horizon in days, and the sellable units of the SKU still expiring within it after this
   * event (0 resolves the `expiring` alert). Absent on older events.
   */
  lot: z
    .object({
      locationId: z.string(),
      lot: z.string(),
      expiresOn: z.string(),
      units: z.number().int().nonnegative(),
      horizonDays: z.number().int().positive(),
      expiringUnits: z.number().int().nonnegative(),
    })
    .nullable()
    .optional(),
  /**
   * `reservation.updated` only: the amendment (domain/reservation-amendments.ts) that changed
   * the reservation on this SKU — each line's quantity before and after, and the units it
   * shipped (a partial fulfilment); `expiresAt` (ms) for a refreshed expiry. Absent on older events.
   */
  amendment: z
    .object({
      id: z.string(),
      kind: z.string(),
      changes: z.array(
        z.object({
          locationId: z.string(),
          before: z.number().int().nonnegative(),
          after: z.number().int().nonnegative(),
          shipped: z.number().int().nonnegative(),
        }),
      ),
      expiresAt: z.number().int().nullable(),
    })
    .nullable()
    .optional(),
});
export type InventoryEvent = z.infer<typeof InventoryEventSchema>;

/** The event id for a SKU's n-th event. */
export function eventId(sku: string, sequence: number): string {
  return `evt:${sku}:${sequence}`;
}

/** Which threshold event, if any, a change of total available from `before` to `after` crosses. */
export function thresholdCrossing(before: number, after: number, reorderPoint: number): InventoryEventType | null {
  if (before > 0 && after <= 0) return "inventory.out_of_stock";
  if (before <= 0 && after > 0) return "inventory.back_in_stock";
  if (before > reorderPoint && after <= reorderPoint && after > 0) return "inventory.low_stock";
  return null;
}
