/**
 * Google Merchant Center feeds from our public availability (`domain/availability.ts`):
 *
 * - the **local inventory** feed: one row per product and store, `store_code`, `id` (the
 *   offer id), `quantity`, `availability` (`in_stock` from `limitedBelow` units, default 3;
 *   `limited_availability` for fewer; at 0 `on_display_to_order` when the store shows a
 *   display model, else `out_of_stock`, Google's own thresholds), `pickup_method` (`buy`,
 *   `reserve`, `ship_to_store`, `not_supported`) and `pickup_sla` (`same_day`, `next_day`,
 *   `2-day` … `6-day`, `multi-week`). Only locations the store table names are stores
 *   (a warehouse is not); a store's method and SLA come together unless the method is
 *   `not_supported`, as Google requires.
 * - the **product availability** of each offer: our `in_stock` and `low_stock` are
 *   `in_stock`, `out_of_stock` stays, `backorder` and `preorder` stay and need an
 *   `availability_date` (ISO 8601), which Google requires for both: a product without one
 *   is left out and reported instead of sent as a row Google would refuse.
 *
 * Rows are plain JSON objects with the feed's attribute names; they are written as
 * TSV or CSV (`localInventoryText`, `productAvailabilityText`), every cell neutralised against spreadsheet formulas (the rule of
 * `domain/csv-output.ts`). Pure.
 */
import type { AvailabilityStatus } from "./availability";
import { csvLine } from "./csv-output";

export const LOCAL_AVAILABILITIES = ["in_stock", "limited_availability", "on_display_to_order", "out_of_stock"] as const;
export type LocalAvailability = (typeof LOCAL_AVAILABILITIES)[number];
export const PRODUCT_AVAILABILITIES = ["in_stock", "out_of_stock", "preorder", "backorder"] as const;
export type ProductAvailability = (typeof PRODUCT_AVAILABILITIES)[number];
export const PICKUP_METHODS = ["buy", "reserve", "ship_to_store", "not_supported"] as const;
export type PickupMethod = (typeof PICKUP_METHODS)[number];
export const PICKUP_SLAS = ["same_day", "next_day", "2-day", "3-day", "4-day", "5-day", "6-day", "multi-week"] as const;
export type PickupSla = (typeof PICKUP_SLAS)[number];

/** One of our locations as a Merchant Center store. */
export interface MerchantStore {
  /** The store code in the merchant's Business Profile (case sensitive). */
  storeCode: string;
  pickupMethod?: PickupMethod;
  pickupSla?: PickupSla;
  /** The store shows a display model: at 0 units it is `on_display_to_order`, not `out_of_stock`. */
  onDisplay?: boolean;
}

/** Our location id → its store. */
export type MerchantStoreTable = Readonly<Record<string, MerchantStore>>;

/** One product as we know it: its public status and per-location availability. */
export interface MerchantProduct {
  /** The offer id in Merchant Center (usually our SKU; at most 50 characters). */
  offerId: string;
  status: AvailabilityStatus;
  /** Per location, available units (negative shows as 0). */
  locations: readonly { locationId: string; available: number }[];
  /** When a backordered or preordered product becomes available: an ISO date or date-time. */
  availableFrom?: string | null;
}

export interface LocalInventoryRow {
  store_code: string;
  id: string;
  quantity: number;
  availability: LocalAvailability;
  pickup_method?: PickupMethod;
  pickup_sla?: PickupSla;
}

export interface ProductAvailabilityRow {
  id: string;
  availability: ProductAvailability;
  availability_date?: string;
}

/** Something left out of a feed, and why. */
export interface MerchantFeedProblem {
  offerId: string;
  locationId: string | null;
  field: string;
  message: string;
}

export interface MerchantFeed {
  localInventory: LocalInventoryRow[];
  products: ProductAvailabilityRow[];
  problems: MerchantFeedProblem[];
}

const PRODUCT_STATUS: Record<AvailabilityStatus, ProductAvailability> = {
  in_stock: "in_stock",
  low_stock: "in_stock",
  out_of_stock: "out_of_stock",
  backorder: "backorder",
  preorder: "preorder",
};

