/**
 * The aggregates behind the analytics API (issue 15): sales and revenue per SKU
 * (`daily_sales` × `sku_planning` prices and costs), stock on hand per SKU
 * (`inventory_levels`), last sale days, stockout spans (`out_of_stock` alerts) and forecast
 * accuracy (`forecasts`). Optionally one vendor's SKUs.
 *
 * Split by vendor (issue 19 item 2): `daily_sales`, `inventory_levels`, `alerts`,
 * `sku_planning` and `forecasts` live in the read database of each SKU's vendor, the SKUs'
 * master data in `DB`. So each query here reads ONE database — the `…Of(readDb)` ones a read
 * database, filtered to a vendor through `read_sku_facts` there — and
 * services/planning-analytics.ts combines them by SKU.
 */
import { and, asc, between, eq, gt, inArray, isNotNull, lt, lte, max, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { alerts, dailySales, forecasts, inventoryLevels, readSkuFacts, skuPlanning, skus } from "../d1/schema";
import { excluded, inJson } from "./d1-sql";

/** What `DB` knows of an active SKU for the analytics: owner and age. */
export interface SkuMasterAggregate {
  sku: string;
  vendorId: string;
  createdAt: number;
}

/** What a read database knows of a SKU for the analytics (sums over its locations; its settings). */
export interface SkuReadAggregate {
  units: number;
  onHand: number;
  available: number;
  lastSaleDay: string | null;
  unitPrice: number | null;
  unitCost: number | null;
  overstockNoSaleDays: number | null;
  slowMovingNoSaleDays: number | null;
}

/** A SKU without rows in its read database. */
export const EMPTY_READ_AGGREGATE: Readonly<SkuReadAggregate> = Object.freeze({
  units: 0,
  onHand: 0,
  available: 0,
  lastSaleDay: null,
  unitPrice: null,
  unitCost: null,
  overstockNoSaleDays: null,
  slowMovingNoSaleDays: null,
});

export type SkuAggregate = SkuMasterAggregate & SkuReadAggregate;

/** Every active SKU (of the vendor) with its owner and age, in SKU order, in one read database (master rows live in their vendor's). */
export async function activeSkuMasters(db: D1Database, vendorId: string | undefined): Promise<SkuMasterAggregate[]> {
  return drizzle(db)
    .select({ sku: skus.sku, vendorId: skus.vendorId, createdAt: skus.createdAt })
    .from(skus)
    .where(and(eq(skus.status, "active"), vendorId === undefined ? undefined : eq(skus.vendorId, vendorId)))
    .orderBy(asc(skus.sku))
    .all();
}

/** `sku IN (the vendor's SKUs in this read database)`, or nothing without a vendor. */
function ofVendor(db: D1Database, sku: SQLiteColumn, vendorId: string | undefined): SQL | undefined {
  if (vendorId === undefined) return undefined;
  return inArray(sku, drizzle(db).select({ sku: readSkuFacts.sku }).from(readSkuFacts).where(eq(readSkuFacts.vendorId, vendorId)));
}

/**
 * Per SKU of one read database (of the vendor's, through `read_sku_facts`): units sold in
 * [from, to], on hand and available summed over locations, the last day with a sale up to
 * `to`, and its price, cost and thresholds (`sku_planning`). SKUs with none of these rows are
 * absent (the caller counts them EMPTY_READ_AGGREGATE).
 */
export async function skuReadAggregatesOf(readDb: D1Database, vendorId: string | undefined, from: string, to: string): Promise<Map<string, SkuReadAggregate>> {
  const ds = dailySales;
  const l = inventoryLevels;
  const d = drizzle(readDb);
  const p = skuPlanning;
  const [sold, stock, lastSale, settings] = await d.batch([
    d
      .select({ sku: ds.sku, units: sql<number>`SUM(${ds.units})` })
      .from(ds)
      .where(and(between(ds.day, from, to), ofVendor(readDb, ds.sku, vendorId)))
      .groupBy(ds.sku),
    d
      .select({ sku: l.sku, onHand: sql<number>`SUM(${l.onHand})`, available: sql<number>`SUM(${l.available})` })
      .from(l)
      .where(ofVendor(readDb, l.sku, vendorId))
      .groupBy(l.sku),
    d
      .select({ sku: ds.sku, day: max(ds.day) })
      .from(ds)
      .where(and(lte(ds.day, to), gt(ds.units, 0), ofVendor(readDb, ds.sku, vendorId)))
      .groupBy(ds.sku),
    d
      .select({
        sku: p.sku,
        unitPrice: p.unitPrice,
        unitCost: p.unitCost,
        overstockNoSaleDays: p.overstockNoSaleDays,
        slowMovingNoSaleDays: p.slowMovingNoSaleDays,
      })
      .from(p)
      .where(ofVendor(readDb, p.sku, vendorId)),
  ]);
  const out = new Map<string, SkuReadAggregate>();
  const of = (sku: string) => {
    let a = out.get(sku);
    if (a === undefined) out.set(sku, (a = { ...EMPTY_READ_AGGREGATE }));
    return a;
  };
  for (const r of sold) of(r.sku).units = r.units ?? 0;
  for (const r of stock) Object.assign(of(r.sku), { onHand: r.onHand ?? 0, available: r.available ?? 0 });
  for (const r of lastSale) of(r.sku).lastSaleDay = r.day;
  for (const { sku, ...prices } of settings) Object.assign(of(sku), prices);
  return out;
}

/**
 * Milliseconds out of stock in [fromMs, toMs) per vendor in one read database: the overlap of
 * every `out_of_stock` alert with the period, by the SKU's owner in `read_sku_facts` (the
 * caller keeps only the vendors this database is the home of).
 */
export async function stockoutMsByVendorOf(readDb: D1Database, vendorId: string | undefined, fromMs: number, toMs: number): Promise<Map<string, number>> {
  const a = alerts;
  const f = readSkuFacts;
  const until = sql`coalesce(${a.resolvedAt}, ${toMs})`;
  const rows = await drizzle(readDb)
    .select({ vendorId: f.vendorId, ms: sql<number>`coalesce(SUM(MAX(0, MIN(${until}, ${toMs}) - MAX(${a.openedAt}, ${fromMs}))), 0)` })
    .from(a)
    .innerJoin(f, eq(f.sku, a.sku))
    .where(and(eq(a.kind, "out_of_stock"), vendorId === undefined ? undefined : eq(f.vendorId, vendorId), lt(a.openedAt, toMs), sql`${until} > ${fromMs}`))
    .groupBy(f.vendorId)
    .all();
  return new Map(rows.map((r) => [r.vendorId, r.ms]));
}

/** Forecast errors of a vendor's SKUs. */
export interface ForecastErrors {
  absError: number;
  actual: number;
  skus: number;
}

/**
 * Σ|forecast − actual| and Σ actual over the SKUs' last measured forecast periods, per vendor,
 * in one read database (the caller keeps only the vendors this database is the home of).
 */
export async function forecastErrorsByVendorOf(readDb: D1Database, vendorId: string | undefined): Promise<Map<string, ForecastErrors>> {
  const f = forecasts;
  const rows = await drizzle(readDb)
    .select({
      vendorId: f.vendorId,
      absError: sql<number>`coalesce(SUM(ABS(${f.accuracyForecast} - ${f.accuracyActual})), 0)`,
      actual: sql<number>`coalesce(SUM(${f.accuracyActual}), 0)`,
      skus: sql<number>`COUNT(*)`,
    })
    .from(f)
    .where(and(isNotNull(f.accuracyActual), vendorId === undefined ? undefined : eq(f.vendorId, vendorId)))
    .groupBy(f.vendorId)
    .all();
  return new Map(rows.map(({ vendorId: v, ...e }) => [v, e]));
}

/** Daily sales rows of one SKU in [from, to], per location (`readDb`: the SKU's read database). */
export async function dailySalesOf(
  readDb: D1Database,
  sku: string,
  from: string,
  to: string,
): Promise<{ day: string; locationId: string; units: number; fulfilments: number }[]> {
  const ds = dailySales;
  return drizzle(readDb)
    .select({ day: ds.day, locationId: ds.locationId, units: ds.units, fulfilments: ds.fulfilments })
    .from(ds)
    .where(and(eq(ds.sku, sku), between(ds.day, from, to)))
    .orderBy(asc(ds.day), asc(ds.locationId))
    .all();
}

/** A SKU's planning settings row (null: none; `readDb`: the SKU's vendor's read database). */
export async function findPlanningSettings(db: D1Database, sku: string): Promise<Record<string, unknown> | null> {
  const p = skuPlanning;
  const row = await drizzle(db)
    .select({
      category: p.category,
      unitCost: p.unitCost,
      unitPrice: p.unitPrice,
      serviceLevel: p.serviceLevel,
      leadTimeDays: p.leadTimeDays,
      leadTimeSdDays: p.leadTimeSdDays,
      minimumOrderQuantity: p.minimumOrderQuantity,
      packSize: p.packSize,
      maxStock: p.maxStock,
      orderingCost: p.orderingCost,
      holdingRate: p.holdingRate,
      overstockNoSaleDays: p.overstockNoSaleDays,
      slowMovingNoSaleDays: p.slowMovingNoSaleDays,
      updatedAt: p.updatedAt,
    })
    .from(p)
    .where(eq(p.sku, sku))
    .get();
  return row ?? null;
}

const SETTING_COLUMNS = {
  category: skuPlanning.category,
  unitCost: skuPlanning.unitCost,
  unitPrice: skuPlanning.unitPrice,
  serviceLevel: skuPlanning.serviceLevel,
  leadTimeDays: skuPlanning.leadTimeDays,
  leadTimeSdDays: skuPlanning.leadTimeSdDays,
  minimumOrderQuantity: skuPlanning.minimumOrderQuantity,
  packSize: skuPlanning.packSize,
  maxStock: skuPlanning.maxStock,
  orderingCost: skuPlanning.orderingCost,
  holdingRate: skuPlanning.holdingRate,
  overstockNoSaleDays: skuPlanning.overstockNoSaleDays,
  slowMovingNoSaleDays: skuPlanning.slowMovingNoSaleDays,
} as const;

/** Sets the given settings (null clears one; omitted ones keep their value; `readDb`: the SKU's vendor's). */
export async function upsertPlanningSettings(
  db: D1Database,
  sku: string,
  values: Partial<Record<keyof typeof SETTING_COLUMNS, string | number | null>>,
  now: number,
): Promise<void> {
  const keys = (Object.keys(values) as (keyof typeof SETTING_COLUMNS)[]).filter((k) => values[k] !== undefined);
  // The route validated each value against its column (PlanningSettingsBody); a column left out is not touched on update.
  const given = Object.fromEntries(keys.map((k) => [k, values[k] ?? null])) as Partial<typeof skuPlanning.$inferInsert>;
  await drizzle(db)
    .insert(skuPlanning)
    .values({ ...given, sku, updatedAt: now })
    .onConflictDoUpdate({
      target: skuPlanning.sku,
      set: { updatedAt: excluded(skuPlanning.updatedAt), ...Object.fromEntries(keys.map((k) => [k, excluded(SETTING_COLUMNS[k])])) },
    })
    .run();
}

/** A SKU's stock at one location (the `inventory_levels` projection). */
export interface LocationStock {
  sku: string;
  locationId: string;
  available: number;
}

/**
 * Stock per location in one read database of the SKUs (of the vendor, through
 * `read_sku_facts`, or one SKU) held at two locations or more — the only ones rebalancing can
 * move — in (SKU, location) order. Whether a SKU is active is `DB`'s to say (the caller).
 */
export async function multiLocationStockOf(readDb: D1Database, f: { vendorId?: string | undefined; sku?: string | undefined }): Promise<LocationStock[]> {
  const l = inventoryLevels;
  const spread = sql`(SELECT COUNT(*) FROM ${l} AS others WHERE others.sku = ${l.sku}) >= 2`;
  return drizzle(readDb)
    .select({ sku: l.sku, locationId: l.locationId, available: l.available })
    .from(l)
    .where(and(ofVendor(readDb, l.sku, f.vendorId), f.sku === undefined ? undefined : eq(l.sku, f.sku), spread))
    .orderBy(asc(l.sku), asc(l.locationId))
    .all();
}

/** Units sold per SKU and location in [from, to] (`readDb`: the read database holding these SKUs). */
export async function salesByLocation(readDb: D1Database, ids: readonly string[], from: string, to: string): Promise<Map<string, Map<string, number>>> {
  const ds = dailySales;
  const rows = await drizzle(readDb)
    .select({ sku: ds.sku, locationId: ds.locationId, units: sql<number>`SUM(${ds.units})` })
    .from(ds)
    .where(and(inJson(ds.sku, [...new Set(ids)]), between(ds.day, from, to)))
    .groupBy(ds.sku, ds.locationId)
    .all();
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) {
    let m = out.get(r.sku);
    if (m === undefined) out.set(r.sku, (m = new Map()));
    m.set(r.locationId, r.units);
  }
  return out;
}
