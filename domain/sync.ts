/**
 * Vendor stock sync: how a vendor's feed value becomes our on-hand. Pure.
 *
 * The rule (issue 5, "conflict resolution"): a vendor's feed does not know what happened
 * here since its last sync (sales shipped, returns, adjustments). Each SKU × location keeps
 * an `offset` = our on-hand − the vendor's last accepted value; local on-hand movements
 * (anything but a sync) add to it. A new absolute value Q is therefore applied as
 * `proposed = Q + offset`, so movements made here are never wiped out, and reservations are
 * untouched (they are separate counts). The difference `proposed − onHand` is the vendor's
 * claimed movement since its last sync: small ones are applied, large ones (more than
 * SYNC_REVIEW_THRESHOLD) and ones that would leave fewer units than are reserved or
 * committed go to an operator's review instead (except an empty location's first value, which
 * has nothing to disagree with). Delta feeds apply the delta as given, with the same safety
 * check.
 */

import { LIMITS } from "./reservation-rules";

/** A change above both of these is held for review: more than 10 units and more than 25% of on-hand. */
export const SYNC_REVIEW_THRESHOLD = { units: 10, ratio: 0.25 } as const;

export type SyncMode = "absolute" | "delta";

/** What the SKU object knows of one location when a feed value arrives. */
export interface SyncPosition {
  onHand: number;
  /** Units that must stay: reserved + committed + damaged + onHold (minus accepted backorders). */
  floor: number;
  /** our on-hand − the vendor's last accepted value (0 before the first sync). */
  offset: number;
  /** No feed value has been accepted for this location yet. */
  firstSync: boolean;
}

export type SyncDecision =
  | { action: "unchanged"; proposed: number }
  | { action: "apply"; proposed: number }
  | { action: "review"; proposed: number; reason: "large_change" | "below_committed" }
  | { action: "error"; code: "would_go_negative" | "on_hand_limit"; proposed: number };

/**
 * Decides what a feed value does to a location. A value that would take on-hand past
 * `LIMITS.onHandMax` (a delta, or an absolute value plus the local offset) is an item error,
 * `on_hand_limit`: holding it for review could never be accepted.
 */
export function decideSync(mode: SyncMode, value: number, position: SyncPosition): SyncDecision {
  const proposed = mode === "absolute" ? value + position.offset : position.onHand + value;
  if (proposed < 0) {
    return mode === "delta" ? { action: "error", code: "would_go_negative", proposed } : { action: "review", proposed, reason: "below_committed" };
  }
  if (proposed > LIMITS.onHandMax) return { action: "error", code: "on_hand_limit", proposed };
  const change = proposed - position.onHand;
  if (change === 0) return { action: "unchanged", proposed };
  if (proposed < position.floor) return { action: "review", proposed, reason: "below_committed" };
  // An empty location's first feed value has nothing to disagree with.
  const initialLoad = position.firstSync && position.onHand === 0;
  if (mode === "absolute" && !initialLoad && isLargeChange(change, position.onHand)) return { action: "review", proposed, reason: "large_change" };
  return { action: "apply", proposed };
}

/** More than SYNC_REVIEW_THRESHOLD.units and more than SYNC_REVIEW_THRESHOLD.ratio of on-hand. */
export function isLargeChange(change: number, onHand: number): boolean {
  const size = Math.abs(change);
  return size > SYNC_REVIEW_THRESHOLD.units && size > SYNC_REVIEW_THRESHOLD.ratio * onHand;
}
