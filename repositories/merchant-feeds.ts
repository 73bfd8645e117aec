/**
 * The D1 reads behind the Google Merchant Center feeds (services/merchant-feeds.ts), all
 * keyset-paged on the vendor's SKUs and bounded by the page:
 *
 * - `localLevelsPage`: the `inventory_levels` projection's rows of a vendor's active SKUs at
 *   Merchant Center stores (active locations of type `store` or with `can_pickup`), in
 *   (sku, location) order after a cursor;
 * - `productsPage`: a vendor's active SKUs after a cursor, with what their status needs;
 * - `sellingLevelsInRange` / `arrivalsInRange`: the levels at selling locations and the
 *   earliest open arrival per SKU and location, for the SKUs of one page — selected by the
 *   page's SKU range (after, last], never by a list of ids, so a page of thousands stays
 *   one bound statement (D1 allows 100 bound parameters).
 */
import { and, asc, eq, gt, inArray, isNotNull, lte, min, or, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { inventoryLevels, locations, purchaseOrderLines, purchaseOrders, skus, transferLines, transfers } from "../d1/schema";

/** A location Merchant Center may list as a store: active, and a store or a pickup point. */
export const isMerchantStore = (l: { active: boolean; type: string; canPickup: boolean }) => l.active && (l.type === "store" || l.canPickup);

const storeCondition = and(eq(locations.active, true), or(eq(locations.type, "store"), eq(locations.canPickup, true)));
const sellingCondition = and(eq(locations.active, true), or(eq(locations.canShip, true), eq(locations.canPickup, true)));

export interface LocalLevelRow {
  sku: string;
  locationId: string;
  available: number;
}

/** One page of a vendor's levels at stores (one store when `storeId` is given), after `after`, at most `limit`. */
export async function localLevelsPage(
  db: D1Database,
  q: { vendorId: string; storeId?: string | undefined; after?: readonly [string, string] | undefined; limit: number },
): Promise<LocalLevelRow[]> {
  const l = inventoryLevels;
  const conditions: (SQL | undefined)[] = [eq(skus.vendorId, q.vendorId), eq(skus.status, "active"), storeCondition];
  if (q.storeId !== undefined) conditions.push(eq(l.locationId, q.storeId));
  if (q.after !== undefined) {
    const [sku, locationId] = q.after;
    conditions.push(or(gt(l.sku, sku), and(eq(l.sku, sku), gt(l.locationId, locationId))));
  }
  return drizzle(db)
    .select({ sku: l.sku, locationId: l.locationId, available: l.available })
    .from(l)
    .innerJoin(skus, eq(skus.sku, l.sku))
    .innerJoin(locations, eq(locations.id, l.locationId))
    .where(and(...conditions))
    .orderBy(asc(l.sku), asc(l.locationId))
    .limit(q.limit)
    .all();
}

export interface ProductRow {
  sku: string;
  reorderPoint: number;
  allowBackorder: boolean;
  leadTimeDays: number;
}

/** One page of a vendor's active SKUs in id order, after `after`, at most `limit`. */
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

/** The SKUs of a vendor in (after, last]: one page's range (every query joins `skus` on its SKU). */
function pageRange(range: { vendorId: string; after?: string | undefined; last: string }): SQL {
  return and(eq(skus.vendorId, range.vendorId), range.after === undefined ? undefined : gt(skus.sku, range.after), lte(skus.sku, range.last))!;
}

export interface SellingLevelRow {
  sku: string;
  locationId: string;
  available: number;
  inTransit: number;
}

/** The projection's levels at selling locations (active; can ship or offer pickup) of a page's SKUs. */
export async function sellingLevelsInRange(db: D1Database, range: { vendorId: string; after?: string | undefined; last: string }): Promise<SellingLevelRow[]> {
  const l = inventoryLevels;
  return drizzle(db)
    .select({ sku: l.sku, locationId: l.locationId, available: l.available, inTransit: l.inTransit })
    .from(l)
    .innerJoin(skus, eq(skus.sku, l.sku))
    .innerJoin(locations, eq(locations.id, l.locationId))
    .where(and(pageRange(range), sellingCondition))
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
export async function arrivalsInRange(db: D1Database, range: { vendorId: string; after?: string | undefined; last: string }): Promise<ArrivalRow[]> {
  const d = drizzle(db);
  const tl = transferLines;
  const t = transfers;
  const pl = purchaseOrderLines;
  const po = purchaseOrders;
  const lineDate = sql<number>`coalesce(${pl.expectedAt}, ${po.expectedAt})`;
  const [byTransfer, byOrder] = await d.batch([
    d
      .select({ sku: tl.sku, locationId: t.toLocationId, expectedAt: min(t.expectedAt).mapWith(Number) })
      .from(tl)
      .innerJoin(t, eq(t.id, tl.transferId))
      .innerJoin(skus, eq(skus.sku, tl.sku))
      .where(and(pageRange(range), inArray(t.status, OPEN_LINE), inArray(tl.status, OPEN_LINE), isNotNull(t.expectedAt)))
      .groupBy(tl.sku, t.toLocationId),
    d
      .select({ sku: pl.sku, locationId: po.locationId, expectedAt: sql<number>`min(${lineDate})`.mapWith(Number) })
      .from(pl)
      .innerJoin(po, eq(po.id, pl.purchaseOrderId))
      .innerJoin(skus, eq(skus.sku, pl.sku))
      .where(and(pageRange(range), inArray(po.status, ["shipped", "partially_received"]), inArray(pl.status, OPEN_LINE), sql`${lineDate} IS NOT NULL`))
      .groupBy(pl.sku, po.locationId),
  ]);
  return [...byTransfer, ...byOrder];
}