/** An ISO 8601 date (`2026-12-01`) or date-time with a zone (`2026-12-01T09:00Z`, `…+01:00`), as Google's availability_date; null otherwise. */
function availabilityDate(text: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(T(\d{2}):(\d{2})(:\d{2})?(Z|[+-]\d{2}:?\d{2}))?$/.exec(text);
  if (m === null) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) return null;
  if (m[4] !== undefined && (Number(m[5]) > 23 || Number(m[6]) > 59)) return null;
  // A bare date is the start of that day in UTC; give a date-time to choose the zone.
  return m[4] === undefined ? `${m[1]}-${m[2]}-${m[3]}T00:00Z` : text;
}

/** The stores whose table entry is unusable (no code, a method without its SLA or the reverse), with the problems to report. */
function storeProblems(stores: MerchantStoreTable): { badStores: Set<string>; problems: MerchantFeedProblem[] } {
  const badStores = new Set<string>();
  const problems: MerchantFeedProblem[] = [];
  for (const [locationId, store] of Object.entries(stores)) {
    const needsSla = store.pickupMethod !== undefined && store.pickupMethod !== "not_supported";
    if (store.storeCode.trim() === "") {
      problems.push({ offerId: "*", locationId, field: "store_code", message: "a store needs its store code" });
      badStores.add(locationId);
    } else if (needsSla !== (store.pickupSla !== undefined)) {
      problems.push({
        offerId: "*",
        locationId,
        field: "pickup_sla",
        message: "pickup_method and pickup_sla go together (unless the method is not_supported)",
      });
      badStores.add(locationId);
    }
  }
  return { badStores, problems };
}

/** The offer id problem of a product, or null when Merchant Center takes it. */
function offerIdProblem(offerId: string): MerchantFeedProblem | null {
  return offerId === "" || offerId.length > 50 ? { offerId, locationId: null, field: "id", message: "an offer id is 1–50 characters" } : null;
}

/** A product's local inventory rows, one per store it has a level at. */
function localRowsOf(
  product: Pick<MerchantProduct, "offerId" | "locations">,
  stores: MerchantStoreTable,
  badStores: ReadonlySet<string>,
  limitedBelow: number,
): LocalInventoryRow[] {
  const rows: LocalInventoryRow[] = [];
  for (const level of product.locations) {
    const store = Object.hasOwn(stores, level.locationId) ? stores[level.locationId] : undefined;
    if (store === undefined || badStores.has(level.locationId)) continue;
    const quantity = Math.max(0, Math.trunc(level.available));
    const availability: LocalAvailability =
      quantity >= limitedBelow ? "in_stock" : quantity > 0 ? "limited_availability" : store.onDisplay === true ? "on_display_to_order" : "out_of_stock";
    const row: LocalInventoryRow = { store_code: store.storeCode, id: product.offerId, quantity, availability };
    if (store.pickupMethod !== undefined) row.pickup_method = store.pickupMethod;
    if (store.pickupSla !== undefined) row.pickup_sla = store.pickupSla;
    rows.push(row);
  }
  return rows;
}

/** A product's availability row, or why it is left out (a backorder or preorder without a usable date). */
function productRowOf(product: Pick<MerchantProduct, "offerId" | "status" | "availableFrom">): ProductAvailabilityRow | MerchantFeedProblem {
  const availability = PRODUCT_STATUS[product.status];
  if (availability !== "backorder" && availability !== "preorder") return { id: product.offerId, availability };
  const date = product.availableFrom == null ? null : availabilityDate(product.availableFrom);
  if (date === null) {
    return {
      offerId: product.offerId,
      locationId: null,
      field: "availability_date",
      message: `a ${availability} product needs an availability date (ISO 8601)${product.availableFrom == null ? "" : `; "${product.availableFrom}" is not one`}`,
    };
  }
  return { id: product.offerId, availability, availability_date: date };
}

