/**
 * The SKU object's storage as its modules see it: the handle they share (`SkuDb`), the row
 * shapes of its tables (STORAGE-SCHEMA.md) and their conversion to RPC values.
 */
import type { EventCounts } from "../../domain/events";
import { availableOf, ZERO_QUANTITIES, type Quantities } from "../../domain/quantities";
import type { ReservationStatus, ReservationType } from "../../domain/reservation-rules";
import type { SyncMode } from "../../domain/sync";
import type { LocationLevel } from "../sku-inventory.types";
import type { SyncReviewStatus } from "../sku-sync.types";
import type { MetaCache, PolicyCache } from "./meta";
import type { ShardFlag } from "./shards";

/** The object's storage, shared by every module. Holds no transaction state (that is `Tx`). */
export interface SkuDb {
  readonly storage: DurableObjectStorage;
  readonly sql: SqlStorage;
  /** The reservation rules last stored (a read cache; forgotten when a transaction rolls back). */
  readonly policy: PolicyCache;
  /** Whether this SKU has pre-orders or lots at all (v8), so SKUs without them pay nothing for either. */
  readonly inbound: InboundFlags;
  /** Whether this object is a hot-SKU shard, and which (shards.ts; cached per instance). */
  readonly shard: ShardFlag;
  /** Its SKU and last event sequence (a read cache; forgotten when a transaction rolls back). */
  readonly meta: MetaCache;
  /**
   * Counts the transactions started and direct refusals stored on this instance: a caller that
   * checked for a reservation, then awaited, knows nothing was written meanwhile when it is unchanged.
   */
  epoch: number;
  /** The SKU's totals across locations after the last committed transaction that changed counts (null: not known; read again). */
  totals: Quantities | null;
  /** The earliest flush time of events written to the outbox since the object last re-armed its alarm (null: none). */
  outboxDueAt: number | null;
}

/**
 * Whether the object ever held pre-orders or lots (read once per instance, set when the first
 * row is written, forgotten when a transaction rolls back): the transaction runner and the
 * alarm skip the pre-order queue and the lot bookkeeping of a SKU that has neither, so the
 * rows read and written per operation of every other SKU stay as they were (SCALE.md).
 */
export class InboundFlags {
  #value: { preorders: boolean; lots: boolean } | null = null;

  /** What the object holds (read from storage at the first call after a start or a rollback). */
  get(sql: SqlStorage): { preorders: boolean; lots: boolean } {
    this.#value ??= sql
      .exec<{ preorders: number; lots: number }>("SELECT EXISTS (SELECT 1 FROM preorder_lines) AS preorders, EXISTS (SELECT 1 FROM lots) AS lots")
      .toArray()
      .map((r) => ({ preorders: r.preorders === 1, lots: r.lots === 1 }))[0]!;
    return this.#value;
  }

  /** A pre-order line or a lot was written in the running transaction. */
  mark(sql: SqlStorage, what: "preorders" | "lots"): void {
    this.get(sql)[what] = true;
  }

  /** Called by the transaction runner on rollback. */
  forget(): void {
    this.#value = null;
  }
}

export type StockRow = {
  location_id: string;
  on_hand: number;
  reserved: number;
  soft_held: number;
  committed: number;
  in_transit: number;
  damaged: number;
  on_hold: number;
  updated_at: number;
};

export type ReservationRow = {
  id: string;
  attempt: number;
  type: ReservationType;
  status: ReservationStatus;
  reference: string | null;
  expires_at: number;
  created_at: number;
  updated_at: number;
  /** Failed expiries of this reservation, and when the next is tried (null: never failed). */
  expiry_attempts: number;
  expiry_retry_at: number | null;
  /** (v10) Direct (single-SKU) reservations only, else null: the owner, the first request's hash, the TTL and the first answer. */
  principal: string | null;
  request_hash: string | null;
  ttl_seconds: number | null;
  answer_json: string | null;
};

export type LineRow = { location_id: string; quantity: number; backordered: number };

/** A pre-order line's units still waiting for an arrival (v8 `preorder_lines`). */
export type PreorderRow = { seq: number; reservation_id: string; location_id: string; placed: number; waiting: number; created_at: number };

export type ReviewRow = {
  id: string;
  location_id: string;
  job_id: string;
  mode: SyncMode;
  vendor_quantity: number;
  on_hand_at_review: number;
  proposed: number;
  reason: "large_change" | "below_committed";
  status: SyncReviewStatus;
  created_at: number;
  resolved_at: number | null;
  resolved_by: string | null;
};

/** Column names of the quantity buckets, in `QUANTITY_FIELDS` order. */
export const COLUMNS = {
  onHand: "on_hand",
  reserved: "reserved",
  softHeld: "soft_held",
  committed: "committed",
  inTransit: "in_transit",
  damaged: "damaged",
  onHold: "on_hold",
} as const satisfies Record<keyof Quantities, string>;

export function quantitiesOf(row: StockRow | undefined): Quantities {
  if (row === undefined) return { ...ZERO_QUANTITIES };
  return {
    onHand: row.on_hand,
    reserved: row.reserved,
    softHeld: row.soft_held,
    committed: row.committed,
    inTransit: row.in_transit,
    damaged: row.damaged,
    onHold: row.on_hold,
  };
}

export function countsOf(q: Quantities): EventCounts {
  return { ...q, available: availableOf(q) };
}

export function levelOf(locationId: string, q: Quantities, updatedAt: number): LocationLevel {
  return { locationId, ...q, available: availableOf(q), updatedAt };
}
