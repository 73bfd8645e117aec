/**
 * The logic and storage of one SKU's inventory, kept apart from the Durable Object class so
 * none of it is callable over RPC. Every mutation is one `transactionSync`: counts,
 * reservation rows and ledger rows commit together, and the invariants are checked before
 * the transaction ends (a breach rolls everything back).
 */
import { pickMostAvailable } from "../domain/allocation";
import { fail, type Failure, type ShortLine } from "../domain/failures";
import {
  applyDelta,
  availableOf,
  checkInvariants,
  negativeFields,
  QUANTITY_FIELDS,
  sameQuantities,
  softHoldLimit,
  ZERO_QUANTITIES,
  type LineSums,
  type Quantities,
  type QuantityDelta,
} from "../domain/quantities";
import { TERMINAL_STATUSES, type ReservationStatus, type ReservationType } from "../domain/reservation-rules";
import type { PublicLevel, PublicViewConfig } from "../domain/availability";
import { eventId, thresholdCrossing, type EventCounts, type InventoryEvent, type InventoryEventType } from "../domain/events";
import { decideSync, type SyncMode } from "../domain/sync";
import { migrateSchema } from "./sql-migrations";
import type {
  ResolveSyncReviewInput,
  ResolveSyncReviewResult,
  SyncApplyInput,
  SyncApplyResult,
  SyncItemOutcome,
  SyncReview,
  SyncReviewStatus,
} from "./sku-sync.types";
import { SKU_INVENTORY_MIGRATIONS } from "./sku-inventory.schema";
import type {
  AdjustStockInput,
  AdjustStockResult,
  ApplyReservationInput,
  DemoteInput,
  HeldLine,
  LedgerEntry,
  LocationLevel,
  PromoteInput,
  ReleaseInput,
  ReservationCounts,
  ReservationRefInput,
  ReservationResult,
  SkuPolicy,
  SkuReservation,
  SkuSnapshot,
  VerifyReport,
} from "./sku-inventory.types";

/** Idempotency records are kept this long (ms); a retry later than this is a new request. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Finished reservations (and release tombstones) are kept this long (ms). */
export const TERMINAL_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * New events wait this long (ms) before the alarm sends them, so that under load one send
 * carries many events instead of one alarm and one send per change.
 */
export const OUTBOX_FLUSH_DELAY_MS = 100;
/** Most events one flush sends (the queue's sendBatch takes up to 100 messages). */
export const OUTBOX_BATCH = 100;
/** Retry delay after a failed flush: 1 s doubling up to 5 min. */
export function outboxBackoffMs(attempts: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempts - 1), 300_000);
}
/** Most reservations one alarm run expires before it re-arms (keeps each run short). */
const EXPIRY_BATCH = 500;

