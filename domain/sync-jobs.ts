/**
 * Sync jobs: their statuses, the rule for the status a finished job gets, and the
 * `sync.completed` webhook event. Pure.
 */

/**
 * `queued` (recorded, no chunk started) → `running` (a chunk started) → one of the three
 * final statuses once every chunk is recorded (or dead-lettered).
 */
export const SYNC_JOB_STATUSES = ["queued", "running", "completed", "completed_with_errors", "failed"] as const;
export type SyncJobStatus = (typeof SYNC_JOB_STATUSES)[number];

/**
 * The vendor's file format a job came from (its `source`): our JSON or three-column CSV, or
 * the format detected or configured for a vendor file (issue 16): Shopify's three export
 * generations, a generic mapped CSV, an X12 846.
 */
export const SYNC_JOB_SOURCES = ["json", "csv", "shopify_current", "shopify_long_legacy", "shopify_wide_legacy", "generic", "x12_846"] as const;
export type SyncJobSource = (typeof SYNC_JOB_SOURCES)[number];

export const FINAL_SYNC_JOB_STATUSES: ReadonlySet<SyncJobStatus> = new Set(["completed", "completed_with_errors", "failed"]);

/** A job's item counts. `errors` includes the items rejected up front. */
export interface SyncJobCounts {
  applied: number;
  unchanged: number;
  conflicts: number;
  errors: number;
}

/**
 * The status of a job whose chunks are all recorded: `completed` without item errors
 * (conflicts held for review are not errors), `failed` when no item got through (every one
 * was an error), otherwise `completed_with_errors`. The repository's SQL applies the same
 * rule (`repositories/sync-jobs.ts`, `RECOMPUTE_JOB`).
 */
export function finishedStatus(counts: SyncJobCounts): SyncJobStatus {
  if (counts.errors === 0) return "completed";
  if (counts.applied + counts.unchanged + counts.conflicts === 0) return "failed";
  return "completed_with_errors";
}

/** The webhook event a vendor's subscriptions get when one of its jobs finishes. */
export const SYNC_COMPLETED_EVENT_TYPE = "sync.completed";

/** The webhook event sent when a vendor's syncs fail repeatedly (`domain/vendor-sync-health.ts`). */
export const SYNC_FAILED_EVENT_TYPE = "sync.failed";

/** The id of a job's `sync.completed` event (one per job; deliveries dedupe by it). */
export function syncCompletedEventId(jobId: string): string {
  return `evt:sync:${jobId}:completed`;
}