/**
 * Builds the local inventory rows and product availability rows of the given products.
 * `limitedBelow` (default 3) is where `in_stock` starts.
 */
export function merchantFeed(products: readonly MerchantProduct[], stores: MerchantStoreTable, options: { limitedBelow?: number } = {}): MerchantFeed {
  const limitedBelow = options.limitedBelow ?? 3;
  const { badStores, problems } = storeProblems(stores);
  const out: MerchantFeed = { localInventory: [], products: [], problems };
  for (const product of products) {
    const idProblem = offerIdProblem(product.offerId);
    if (idProblem !== null) {
      out.problems.push(idProblem);
      continue;
    }
    out.localInventory.push(...localRowsOf(product, stores, badStores, limitedBelow));
    const row = productRowOf(product);
    if ("field" in row) out.problems.push(row);
    else out.products.push(row);
  }
  return out;
}

/** The local inventory feed alone: `merchantFeed`'s `localInventory` and the problems of its stores and offer ids (no status needed). */
export function localInventoryFeed(
  products: readonly Pick<MerchantProduct, "offerId" | "locations">[],
  stores: MerchantStoreTable,
  options: { limitedBelow?: number } = {},
): { rows: LocalInventoryRow[]; problems: MerchantFeedProblem[] } {
  const { badStores, problems } = storeProblems(stores);
  const rows: LocalInventoryRow[] = [];
  for (const product of products) {
    const idProblem = offerIdProblem(product.offerId);
    if (idProblem !== null) problems.push(idProblem);
    else rows.push(...localRowsOf(product, stores, badStores, options.limitedBelow ?? 3));
  }
  return { rows, problems };
}

/** The product availability feed alone: `merchantFeed`'s `products` and the problems of their ids and dates (no stores needed). */
export function productAvailabilityFeed(products: readonly Pick<MerchantProduct, "offerId" | "status" | "availableFrom">[]): {
  rows: ProductAvailabilityRow[];
  problems: MerchantFeedProblem[];
} {
  const rows: ProductAvailabilityRow[] = [];
  const problems: MerchantFeedProblem[] = [];
  for (const product of products) {
    const row = offerIdProblem(product.offerId) ?? productRowOf(product);
    if ("field" in row) problems.push(row);
    else rows.push(row);
  }
  return { rows, problems };
}

const LOCAL_COLUMNS = ["store_code", "id", "quantity", "availability", "pickup_method", "pickup_sla"] as const;
const PRODUCT_COLUMNS = ["id", "availability", "availability_date"] as const;

/** A TSV cell: no tab or line break inside, and a formula start neutralised as `csvCell` does. */
function tsvCell(value: string | number | null): string {
  if (value === null) return "";
  const text = String(value).replace(/[\t\r\n]+/g, " ");
  return /^[=+\-@]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text) ? `'${text}` : text;
}

/** A header line and one line per row, LF line ends; a missing optional attribute is an empty cell. */
function table(columns: readonly string[], rows: readonly (readonly (string | number | undefined)[])[], format: "tsv" | "csv"): string {
  const line = (cells: readonly (string | number | undefined)[]) => {
    const values = cells.map((c) => c ?? null);
    return format === "csv" ? csvLine(values) : values.map(tsvCell).join("\t");
  };
  return `${[line(columns), ...rows.map(line)].join("\n")}\n`;
}

/** The local inventory rows as a feed file: TSV (what Merchant Center takes by default) or CSV (cells quoted per RFC 4180). */
export function localInventoryText(rows: readonly LocalInventoryRow[], format: "tsv" | "csv"): string {
  return table(
    LOCAL_COLUMNS,
    rows.map((r) => [r.store_code, r.id, r.quantity, r.availability, r.pickup_method, r.pickup_sla]),
    format,
  );
}

/** The product availability rows as a feed file (TSV or CSV). */
export function productAvailabilityText(rows: readonly ProductAvailabilityRow[], format: "tsv" | "csv"): string {
  return table(
    PRODUCT_COLUMNS,
    rows.map((r) => [r.id, r.availability, r.availability_date]),
    format,
  );
}
