/**
 * Values crossing the ReservationCoordinator RPC boundary. Validated by the Worker first.
 */
import type { Failure } from "../domain/failures";
import type { FailureCount } from "./failure-counts";
import type { ReservationType } from "../domain/reservation-rules";
import type { AmendedLine, LineRequest, SkuPolicy } from "./sku-inventory.types";
import type { Amendment, AmendmentKind } from "../domain/reservation-amendments";

/** The lines of one SKU within a reservation request. */
export interface SkuPart {
  sku: string;
  /**
   * Sent by Workers before SKU objects kept master facts (v7); a stored part may still carry
   * it. New parts leave it out: the SKU object takes the policy from its own facts.
   */
  policy?: SkuPolicy;
  lines: LineRequest[];
}

export interface CoordinatorReserveInput {
  /** Derived from the caller's principal and Idempotency-Key (see `domain/reservation-ids.ts`). */
  id: string;
  requestHash: string;
  /** Who owns the reservation: only they (or an operator) may act on it. */
  principal: string;
  actor: string;
  type: ReservationType;
  reference: string;
  ttlSeconds: number;
  parts: SkuPart[];
  /**
   * The parts come from an allocation plan the caller may redo (services/allocation.ts):
   * an `insufficient_stock` refusal is then not stored as the answer, and the reservation is
   * left to a next attempt under the same id, with the parts of the next plan.
   */
  replannable?: boolean;
  /**
   * The caller's final refusal (its plan cannot serve the order): stored as the answer, so a
   * retry with the same key replays it, without calling any SKU object.
   */
  refusal?: Failure;
}

export type TransitionOp = "promote" | "commit" | "fulfil" | "release";

export interface TransitionInput {
  id: string;
  principal: string;
  /** Operators may act on any principal's reservation. */
  anyPrincipal: boolean;
  actor: string;
  /** `promote` only: TTL of the hard reservation. */
  ttlSeconds?: number;
}

/** A direct reservation's Idempotency-Key, claimed at the key's coordinator shard (in parallel with the SKU's reserve). */
export interface KeyClaimInput {
  /** The key's coordinator id (`reservationIdFor`). */
  id: string;
  requestHash: string;
  /** The direct reservation's id. */
  target: string;
}

/**
 * `claimed`: the key is this request's (now or before); `coordinated`: the same request was
 * taken by this coordinator before (a reservation from before the fast path): answer it.
 */
export type KeyClaimOutcome = { ok: true; claim: "claimed" | "coordinated" } | Failure;

export interface LookupInput {
  id: string;
  principal: string;
  anyPrincipal: boolean;
}

/** Public lifecycle status; `pending` shows only while a fan-out is under way. */
export type PublicStatus = "pending" | "active" | "committed" | "fulfilled" | "released" | "expired";

export interface ReservationLineView {
  sku: string;
  locationId: string;
  quantity: number;
  /** Units accepted beyond stock still waiting (they drop as arrivals cover them). */
  backordered: number;
  /** Pre-ordered units still waiting for an arrival (pre-orders only). */
  preordered?: number;
  /** On a line with waiting units, after a lookup: when the arrival that covers them is expected (ms), or null. */
  expectedAt?: number | null;
}

export interface ReservationView {
  id: string;
  type: ReservationType;
  status: PublicStatus;
  reference: string;
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
  lines: ReservationLineView[];
}

export type ReservationOutcome = { ok: true; reservation: ReservationView; replayed: boolean } | Failure;

/** What an operator needs to see of a coordinator's background work (`health()`). */
export interface CoordinatorHealth {
  /** Failures since the object was created, per kind (`sku_call`, `alarm_task`); each is also logged. */
  failures: FailureCount[];
  /** Reservations with an operation under way or left unfinished. */
  pending: number;
  /** Reservations whose alarm work failed and waits for its retry. */
  retrying: number;
  /** When the alarm should next fire (ms), or null. */
  nextDueAt: number | null;
}

/** Amends a live reservation on every SKU it touches, all or nothing (domain/reservation-amendments.ts). */
export interface AmendInput {
  /** The reservation. */
  id: string;
  principal: string;
  /** Operators may amend any principal's reservation. */
  anyPrincipal: boolean;
  actor: string;
  /** Derived from the caller's principal and Idempotency-Key; a retry with it replays the first answer. */
  amendmentId: string;
  requestHash: string;
  amendment: Amendment;
}

/** One line's change by an amendment (the SKU objects' `AmendedLine`, with the SKU). */
export interface AmendedLineView extends AmendedLine {
  sku: string;
}

/** What an amendment did, as its client sees it. */
export interface AmendmentView {
  id: string;
  kind: AmendmentKind;
  changes: AmendedLineView[];
  /** `refresh_expiry`: the reservation's new expiry (ms). */
  expiresAt: number | null;
}

export type AmendmentOutcome = { ok: true; reservation: ReservationView; amendment: AmendmentView; replayed: boolean } | Failure;
