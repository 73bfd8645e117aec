/**
 * `POST /api/v2/inventory/sync`: a vendor's stock feed, JSON (`{items, mode?}`), CSV
 * (`text/csv`: our header `sku,location_id,quantity`, a Shopify inventory export of any
 * generation, or the vendor's mapped layout) or X12 846 (`application/edi-x12`, or any of
 * these as text/csv), up to 10,000 items. `format` (query) says how to read a file; by
 * default the vendor's setting, else detected (`services/sync-formats.ts`). Answers `202
 * {jobId, accepted, rejected, source}` (an X12 file: with `sets` and its 997,
 * `functionalAcknowledgment: {controlNumber, x12}`) once the job is recorded and queued; the SYNC
 * consumer applies it. Only request-level faults refuse the request (401/403, 413 too large
 * or too many items, 415, 429, a file that cannot be read, a bad header or query); a bad
 * item, row or X12 set is an item error of the job at its position. Mounted at its own path
 * before the `inventory` sub-app, whose `/:sku` routes would otherwise see it.
 */
import type { Context } from "hono";
import type { SyncMode } from "../../domain/sync";
import { clientRowOf, SYNC_LIMITS, type RawSyncItem } from "../../domain/sync-items";
import type { AppEnv } from "../app-env";
import type { Principal } from "../../services/principal";
import { ApiError } from "../../services/api-error";
import { readText, tooLarge, validate } from "../http/read-input";
import { RouteGroup } from "../http/route-table";
import { findVendor } from "../../repositories/vendors";
import { SyncJsonBody, SyncJsonBodyDoc } from "../../domain/schemas/sync";
import { SyncUploadQuery } from "../../domain/schemas/vendor-sync";
import type { SyncJobRow } from "../../d1/schema";
import type { DecodedFile } from "../../services/sync-formats";
import { ingestSync, ingestVendorFile, type FunctionalAcknowledgment } from "../../services/sync-ingest";
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

/** A JSON body, read and checked at the request level, as raw items. */
interface JsonBody {
  kind: "json";
  /** The format of the vendor's own file, recorded on the job (a CSV file sent as JSON by the CLI says csv). */
  source: "json" | "csv";
  items: RawSyncItem[];
  mode?: SyncMode | undefined;
  vendorId?: string | undefined;
}

/** A file (CSV or X12), read once the vendor and its settings are known. */
interface FileBody {
  kind: "file";
  text: string;
  mode?: undefined;
  vendorId?: undefined;
}

/** Reads the feed: JSON, or a file's text, at most `maxBytes`; JSON at most SYNC_LIMITS.maxItems items. */
async function readSyncBody(c: Context<AppEnv>, maxBytes: number): Promise<JsonBody | FileBody> {
  const type = c.req.header("content-type") ?? "";
  const source = /^application\/json\s*(;|$)/i.test(type)
    ? "json"
    : /^text\/csv\s*(;|$)/i.test(type)
      ? "csv"
      : /^application\/edi-x12\s*(;|$)/i.test(type)
        ? "x12"
        : null;
  if (source === null) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      "send the feed as application/json ({items, mode?}), text/csv (our header sku,location_id,quantity, a Shopify inventory export, or your mapped layout) or application/edi-x12 (an 846)",
      {
        contentType: type || null,
      },
    );
  }
  const declared = c.req.header("content-length");
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const text = await readText(c.req.raw, maxBytes, source === "json" ? "malformed_json" : source === "csv" ? "malformed_csv" : "malformed_x12");
  const tooMany = (received: number) =>
    new ApiError(413, "too_many_items", `at most ${SYNC_LIMITS.maxItems} items per sync request; split the feed`, { maxItems: SYNC_LIMITS.maxItems, received });

  if (source !== "json") return { kind: "file", text };
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
    kind: "json",
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
    summary:
      "Vendor stock feed (JSON, CSV in our, Shopify's or the vendor's mapped layout, or X12 846; up to 10,000 items), applied asynchronously; bad items, rows and X12 sets become item errors of the job at their positions",
    scopes: ["operator", "vendor"],
    query: SyncUploadQuery,
    // Documents the items; the handler reads the body itself (JSON or CSV) and validates it with SyncJsonBody.
    body: SyncJsonBodyDoc,
    csvBody:
      "header row sku,location_id,quantity (any order), then one row per SKU and location; or a Shopify inventory export (current, 17-column or wide legacy), or the layout of the vendor's saved column map; quoted fields, BOM, CRLF and blank lines are fine. An X12 846 interchange may be sent as text/csv or application/edi-x12 (format=x12, or detected from the ISA)",
    maxBytes: SYNC_LIMITS.maxBodyBytes,
    idempotency: "required",
    success: {
      status: 202,
      description: "{jobId, status, received, accepted, rejected, links}; an X12 file also sets and functionalAcknowledgment {controlNumber, x12} (its 997)",
    },
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

    // A file is read once the vendor is known: its settings say how (format, column map, location names).
    let outcome: { job: SyncJobRow; replayed: boolean; sets?: DecodedFile["sets"]; functionalAcknowledgment?: FunctionalAcknowledgment | null };
    if (body.kind === "file") {
      const { job, replayed, file, functionalAcknowledgment } = await ingestVendorFile(c.env, principal, {
        vendorId,
        text: body.text,
        format: query.format,
        mode: query.mode,
        idempotencyKey,
      });
      outcome = { job, replayed, sets: file.sets, ...(file.x12 !== undefined ? { functionalAcknowledgment } : {}) };
    } else {
      if (query.format !== undefined && query.format !== "auto" && query.format !== "ours") {
        throw ApiError.invalid("a JSON body is our own format", [
          { path: ["query", "format"], message: "omit format, or say auto or ours, for a JSON body", code: "invalid_format" },
        ]);
      }
      outcome = await ingestSync(c.env, principal, {
        vendorId,
        mode: body.mode ?? query.mode ?? "absolute",
        format: "json",
        source: body.source,
        items: body.items,
        idempotencyKey,
      });
    }
    const { job, replayed } = outcome;
    const summary = syncJobJson(job);
    if (replayed) c.header("Idempotent-Replayed", "true");
    c.header("Location", summary.links.self);
    c.header("Cache-Control", "private, no-store");
    return c.json(
      {
        jobId: summary.jobId,
        status: summary.status,
        source: summary.source,
        received: summary.counts.received,
        accepted: summary.counts.accepted,
        rejected: summary.counts.rejected,
        ...(outcome.sets !== undefined ? { sets: outcome.sets } : {}),
        ...(outcome.functionalAcknowledgment !== undefined ? { functionalAcknowledgment: outcome.functionalAcknowledgment } : {}),
        links: summary.links,
      },
      202,
    );
  },
);
