/**
 * The D1 list of feed values held for review (`sync_reviews`): a mirror of the SKU
 * objects' reviews, which decide. Rows are written with the chunk that produced them (in
 * its batch, only while the chunk is still queued) and updated when an operator resolves a
 * review through the SKU's object.
 */
import { and, asc, eq, gt, or, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { syncReviews, type SyncReviewRow } from "../d1/schema";
import type { SyncReview, SyncReviewStatus } from "../durable-objects/sku-sync.types";
import { CHUNK_STILL_QUEUED } from "./sync-jobs";

/** A new review row, as a conflict outcome reports it. */
export type NewSyncReview = Omit<SyncReviewRow, "status" | "resolvedAt" | "resolvedBy">;

/**
 * Statements for a chunk's batch: newer feed values for a (SKU, location) supersede its
 * open reviews (as they do in the SKU object), then the chunk's new reviews are inserted.
 * `touched`: the (SKU, location) pairs whose outcome was decided now (not replayed).
 */
export function chunkReviewStatements(
  db: D1Database,
  guard: { jobId: string; chunkIndex: number },
  touched: readonly { sku: string; locationId: string }[],
  reviews: readonly NewSyncReview[],
  now: number,
): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  if (touched.length > 0) {
    statements.push(
      db
        .prepare(
          `UPDATE sync_reviews SET status = 'superseded', resolved_at = ?3, resolved_by = 'sync:' || ?1
           WHERE status = 'open' AND (sku, location_id) IN (SELECT value ->> 'sku', value ->> 'locationId' FROM json_each(?2))
             AND ${CHUNK_STILL_QUEUED}`,
        )
        .bind(guard.jobId, JSON.stringify(touched), now, guard.chunkIndex),
    );
  }
  if (reviews.length > 0) {
    statements.push(
      db
        .prepare(
          `INSERT INTO sync_reviews (id, job_id, item_index, vendor_id, sku, location_id, mode, vendor_quantity, on_hand_at_review,
             proposed, reason, status, created_at)
           SELECT value ->> 'id', ?1, value ->> 'itemIndex', value ->> 'vendorId', value ->> 'sku', value ->> 'locationId', value ->> 'mode',
             value ->> 'vendorQuantity', value ->> 'onHandAtReview', value ->> 'proposed', value ->> 'reason', 'open', value ->> 'createdAt'
           FROM json_each(?2) WHERE ${CHUNK_STILL_QUEUED}
           ON CONFLICT (id) DO NOTHING`,
        )
        .bind(guard.jobId, JSON.stringify(reviews), now, guard.chunkIndex),
    );
  }
  return statements;
}

/** A review by id. */
export async function findSyncReview(db: D1Database, id: string): Promise<SyncReviewRow | undefined> {
  return drizzle(db).select().from(syncReviews).where(eq(syncReviews.id, id)).get();
}

/** One page of reviews in (createdAt, id) order after the cursor, optionally one status / vendor / SKU. */
export async function listSyncReviews(
  db: D1Database,
  filter: {
    status?: SyncReviewStatus | undefined;
    vendorId?: string | undefined;
    sku?: string | undefined;
    jobId?: string | undefined;
    after?: [number, string] | undefined;
    limit: number;
  },
): Promise<SyncReviewRow[]> {
  const r = syncReviews;
  const conditions: (SQL | undefined)[] = [];
  if (filter.status !== undefined) conditions.push(eq(r.status, filter.status));
  if (filter.vendorId !== undefined) conditions.push(eq(r.vendorId, filter.vendorId));
  if (filter.sku !== undefined) conditions.push(eq(r.sku, filter.sku));
  if (filter.jobId !== undefined) conditions.push(eq(r.jobId, filter.jobId));
  if (filter.after !== undefined) {
    const [createdAt, id] = filter.after;
    conditions.push(or(gt(r.createdAt, createdAt), and(eq(r.createdAt, createdAt), gt(r.id, id))));
  }
  return drizzle(db)
    .select()
    .from(r)
    .where(and(...conditions))
    .orderBy(asc(r.createdAt), asc(r.id))
    .limit(filter.limit)
    .all();
}

/** Writes a review's state as its SKU object reports it. */
export async function updateSyncReview(db: D1Database, review: SyncReview): Promise<SyncReviewRow | undefined> {
  return drizzle(db)
    .update(syncReviews)
    .set({ status: review.status, resolvedAt: review.resolvedAt, resolvedBy: review.resolvedBy })
    .where(eq(syncReviews.id, review.id))
    .returning()
    .get();
}
