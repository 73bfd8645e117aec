/**
 * Vendor sync on this SKU: applying a job chunk's feed values (domain/sync.ts decides each),
 * and the reviews that hold large or unsafe changes for an operator.
 */
import type { InventoryEvent } from "../../domain/events";
import { fail, type Failure } from "../../domain/failures";
import { decideSync } from "../../domain/sync";
import { onHandFromAvailable } from "../../domain/vendor-formats/vendor-feed-items";
import type {
  ResolveSyncReviewInput,
  ResolveSyncReviewResult,
  SyncApplyInput,
  SyncApplyResult,
  SyncItemOutcome,
  SyncReview,
  SyncReviewStatus,
} from "../sku-sync.types";
import { onHandFloor, quantities } from "./counts";
import { idempotentReplay, recordIdempotency, rememberSku, skuOf } from "./meta";
import { handedOffEvents, handOffEvents } from "./outbox";
import { countsOf, levelOf, type ReviewRow, type SkuDb } from "./rows";
import { change } from "./stock";
import { Rollback, Tx } from "./tx";

/**
 * Applies one job chunk's feed values for this SKU, all in one transaction. Idempotent by
 * `idempotencyKey`: a redelivered chunk gets the stored outcomes back and changes nothing.
 */
export function applySync(db: SkuDb, input: SyncApplyInput, now: number): SyncApplyResult | Failure {
  const stored = idempotentReplay<SyncApplyResult>(db.sql, input.idempotencyKey, input.requestHash);
  if (stored !== null) {
    // The first delivery may have stopped before sending: its events go out again (the consumer dedupes).
    return input.handOffEvents === true && stored.ok ? { ...stored, events: handedOffEvents(db.sql, input.jobId) } : stored;
  }
  let handed: InventoryEvent[] | null = null;
  const result = Tx.run(db, now, (tx) => {
    if (input.handOffEvents === true) handed = handOffEvents(tx);
    rememberSku(tx, input.sku);
    db.policy.remember(tx, input.policy);
    const known = knownSyncState(tx.sql, input.items);
    const outcomes: SyncItemOutcome[] = input.items.map((item) => syncItem(tx, input, known, item.itemIndex, item.locationId, item.quantity));
    const result: SyncApplyResult = { ok: true, sku: input.sku, outcomes, replayed: false };
    recordIdempotency(tx, input.idempotencyKey, input.requestHash, result);
    return result;
  });
  // Filled by writeOutbox as the transaction ended; not part of the stored answer.
  return handed !== null && result.ok ? { ...result, events: handed } : result;
}

/**
 * The sync state of a call's locations and whether the SKU has an open review, read once per
 * call rather than once per item (a chunk brings many locations of a SKU). Kept current by the
 * call's own writes; nothing else in the transaction changes either before the items are done.
 */
interface KnownSyncState {
  state: Map<string, { vendor_on_hand: number; local_offset: number }>;
  openReviews: boolean;
}

function knownSyncState(sql: SqlStorage, items: readonly { locationId: string }[]): KnownSyncState {
  const locations = JSON.stringify([...new Set(items.map((i) => i.locationId))]);
  const rows = sql
    .exec<{ location_id: string; vendor_on_hand: number; local_offset: number }>(
      "SELECT location_id, vendor_on_hand, local_offset FROM sync_state WHERE location_id IN (SELECT value FROM json_each(?))",
      locations,
    )
    .toArray();
  const open = sql.exec<{ n: number }>("SELECT EXISTS (SELECT 1 FROM sync_reviews WHERE status = 'open') AS n").one().n === 1;
  return { state: new Map(rows.map((r) => [r.location_id, { vendor_on_hand: r.vendor_on_hand, local_offset: r.local_offset }])), openReviews: open };
}

function syncItem(tx: Tx, input: SyncApplyInput, known: KnownSyncState, itemIndex: number, locationId: string, sent: number): SyncItemOutcome {
  const q = quantities(tx.sql, locationId);
  // An "available" feed value leaves out the units held here; read in this transaction, so they cannot move meanwhile.
  const quantity = input.quantityKind === "available" && input.mode === "absolute" ? onHandFromAvailable(sent, q) : sent;
  const state = known.state.get(locationId);
  const decision = decideSync(input.mode, quantity, {
    onHand: q.onHand,
    floor: onHandFloor(tx.sql, locationId, q, input.policy),
    offset: state?.local_offset ?? 0,
    firstSync: state === undefined,
  });
  switch (decision.action) {
    case "error":
      return {
        itemIndex,
        locationId,
        outcome: "error",
        code: decision.code,
        message: `on-hand at ${locationId} is ${q.onHand}; a delta of ${quantity} would make it negative`,
      };
    case "review": {
      const reviewId = openReview(tx, input, locationId, quantity, q.onHand, decision.proposed, decision.reason);
      known.openReviews = true;
      return {
        itemIndex,
        locationId,
        outcome: "conflict",
        reviewId,
        reason: decision.reason,
        onHand: q.onHand,
        vendorQuantity: quantity,
        proposed: decision.proposed,
      };
    }
    case "unchanged":
    case "apply": {
      if (decision.action === "apply") {
        change(
          tx,
          locationId,
          { onHand: decision.proposed - q.onHand },
          {
            op: "sync",
            reason: input.mode === "absolute" ? "sync_absolute" : "sync_delta",
            actor: input.actor,
            reference: input.jobId,
          },
        );
      }
      // A newer feed value replaces any open review of this location (none to look for when the SKU has none open).
      if (known.openReviews) supersedeOpenReview(tx, locationId, input.actor);
      if (input.mode === "absolute") {
        setSyncState(tx, locationId, quantity, decision.proposed - quantity, input.jobId);
        known.state.set(locationId, { vendor_on_hand: quantity, local_offset: decision.proposed - quantity });
      }
      return decision.action === "apply"
        ? { itemIndex, locationId, outcome: "applied", before: q.onHand, after: decision.proposed }
        : { itemIndex, locationId, outcome: "unchanged", onHand: q.onHand };
    }
  }
}

