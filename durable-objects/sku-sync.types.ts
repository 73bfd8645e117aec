/**
 * RPC values of the SkuInventory object's sync methods (`applySync`, `resolveSyncReview`,
 * `syncReviews`). The Worker / SYNC consumer has validated everything first.
 */
import type { InventoryEvent } from "../domain/events";
import type { SyncMode } from "../domain/sync";
import type { LocationLevel, SkuPolicy } from "./sku-inventory.types";

export interface SyncItemInput {
  /** The item's position in its job (for error reports). */
  itemIndex: number;
  locationId: string;
  /** Absolute on-hand (mode absolute, 0..1,000,000) or a signed delta (mode delta). */
  quantity: number;
}

/** All of one job chunk's items for this SKU, applied in one transaction. */
export interface SyncApplyInput {
  sku: string;
  jobId: string;
  chunkIndex: number;
  mode: SyncMode;
  items: SyncItemInput[];
  actor: string;
  policy: SkuPolicy;
  /**
   * Absent or `on_hand`: quantities are the vendor's on-hand. `available` (absolute mode
   * only): what the vendor can still sell, turned into on-hand in the same transaction as
   * the write (`onHandFromAvailable`: plus the units held here at that location).
   */
  quantityKind?: "on_hand" | "available";
  /** `sync:<jobId>:<chunkIndex>:<sku>`: a redelivered chunk gets the stored outcomes back. */
  idempotencyKey: string;
  requestHash: string;
  /**
   * True: the caller sends the change's events itself and checks they were applied (the SYNC
   * consumer and sweeper; outbox.ts `handOffEvents`): they come back in the result's `events`,
   * and on a replay the events of this job the object still keeps come back again. Absent: the
   * object's alarm sends them.
   */
  handOffEvents?: boolean;
}

export type SyncItemOutcome =
  | { itemIndex: number; locationId: string; outcome: "applied"; before: number; after: number }
  | { itemIndex: number; locationId: string; outcome: "unchanged"; onHand: number }
  | {
      itemIndex: number;
      locationId: string;
      outcome: "conflict";
      reviewId: string;
      reason: "large_change" | "below_committed";
      onHand: number;
      vendorQuantity: number;
      proposed: number;
    }
  | { itemIndex: number; locationId: string; outcome: "error"; code: string; message: string };

export interface SyncApplyResult {
  ok: true;
  sku: string;
  outcomes: SyncItemOutcome[];
  /** True when these are the stored outcomes of an earlier delivery of the same chunk. */
  replayed: boolean;
  /** With `handOffEvents`: the events for the caller to send (oldest first; possibly none). */
  events?: InventoryEvent[];
}

export type SyncReviewStatus = "open" | "accepted" | "rejected" | "superseded";

export interface SyncReview {
  id: string;
  sku: string;
  locationId: string;
  jobId: string;
  mode: SyncMode;
  vendorQuantity: number;
  onHandAtReview: number;
  proposed: number;
  reason: "large_change" | "below_committed";
  status: SyncReviewStatus;
  createdAt: number;
  resolvedAt: number | null;
  resolvedBy: string | null;
}

export interface ResolveSyncReviewInput {
  sku: string;
  reviewId: string;
  decision: "accept" | "reject";
  actor: string;
  policy: SkuPolicy;
}

export interface ResolveSyncReviewResult {
  ok: true;
  review: SyncReview;
  /** The location's level after the decision. */
  level: LocationLevel;
}
