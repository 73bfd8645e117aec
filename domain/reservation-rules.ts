/**
 * Reservation types, lifecycle and limits (DESIGN.md "Reservations"). Pure.
 */

/**
 * `preorder` (issue 14): a hard order against expected arrivals (open transfer or purchase-order
 * lines with a date at its location), limited to what is expected and not yet promised; its
 * units become a hard reservation, first come first served, when they arrive
 * (durable-objects/sku-inventory/preorders.ts).
 */
export const RESERVATION_TYPES = ["soft", "hard", "preorder"] as const;
export type ReservationType = (typeof RESERVATION_TYPES)[number];

/**
 * Lifecycle: active → committed (picked) → fulfilled (shipped); or active/committed →
 * released (cancelled) and active → expired (TTL). A soft hold becomes hard in place.
 */
export const RESERVATION_STATUSES = ["active", "committed", "fulfilled", "released", "expired"] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<ReservationStatus> = new Set(["fulfilled", "released", "expired"]);

/** TTL defaults and the bounds a caller's `ttlSeconds` must stay within. */
export const TTL_SECONDS = {
  soft: { default: 30 * 60, min: 60, max: 24 * 60 * 60 },
  hard: { default: 48 * 60 * 60, min: 60, max: 30 * 24 * 60 * 60 },
  /** A pre-order waits for its arrival: 90 days by default, at most a year; coverage does not change it. */
  preorder: { default: 90 * 24 * 60 * 60, min: 60 * 60, max: 365 * 24 * 60 * 60 },
} as const satisfies Record<ReservationType, { default: number; min: number; max: number }>;

/** Units per reservation line and lines per request. */
export const LIMITS = {
  quantityMin: 1,
  quantityMax: 1_000_000,
  linesPerReservation: 100,
  /** On-hand may be set up to this many units per location. */
  onHandMax: 1_000_000_000,
  /** Largest single adjustment, either way. */
  adjustDeltaMax: 1_000_000,
  referenceMaxLength: 128,
  idempotencyKeyMaxLength: 128,
  skuBatchMax: 10_000,
} as const;

/** Default buffer for soft holds over available, in percent (DESIGN.md: 10%). */
export const DEFAULT_SOFT_BUFFER_PCT = 10;

/** Seconds until expiry for a new reservation: the caller's value or the type's default. */
export function ttlFor(type: ReservationType, ttlSeconds: number | undefined): number {
  return ttlSeconds ?? TTL_SECONDS[type].default;
}

/** Reasons an on-hand change may give (ledger `reason`). */
export const ADJUSTMENT_REASONS = [
  "restock",
  "received",
  "return",
  "damage",
  "theft",
  "loss",
  "correction",
  "cycle_count",
  "initial",
  "transfer_in",
  "transfer_out",
] as const;
export type AdjustmentReason = (typeof ADJUSTMENT_REASONS)[number];