function supersedeOpenReview(tx: Tx, locationId: string, actor: string): void {
  tx.sql.exec(
    "UPDATE sync_reviews SET status = 'superseded', resolved_at = ?, resolved_by = ? WHERE location_id = ? AND status = 'open'",
    tx.now,
    actor,
    locationId,
  );
}

function openReview(
  tx: Tx,
  input: SyncApplyInput,
  locationId: string,
  quantity: number,
  onHand: number,
  proposed: number,
  reason: "large_change" | "below_committed",
): string {
  supersedeOpenReview(tx, locationId, input.actor);
  const id = `srv_${[...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  tx.sql.exec(
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
    tx.now,
  );
  const counts = countsOf(quantities(tx.sql, locationId));
  tx.emit({
    type: "sync.conflict",
    locationId,
    occurredAt: new Date(tx.now).toISOString(),
    cause: { ledgerSeq: null, op: "sync", reason, reference: input.jobId, reservationId: null, actor: input.actor },
    before: counts,
    after: counts,
    reservation: null,
    syncReview: { reviewId: id, jobId: input.jobId, vendorQuantity: quantity, onHand, proposed, reason },
  });
  return id;
}

/** Accepts (applies the feed value, with today's local movements) or rejects (keeps our count) a held feed value. */
export function resolveSyncReview(db: SkuDb, input: ResolveSyncReviewInput, now: number): ResolveSyncReviewResult | Failure {
  return Tx.run(db, now, (tx) => {
    const sql = tx.sql;
    db.policy.remember(tx, input.policy);
    const review = reviewRow(sql, input.reviewId);
    if (review === undefined) return fail("review_not_found", `no sync review ${input.reviewId} for ${input.sku}`);
    if (review.status !== "open") return fail("review_closed", `sync review ${input.reviewId} is ${review.status}`);
    const q = quantities(sql, review.location_id);
    const state = syncState(sql, review.location_id);
    if (input.decision === "accept") {
      const proposed = review.mode === "absolute" ? review.vendor_quantity + (state?.local_offset ?? 0) : q.onHand + review.vendor_quantity;
      const floor = onHandFloor(sql, review.location_id, q, input.policy);
      if (proposed < 0 || proposed < floor) {
        throw new Rollback(
          fail(
            "would_go_negative",
            `accepting would set on-hand at ${review.location_id} to ${proposed}, below the ${floor} units reserved, committed or unsellable`,
            {
              locationId: review.location_id,
              proposed,
              floor,
            },
          ),
        );
      }
      if (proposed !== q.onHand) {
        change(
          tx,
          review.location_id,
          { onHand: proposed - q.onHand },
          {
            op: "sync",
            reason: "sync_review_accepted",
            actor: input.actor,
            reference: review.id,
          },
        );
      }
      if (review.mode === "absolute") setSyncState(tx, review.location_id, review.vendor_quantity, proposed - review.vendor_quantity, review.job_id);
    } else if (review.mode === "absolute") {
      // Keep our count; remember the vendor's value so an identical next feed is no conflict.
      setSyncState(tx, review.location_id, review.vendor_quantity, q.onHand - review.vendor_quantity, review.job_id);
    }
    sql.exec(
      "UPDATE sync_reviews SET status = ?, resolved_at = ?, resolved_by = ? WHERE id = ?",
      input.decision === "accept" ? "accepted" : "rejected",
      now,
      input.actor,
      review.id,
    );
    const level = quantities(sql, review.location_id);
    return { ok: true as const, review: reviewView(sql, reviewRow(sql, review.id)!), level: levelOf(review.location_id, level, now) };
  });
}

/** This SKU's sync reviews, newest first (optionally one status). */
export function syncReviews(sql: SqlStorage, status?: SyncReviewStatus): SyncReview[] {
  const rows =
    status === undefined
      ? sql.exec<ReviewRow>("SELECT * FROM sync_reviews ORDER BY created_at DESC LIMIT 1000").toArray()
      : sql.exec<ReviewRow>("SELECT * FROM sync_reviews WHERE status = ? ORDER BY created_at DESC LIMIT 1000", status).toArray();
  return rows.map((r) => reviewView(sql, r));
}

function syncState(sql: SqlStorage, locationId: string): { vendor_on_hand: number; local_offset: number } | undefined {
  return sql
    .exec<{ vendor_on_hand: number; local_offset: number }>("SELECT vendor_on_hand, local_offset FROM sync_state WHERE location_id = ?", locationId)
    .toArray()[0];
}

function setSyncState(tx: Tx, locationId: string, vendorOnHand: number, offset: number, jobId: string): void {
  tx.sql.exec(
    `INSERT INTO sync_state (location_id, vendor_on_hand, local_offset, last_job_id, last_synced_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (location_id) DO UPDATE SET vendor_on_hand = excluded.vendor_on_hand, local_offset = excluded.local_offset,
       last_job_id = excluded.last_job_id, last_synced_at = excluded.last_synced_at`,
    locationId,
    vendorOnHand,
    offset,
    jobId,
    tx.now,
  );
}

function reviewRow(sql: SqlStorage, id: string): ReviewRow | undefined {
  return sql.exec<ReviewRow>("SELECT * FROM sync_reviews WHERE id = ?", id).toArray()[0];
}

function reviewView(sql: SqlStorage, r: ReviewRow): SyncReview {
  return {
    id: r.id,
    sku: skuOf(sql) ?? "",
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
