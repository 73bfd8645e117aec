/**
 * The plain values that cross the SkuInventory RPC boundary. Everything is JSON-safe and
 * already validated by the Worker: a Durable Object never sees raw client input.
 */
import type { PublicLevel } from "../domain/availability";
import type { Quantities } from "../domain/quantities";
import type { Amendment, AmendmentKind } from "../domain/reservation-amendments";
import type { AdjustmentReason, ReservationStatus, ReservationType } from "../domain/reservation-rules";
import type { FailureCount } from "./failure-counts";
import type { LotPick } from "./sku-inbound.types";

/** Reservation rules from the SKU's master data: since v7 the object's own master facts (`SkuMasterFacts`). */
export interface SkuPolicy {
  allowBackorder: boolean;
  softBufferPct: number;
  /** Total available at or below this is low stock (threshold events). */
  reorderPoint: number;
}

/**
 * What a stock change or a reservation needs of the SKU's master data, kept in the SKU
 * object (v7 `master` table, sku-inventory/master.ts) so the request path never reads D1.
 * D1 `skus` stays the source: every master-data write pushes these (services/sku-master.ts),
 * and the newer `version` (D1 `skus.master_version`) wins.
 */
export interface SkuMasterFacts extends SkuPolicy {
  sku: string;
  vendorId: string;
  status: "active" | "discontinued";
  /** Routing (allocation plans) only. */
  leadTimeDays: number;
  /** D1 `skus.master_version`: grows with every change of these facts. */
  version: number;
  /** D1 `skus.updated_at` (ms) of that version. */
  updatedAt: number;
}

/** A SKU's public levels and the master facts its object holds (null before its first push or fill), in one hop (`publicView`). */
export interface PublicView {
  facts: SkuMasterFacts | null;
  levels: PublicLevel[];
  updatedAt: number | null;
}

/** What an allocation plan needs of one SKU, in one hop (`routingView`). */
export interface SkuRoutingView {
  ok: true;
  master: SkuMasterFacts;
  snapshot: SkuSnapshot;
}

/** The answer to a push of master facts: `applied`, or `stale` when the object already has this version or a newer one. */
export interface MasterPushResult {
  ok: true;
  outcome: "applied" | "stale";
  /** The version the object holds now. */
  version: number;
}

/**
 * Who asks, as the SKU object checks it against its master facts: a vendor may touch only
 * its own SKUs; operators, checkout and system work may touch any.
 */
export type StockCaller = { scope: "vendor"; vendorId: string } | { scope: "operator" | "checkout" | "system" };

/**
 * A request to an RPC method that checks the caller against the object's master facts and
 * takes the policy from them: the Worker sends who asks instead of the policy it used to
 * read from D1. `policy` is still accepted from older callers (a coordinator's stored parts)
 * and used only while the object has no master facts.
 */
export type WithCaller<T extends { policy: SkuPolicy }> = Omit<T, "policy"> & { caller?: StockCaller; policy?: SkuPolicy };

interface Attributed {
  sku: string;
  /** Who asked, for the ledger: e.g. `checkout:key_ab12`. */
  actor: string;
}

/** Change on-hand by `delta` or set it to `onHand`, optionally compare-and-set. */
export interface AdjustStockInput extends Attributed {
  locationId: string;
  delta?: number;
  onHand?: number;
  /** When given, the change applies only if on-hand is exactly this now. */
  expectedOnHand?: number;
  reason: AdjustmentReason;
  reference?: string;
  /** Already scoped to the caller; a repeat with the same hash returns the first answer. */
  idempotencyKey: string;
  requestHash: string;
  policy: SkuPolicy;
}

export interface LocationLevel extends Quantities {
  locationId: string;
  available: number;
  updatedAt: number;
}

export interface AdjustStockResult {
  ok: true;
  sku: string;
  level: LocationLevel;
  ledgerSeq: number;
  /** True when this answer is the stored first answer to a repeated request. */
  replayed: boolean;
}

/** A line as asked for: a location, or candidates to choose from (most available wins). */
export interface LineRequest {
  locationId?: string;
  /** Active locations that can ship, best priority first; used when `locationId` is absent. */
  candidates?: string[];
  quantity: number;
}

export interface ApplyReservationInput extends Attributed {
  reservationId: string;
  /** Coordinator attempt; a later attempt may reuse an id an earlier one released. */
  attempt: number;
  type: ReservationType;
  lines: LineRequest[];
  expiresAt: number;
  reference: string;
  policy: SkuPolicy;
  /** The caller found no row of this id in the same synchronous run (the direct path's replay check): it is not read again. */
  absent?: true;
}

export interface ReservationRefInput extends Attributed {
  reservationId: string;
  attempt: number;
}

export interface ReleaseInput extends ReservationRefInput {
  /** `release` by the client, `expire` at TTL, `compensation` when a multi-SKU order fails. */
  reason: "release" | "expire" | "compensation";
  /** Used only to write a tombstone when the reservation never reached this SKU. */
  type: ReservationType;
}

export interface PromoteInput extends ReservationRefInput {
  expiresAt: number;
  policy: SkuPolicy;
}

