/**
 * Sync jobs as callers see them: the job summary (vendors see only their own jobs), its
 * error report (JSON pages or one CSV download), the review list and the operator's
 * accept/reject, and the `sync.completed` webhook sent once a job has finished.
 */
import type { SyncJobErrorRow, SyncJobRow, SyncReviewRow } from "../d1/schema";
import { FINAL_SYNC_JOB_STATUSES, SYNC_COMPLETED_EVENT_TYPE, syncCompletedEventId, type SyncJobStatus } from "../domain/sync-jobs";
import { csvLine } from "../domain/csv-output";
import type { ResolveSyncReviewResult, SyncReviewStatus } from "../durable-objects/sku-sync.types";
import { actorOf, type Principal } from "./principal";
import { ApiError } from "./api-error";
import { findSkus } from "../repositories/skus";
import { findSyncJob, listSyncErrors } from "../repositories/sync-jobs";
import { findSyncReview, listSyncReviews, updateSyncReview } from "../repositories/sync-reviews";
import { fanOutVendorEvent } from "./webhook-fanout";
import { policyOf } from "./sku-access";
import { asDeclared } from "./sync-rpc";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A job as the API shows it (and as the `sync.completed` event carries it). */
export function syncJobJson(row: SyncJobRow) {
  return {
    jobId: row.id,
    vendorId: row.vendorId,
    status: row.status as SyncJobStatus,
    mode: row.mode,
    source: row.source,
    counts: {
      received: row.received,
      accepted: row.accepted,
      rejected: row.rejected,
      applied: row.applied,
      unchanged: row.unchanged,
      conflicts: row.conflicts,
      errors: row.errors,
      /** Accepted items not recorded yet. */
      pending: row.accepted - (row.applied + row.unchanged + row.conflicts + (row.errors - row.rejected)),
    },
    chunks: { total: row.chunksTotal, done: row.chunksDone },
    createdAt: iso(row.createdAt),
    startedAt: iso(row.startedAt),
    completedAt: iso(row.completedAt),
    durationMs: row.completedAt === null ? null : row.completedAt - row.createdAt,
    links: {
      self: `/api/v2/sync/${row.id}`,
      errors: `/api/v2/sync/${row.id}/errors`,
      reviews: `/api/v2/sync/reviews?jobId=${row.id}`,
    },
  };
}

/** The job if the caller may see it: operators see every job, a vendor its own (others look absent). */
export async function syncJobForCaller(env: Env, principal: Principal, jobId: string): Promise<SyncJobRow> {
  const row = await findSyncJob(env.DB, jobId);
  if (row === undefined || (principal.scope === "vendor" && row.vendorId !== principal.vendorId)) {
    throw new ApiError(404, "job_not_found", `no sync job ${jobId}`, { jobId });
  }
  return row;
}

/** One item error as the API shows it. */
export function syncErrorJson(row: SyncJobErrorRow) {
  return { item: row.itemIndex, row: row.row, sku: row.sku, locationId: row.locationId, quantity: row.quantity, code: row.code, message: row.message };
}

/** A page of a job's item errors in item order, and the item index to continue after. */
export async function syncErrorsPage(env: Env, jobId: string, after: number | undefined, limit: number) {
  const rows = await listSyncErrors(env.DB, jobId, after, limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(syncErrorJson), next: rows.length > limit && last !== undefined ? last.itemIndex : null };
}

/** The columns of the CSV error report. */
export const SYNC_ERRORS_CSV_HEADER = ["item", "row", "sku", "location_id", "quantity", "code", "message"] as const;

