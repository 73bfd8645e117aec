/**
 * RPC values of the SKU object's inbound and stock-state operations (issue 14): moves
 * between sellable, damaged and on-hold stock and write-offs, and the per-SKU transfer
 * lines. JSON-safe; the Worker validated everything before the call.
 */
import type { SkuPolicy, LocationLevel } from "./sku-inventory.types";

import type { StockState, StockTarget } from "../domain/stock-states";

export { STOCK_STATES, STOCK_TARGETS, type StockState, type StockTarget } from "../domain/stock-states";

interface Attributed {
  sku: string;
  actor: string;
}

/** Moves `quantity` units at a location from one state to another (or writes them off). */
export interface MoveStockStateInput extends Attributed {
  locationId: string;
  from: StockState;
  to: StockTarget;
  quantity: number;
  reason: string;
  reference?: string;
  idempotencyKey: string;
  requestHash: string;
  policy: SkuPolicy;
}

export interface MoveStockStateResult {
  ok: true;
  sku: string;
  level: LocationLevel;
  ledgerSeq: number;
  /** Backorders at the location covered by units that came back to sellable. */
  backordersCovered: CoveredBackorder[];
  replayed: boolean;
}

/** A backordered reservation line (partly) covered by arriving units. */
export interface CoveredBackorder {
  reservationId: string;
  locationId: string;
  /** Units covered by this arrival. */
  covered: number;
  /** Units of the line still waiting. */
  remaining: number;
}

export type TransferLineStatus = "in_transit" | "partially_received" | "received" | "cancelled";

/** One SKU's line of a transfer, as the SKU object holds it. */
export interface TransferLine {
  transferId: string;
  /** Null for a purchase order's line (from a vendor). */
  fromLocationId: string | null;
  toLocationId: string;
  quantity: number;
  received: number;
  damaged: number;
  short: number;
  /** Units still on the way: quantity − received − damaged − short (0 once cancelled). */
  outstanding: number;
  /** Units sent back to the origin by a cancel. */
  returned: number;
  status: TransferLineStatus;
  expectedAt: number | null;
  reference: string | null;
}

/**
 * Creates a transfer line: `from.onHand −= q` (picked and sent), `to.inTransit += q`.
 * Idempotent by `transferId`. With no `fromLocationId` it is a purchase order's line
 * shipped by the vendor: only `to.inTransit += q`.
 */
export interface CreateTransferInput extends Attributed {
  transferId: string;
  fromLocationId: string | null;
  toLocationId: string;
  quantity: number;
  expectedAt: number | null;
  reference: string | null;
  policy: SkuPolicy;
}

/** Receives part or all of a transfer line; idempotent by `receiptId`. */
export interface ReceiveTransferInput extends Attributed {
  transferId: string;
  receiptId: string;
  /** Good units: `to.inTransit −= q`, `to.onHand += q`. */
  received: number;
  /** Arrived damaged: `to.inTransit −= q`, `to.onHand += q`, `to.damaged += q`. */
  damaged: number;
  /** Never arrived: `to.inTransit −= q`. */
  short: number;
  /**
   * Perishables (v8, sku-inventory/lots.ts): the lot the good units belong to, and its expiry
   * (ms: 00:00 UTC of its `expiresOn` date). Both or neither.
   */
  lot?: string;
  expiresAt?: number;
  policy: SkuPolicy;
}

/** Cancels what is still outstanding: back to the origin's on-hand. Idempotent; a tombstone if never created. */
export interface CancelTransferInput extends Attributed {
  transferId: string;
  reason: string;
}

export interface TransferResult {
  ok: true;
  line: TransferLine;
  /** Backorders covered at the destination by this step. */
  backordersCovered: CoveredBackorder[];
  /** Pre-orders covered at the destination by this step, after the backorders (oldest first; absent when the SKU has none). */
  preordersCovered?: CoveredBackorder[];
  /** True when this step had already been applied (a retry). */
  replayed: boolean;
}

/** A lot's units taken by a shipment (first expiry, first out) or another decrease. */
export interface LotPick {
  lot: string;
  /** `YYYY-MM-DD` (UTC). */
  expiresOn: string;
  quantity: number;
}

/** One lot at a location as the SKU object holds it (`lots()`). */
export interface LotView {
  locationId: string;
  lot: string;
  expiresOn: string;
  /** Sellable units of the lot still here (reserved and committed ones included). */
  units: number;
  receivedAt: number;
  /** When the alarm raised `inventory.expiring` for it (ms), or null. */
  alertedAt: number | null;
  /** When the alarm moved its units to on hold (ms), or null. */
  expiredAt: number | null;
}

/** One change of a lot's units, tied to the ledger row it belongs to. */
export interface LotMove {
  seq: number;
  at: number;
  locationId: string;
  lot: string;
  delta: number;
  /** `receive`, `expire`, or the op of the decrease (`fulfil`, `state`, `adjust`, …). */
  op: string;
  ledgerSeq: number | null;
  reservationId: string | null;
}

/**
 * A confirmed purchase order's line not shipped yet (v9, sku-inventory/expected-arrivals.ts):
 * `quantity` units promised at `locationId` for `expectedAt`. Counts move nothing; pre-orders
 * count it (when dated) like an open transfer line. Idempotent by `arrivalId` (`<po id>:<line
 * no>`, the id its transfer line takes when it ships): a repeat sets the same figures again.
 */
export interface ExpectArrivalInput extends Attributed {
  arrivalId: string;
  locationId: string;
  quantity: number;
  expectedAt: number | null;
  reference: string | null;
  policy: SkuPolicy;
}

/** Withdraws an expected arrival (its order was cancelled); a tombstone if never pushed. */
export interface CancelExpectedArrivalInput extends Attributed {
  arrivalId: string;
  reason: string;
}

/** `expected`: counted by pre-orders; `shipped`: its transfer line took over; `cancelled`: withdrawn. */
export type ExpectedArrivalStatus = "expected" | "shipped" | "cancelled";

/** An expected arrival as the SKU object holds it. */
export interface ExpectedArrivalView {
  arrivalId: string;
  locationId: string;
  quantity: number;
  expectedAt: number | null;
  status: ExpectedArrivalStatus;
  reference: string | null;
}

export interface ExpectArrivalResult {
  ok: true;
  arrival: ExpectedArrivalView;
  /** True when nothing changed: the same figures again, or the arrival already shipped or was withdrawn. */
  replayed: boolean;
}
