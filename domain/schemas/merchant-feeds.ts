/** Queries of the Google Merchant Center feeds (`GET /api/v2/feeds/merchant-center/*`). */
import { z } from "zod";
import { LocationId, SkuId, VendorId } from "./common";
import { cursorParam } from "./cursor";

export const MERCHANT_LOCAL_CURSOR = "mcl1";
export const MERCHANT_PRODUCTS_CURSOR = "mcp1";

/** Rows per local-inventory page (SKU × store): the documented cap of one response. */
export const MERCHANT_LOCAL_MAX_ROWS = 10_000;
/** Products per product-feed page: each brings its levels at every selling location and its open arrivals. */
export const MERCHANT_PRODUCTS_MAX = 5_000;

const FeedFormat = z.enum(["tsv", "csv", "json"]).default("tsv");

export const MerchantLocalInventoryQuery = z.strictObject({
  vendorId: VendorId.optional(),
  /** One store (its store code is our location id); all of them when absent. */
  storeCode: LocationId.optional(),
  cursor: cursorParam(MERCHANT_LOCAL_CURSOR, z.tuple([SkuId, LocationId])).optional(),
  limit: z.coerce.number().int().min(1).max(MERCHANT_LOCAL_MAX_ROWS).default(MERCHANT_LOCAL_MAX_ROWS),
  format: FeedFormat,
});
export type MerchantLocalInventoryQuery = z.infer<typeof MerchantLocalInventoryQuery>;

export const MerchantProductsQuery = z.strictObject({
  vendorId: VendorId.optional(),
  cursor: cursorParam(MERCHANT_PRODUCTS_CURSOR, z.tuple([SkuId])).optional(),
  limit: z.coerce.number().int().min(1).max(MERCHANT_PRODUCTS_MAX).default(MERCHANT_PRODUCTS_MAX),
  format: FeedFormat,
});
export type MerchantProductsQuery = z.infer<typeof MerchantProductsQuery>;
