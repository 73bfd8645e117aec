/**
 * The business failures that Durable Objects and services return as plain values (error
 * classes do not survive RPC), and the HTTP status each maps to. Pure.
 */
import { ON_HAND_MAX_INVARIANT } from "./quantities";
import { LIMITS } from "./reservation-rules";

export const FAILURE_STATUS = {
  insufficient_stock: 409,
  reservation_not_found: 404,
  sku_not_found: 404,
  /** A vendor reached for another vendor's SKU (the SKU object's master facts, sku-inventory/master.ts). */
  forbidden: 403,
  /** The SKU is discontinued: it cannot be reserved. */
  sku_unavailable: 409,
  invalid_state: 409,
  reservation_expired: 409,
  reservation_released: 409,
  idempotency_conflict: 422,
  stale_expected_on_hand: 409,
  would_go_negative: 409,
  review_not_found: 404,
  review_closed: 409,
  on_hand_limit: 409,
  transfer_not_found: 404,
  retry_later: 503,
  invariant_violation: 500,
} as const;

export type FailureCode = keyof typeof FAILURE_STATUS;

/** A failed operation, as returned over RPC. `details` is JSON-safe. */
export interface Failure {
  ok: false;
  code: FailureCode;
  message: string;
  details?: unknown;
}

/** Whether an RPC answer is a failure (narrows the union). */
export function isFailure(value: { ok: boolean }): value is Failure {
  return value.ok === false;
}

/** Builds a failure value. */
export function fail(code: FailureCode, message: string, details?: unknown): Failure {
  return details === undefined ? { ok: false, code, message } : { ok: false, code, message, details };
}

/** The message of `on_hand_limit`, wherever on-hand would pass `LIMITS.onHandMax`. */
export function onHandLimitMessage(locationId?: string): string {
  return `on-hand${locationId === undefined ? "" : ` at ${locationId}`} may be at most ${LIMITS.onHandMax.toLocaleString("en-US")} units; this change would pass it`;
}

/**
 * The public failure for a failure as a SKU object returned it. The object checks the domain
 * invariants before it commits (`checkInvariants`); a change refused only because on-hand
 * would pass the cap is the client's limit, not a broken invariant, so it becomes a 409
 * `on_hand_limit` instead of a 500. Every other failure is returned as it is.
 */
export function publicFailure(failure: Failure): Failure {
  if (failure.code !== "invariant_violation" || !Array.isArray(failure.details) || failure.details.length === 0) return failure;
  const limitOnly = failure.details.every(
    (b: unknown) => typeof b === "object" && b !== null && (b as { invariant?: unknown }).invariant === ON_HAND_MAX_INVARIANT,
  );
  return limitOnly ? fail("on_hand_limit", onHandLimitMessage(), { limit: LIMITS.onHandMax }) : failure;
}

/** One SKU line that could not be served, as reported in a 409 `insufficient_stock`. */
export interface ShortLine {
  sku: string;
  locationId: string | null;
  requested: number;
  available: number;
}
