/**
 * `POST /api/v2/inventory/sync`: a vendor's stock feed, JSON (`{items, mode?}`) or CSV
 * (`text/csv`, header `sku,location_id,quantity`), up to 10,000 items. Answers `202
 * {jobId, accepted, rejected}` once the job is recorded and queued; the SYNC consumer
 * applies it. Only request-level faults refuse the request (401/403, 413 too large or
 * too many items, 415, 429, malformed JSON/CSV, a bad header or query); a bad item is an
 * item error of the job. Mounted at its own path before the `inventory` sub-app, whose
 * `/:sku` routes would otherwise see it.
 */
import type { Context } from "hono";
import { parseCsvFeed } from "../../domain/csv-feed";
import type { SyncMode } from "../../domain/sync";
import { clientRowOf, SYNC_LIMITS, type RawSyncItem } from "../../domain/sync-items";
import type { AppEnv } from "../app-env";
import type { Principal } from "../../services/principal";
import { ApiError } from "../../services/api-error";
import { readText, tooLarge, validate } from "../http/read-input";
import { RouteGroup } from "../http/route-table";
import { findVendor } from "../../repositories/vendors";
import { SyncJsonBody, SyncJsonBodyDoc, SyncIngestQuery } from "../../domain/schemas/sync";
import { ingestSync } from "../../services/sync-ingest";
import { syncJobJson } from "../../services/sync-jobs";

/** The spec's limit: 100 sync requests per minute per vendor (the SYNC_RATE_LIMITER binding). */
export const SYNC_RATE_LIMIT = { requests: 100, periodSeconds: 60 } as const;

export const syncIngest = new RouteGroup("vendor sync");

/** Counts a request against the vendor's budget; 429 with Retry-After when it is spent. */
async function enforceRateLimit(env: Env, vendorId: string): Promise<void> {
  const { success } = await env.SYNC_RATE_LIMITER.limit({ key: `vendor:${vendorId}` });
  if (!success) {
    // The binding does not say when its window ends; a whole period is always enough.
    throw new ApiError(
      429,
      "rate_limited",
      `at most ${SYNC_RATE_LIMIT.requests} sync requests per ${SYNC_RATE_LIMIT.periodSeconds} s per vendor; retry after the Retry-After header's seconds`,
      { limit: SYNC_RATE_LIMIT.requests, periodSeconds: SYNC_RATE_LIMIT.periodSeconds, vendorId },
      { "Retry-After": String(SYNC_RATE_LIMIT.periodSeconds) },
    );
  }
}

/** The body, read and checked at the request level, as raw items. */
interface ReadBody {
  /** How the items were sent (JSON values or CSV text), which decides how they are read. */
  format: "json" | "csv";
  /** The format of the vendor's own file, recorded on the job (a CSV file sent as JSON by the CLI says csv). */
  source: "json" | "csv";
  items: RawSyncItem[];
  mode?: SyncMode | undefined;
  vendorId?: string | undefined;
}

/** Reads the feed: JSON or CSV, at most `maxBytes`, at most SYNC_LIMITS.maxItems items. */
async function readSyncBody(c: Context<AppEnv>, maxBytes: number): Promise<ReadBody> {
  const type = c.req.header("content-type") ?? "";
  const source = /^application\/json\s*(;|$)/i.test(type) ? "json" : /^text\/csv\s*(;|$)/i.test(type) ? "csv" : null;
  if (source === null) {
    throw new ApiError(415, "unsupported_media_type", "send the feed as application/json ({items, mode?}) or text/csv (header sku,location_id,quantity)", {
      contentType: type || null,
    });
  }
  const declared = c.req.header("content-length");
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const text = await readText(c.req.raw, maxBytes, source === "json" ? "malformed_json" : "malformed_csv");
  const tooMany = (received: number) =>
    new ApiError(413, "too_many_items", `at most ${SYNC_LIMITS.maxItems} items per sync request; split the feed`, { maxItems: SYNC_LIMITS.maxItems, received });

  if (source === "csv") {
    const parsed = parseCsvFeed(text);
    if (!parsed.ok) {
      if (parsed.code === "too_many_items") throw tooMany(parsed.details.received as number);
      throw new ApiError(400, parsed.code, parsed.message, parsed.details);
    }
    return { format: source, source, items: parsed.items };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, "malformed_json", "the body is not valid JSON", { reason: error instanceof SyntaxError ? error.message : "unparseable" });
  }
  // Counted before any other check: more items than allowed is a 413, however they look.
  const items = typeof value === "object" && value !== null && Object.hasOwn(value, "items") ? (value as { items: unknown }).items : undefined;
  if (Array.isArray(items) && items.length > SYNC_LIMITS.maxItems) throw tooMany(items.length);
  const body = validate(SyncJsonBody, value, "request body", ["body"]);
  return {
    format: source,
    source: body.source ?? source,
    mode: body.mode,
    vendorId: body.vendorId,
    items: body.items.map((item, itemIndex) => ({ itemIndex, row: clientRowOf(item), value: item })),
  };
}