/** Every item error of a job as one CSV document (CRLF line ends, header first; cells neutralised by `csvCell`). */
export async function syncErrorsCsv(env: Env, jobId: string): Promise<string> {
  const lines = [csvLine(SYNC_ERRORS_CSV_HEADER)];
  let after: number | undefined;
  for (;;) {
    const rows = await listSyncErrors(env.DB, jobId, after, 1000);
    for (const r of rows) lines.push(csvLine([r.itemIndex, r.row, r.sku, r.locationId, r.quantity, r.code, r.message]));
    if (rows.length < 1000) break;
    after = rows[rows.length - 1]!.itemIndex;
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** The `sync.completed` event of a finished job: its id, and the job summary as payload. */
export function syncCompletedEvent(row: SyncJobRow) {
  return {
    id: syncCompletedEventId(row.id),
    type: SYNC_COMPLETED_EVENT_TYPE,
    occurredAt: iso(row.completedAt ?? row.updatedAt),
    vendorId: row.vendorId,
    job: syncJobJson(row),
  };
}

/**
 * If the job has finished, creates its `sync.completed` deliveries (once per subscription)
 * and sends those not sent yet. Safe to call any number of times: a repeat after a failed
 * send completes it, and sends nothing twice once the sends succeeded.
 */
export async function notifyIfFinished(env: Env, jobId: string, now = Date.now()): Promise<boolean> {
  const row = await findSyncJob(env.DB, jobId);
  if (row === undefined || !FINAL_SYNC_JOB_STATUSES.has(row.status as SyncJobStatus)) return false;
  const event = syncCompletedEvent(row);
  await fanOutVendorEvent(env, { eventId: event.id, eventType: event.type, payload: event }, row.vendorId, now);
  return true;
}

/** A review as the API shows it. */
export function syncReviewJson(row: SyncReviewRow) {
  return {
    id: row.id,
    jobId: row.jobId,
    item: row.itemIndex,
    vendorId: row.vendorId,
    sku: row.sku,
    locationId: row.locationId,
    mode: row.mode,
    vendorQuantity: row.vendorQuantity,
    onHandAtReview: row.onHandAtReview,
    proposed: row.proposed,
    reason: row.reason,
    status: row.status,
    createdAt: iso(row.createdAt),
    resolvedAt: iso(row.resolvedAt),
    resolvedBy: row.resolvedBy,
  };
}

/** A page of the reviews the caller may see: operators all (optionally one vendor's), a vendor those of its SKUs. */
export async function listReviewsForCaller(
  env: Env,
  principal: Principal,
  query: {
    status?: SyncReviewStatus | undefined;
    vendorId?: string | undefined;
    sku?: string | undefined;
    jobId?: string | undefined;
    cursor?: [number, string] | undefined;
    limit: number;
  },
) {
  if (principal.scope === "vendor" && query.vendorId !== undefined && query.vendorId !== principal.vendorId) {
    throw new ApiError(403, "forbidden", "vendor keys see the reviews of their own SKUs only", [
      { path: ["query", "vendorId"], message: "omit vendorId, or give your own" },
    ]);
  }
  const rows = await listSyncReviews(env.DB, {
    status: query.status,
    vendorId: principal.scope === "vendor" ? principal.vendorId! : query.vendorId,
    sku: query.sku,
    jobId: query.jobId,
    after: query.cursor,
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return { items: page.map(syncReviewJson), next: rows.length > query.limit && last !== undefined ? ([last.createdAt, last.id] as const) : null };
}

/**
 * Accepts (applies the held feed value, with the local movements since) or rejects (keeps
 * our count) a review, through the SKU's object, which decides; the D1 row follows it.
 * A review the object has already closed (superseded by a newer feed value, or resolved)
 * is refreshed from the object and answered 409 `review_closed`.
 */
export async function resolveReview(env: Env, principal: Principal, reviewId: string, decision: "accept" | "reject") {
  const row = await findSyncReview(env.DB, reviewId);
  if (row === undefined) throw new ApiError(404, "review_not_found", `no sync review ${reviewId}`, { reviewId });
  const sku = (await findSkus(env, [row.sku])).get(row.sku);
  if (sku === undefined) throw new ApiError(404, "sku_not_found", `no SKU ${row.sku}`, { sku: row.sku });
  const stub = env.SKU_INVENTORY.getByName(row.sku);
  const result = asDeclared<ResolveSyncReviewResult>(
    await stub.resolveSyncReview({ sku: row.sku, reviewId, decision, actor: actorOf(principal), policy: policyOf(sku) }),
  );
  if (!result.ok) {
    if (result.code === "review_closed" || result.code === "review_not_found") {
      const current = (await stub.syncReviews()).find((r) => r.id === reviewId);
      if (current !== undefined) await updateSyncReview(env.DB, current);
    }
    throw ApiError.fromFailure(result);
  }
  const updated = (await updateSyncReview(env.DB, result.review)) ?? row;
  return {
    review: syncReviewJson(updated),
    level: { ...result.level, updatedAt: new Date(result.level.updatedAt).toISOString() },
  };
}
