/**
 * `/api/v2/sync`: sync jobs (status, counts, timings; the item error report as JSON pages
 * or a CSV download) and the review list of feed values held by the conflict rule, which
 * operators accept or reject. Vendors see their own jobs and the reviews of their SKUs.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { invalidateAvailability } from "../availability/availability-cache";
import { readParam, readQuery } from "../http/read-input";
import { encodeCursor } from "../../domain/schemas/cursor";
import { SYNC_ERRORS_CURSOR, SYNC_REVIEWS_CURSOR, SyncErrorsQuery, SyncJobId, SyncReviewId, SyncReviewsQuery } from "../../domain/schemas/sync";
import { listReviewsForCaller, resolveReview, syncErrorsCsv, syncErrorsPage, syncJobForCaller, syncJobJson } from "../../services/sync-jobs";

export const sync = new Hono<AppEnv>();
sync.use("*", authenticate("operator", "vendor"));
sync.use("*", async (c, next) => {
  c.header("Cache-Control", "private, no-store");
  await next();
});

// Before `/:jobId`, which would otherwise take "reviews" as a job id.
sync.get("/reviews", async (c) => {
  const query = readQuery(c, SyncReviewsQuery);
  const page = await listReviewsForCaller(c.env, c.get("principal"), query);
  return c.json({ items: page.items, nextCursor: page.next === null ? null : encodeCursor(SYNC_REVIEWS_CURSOR, page.next) });
});

for (const decision of ["accept", "reject"] as const) {
  sync.post(`/reviews/:id/${decision}`, authenticate("operator"), async (c) => {
    const id = readParam(c, "id", SyncReviewId);
    const result = await resolveReview(c.env, c.get("principal"), id, decision);
    // Accepting moves on-hand: public numbers read here must show it at once.
    if (decision === "accept") await invalidateAvailability(new URL(c.req.url).origin, [result.review.sku]);
    return c.json(result);
  });
}

sync.get("/:jobId", async (c) => {
  const jobId = readParam(c, "jobId", SyncJobId);
  return c.json(syncJobJson(await syncJobForCaller(c.env, c.get("principal"), jobId)));
});

sync.get("/:jobId/errors", async (c) => {
  const jobId = readParam(c, "jobId", SyncJobId);
  const query = readQuery(c, SyncErrorsQuery);
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
});
