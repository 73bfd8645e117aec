/**
 * The D1 list of feed values held for review (`sync_reviews`): a mirror of the SKU
 * objects' reviews, which decide. Rows are written with the chunk that produced them (in
 * its batch, only while the chunk is still queued) and updated when an operator resolves a
 * review through the SKU's object.
 */
import { and, asc, eq, gt, or, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { syncReviews, type SyncReviewRow } from "../d1/schema";
import type { SyncReview, SyncReviewStatus } from "../durable-objects/sku-sync.types";
import { type D1Write, guardedRow, jsonEach, jsonValue } from "./d1-sql";
import { chunkStillQueued } from "./sync-jobs";

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
): D1Write[] {
  const d = drizzle(db);
  const r = syncReviews;
  const stillQueued = chunkStillQueued(guard.jobId, guard.chunkIndex);
  const statements: D1Write[] = [];
  if (touched.length > 0) {
    statements.push(
      d
        .update(r)
        .set({ status: "superseded", resolvedAt: now, resolvedBy: `sync:${guard.jobId}` })
        .where(
          and(
            eq(r.status, "open"),
            sql`(${r.sku}, ${r.locationId}) IN (SELECT ${jsonValue("sku")}, ${jsonValue("locationId")} FROM json_each(${JSON.stringify(touched)}))`,
            stillQueued,
          ),
        ),
    );
  }
  if (reviews.length > 0) {
    const row = {
      id: jsonValue("id"),
      jobId: guard.jobId,
      itemIndex: jsonValue("itemIndex"),
      vendorId: jsonValue("vendorId"),
      sku: jsonValue("sku"),
      locationId: jsonValue("locationId"),
      mode: jsonValue("mode"),
      vendorQuantity: jsonValue("vendorQuantity"),
      onHandAtReview: jsonValue("onHandAtReview"),
      proposed: jsonValue("proposed"),
      reason: jsonValue("reason"),
      status: "open",
      createdAt: jsonValue("createdAt"),
    } as const;
    statements.push(
      d
        .insert(r)
        .select(guardedRow(r, row, stillQueued, jsonEach(reviews)))
        .onConflictDoNothing({ target: r.id }),
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
