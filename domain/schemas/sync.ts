/**
 * Input schemas of the vendor sync endpoints. The request body is checked here only at the
 * request level (an object with an `items` array, a known `mode`); each item is checked on
 * its own (`domain/sync-items.ts`), so one bad item becomes an item error of the job.
 */
import { z } from "zod";
import { SYNC_LIMITS } from "../sync-items";
import { SkuId, LocationId, VendorId } from "./common";
import { cursorParam } from "./cursor";

export const SyncMode = z.enum(["absolute", "delta"]);

/** `POST /api/v2/inventory/sync` query string. */
export const SyncIngestQuery = z.strictObject({
  /** Operators: the vendor whose feed this is (or `vendorId` in a JSON body). Vendors may give only their own. */
  vendorId: VendorId.optional(),
  /** For CSV bodies (JSON bodies may say it in `mode`); default `absolute`. */
  mode: SyncMode.optional(),
});

/** `POST /api/v2/inventory/sync` JSON body, at the request level. */
/** The format of the vendor's own file the items came from, recorded on the job (the CLI sends `csv` for CSV files). */
export const SyncSource = z.enum(["json", "csv"]);

export const SyncJsonBody = z.strictObject({
  items: z.array(z.unknown()).min(1, "send at least one item"),
  mode: SyncMode.optional(),
  vendorId: VendorId.optional(),
  source: SyncSource.optional(),
});

/** The same body item by item, for the OpenAPI document (items are validated one by one). */
export const SyncJsonBodyDoc = z.strictObject({
  items: z
    .array(
      z.strictObject({
        sku: SkuId,
        locationId: LocationId,
        quantity: z.int().min(SYNC_LIMITS.delta.min).max(SYNC_LIMITS.absolute.max).describe("absolute: 0..1,000,000 (on-hand); delta: −1,000,000..1,000,000"),
        row: z.int().min(1).optional().describe("your own row/line number, echoed in the error report"),
      }),
    )
    .min(1)
    .max(SYNC_LIMITS.maxItems),
  mode: SyncMode.optional(),
  vendorId: VendorId.optional(),
  source: SyncSource.optional().describe("the format of the file the items came from (default json; the vendor CLI sends csv for CSV files)"),
});

/** `sync_` + 32 lowercase hex. */
export const SyncJobId = z.string().regex(/^sync_[0-9a-f]{32}$/, "not a sync job id");

/** `srv_` + 24 lowercase hex, as the SKU objects issue them. */
export const SyncReviewId = z.string().regex(/^srv_[0-9a-f]{24}$/, "not a sync review id");

export const SYNC_ERRORS_CURSOR = "se1";
export const SYNC_REVIEWS_CURSOR = "sr1";

/** `GET /api/v2/sync/{jobId}/errors`. */
export const SyncErrorsQuery = z.strictObject({
  cursor: cursorParam(SYNC_ERRORS_CURSOR, z.tuple([z.int().nonnegative()])).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** `csv`: the whole report as a CSV download (also chosen by `Accept: text/csv`). */
  format: z.enum(["json", "csv"]).optional(),
});

/** `GET /api/v2/sync/reviews`. */
export const SyncReviewsQuery = z.strictObject({
  status: z.enum(["open", "accepted", "rejected", "superseded"]).optional(),
  /** Operators: one vendor's reviews. */
  vendorId: VendorId.optional(),
  sku: SkuId.optional(),
  jobId: SyncJobId.optional(),
  cursor: cursorParam(SYNC_REVIEWS_CURSOR, z.tuple([z.int().nonnegative(), SyncReviewId])).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