/** The vendor a vendor key may name: its own. */
function refuseOtherVendor(principal: Principal, named: string | undefined, path: (string | number)[]): void {
  if (principal.scope === "vendor" && named !== undefined && named !== principal.vendorId) {
    throw new ApiError(403, "forbidden", "vendor keys sync their own stock only", [{ path, message: "omit vendorId, or give your own" }]);
  }
}

syncIngest.route(
  {
    method: "post",
    path: "/",
    summary: "Vendor stock feed (JSON or CSV, up to 10,000 items), applied asynchronously; bad items become item errors of the job",
    scopes: ["operator", "vendor"],
    query: SyncIngestQuery,
    // Documents the items; the handler reads the body itself (JSON or CSV) and validates it with SyncJsonBody.
    body: SyncJsonBodyDoc,
    csvBody: "header row sku,location_id,quantity (any order), then one row per SKU and location; quoted fields, BOM, CRLF and blank lines are fine",
    maxBytes: SYNC_LIMITS.maxBodyBytes,
    idempotency: "required",
    success: { status: 202, description: "{jobId, status, received, accepted, rejected, links}" },
    errors: [400, 401, 403, 409, 413, 415, 422, 429, 503],
  },
  async (c, input) => {
    const principal = c.get("principal");
    const idempotencyKey = input.idempotencyKey();
    const query = input.query();
    refuseOtherVendor(principal, query.vendorId, ["query", "vendorId"]);
    // Counted before the body is read whenever the vendor is known by now.
    const early = principal.scope === "vendor" ? principal.vendorId! : query.vendorId;
    if (early !== undefined) await enforceRateLimit(c.env, early);

    const body = await readSyncBody(c, input.spec.maxBytes);
    refuseOtherVendor(principal, body.vendorId, ["body", "vendorId"]);
    if (query.vendorId !== undefined && body.vendorId !== undefined && query.vendorId !== body.vendorId) {
      throw ApiError.invalid("vendorId is given twice, differently", [{ path: ["body", "vendorId"], message: `the query names ${query.vendorId}` }]);
    }
    if (query.mode !== undefined && body.mode !== undefined && query.mode !== body.mode) {
      throw ApiError.invalid("mode is given twice, differently", [{ path: ["body", "mode"], message: `the query says ${query.mode}` }]);
    }
    const vendorId = early ?? body.vendorId;
    if (vendorId === undefined) {
      throw ApiError.invalid("name the vendor whose feed this is", [
        { path: ["query", "vendorId"], message: "operators must give vendorId (query, or JSON body)", code: "required" },
      ]);
    }
    if (early === undefined) {
      if ((await findVendor(c.env.DB, vendorId)) === undefined) {
        throw ApiError.invalid("unknown vendor", [
          { path: [query.vendorId !== undefined ? "query" : "body", "vendorId"], message: `no vendor ${vendorId}`, code: "unknown_vendor" },
        ]);
      }
      await enforceRateLimit(c.env, vendorId);
    } else if (principal.scope === "operator" && (await findVendor(c.env.DB, vendorId)) === undefined) {
      throw ApiError.invalid("unknown vendor", [{ path: ["query", "vendorId"], message: `no vendor ${vendorId}`, code: "unknown_vendor" }]);
    }

    const { job, replayed } = await ingestSync(c.env, principal, {
      vendorId,
      mode: body.mode ?? query.mode ?? "absolute",
      format: body.format,
      source: body.source,
      items: body.items,
      idempotencyKey,
    });
    const summary = syncJobJson(job);
    if (replayed) c.header("Idempotent-Replayed", "true");
    c.header("Location", summary.links.self);
    c.header("Cache-Control", "private, no-store");
    return c.json(
      {
        jobId: summary.jobId,
        status: summary.status,
        received: summary.counts.received,
        accepted: summary.counts.accepted,
        rejected: summary.counts.rejected,
        links: summary.links,
      },
      202,
    );
  },
);
