/**
 * The sync job list (`GET /api/v2/sync`): operators see every vendor's jobs (or one vendor's),
 * a vendor key only its own, newest first, in keyset pages.
 */
import type { SyncJobStatus } from "../domain/sync-jobs";
import { listSyncJobs } from "../repositories/sync-jobs";
import { ApiError } from "./api-error";
import type { Principal } from "./principal";
import { syncJobJson } from "./sync-jobs";

/** A page of the jobs the caller may see, and the (createdAt, id) to continue after. */
export async function listSyncJobsForCaller(
  env: Env,
  principal: Principal,
  query: {
    vendorId?: string | undefined;
    status?: SyncJobStatus | undefined;
    since?: number | undefined;
    cursor?: [number, string] | undefined;
    limit: number;
  },
) {
  if (principal.scope === "vendor" && query.vendorId !== undefined && query.vendorId !== principal.vendorId) {
    throw new ApiError(403, "forbidden", "vendor keys see their own sync jobs only", [
      { path: ["query", "vendorId"], message: "omit vendorId, or give your own" },
    ]);
  }
  const rows = await listSyncJobs(env.DB, {
    vendorId: principal.scope === "vendor" ? principal.vendorId! : query.vendorId,
    status: query.status,
    since: query.since,
    after: query.cursor,
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return { items: page.map(syncJobJson), next: rows.length > query.limit && last !== undefined ? ([last.createdAt, last.id] as const) : null };
}