export interface DemoteInput extends ReservationRefInput {
  expiresAt: number;
}

export interface HeldLine {
  locationId: string;
  quantity: number;
  /** Units accepted beyond stock (only when the SKU allows backorders). */
  backordered: number;
  /** Pre-ordered units still waiting for an arrival (sku-inventory/preorders.ts); in no bucket. */
  preordered?: number;
  /**
   * Lookups only (`lookupReservation`), on a line with backordered or pre-ordered units: when
   * the arrival that covers its last waiting unit is expected (ms), or null when none is yet.
   */
  expectedAt?: number | null;
}

/** A pre-order line's units waiting, in the order arrivals cover them (`preorders()`). */
export interface PreorderQueueEntry {
  reservationId: string;
  reference: string | null;
  locationId: string;
  /** Units first pre-ordered on this line. */
  placed: number;
  /** Units still waiting. */
  waiting: number;
  placedAt: number;
  /** When the arrival that brings its last waiting unit is expected (ms), or null when none is yet. */
  expectedAt: number | null;
}

/** A reservation as one SKU holds it. */
export interface SkuReservation {
  id: string;
  attempt: number;
  type: ReservationType;
  status: ReservationStatus;
  expiresAt: number;
  lines: HeldLine[];
}

export interface ReservationResult {
  ok: true;
  reservation: SkuReservation;
  /** `fulfil` of a SKU with lots: the lots its units shipped from, earliest expiry first, per location. */
  lots?: { locationId: string; picks: LotPick[] }[];
}

export interface ReservationCounts {
  count: number;
  units: number;
}

export interface SkuSnapshot {
  sku: string | null;
  /** Sequence of the last ledger row; grows with every change. */
  version: number;
  updatedAt: number | null;
  totals: Quantities & { available: number };
  locations: LocationLevel[];
  reservations: { activeSoft: ReservationCounts; activeHard: ReservationCounts; committed: ReservationCounts };
}

export interface LedgerEntry {
  seq: number;
  at: number;
  locationId: string;
  op: string;
  reason: string | null;
  actor: string;
  reference: string | null;
  reservationId: string | null;
  delta: Quantities;
  before: Quantities;
  after: Quantities;
}

/** The outcome of `verify()`: invariants and the ledger replay, per location, and the object's health. */
export interface VerifyReport {
  /** True when no invariant is broken (health does not count). */
  ok: boolean;
  locations: number;
  ledgerRows: number;
  breaches: { locationId: string; invariant: string; detail: string }[];
  health: SkuHealth;
}

/** What an operator needs to see of the object's background work (`health()`). */
export interface SkuHealth {
  /** Failures since the object was created, per kind (`expiry`, `outbox_send`); each is also logged. */
  failures: FailureCount[];
  /** Active reservations whose expiry failed and waits for its retry. */
  expiriesRetrying: number;
  /** Events whose send failed and waits for its retry. */
  eventsRetrying: number;
  /** Events sent and not yet known to be applied by the EVENTS consumer (checked 5 s after each send, and a minute after it while missing). */
  eventsAwaitingConfirmation: number;
  /** When the alarm should next fire (ms), or null. */
  nextDueAt: number | null;
}

/**
 * Amends a live reservation on this SKU (domain/reservation-amendments.ts): the amendment's
 * part for this SKU. `apply` does every move in one transaction; `prepare` (one SKU of a
 * multi-SKU amendment) does only the takes and keeps the gives and ships for
 * `settleAmendment(confirm)`, or gives the takes back on `settleAmendment(abort)`.
 * Idempotent by `amendmentId` (unique within the reservation).
 */
export interface AmendReservationInput extends ReservationRefInput {
  amendmentId: string;
  amendment: Amendment;
  phase: "apply" | "prepare";
  /** The reservation rules; the object resolves them (its master facts) when they are not sent. */
  policy?: SkuPolicy;
  /** `refresh_expiry` only: the new expiry (ms), the same on every SKU of the reservation. */
  expiresAt?: number;
}

/** Finishes (`confirm`) or undoes (`abort`) a prepared amendment; an abort of one never prepared leaves a tombstone. */
export interface SettleAmendmentInput extends ReservationRefInput {
  amendmentId: string;
  outcome: "confirm" | "abort";
}

/** One line's change by an amendment on this SKU. */
export interface AmendedLine {
  locationId: string;
  /** The line's quantity before and after (0: no line). */
  before: number;
  after: number;
  /** Units shipped (a partial fulfilment). */
  shipped: number;
  /** Units accepted beyond stock by this amendment (a take on a SKU that allows backorders). */
  backordered: number;
}

/** What an amendment did on this SKU: `prepared` (takes done, waiting for confirm or abort), `applied`, or `aborted`. */
export interface SkuAmendment {
  id: string;
  kind: AmendmentKind;
  status: "prepared" | "applied" | "aborted";
  changes: AmendedLine[];
  expiresAt: number | null;
}

export interface AmendmentResult {
  ok: true;
  reservation: SkuReservation;
  amendment: SkuAmendment;
  /** True when this answer is the stored one of an earlier call with the same amendment id. */
  replayed: boolean;
}
