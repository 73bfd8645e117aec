/**
 * The D1 reads behind the Google Merchant Center feeds (services/merchant-feeds.ts), all
 * keyset-paged on the vendor's SKUs and bounded by the page:
 *
 * - `localLevelsPage`: the `inventory_levels` projection's rows of a vendor's active SKUs at
 *   given locations (the Merchant Center stores), in (sku, location) order after a cursor;
 * - `productsPage`: a vendor's active SKUs after a cursor, with what their status needs;
 * - `sellingLevelsInRange` / `arrivalsInRange`: the levels at given (selling) locations and the
 *   earliest open arrival per SKU and location, for the SKUs of one page — selected by the
 *   page's SKU range (after, last], never by a list of ids, so a page of thousands stays
 *   one bound statement (D1 allows 100 bound parameters).
 *
 * Where they read (issue 19 item 2): the levels are in the vendor's read database
 * (repositories/read-partitions.ts `vendorReadDb`), where they are joined with that database's
 * copy of the SKUs' facts (`read_sku_facts`: owner, status) — never with `skus` or `locations`,
 * which are in `DB`: the locations to read are passed as ids (one bound JSON parameter). The
 * SKUs and transfers are read in `DB`; shipped purchase orders in the vendor's read database.
 */
import { and, asc, eq, gt, gte, inArray, isNotNull, lte, min, or, type AnyColumn, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { inventoryLevels, readSkuFacts, skuDirectory, skus, transferLines, transfers } from "../d1/schema";
import { inJson } from "./d1-sql";

/** A location Merchant Center may list as a store: active, and a store or a pickup point. */
export const isMerchantStore = (l: { active: boolean; type: string; canPickup: boolean }) => l.active && (l.type === "store" || l.canPickup);

/** A location we sell from: active, and it ships or offers pickup. */
export const isSellingLocation = (l: { active: boolean; canShip: boolean; canPickup: boolean }) => l.active && (l.canShip || l.canPickup);

export interface LocalLevelRow {
  sku: string;
  locationId: string;
  available: number;
}

/**
 * One page of a vendor's levels at `locationIds` (its read database `readDb`), active SKUs
 * only, after `after`, at most `limit`.
 */
export async function localLevelsPage(
  readDb: D1Database,
  q: { vendorId: string; locationIds: readonly string[]; after?: readonly [string, string] | undefined; limit: number },
): Promise<LocalLevelRow[]> {
  if (q.locationIds.length === 0) return [];
  const l = inventoryLevels;
  const f = readSkuFacts;
  const conditions: (SQL | undefined)[] = [eq(f.vendorId, q.vendorId), eq(f.status, "active"), inJson(l.locationId, q.locationIds)];
  if (q.after !== undefined) {
    // (sku, location) > after, written on the facts' sku (= the level's) so the page is read in
    // the order of `read_sku_facts_vendor` from the cursor on, sorting only each SKU's locations.
    const [sku, locationId] = q.after;
    conditions.push(gte(f.sku, sku), or(gt(f.sku, sku), gt(l.locationId, locationId)));
  }
  return drizzle(readDb)
    .select({ sku: l.sku, locationId: l.locationId, available: l.available })
    .from(l)
    .innerJoin(f, eq(f.sku, l.sku))
    .where(and(...conditions))
    .orderBy(asc(f.sku), asc(l.locationId))
    .limit(q.limit)
    .all();
}

export interface ProductRow {
  sku: string;
  reorderPoint: number;
  allowBackorder: boolean;
  leadTimeDays: number;
}

/** One page of a vendor's active SKUs in id order (their master rows, in the vendor's read database), after `after`, at most `limit`. */
export async function productsPage(db: D1Database, q: { vendorId: string; after?: string | undefined; limit: number }): Promise<ProductRow[]> {
  const conditions: (SQL | undefined)[] = [eq(skus.vendorId, q.vendorId), eq(skus.status, "active")];
  if (q.after !== undefined) conditions.push(gt(skus.sku, q.after));
  return drizzle(db)
    .select({ sku: skus.sku, reorderPoint: skus.reorderPoint, allowBackorder: skus.allowBackorder, leadTimeDays: skus.leadTimeDays })
    .from(skus)
    .where(and(...conditions))
    .orderBy(asc(skus.sku))
    .limit(q.limit)
    .all();
}

/** A page's range of a vendor's SKUs: (after, last]. */
export interface PageRange {
  vendorId: string;
  after?: string | undefined;
  last: string;
}

/** The SKUs of a vendor in (after, last] by their vendor and id columns (`sku_directory` in `DB`, `read_sku_facts` in a read database). */
function pageRange(columns: { vendorId: AnyColumn; sku: AnyColumn }, range: PageRange): SQL {
  return and(eq(columns.vendorId, range.vendorId), range.after === undefined ? undefined : gt(columns.sku, range.after), lte(columns.sku, range.last))!;
}

export interface SellingLevelRow {
  sku: string;
  locationId: string;
  available: number;
  inTransit: number;
}

/** The projection's levels at `locationIds` (the selling locations) of a page's SKUs, from the vendor's read database `readDb`. */
export async function sellingLevelsInRange(readDb: D1Database, range: PageRange, locationIds: readonly string[]): Promise<SellingLevelRow[]> {
  if (locationIds.length === 0) return [];
  const l = inventoryLevels;
  const f = readSkuFacts;
  return drizzle(readDb)
    .select({ sku: l.sku, locationId: l.locationId, available: l.available, inTransit: l.inTransit })
    .from(l)
    .innerJoin(f, eq(f.sku, l.sku))
    .where(and(pageRange(f, range), inJson(l.locationId, locationIds)))
    .all();
}

export interface ArrivalRow {
  sku: string;
  locationId: string;
  /** The earliest expected arrival there (ms). */
  expectedAt: number;
}

const OPEN_LINE = ["in_transit", "partially_received"] as const;

/**
 * The earliest expected arrival per SKU and destination among a page's SKUs: transfers in
 * transit (their `expected_at`) and shipped purchase-order lines (the line's own date from
 * the vendor's 855/856, else the order's). Lines without a date are left out.
 */
export async function arrivalsInRange(db: D1Database, range: PageRange): Promise<ArrivalRow[]> {
  const d = drizzle(db);
  const tl = transferLines;
  const t = transfers;
  // Transfers only: purchase orders live in the vendor's read database (repositories/purchase-orders.ts shippedArrivalsInRange).
  return d
    .select({ sku: tl.sku, locationId: t.toLocationId, expectedAt: min(t.expectedAt).mapWith(Number) })
    .from(tl)
    .innerJoin(t, eq(t.id, tl.transferId))
    .innerJoin(skuDirectory, eq(skuDirectory.sku, tl.sku))
    .where(and(pageRange(skuDirectory, range), inArray(t.status, OPEN_LINE), inArray(tl.status, OPEN_LINE), isNotNull(t.expectedAt)))
    .groupBy(tl.sku, t.toLocationId)
    .all();
}
