/**
 * `/api/v2/feeds/merchant-center`: Google Merchant Center feeds of a vendor's SKUs
 * (services/merchant-feeds.ts says what they hold and where store codes come from):
 * `local-inventory` (per store code) and `products` (availability). TSV by default (what
 * Merchant Center fetches), `format=csv`, or `format=json` with the rows left out and why.
 * Keyset pages: when more remain, a `Link: <…>; rel="next"` header (and `nextCursor` in
 * JSON) gives the next page; `X-Merchant-Feed-Left-Out` counts the rows left out.
 * Operators name the vendor; a vendor key reads its own.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { RouteGroup } from "../http/route-table";
import { encodeCursor } from "../../domain/schemas/cursor";
import { MERCHANT_LOCAL_CURSOR, MERCHANT_PRODUCTS_CURSOR, MerchantLocalInventoryQuery, MerchantProductsQuery } from "../../domain/schemas/merchant-feeds";
import { localInventoryText, productAvailabilityText, type MerchantFeedProblem } from "../../domain/merchant-feed";
import { feedVendorFor, localInventoryPage, productAvailabilityPage } from "../../services/merchant-feeds";

export const merchantFeeds = new RouteGroup("merchant center feeds", ["operator", "vendor"]);

const CONTENT_TYPES = { tsv: "text/tab-separated-values; charset=utf-8", csv: "text/csv; charset=utf-8" } as const;

/** The answer in the asked format, with the next page's link when there is one. */
function feedResponse<Row>(
  c: Context<AppEnv>,
  page: { rows: Row[]; problems: MerchantFeedProblem[] },
  next: string | null,
  format: "tsv" | "csv" | "json",
  text: (rows: Row[], format: "tsv" | "csv") => string,
  filename: string,
): Response {
  c.header("Cache-Control", "private, no-store");
  c.header("X-Merchant-Feed-Left-Out", String(page.problems.length));
  if (next !== null) {
    const url = new URL(c.req.url);
    url.searchParams.set("cursor", next);
    c.header("Link", `<${url.pathname}${url.search}>; rel="next"`);
  }
  if (format === "json") return c.json({ items: page.rows, problems: page.problems, nextCursor: next });
  return c.body(text(page.rows, format), 200, {
    "Content-Type": CONTENT_TYPES[format],
    "Content-Disposition": `inline; filename="${filename}.${format}"`,
  });
}

merchantFeeds.route(
  {
    method: "get",
    path: "/local-inventory",
    summary:
      "Merchant Center local inventory feed of a vendor's SKUs: store_code (our location id), id, quantity, availability, pickup_method, pickup_sla; per store or all; keyset-paged (≤ 10,000 rows)",
    scopes: ["operator", "vendor"],
    query: MerchantLocalInventoryQuery,
    success: { status: 200, description: "TSV (default), CSV, or {items, problems, nextCursor}", contentType: "text/tab-separated-values" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const query = input.query();
    const vendorId = await feedVendorFor(c.env, c.get("principal"), query.vendorId);
    const page = await localInventoryPage(c.env, vendorId, { storeCode: query.storeCode, after: query.cursor, limit: query.limit });
    const next = page.next === null ? null : encodeCursor(MERCHANT_LOCAL_CURSOR, page.next);
    return feedResponse(c, page, next, query.format, localInventoryText, `local-inventory-${vendorId}`);
  },
);

merchantFeeds.route(
  {
    method: "get",
    path: "/products",
    summary:
      "Merchant Center product availability of a vendor's active SKUs: id, availability (in_stock, out_of_stock, preorder, backorder), availability_date; keyset-paged (≤ 5,000 products)",
    scopes: ["operator", "vendor"],
    query: MerchantProductsQuery,
    success: { status: 200, description: "TSV (default), CSV, or {items, problems, nextCursor}", contentType: "text/tab-separated-values" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const query = input.query();
    const vendorId = await feedVendorFor(c.env, c.get("principal"), query.vendorId);
    const page = await productAvailabilityPage(c.env, vendorId, { after: query.cursor?.[0], limit: query.limit }, Date.now());
    const next = page.next === null ? null : encodeCursor(MERCHANT_PRODUCTS_CURSOR, page.next);
    return feedResponse(c, page, next, query.format, productAvailabilityText, `products-${vendorId}`);
  },
);
