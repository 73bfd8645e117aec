/**
 * `/api/v2/sync`: sync jobs (the list, newest first; one job's status, counts, timings; the
 * item error report as JSON pages or a CSV download) and the review list of feed values held by the conflict rule, which
 * operators accept or reject. Vendors see their own jobs and the reviews of their SKUs.
 */
import { invalidateAvailability } from "../availability/availability-cache";
import { RouteGroup } from "../http/route-table";
import { encodeCursor } from "../../domain/schemas/cursor";
import { SYNC_ERRORS_CURSOR, SYNC_REVIEWS_CURSOR, SyncErrorsQuery, SyncJobId, SyncReviewId, SyncReviewsQuery } from "../../domain/schemas/sync";
import { SYNC_JOBS_CURSOR, SyncJobListQuery } from "../../domain/schemas/listings";
import { listSyncJobsForCaller } from "../../services/sync-job-list";
import { listReviewsForCaller, resolveReview, syncErrorsCsv, syncErrorsPage, syncJobForCaller, syncJobJson } from "../../services/sync-jobs";

export const sync = new RouteGroup("vendor sync", ["operator", "vendor"]);
sync.app.use("*", async (c, next) => {
  c.header("Cache-Control", "private, no-store");
  await next();
});

sync.route(
  {
    method: "get",
    path: "/",
    reads: "replica",
    summary: "Sync jobs, newest first, filtered by vendor, status and creation time, cursor-paginated (vendors: their own)",
    scopes: ["operator", "vendor"],
    query: SyncJobListQuery,
    success: { status: 200, description: "{items, nextCursor}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const page = await listSyncJobsForCaller(c.env, c.get("principal"), input.query());
    return c.json({ items: page.items, nextCursor: page.next === null ? null : encodeCursor(SYNC_JOBS_CURSOR, page.next) });
  },
);

// Before `/:jobId`, which would otherwise take "reviews" as a job id.
sync.route(
  {
    method: "get",
    path: "/reviews",
    reads: "replica",
    summary: "Feed values held for review by the conflict rule (vendors: their SKUs' only)",
    scopes: ["operator", "vendor"],
    query: SyncReviewsQuery,
    success: { status: 200, description: "{items, nextCursor}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const query = input.query();
    const page = await listReviewsForCaller(c.env, c.get("principal"), query);
    return c.json({ items: page.items, nextCursor: page.next === null ? null : encodeCursor(SYNC_REVIEWS_CURSOR, page.next) });
  },
);

const DECISION_SUMMARIES = {
  accept: "Accept a held feed value: it is applied, with the local movements since",
  reject: "Reject a held feed value: our count stays",
} as const;

for (const decision of ["accept", "reject"] as const) {
  sync.route(
    {
      method: "post",
      path: `/reviews/:id/${decision}`,
      summary: DECISION_SUMMARIES[decision],
      scopes: ["operator"],
      params: { id: SyncReviewId },
      success: { status: 200, description: "{review, level}" },
      errors: [400, 401, 403, 404, 409],
    },
    async (c, input) => {
      const id = input.param("id");
      const result = await resolveReview(c.env, c.get("principal"), id, decision);
      // Accepting moves on-hand: public numbers read here must show it at once.
      if (decision === "accept") await invalidateAvailability(new URL(c.req.url).origin, [result.review.sku]);
      return c.json(result);
    },
  );
}

sync.route(
  {
    method: "get",
    path: "/:jobId",
    summary: "A sync job: status, counts (received, applied, unchanged, conflicts, errors), timings",
    scopes: ["operator", "vendor"],
    params: { jobId: SyncJobId },
    success: { status: 200, description: "the job" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const jobId = input.param("jobId");
    return c.json(syncJobJson(await syncJobForCaller(c.env, c.get("principal"), jobId)));
  },
);

sync.route(
  {
    method: "get",
    path: "/:jobId/errors",
    reads: "replica",
    summary: "A sync job's item errors, cursor-paginated (or the whole report as CSV: format=csv or Accept: text/csv)",
    scopes: ["operator", "vendor"],
    params: { jobId: SyncJobId },
    query: SyncErrorsQuery,
    success: { status: 200, description: "{jobId, status, items, nextCursor} or text/csv" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const jobId = input.param("jobId");
    const query = input.query();
    const job = await syncJobForCaller(c.env, c.get("principal"), jobId);
    const wantsCsv = query.format === "csv" || (query.format === undefined && /\btext\/csv\b/i.test(c.req.header("accept") ?? ""));
    if (wantsCsv) {
      return c.body(await syncErrorsCsv(c.env, job.id), 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="${job.id}-errors.csv"`,
      });
    }
    const page = await syncErrorsPage(c.env, job.id, query.cursor?.[0], query.limit);
    return c.json({
      jobId: job.id,
      status: job.status,
      items: page.items,
      nextCursor: page.next === null ? null : encodeCursor(SYNC_ERRORS_CURSOR, [page.next]),
    });
  },
);