type StockRow = {
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

type ReservationRow = {
  id: string;
  attempt: number;
  type: ReservationType;
  status: ReservationStatus;
  reference: string | null;
  expires_at: number;
  created_at: number;
  updated_at: number;
};

type LineRow = { location_id: string; quantity: number; backordered: number };

type ReviewRow = {
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
const COLUMNS = {
  onHand: "on_hand",
  reserved: "reserved",
  softHeld: "soft_held",
  committed: "committed",
  inTransit: "in_transit",
  damaged: "damaged",
  onHold: "on_hold",
} as const satisfies Record<keyof Quantities, string>;

function expiredFailure(row: ReservationRow): Failure {
  return fail("reservation_expired", `reservation ${row.id} expired at ${new Date(row.expires_at).toISOString()}`);
}

/** Thrown inside a transaction to roll it back and answer with a failure value. */
class Rollback extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

/** What a ledger row records besides the quantities. */
interface LedgerNote {
  op: string;
  reason?: string | null;
  actor: string;
  reference?: string | null;
  reservationId?: string | null;
  idempotencyKey?: string | null;
}

function quantitiesOf(row: StockRow | undefined): Quantities {
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

function countsOf(q: Quantities): EventCounts {
  return { ...q, available: availableOf(q) };
}

function levelOf(locationId: string, q: Quantities, updatedAt: number): LocationLevel {
  return { locationId, ...q, available: availableOf(q), updatedAt };
}

/** The quantity bucket a live line of this kind is counted in. */
function bucketOf(type: ReservationType, status: ReservationStatus): keyof Quantities | null {
  if (status === "committed") return "committed";
  if (status !== "active") return null;
  return type === "hard" ? "reserved" : "softHeld";
}

export class SkuInventoryStore {
  readonly #storage: DurableObjectStorage;
  readonly #sql: SqlStorage;
  /** Locations changed by the running transaction; their invariants are checked at its end. */
  #touched = new Set<string>();
  /** Events of the running transaction, written to the outbox when it ends. */
  #events: Omit<InventoryEvent, "id" | "sequence" | "sku">[] = [];
  /** The reservation rules last given with a request (kept in `meta` for alarm-time changes). */
  #policy: SkuPolicy | null = null;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#sql = storage.sql;
    migrateSchema(storage, SKU_INVENTORY_MIGRATIONS);
  }

  // ---------------------------------------------------------------- stock

  /** Adjusts on-hand by a delta or sets it, with compare-and-set and idempotency. */
  adjustStock(input: AdjustStockInput, now: number): AdjustStockResult | Failure {
    const stored = this.#idempotentReplay(input.idempotencyKey, input.requestHash);
    if (stored !== null) return stored as AdjustStockResult | Failure;

    const outcome = this.#transaction(() => {
      this.#rememberSku(input.sku);
      this.rememberPolicy(input.policy);
      const before = this.#quantities(input.locationId);
      if (input.expectedOnHand !== undefined && before.onHand !== input.expectedOnHand) {
        throw new Rollback(
          fail("stale_expected_on_hand", `on-hand at ${input.locationId} is ${before.onHand}, not the expected ${input.expectedOnHand}`, {
            locationId: input.locationId,
            expectedOnHand: input.expectedOnHand,
            onHand: before.onHand,
          }),
        );
      }
      const delta = input.onHand !== undefined ? input.onHand - before.onHand : (input.delta ?? 0);
      const after = applyDelta(before, { onHand: delta });
      if (after.onHand < 0) {
        throw new Rollback(
          fail("would_go_negative", `on-hand at ${input.locationId} is ${before.onHand}; removing ${-delta} would make it negative`, {
            locationId: input.locationId,
            onHand: before.onHand,
            delta,
          }),
        );
      }
      const allowance = input.policy.allowBackorder ? this.#lineSums(input.locationId).backordered : 0;
      if (delta < 0 && availableOf(after) + allowance < 0) {
        throw new Rollback(
          fail(
            "would_go_negative",
            `${before.onHand - availableOf(before)} units at ${input.locationId} are reserved, committed or unsellable; on-hand cannot drop to ${after.onHand}`,
            { locationId: input.locationId, onHand: before.onHand, available: availableOf(before), delta },
          ),
        );
      }
      const seq = this.#change(input.locationId, { onHand: delta }, now, {
        op: input.onHand !== undefined ? "set" : "adjust",
        reason: input.reason,
        actor: input.actor,
        reference: input.reference ?? null,
        idempotencyKey: input.idempotencyKey,
      });
      const result: AdjustStockResult = {
        ok: true,
        sku: input.sku,
        level: levelOf(input.locationId, after, now),
        ledgerSeq: seq,
        replayed: false,
      };
      this.#recordIdempotency(input.idempotencyKey, input.requestHash, result, now);
      return result;
    });
    return outcome;
  }

  // ------------------------------------------------------------ vendor sync

  /**
   * Applies one job chunk's feed values for this SKU (domain/sync.ts decides each), all in
   * one transaction. Idempotent by `idempotencyKey`: a redelivered chunk gets the stored
   * outcomes back and changes nothing.
   */
  applySync(input: SyncApplyInput, now: number): SyncApplyResult | Failure {
    const stored = this.#idempotentReplay(input.idempotencyKey, input.requestHash);
    if (stored !== null) return stored as SyncApplyResult | Failure;
    return this.#transaction(() => {
      this.#rememberSku(input.sku);
      this.rememberPolicy(input.policy);
      const outcomes: SyncItemOutcome[] = input.items.map((item) => this.#syncItem(input, item.itemIndex, item.locationId, item.quantity, now));
      const result: SyncApplyResult = { ok: true, sku: input.sku, outcomes, replayed: false };
      this.#recordIdempotency(input.idempotencyKey, input.requestHash, result, now);
      return result;
    });
  }

  #syncItem(input: SyncApplyInput, itemIndex: number, locationId: string, quantity: number, now: number): SyncItemOutcome {
    const q = this.#quantities(locationId);
    const state = this.#syncState(locationId);
    const decision = decideSync(input.mode, quantity, {
      onHand: q.onHand,
      floor: this.#onHandFloor(locationId, q, input.policy),
      offset: state?.local_offset ?? 0,
      firstSync: state === undefined,
    });
    switch (decision.action) {
      case "error":
        return { itemIndex, locationId, outcome: "error", code: decision.code, message: `on-hand at ${locationId} is ${q.onHand}; a delta of ${quantity} would make it negative` };
      case "review": {
        const reviewId = this.#openReview(input, locationId, quantity, q.onHand, decision.proposed, decision.reason, now);
        return { itemIndex, locationId, outcome: "conflict", reviewId, reason: decision.reason, onHand: q.onHand, vendorQuantity: quantity, proposed: decision.proposed };
      }
      case "unchanged":
      case "apply": {
        if (decision.action === "apply") {
          this.#change(locationId, { onHand: decision.proposed - q.onHand }, now, {
            op: "sync",
            reason: input.mode === "absolute" ? "sync_absolute" : "sync_delta",
            actor: input.actor,
            reference: input.jobId,
          });
        }
        // A newer feed value replaces any open review of this location.
        this.#sql.exec(
          "UPDATE sync_reviews SET status = 'superseded', resolved_at = ?, resolved_by = ? WHERE location_id = ? AND status = 'open'",
          now,
          input.actor,
          locationId,
        );
        if (input.mode === "absolute") this.#setSyncState(locationId, quantity, decision.proposed - quantity, input.jobId, now);
        return decision.action === "apply"
          ? { itemIndex, locationId, outcome: "applied", before: q.onHand, after: decision.proposed }
          : { itemIndex, locationId, outcome: "unchanged", onHand: q.onHand };
      }
    }
  }

  /** The least on-hand a location may have: what is reserved, committed or unsellable (less accepted backorders). */
  #onHandFloor(locationId: string, q: Quantities, policy: SkuPolicy): number {
    const allowance = policy.allowBackorder ? this.#lineSums(locationId).backordered : 0;
    return q.onHand - availableOf(q) - allowance;
  }

  #openReview(input: SyncApplyInput, locationId: string, quantity: number, onHand: number, proposed: number, reason: "large_change" | "below_committed", now: number): string {
    this.#sql.exec(
      "UPDATE sync_reviews SET status = 'superseded', resolved_at = ?, resolved_by = ? WHERE location_id = ? AND status = 'open'",
      now,
      input.actor,
      locationId,
    );
    const id = `srv_${[...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
    this.#sql.exec(
      `INSERT INTO sync_reviews (id, location_id, job_id, mode, vendor_quantity, on_hand_at_review, proposed, reason, status, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)`,
      id,
      locationId,
      input.jobId,
      input.mode,
      quantity,
      onHand,
      proposed,
      reason,
      now,
    );
    const counts = countsOf(this.#quantities(locationId));
    this.#events.push({
      type: "sync.conflict",
      locationId,
      occurredAt: new Date(now).toISOString(),
      cause: { ledgerSeq: null, op: "sync", reason, reference: input.jobId, reservationId: null, actor: input.actor },
      before: counts,
      after: counts,
      reservation: null,
      syncReview: { reviewId: id, jobId: input.jobId, vendorQuantity: quantity, onHand, proposed, reason },
    });
    return id;
  }

  /** Accepts (applies the feed value, with today's local movements) or rejects (keeps our count) a held feed value. */
  resolveSyncReview(input: ResolveSyncReviewInput, now: number): ResolveSyncReviewResult | Failure {
    return this.#transaction(() => {
      this.rememberPolicy(input.policy);
      const review = this.#reviewRow(input.reviewId);
      if (review === undefined) return fail("review_not_found", `no sync review ${input.reviewId} for ${input.sku}`);
      if (review.status !== "open") return fail("review_closed", `sync review ${input.reviewId} is ${review.status}`);
      const q = this.#quantities(review.location_id);
      const state = this.#syncState(review.location_id);
      if (input.decision === "accept") {
        const proposed = review.mode === "absolute" ? review.vendor_quantity + (state?.local_offset ?? 0) : q.onHand + review.vendor_quantity;
        const floor = this.#onHandFloor(review.location_id, q, input.policy);
        if (proposed < 0 || proposed < floor) {
          throw new Rollback(
            fail("would_go_negative", `accepting would set on-hand at ${review.location_id} to ${proposed}, below the ${floor} units reserved, committed or unsellable`, {
              locationId: review.location_id,
              proposed,
              floor,
            }),
          );
        }
        if (proposed !== q.onHand) {
          this.#change(review.location_id, { onHand: proposed - q.onHand }, now, {
            op: "sync",
            reason: "sync_review_accepted",
            actor: input.actor,
            reference: review.id,
          });
        }
        if (review.mode === "absolute") this.#setSyncState(review.location_id, review.vendor_quantity, proposed - review.vendor_quantity, review.job_id, now);
      } else if (review.mode === "absolute") {
        // Keep our count; remember the vendor's value so an identical next feed is no conflict.
        this.#setSyncState(review.location_id, review.vendor_quantity, q.onHand - review.vendor_quantity, review.job_id, now);
      }
      this.#sql.exec(
        "UPDATE sync_reviews SET status = ?, resolved_at = ?, resolved_by = ? WHERE id = ?",
        input.decision === "accept" ? "accepted" : "rejected",
        now,
        input.actor,
        review.id,
      );
      const level = this.#quantities(review.location_id);
      return { ok: true as const, review: this.#reviewView(this.#reviewRow(review.id)!), level: levelOf(review.location_id, level, now) };
    });
  }

  /** This SKU's sync reviews, newest first (optionally one status). */
  syncReviews(status?: SyncReviewStatus): SyncReview[] {
    const rows =
      status === undefined
        ? this.#sql.exec<ReviewRow>("SELECT * FROM sync_reviews ORDER BY created_at DESC LIMIT 1000").toArray()
        : this.#sql.exec<ReviewRow>("SELECT * FROM sync_reviews WHERE status = ? ORDER BY created_at DESC LIMIT 1000", status).toArray();
    return rows.map((r) => this.#reviewView(r));
  }

  #syncState(locationId: string): { vendor_on_hand: number; local_offset: number } | undefined {
    return this.#sql
      .exec<{ vendor_on_hand: number; local_offset: number }>("SELECT vendor_on_hand, local_offset FROM sync_state WHERE location_id = ?", locationId)
      .toArray()[0];
  }

  #setSyncState(locationId: string, vendorOnHand: number, offset: number, jobId: string, now: number): void {
    this.#sql.exec(
      `INSERT INTO sync_state (location_id, vendor_on_hand, local_offset, last_job_id, last_synced_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (location_id) DO UPDATE SET vendor_on_hand = excluded.vendor_on_hand, local_offset = excluded.local_offset,
         last_job_id = excluded.last_job_id, last_synced_at = excluded.last_synced_at`,
      locationId,
      vendorOnHand,
      offset,
      jobId,
      now,
    );
  }

  #reviewRow(id: string): ReviewRow | undefined {
    return this.#sql.exec<ReviewRow>("SELECT * FROM sync_reviews WHERE id = ?", id).toArray()[0];
  }

  #reviewView(r: ReviewRow): SyncReview {
    return {
      id: r.id,
      sku: this.#sku() ?? "",
      locationId: r.location_id,
      jobId: r.job_id,
      mode: r.mode,
      vendorQuantity: r.vendor_quantity,
      onHandAtReview: r.on_hand_at_review,
      proposed: r.proposed,
      reason: r.reason,
      status: r.status,
      createdAt: r.created_at,
      resolvedAt: r.resolved_at,
      resolvedBy: r.resolved_by,
    };
  }

  // ---------------------------------------------------------- reservations

  /**
   * Holds (soft) or reserves (hard) every line, or nothing. Idempotent by reservation id
   * and attempt: a repeat returns the reservation as it stands.
   */
  applyReservation(input: ApplyReservationInput, now: number): ReservationResult | Failure {
    return this.#transaction(() => {
      this.#rememberSku(input.sku);
      this.rememberPolicy(input.policy);
      const existing = this.#reservationRow(input.reservationId);
      if (existing !== undefined) {
        if (existing.attempt > input.attempt) {
          return fail("reservation_released", `reservation ${input.reservationId} was superseded by a later attempt`);
        }
        if (existing.attempt === input.attempt) {
          const current = this.#expireIfDue(existing, now, input.actor);
          if (current.status === "released") return fail("reservation_released", `reservation ${input.reservationId} was released`);
          if (current.status === "expired") return fail("reservation_expired", `reservation ${input.reservationId} has expired`);
          return { ok: true, reservation: this.#view(current) };
        }
        if (!TERMINAL_STATUSES.has(existing.status)) {
          return fail("invalid_state", `reservation ${input.reservationId} from attempt ${existing.attempt} still holds stock`);
        }
        this.#sql.exec("DELETE FROM reservation_lines WHERE reservation_id = ?", input.reservationId);
        this.#sql.exec("DELETE FROM reservations WHERE id = ?", input.reservationId);
      }

      const bucket = input.type === "hard" ? "reserved" : "softHeld";
      const held = new Map<string, HeldLine>();
      const short: ShortLine[] = [];
      for (const line of input.lines) {
        const locationId = line.locationId ?? this.#chooseLocation(line.candidates ?? [], input.type, input.policy);
        if (locationId === undefined) {
          short.push({ sku: input.sku, locationId: null, requested: line.quantity, available: 0 });
          continue;
        }
        const q = this.#quantities(locationId);
        const room = this.#room(q, input.type, input.policy);
        let backordered = 0;
        if (room < line.quantity) {
          if (input.type === "hard" && input.policy.allowBackorder) {
            backordered = line.quantity - Math.max(room, 0);
          } else {
            short.push({ sku: input.sku, locationId, requested: line.quantity, available: Math.max(room, 0) });
            continue;
          }
        }
        this.#change(locationId, { [bucket]: line.quantity }, now, {
          op: input.type === "hard" ? "reserve" : "hold",
          actor: input.actor,
          reference: input.reference,
          reservationId: input.reservationId,
        });
        const previous = held.get(locationId);
        held.set(locationId, {
          locationId,
          quantity: (previous?.quantity ?? 0) + line.quantity,
          backordered: (previous?.backordered ?? 0) + backordered,
        });
      }
      if (short.length > 0) {
        throw new Rollback(fail("insufficient_stock", `not enough stock for ${input.sku}`, short));
      }
      this.#sql.exec(
        `INSERT INTO reservations (id, attempt, type, status, reference, expires_at, created_at, updated_at)
         VALUES (?, ?, ?, 'active', ?, ?, ?, ?)`,
        input.reservationId,
        input.attempt,
        input.type,
        input.reference,
        input.expiresAt,
        now,
        now,
      );
      for (const line of held.values()) {
        this.#sql.exec(
          "INSERT INTO reservation_lines (reservation_id, location_id, quantity, backordered) VALUES (?, ?, ?, ?)",
          input.reservationId,
          line.locationId,
          line.quantity,
          line.backordered,
        );
      }
      this.#reservationEvent("reservation.created", input.reservationId, now, input.actor, null);
      return { ok: true, reservation: this.#view(this.#reservationRow(input.reservationId)!) };
    });
  }

  /**
   * Releases a live reservation (or marks it expired). Releasing one this SKU never saw
   * leaves a tombstone, so a late-arriving apply of the same attempt cannot hold stock.
   */
  release(input: ReleaseInput, now: number): ReservationResult | Failure {
    return this.#transaction(() => {
      this.#rememberSku(input.sku);
      const existing = this.#reservationRow(input.reservationId);
      if (existing === undefined) {
        this.#sql.exec(
          `INSERT INTO reservations (id, attempt, type, status, reference, expires_at, created_at, updated_at)
           VALUES (?, ?, ?, 'released', NULL, ?, ?, ?)`,
          input.reservationId,
          input.attempt,
          input.type,
          now,
          now,
          now,
        );
        return { ok: true, reservation: this.#view(this.#reservationRow(input.reservationId)!) };
      }
      if (existing.attempt > input.attempt) return { ok: true, reservation: this.#view(existing) };
      const current = this.#expireIfDue(existing, now, input.actor);
      if (TERMINAL_STATUSES.has(current.status)) {
        if (current.attempt < input.attempt) {
          this.#sql.exec("UPDATE reservations SET attempt = ?, updated_at = ? WHERE id = ?", input.attempt, now, input.reservationId);
        }
        return { ok: true, reservation: this.#view(this.#reservationRow(input.reservationId)!) };
      }
      const status = input.reason === "expire" ? "expired" : "released";
      this.#endReservation(current, status, now, input.actor, input.reason);
      this.#sql.exec("UPDATE reservations SET attempt = MAX(attempt, ?) WHERE id = ?", input.attempt, input.reservationId);
      return { ok: true, reservation: this.#view(this.#reservationRow(input.reservationId)!) };
    });
  }

  /** Turns an active soft hold into a hard reservation, all lines or none. */
  promote(input: PromoteInput, now: number): ReservationResult | Failure {
    return this.#transaction(() => {
      const current = this.#liveReservation(input, now);
      if (current.status === "expired") return expiredFailure(current);
      if (current.type === "hard") return { ok: true, reservation: this.#view(current) };
      if (current.status !== "active") {
        return fail("invalid_state", `reservation ${current.id} is ${current.status}`);
      }
      const lines = this.#lines(current.id);
      const short: ShortLine[] = [];
      for (const line of lines) {
        const q = this.#quantities(line.location_id);
        const room = availableOf(q);
        let backordered = 0;
        if (room < line.quantity) {
          if (!input.policy.allowBackorder) {
            short.push({ sku: input.sku, locationId: line.location_id, requested: line.quantity, available: Math.max(room, 0) });
            continue;
          }
          backordered = line.quantity - Math.max(room, 0);
        }
        this.#change(line.location_id, { softHeld: -line.quantity, reserved: line.quantity }, now, {
          op: "promote",
          actor: input.actor,
          reference: current.reference,
          reservationId: current.id,
        });
        this.#sql.exec(
          "UPDATE reservation_lines SET backordered = ? WHERE reservation_id = ? AND location_id = ?",
          backordered,
          current.id,
          line.location_id,
        );
      }
      if (short.length > 0) throw new Rollback(fail("insufficient_stock", `not enough stock for ${input.sku}`, short));
      this.#sql.exec(
        "UPDATE reservations SET type = 'hard', expires_at = ?, updated_at = ? WHERE id = ?",
        input.expiresAt,
        now,
        current.id,
      );
      return { ok: true, reservation: this.#view(this.#reservationRow(current.id)!) };
    });
  }

  /** Undoes a promotion (compensation when another SKU of the order could not promote). */
  demote(input: DemoteInput, now: number): ReservationResult | Failure {
    return this.#transaction(() => {
      const current = this.#liveReservation(input, now);
      if (current.status === "expired") return expiredFailure(current);
      if (current.type === "soft") return { ok: true, reservation: this.#view(current) };
      if (current.status !== "active") return fail("invalid_state", `reservation ${current.id} is ${current.status}`);
      for (const line of this.#lines(current.id)) {
        this.#change(line.location_id, { reserved: -line.quantity, softHeld: line.quantity }, now, {
          op: "demote",
          reason: "compensation",
          actor: input.actor,
          reference: current.reference,
          reservationId: current.id,
        });
      }
      this.#sql.exec("UPDATE reservation_lines SET backordered = 0 WHERE reservation_id = ?", current.id);
      this.#sql.exec(
        "UPDATE reservations SET type = 'soft', expires_at = ?, updated_at = ? WHERE id = ?",
        input.expiresAt,
        now,
        current.id,
      );
      return { ok: true, reservation: this.#view(this.#reservationRow(current.id)!) };
    });
  }

  /** Moves a hard reservation's units to `committed` (picked). Needs the units on hand. */
  commit(input: ReservationRefInput, now: number): ReservationResult | Failure {
    return this.#transaction(() => {
      const current = this.#liveReservation(input, now);
      if (current.status === "expired") return expiredFailure(current);
      if (current.status === "committed" || current.status === "fulfilled") {
        return { ok: true, reservation: this.#view(current) };
      }
      if (current.type !== "hard") {
        return fail("invalid_state", `reservation ${current.id} is a soft hold; promote it to hard before committing`);
      }
      const short: ShortLine[] = [];
      for (const line of this.#lines(current.id)) {
        const q = this.#quantities(line.location_id);
        const pickable = q.onHand - q.committed - q.damaged - q.onHold;
        if (pickable < line.quantity) {
          short.push({ sku: input.sku, locationId: line.location_id, requested: line.quantity, available: Math.max(pickable, 0) });
          continue;
        }
        this.#change(line.location_id, { reserved: -line.quantity, committed: line.quantity }, now, {
          op: "commit",
          actor: input.actor,
          reference: current.reference,
          reservationId: current.id,
        });
      }
      if (short.length > 0) {
        throw new Rollback(fail("insufficient_stock", `backordered units of ${input.sku} are not on hand yet`, short));
      }
      this.#sql.exec("UPDATE reservation_lines SET backordered = 0 WHERE reservation_id = ?", current.id);
      this.#setStatus(current.id, "committed", now);
      return { ok: true, reservation: this.#view(this.#reservationRow(current.id)!) };
    });
  }

  /** Undoes a commit (compensation when another SKU of the order could not commit). */
  uncommit(input: ReservationRefInput, now: number): ReservationResult | Failure {
    return this.#transaction(() => {
      const current = this.#liveReservation(input, now);
      if (current.status === "active") return { ok: true, reservation: this.#view(current) };
      if (current.status !== "committed") return fail("invalid_state", `reservation ${current.id} is ${current.status}`);
      for (const line of this.#lines(current.id)) {
        this.#change(line.location_id, { committed: -line.quantity, reserved: line.quantity }, now, {
          op: "uncommit",
          reason: "compensation",
          actor: input.actor,
          reference: current.reference,
          reservationId: current.id,
        });
      }
      this.#setStatus(current.id, "active", now);
      return { ok: true, reservation: this.#view(this.#reservationRow(current.id)!) };
    });
  }

  /** Ships a committed reservation: `committed −= q`, `onHand −= q`. */
  fulfil(input: ReservationRefInput, now: number): ReservationResult | Failure {
    return this.#transaction(() => {
      const current = this.#liveReservation(input, now);
      if (current.status === "expired") return expiredFailure(current);
      if (current.status === "fulfilled") return { ok: true, reservation: this.#view(current) };
      if (current.status !== "committed") {
        return fail("invalid_state", `reservation ${current.id} is ${current.status}; commit it before fulfilling`);
      }
      for (const line of this.#lines(current.id)) {
        this.#change(line.location_id, { committed: -line.quantity, onHand: -line.quantity }, now, {
          op: "fulfil",
          actor: input.actor,
          reference: current.reference,
          reservationId: current.id,
        });
      }
      this.#setStatus(current.id, "fulfilled", now);
      this.#reservationEvent("reservation.fulfilled", current.id, now, input.actor, null);
      return { ok: true, reservation: this.#view(this.#reservationRow(current.id)!) };
    });
  }

  /** The reservation as this SKU holds it, expiring it first if it is due. */
  getReservation(reservationId: string, now: number): ReservationResult | Failure {
    const row = this.#reservationRow(reservationId);
    if (row === undefined) return fail("reservation_not_found", `no reservation ${reservationId} for this SKU`);
    if (row.status !== "active" || row.expires_at > now) return { ok: true, reservation: this.#view(row) };
    return this.#transaction(() => ({ ok: true as const, reservation: this.#view(this.#expireIfDue(row, now, "system:expiry")) }));
  }

  // ------------------------------------------------------------------ alarm

  /**
   * Expires due reservations and prunes old records. Safe to run twice: a second run finds
   * nothing due. Returns when the alarm should next fire, or null for never.
   */
  runDueWork(now: number): number | null {
    const due = this.#sql
      .exec<ReservationRow>(
        "SELECT * FROM reservations WHERE status = 'active' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
        now,
        EXPIRY_BATCH,
      )
      .toArray();
    for (const row of due) {
      this.#transaction(() => this.#expireIfDue(row, now, "system:expiry"));
    }
    this.#storage.transactionSync(() => {
      this.#sql.exec("DELETE FROM idempotency WHERE created_at <= ?", now - IDEMPOTENCY_RETENTION_MS);
      const cutoff = now - TERMINAL_RETENTION_MS;
      const finished = "SELECT id FROM reservations WHERE status IN ('fulfilled', 'released', 'expired') AND updated_at <= ?";
      this.#sql.exec(`DELETE FROM reservation_lines WHERE reservation_id IN (${finished})`, cutoff);
      this.#sql.exec(`DELETE FROM reservations WHERE id IN (${finished})`, cutoff);
    });
    return this.nextDueAt();
  }

  /** When the next piece of due work falls (expiry or pruning), or null if none. */
  nextDueAt(): number | null {
    const row = this.#sql
      .exec<{ next: number | null }>(
        `SELECT MIN(t) AS next FROM (
           SELECT MIN(expires_at) AS t FROM reservations WHERE status = 'active'
           UNION ALL SELECT MIN(created_at) + ? FROM idempotency
           UNION ALL SELECT MIN(updated_at) + ? FROM reservations WHERE status IN ('fulfilled', 'released', 'expired')
           UNION ALL SELECT MIN(next_attempt_at) FROM outbox
         )`,
        IDEMPOTENCY_RETENTION_MS,
        TERMINAL_RETENTION_MS,
      )
      .one();
    return row.next;
  }

  // ------------------------------------------------------------------ reads

  /** Per-location quantities, totals and reservation counts. */
  snapshot(): SkuSnapshot {
    const rows = this.#sql.exec<StockRow>("SELECT * FROM stock ORDER BY location_id").toArray();
    let totals: Quantities = { ...ZERO_QUANTITIES };
    let updatedAt: number | null = null;
    const locations = rows.map((row) => {
      const q = quantitiesOf(row);
      totals = applyDelta(totals, q);
      updatedAt = Math.max(updatedAt ?? 0, row.updated_at);
      return levelOf(row.location_id, q, row.updated_at);
    });
    const counts = (where: string): ReservationCounts => {
      const c = this.#sql
        .exec<{ count: number; units: number | null }>(
          `SELECT COUNT(DISTINCT r.id) AS count, SUM(l.quantity) AS units
           FROM reservations r JOIN reservation_lines l ON l.reservation_id = r.id WHERE ${where}`,
        )
        .one();
      return { count: c.count, units: c.units ?? 0 };
    };
    return {
      sku: this.#sku(),
      version: this.#lastSeq(),
      updatedAt,
      totals: { ...totals, available: availableOf(totals) },
      locations,
      reservations: {
        activeSoft: counts("r.status = 'active' AND r.type = 'soft'"),
        activeHard: counts("r.status = 'active' AND r.type = 'hard'"),
        committed: counts("r.status = 'committed'"),
      },
    };
  }

  /** Per-location sellable figures for the public view, and when they last changed. */
  publicLevels(): { levels: PublicLevel[]; updatedAt: number | null } {
    const rows = this.#sql.exec<StockRow>("SELECT * FROM stock").toArray();
    let updatedAt: number | null = null;
    const levels = rows.map((row) => {
      updatedAt = Math.max(updatedAt ?? 0, row.updated_at);
      return { locationId: row.location_id, available: availableOf(quantitiesOf(row)), inTransit: row.in_transit };
    });
    return { levels, updatedAt };
  }

  /** The live feed's view settings, as the Worker last sent them. */
  liveConfig(): PublicViewConfig | null {
    const row = this.#sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'live_config'").toArray()[0];
    return row === undefined ? null : (JSON.parse(row.value) as PublicViewConfig);
  }

  setLiveConfig(config: PublicViewConfig): void {
    this.#sql.exec(
      "INSERT INTO meta (key, value) VALUES ('live_config', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      JSON.stringify(config),
    );
  }

  /** Ledger rows after `afterSeq`, oldest first. */
  ledger(afterSeq: number, limit: number): LedgerEntry[] {
    type Row = {
      seq: number;
      at: number;
      location_id: string;
      op: string;
      reason: string | null;
      actor: string;
      reference: string | null;
      reservation_id: string | null;
      before_json: string;
      after_json: string;
    } & Record<`d_${string}`, number>;
    return this.#sql
      .exec<Row>("SELECT * FROM ledger WHERE seq > ? ORDER BY seq LIMIT ?", afterSeq, limit)
      .toArray()
      .map((row) => {
        const before = JSON.parse(row.before_json) as Quantities;
        const after = JSON.parse(row.after_json) as Quantities;
        const delta = { ...ZERO_QUANTITIES };
        for (const f of QUANTITY_FIELDS) delta[f] = row[`d_${COLUMNS[f]}`] ?? 0;
        return {
          seq: row.seq,
          at: row.at,
          locationId: row.location_id,
          op: row.op,
          reason: row.reason,
          actor: row.actor,
          reference: row.reference,
          reservationId: row.reservation_id,
          delta,
          before,
          after,
        };
      });
  }

  /** Checks every location's invariants and that replaying the ledger from zero gives its counts. */
  verify(): VerifyReport {
    const breaches: VerifyReport["breaches"] = [];
    const stock = new Map(
      this.#sql.exec<StockRow>("SELECT * FROM stock").toArray().map((row) => [row.location_id, quantitiesOf(row)]),
    );
    const sums = QUANTITY_FIELDS.map((f) => `SUM(d_${COLUMNS[f]}) AS ${COLUMNS[f]}`).join(", ");
    const replayed = this.#sql
      .exec<StockRow>(`SELECT location_id, ${sums}, 0 AS updated_at FROM ledger GROUP BY location_id`)
      .toArray();
    for (const row of replayed) {
      const fromLedger = quantitiesOf(row);
      const actual = stock.get(row.location_id) ?? { ...ZERO_QUANTITIES };
      if (!sameQuantities(fromLedger, actual)) {
        breaches.push({
          locationId: row.location_id,
          invariant: "ledger_replay",
          detail: `ledger gives ${JSON.stringify(fromLedger)}, counts are ${JSON.stringify(actual)}`,
        });
      }
    }
    const replayedIds = new Set(replayed.map((r) => r.location_id));
    for (const [locationId, q] of stock) {
      if (!replayedIds.has(locationId) && !sameQuantities(q, ZERO_QUANTITIES)) {
        breaches.push({ locationId, invariant: "ledger_replay", detail: "counts without any ledger row" });
      }
      const fromLines = this.#lineSumsFromLines(locationId);
      for (const b of checkInvariants(q, fromLines)) breaches.push({ locationId, ...b });
      const kept = this.#lineSums(locationId);
      if (JSON.stringify(kept) !== JSON.stringify(fromLines)) {
        breaches.push({ locationId, invariant: "line_totals", detail: `kept ${JSON.stringify(kept)}, lines give ${JSON.stringify(fromLines)}` });
      }
    }
    const ledgerRows = this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM ledger").one().n;
    return { ok: breaches.length === 0, locations: stock.size, ledgerRows, breaches };
  }

  // --------------------------------------------------------------- internals

  /** Runs `fn` in one synchronous transaction; checks invariants of touched locations at the end. */
  #transaction<T>(fn: () => T): T | Failure {
    try {
      return this.#storage.transactionSync(() => {
        this.#touched = new Set();
        this.#events = [];
        const totalsBefore = this.#totals();
        const result = fn();
        for (const locationId of this.#touched) {
          const breaches = checkInvariants(this.#quantities(locationId), this.#lineSums(locationId));
          if (breaches.length > 0) {
            throw new Rollback(fail("invariant_violation", `invariant broken at ${locationId}; change rolled back`, breaches));
          }
        }
        if (this.#touched.size > 0) this.#thresholdEvent(totalsBefore, this.#totals());
        this.#writeOutbox();
        return result;
      });
    } catch (error) {
      if (error instanceof Rollback) return error.failure;
      throw error;
    } finally {
      this.#touched = new Set();
      this.#events = [];
    }
  }

  /** Totals across locations (for threshold events). */
  #totals(): Quantities {
    const row = this.#sql
      .exec<StockRow>(
        `SELECT '' AS location_id, SUM(on_hand) AS on_hand, SUM(reserved) AS reserved, SUM(soft_held) AS soft_held,
           SUM(committed) AS committed, SUM(in_transit) AS in_transit, SUM(damaged) AS damaged, SUM(on_hold) AS on_hold,
           0 AS updated_at FROM stock`,
      )
      .one();
    const q = quantitiesOf(row);
    for (const f of QUANTITY_FIELDS) q[f] ??= 0;
    return q;
  }

  #thresholdEvent(before: Quantities, after: Quantities): void {
    const type = thresholdCrossing(availableOf(before), availableOf(after), this.#currentPolicy()?.reorderPoint ?? 0);
    if (type === null) return;
    const last = this.#events.findLast((e) => e.cause.ledgerSeq !== null);
    this.#events.push({
      type,
      locationId: null,
      occurredAt: last?.occurredAt ?? new Date().toISOString(),
      cause: last?.cause ?? { ledgerSeq: null, op: "unknown", reason: null, reference: null, reservationId: null, actor: "system" },
      before: countsOf(before),
      after: countsOf(after),
      reservation: null,
    });
  }

  /** Records a reservation-level event in the running transaction. */
  #reservationEvent(type: InventoryEventType, id: string, now: number, actor: string, reason: string | null): void {
    const row = this.#reservationRow(id)!;
    this.#events.push({
      type,
      locationId: null,
      occurredAt: new Date(now).toISOString(),
      cause: { ledgerSeq: null, op: type.slice("reservation.".length), reason, reference: row.reference, reservationId: id, actor },
      before: null,
      after: null,
      reservation: {
        id,
        type: row.type,
        status: row.status,
        lines: this.#lines(id).map((l) => ({ locationId: l.location_id, quantity: l.quantity })),
      },
    });
  }

  #writeOutbox(): void {
    if (this.#events.length === 0) return;
    const sku = this.#sku() ?? "";
    let sequence = Number(this.#sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'event_seq'").toArray()[0]?.value ?? 0);
    const now = Date.now();
    for (const event of this.#events) {
      sequence += 1;
      const full: InventoryEvent = { id: eventId(sku, sequence), sku, sequence, ...event };
      this.#sql.exec(
        "INSERT INTO outbox (sequence, event_json, created_at, next_attempt_at) VALUES (?, ?, ?, ?)",
        sequence,
        JSON.stringify(full),
        now,
        now + OUTBOX_FLUSH_DELAY_MS,
      );
    }
    this.#sql.exec(
      "INSERT INTO meta (key, value) VALUES ('event_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      String(sequence),
    );
  }

  // ------------------------------------------------------------------ outbox

  /**
   * Events to send now, oldest first: every event never tried (the alarm is running anyway)
   * and every failed one whose back-off has passed.
   */
  dueEvents(now: number, limit = OUTBOX_BATCH): { sequence: number; event: InventoryEvent }[] {
    return this.#sql
      .exec<{ sequence: number; event_json: string }>(
        "SELECT sequence, event_json FROM outbox WHERE attempts = 0 OR next_attempt_at <= ? ORDER BY sequence LIMIT ?",
        now,
        limit,
      )
      .toArray()
      .map((r) => ({ sequence: r.sequence, event: JSON.parse(r.event_json) as InventoryEvent }));
  }

  /** The send of these events succeeded: drop them. */
  eventsSent(sequences: readonly number[]): void {
    if (sequences.length === 0) return;
    this.#sql.exec(`DELETE FROM outbox WHERE sequence IN (${sequences.map(() => "?").join(", ")})`, ...sequences);
  }

  /** The send failed: try these again later, backing off. */
  eventsFailed(sequences: readonly number[], now: number): void {
    for (const sequence of sequences) {
      const attempts = this.#sql.exec<{ attempts: number }>("SELECT attempts FROM outbox WHERE sequence = ?", sequence).toArray()[0]?.attempts ?? 0;
      this.#sql.exec(
        "UPDATE outbox SET attempts = ?, next_attempt_at = ? WHERE sequence = ?",
        attempts + 1,
        now + outboxBackoffMs(attempts + 1),
        sequence,
      );
    }
  }

  /** Events not yet sent (for tests and operators). */
  outboxSize(): number {
    return this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
  }

  // ------------------------------------------------------------------ policy

  /** Remembers the reservation rules sent with a request (written only when they change). */
  rememberPolicy(policy: SkuPolicy): void {
    const current = this.#currentPolicy();
    if (current !== null && JSON.stringify(current) === JSON.stringify(policy)) return;
    this.#sql.exec(
      "INSERT INTO meta (key, value) VALUES ('policy', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      JSON.stringify(policy),
    );
    this.#policy = policy;
  }

  #currentPolicy(): SkuPolicy | null {
    if (this.#policy === null) {
      const row = this.#sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'policy'").toArray()[0];
      if (row !== undefined) this.#policy = JSON.parse(row.value) as SkuPolicy;
    }
    return this.#policy;
  }

  /** Applies a delta to one location's buckets and writes its ledger row. Returns the row's seq. */
  #change(locationId: string, delta: QuantityDelta, now: number, note: LedgerNote): number {
    const before = this.#quantities(locationId);
    const after = applyDelta(before, delta);
    const negative = negativeFields(after);
    if (negative.length > 0) {
      throw new Rollback(
        fail("invariant_violation", `${negative.join(", ")} at ${locationId} would go negative; change rolled back`),
      );
    }
    this.#sql.exec(
      `INSERT INTO stock (location_id, on_hand, reserved, soft_held, committed, in_transit, damaged, on_hold, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (location_id) DO UPDATE SET
         on_hand = excluded.on_hand, reserved = excluded.reserved, soft_held = excluded.soft_held,
         committed = excluded.committed, in_transit = excluded.in_transit, damaged = excluded.damaged,
         on_hold = excluded.on_hold, updated_at = excluded.updated_at`,
      locationId,
      after.onHand,
      after.reserved,
      after.softHeld,
      after.committed,
      after.inTransit,
      after.damaged,
      after.onHold,
      now,
    );
    const full = applyDelta(ZERO_QUANTITIES, delta);
    const row = this.#sql
      .exec<{ seq: number }>(
        `INSERT INTO ledger (at, location_id, op, reason, actor, reference, reservation_id, idempotency_key,
           d_on_hand, d_reserved, d_soft_held, d_committed, d_in_transit, d_damaged, d_on_hold, before_json, after_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
        now,
        locationId,
        note.op,
        note.reason ?? null,
        note.actor,
        note.reference ?? null,
        note.reservationId ?? null,
        note.idempotencyKey ?? null,
        full.onHand,
        full.reserved,
        full.softHeld,
        full.committed,
        full.inTransit,
        full.damaged,
        full.onHold,
        JSON.stringify(before),
        JSON.stringify(after),
      )
      .one();
    this.#touched.add(locationId);
    if (full.onHand !== 0 && note.op !== "sync") {
      // A movement made here: the vendor's next feed will not know about it (domain/sync.ts).
      this.#sql.exec("UPDATE sync_state SET local_offset = local_offset + ? WHERE location_id = ?", full.onHand, locationId);
    }
    this.#events.push({
      type: "inventory.updated",
      locationId,
      occurredAt: new Date(now).toISOString(),
      cause: {
        ledgerSeq: row.seq,
        op: note.op,
        reason: note.reason ?? null,
        reference: note.reference ?? null,
        reservationId: note.reservationId ?? null,
        actor: note.actor,
      },
      before: countsOf(before),
      after: countsOf(after),
      reservation: null,
    });
    return row.seq;
  }

  #quantities(locationId: string): Quantities {
    return quantitiesOf(this.#sql.exec<StockRow>("SELECT * FROM stock WHERE location_id = ?", locationId).toArray()[0]);
  }

  /** Units a new line of this type may take at a location (negative when already over). */
  #room(q: Quantities, type: ReservationType, policy: SkuPolicy): number {
    const available = availableOf(q);
    return type === "hard" ? available : softHoldLimit(available, policy.softBufferPct) - q.softHeld;
  }

  #chooseLocation(candidates: readonly string[], type: ReservationType, policy: SkuPolicy): string | undefined {
    return pickMostAvailable(
      candidates.map((locationId) => ({ locationId, available: this.#room(this.#quantities(locationId), type, policy) })),
    )?.locationId;
  }

  /** Live line sums at a location, from the trigger-kept `line_totals` (O(1)). */
  #lineSums(locationId: string): LineSums {
    const row = this.#sql
      .exec<{ active_hard: number; active_soft: number; committed: number; backordered: number }>(
        "SELECT active_hard, active_soft, committed, backordered FROM line_totals WHERE location_id = ?",
        locationId,
      )
      .toArray()[0];
    return {
      activeHard: row?.active_hard ?? 0,
      activeSoft: row?.active_soft ?? 0,
      committed: row?.committed ?? 0,
      backordered: row?.backordered ?? 0,
    };
  }

  /** Live line sums at a location recomputed from the lines themselves (for `verify`). */
  #lineSumsFromLines(locationId: string): LineSums {
    const row = this.#sql
      .exec<{ hard: number | null; soft: number | null; committed: number | null; backordered: number | null }>(
        `SELECT
           SUM(CASE WHEN r.status = 'active' AND r.type = 'hard' THEN l.quantity END) AS hard,
           SUM(CASE WHEN r.status = 'active' AND r.type = 'soft' THEN l.quantity END) AS soft,
           SUM(CASE WHEN r.status = 'committed' THEN l.quantity END) AS committed,
           SUM(l.backordered) AS backordered
         FROM reservation_lines l JOIN reservations r ON r.id = l.reservation_id
         WHERE l.location_id = ? AND r.status IN ('active', 'committed')`,
        locationId,
      )
      .one();
    return {
      activeHard: row.hard ?? 0,
      activeSoft: row.soft ?? 0,
      committed: row.committed ?? 0,
      backordered: row.backordered ?? 0,
    };
  }

  #reservationRow(id: string): ReservationRow | undefined {
    return this.#sql.exec<ReservationRow>("SELECT * FROM reservations WHERE id = ?", id).toArray()[0];
  }

  #lines(id: string): LineRow[] {
    return this.#sql
      .exec<LineRow>("SELECT location_id, quantity, backordered FROM reservation_lines WHERE reservation_id = ? ORDER BY location_id", id)
      .toArray();
  }

  /** Loads a reservation for a state change, expiring it if due; rolls back with a failure if it is gone. */
  #liveReservation(input: ReservationRefInput, now: number): ReservationRow {
    const existing = this.#reservationRow(input.reservationId);
    if (existing === undefined || existing.attempt !== input.attempt) {
      throw new Rollback(fail("reservation_not_found", `no reservation ${input.reservationId} for ${input.sku}`));
    }
    // An expired reservation is returned, not thrown: the caller answers with a failure
    // value so the expiry itself still commits (a Rollback would undo it).
    const current = this.#expireIfDue(existing, now, input.actor);
    if (current.status === "released") {
      throw new Rollback(fail("reservation_released", `reservation ${current.id} was released`));
    }
    return current;
  }

  /** Expires an active reservation whose time has come (in the running transaction). */
  #expireIfDue(row: ReservationRow, now: number, actor: string): ReservationRow {
    if (row.status !== "active" || row.expires_at > now) return row;
    this.#endReservation(row, "expired", now, actor.startsWith("system:") ? actor : "system:expiry", "expire");
    return this.#reservationRow(row.id)!;
  }

  /** Gives back a live reservation's units and sets its final status. */
  #endReservation(row: ReservationRow, status: "released" | "expired", now: number, actor: string, reason: string): void {
    const bucket = bucketOf(row.type, row.status);
    if (bucket !== null) {
      for (const line of this.#lines(row.id)) {
        this.#change(line.location_id, { [bucket]: -line.quantity }, now, {
          op: status === "expired" ? "expire" : "release",
          reason,
          actor,
          reference: row.reference,
          reservationId: row.id,
        });
      }
    }
    this.#setStatus(row.id, status, now);
    this.#reservationEvent(status === "expired" ? "reservation.expired" : "reservation.released", row.id, now, actor, reason);
  }

  #setStatus(id: string, status: ReservationStatus, now: number): void {
    this.#sql.exec("UPDATE reservations SET status = ?, updated_at = ? WHERE id = ?", status, now, id);
  }

  #view(row: ReservationRow): SkuReservation {
    return {
      id: row.id,
      attempt: row.attempt,
      type: row.type,
      status: row.status,
      expiresAt: row.expires_at,
      lines: this.#lines(row.id).map((l) => ({ locationId: l.location_id, quantity: l.quantity, backordered: l.backordered })),
    };
  }

  #idempotentReplay(key: string, requestHash: string): unknown | null {
    const row = this.#sql
      .exec<{ request_hash: string; response_json: string }>("SELECT request_hash, response_json FROM idempotency WHERE key = ?", key)
      .toArray()[0];
    if (row === undefined) return null;
    if (row.request_hash !== requestHash) {
      return fail("idempotency_conflict", "this Idempotency-Key was already used with a different request");
    }
    const stored = JSON.parse(row.response_json) as AdjustStockResult;
    return { ...stored, replayed: true };
  }

  #recordIdempotency(key: string, requestHash: string, response: unknown, now: number): void {
    this.#sql.exec(
      "INSERT INTO idempotency (key, request_hash, response_json, created_at) VALUES (?, ?, ?, ?)",
      key,
      requestHash,
      JSON.stringify(response),
      now,
    );
  }

  /** Records which SKU this object holds (first write wins). */
  rememberSku(sku: string): void {
    this.#rememberSku(sku);
  }

  #rememberSku(sku: string): void {
    this.#sql.exec("INSERT INTO meta (key, value) VALUES ('sku', ?) ON CONFLICT (key) DO NOTHING", sku);
  }

  /** The SKU this object holds, if it has been told. */
  snapshotSku(): string | null {
    return this.#sku();
  }

  #sku(): string | null {
    return this.#sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'sku'").toArray()[0]?.value ?? null;
  }

  #lastSeq(): number {
    return this.#sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM ledger").one().seq ?? 0;
  }
}
