/**
 * Quantity arithmetic and invariants for one SKU at one location (DESIGN.md "Quantities").
 * Pure: no bindings, no I/O.
 */
import { LIMITS } from "./reservation-rules";

/** The counted buckets kept per SKU per location. */
export interface Quantities {
  /** Physical units in the building. */
  onHand: number;
  /** Hard (order) reservations not yet picked. */
  reserved: number;
  /** Soft (cart) holds; they do not lower `available`. */
  softHeld: number;
  /** Picked for shipment, not yet shipped. */
  committed: number;
  /** Inbound transfers and purchase orders. */
  inTransit: number;
  /** Not sellable: damaged. */
  damaged: number;
  /** Not sellable: on hold (quality, legal, …). */
  onHold: number;
}

export const QUANTITY_FIELDS = [
  "onHand",
  "reserved",
  "softHeld",
  "committed",
  "inTransit",
  "damaged",
  "onHold",
] as const satisfies readonly (keyof Quantities)[];

export type QuantityField = (typeof QUANTITY_FIELDS)[number];

/** A change to some buckets; omitted buckets are unchanged. */
export type QuantityDelta = Partial<Quantities>;

export const ZERO_QUANTITIES: Readonly<Quantities> = Object.freeze({
  onHand: 0,
  reserved: 0,
  softHeld: 0,
  committed: 0,
  inTransit: 0,
  damaged: 0,
  onHold: 0,
});

/** `available = onHand − reserved − committed − damaged − onHold` (soft holds do not count). */
export function availableOf(q: Quantities): number {
  return q.onHand - q.reserved - q.committed - q.damaged - q.onHold;
}

/** Applies a delta, returning a new object. */
export function applyDelta(q: Quantities, delta: QuantityDelta): Quantities {
  const next = { ...q };
  for (const field of QUANTITY_FIELDS) next[field] += delta[field] ?? 0;
  return next;
}

/** The buckets that are below zero, in field order. */
export function negativeFields(q: Quantities): QuantityField[] {
  return QUANTITY_FIELDS.filter((f) => q[f] < 0);
}

/**
 * Most units that soft holds may total at a location: ⌊available × (1 + bufferPct/100)⌋,
 * never below zero. Integer arithmetic, so 1,000 available at 10% allows exactly 1,100.
 */
export function softHoldLimit(available: number, bufferPct: number): number {
  if (available <= 0) return 0;
  return Math.floor((available * (100 + bufferPct)) / 100);
}

/** What the reservation lines at a location add up to, as the DO's tables report it. */
export interface LineSums {
  /** Σ quantity of active hard lines. */
  activeHard: number;
  /** Σ quantity of active soft lines. */
  activeSoft: number;
  /** Σ quantity of committed lines. */
  committed: number;
  /** Σ units accepted beyond stock on active hard or committed lines. */
  backordered: number;
}

/** One broken invariant, named for logs and tests. */
export interface InvariantBreach {
  invariant: string;
  detail: string;
}

/** The breach name of on-hand above `LIMITS.onHandMax`: a limit, answered as 409 `on_hand_limit` (see `domain/failures.ts`). */
export const ON_HAND_MAX_INVARIANT = "on_hand_max";

/**
 * Checks DESIGN.md's invariants for one location: no negative bucket; on-hand at most
 * `LIMITS.onHandMax` (the documented cap, checked here so that every path that moves on-hand
 * — adjust, set, vendor feeds, accepted reviews — is refused before it commits); `available ≥
 * 0` except for units accepted as backorders; `reserved`, `softHeld` and `committed` equal the
 * sums of their reservation lines. Returns every breach (empty when all hold).
 */
export function checkInvariants(q: Quantities, lines: LineSums): InvariantBreach[] {
  const breaches: InvariantBreach[] = [];
  for (const field of negativeFields(q)) {
    breaches.push({ invariant: "non_negative", detail: `${field} is ${q[field]}` });
  }
  if (q.onHand > LIMITS.onHandMax) {
    breaches.push({ invariant: ON_HAND_MAX_INVARIANT, detail: `onHand ${q.onHand} is above the limit of ${LIMITS.onHandMax}` });
  }
  const available = availableOf(q);
  if (available + lines.backordered < 0) {
    breaches.push({
      invariant: "available_non_negative",
      detail: `available ${available} with ${lines.backordered} accepted as backorder`,
    });
  }
  if (q.reserved !== lines.activeHard) {
    breaches.push({ invariant: "reserved_matches_lines", detail: `reserved ${q.reserved} ≠ Σ hard lines ${lines.activeHard}` });
  }
  if (q.softHeld !== lines.activeSoft) {
    breaches.push({ invariant: "soft_held_matches_lines", detail: `softHeld ${q.softHeld} ≠ Σ soft lines ${lines.activeSoft}` });
  }
  if (q.committed !== lines.committed) {
    breaches.push({ invariant: "committed_matches_lines", detail: `committed ${q.committed} ≠ Σ committed lines ${lines.committed}` });
  }
  return breaches;
}

/** True when two sets of quantities are equal in every bucket. */
export function sameQuantities(a: Quantities, b: Quantities): boolean {
  return QUANTITY_FIELDS.every((f) => a[f] === b[f]);
}
