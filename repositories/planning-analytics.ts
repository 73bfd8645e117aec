/**
 * The aggregates behind the analytics API (issue 15), over D1's read models: sales and
 * revenue per SKU (`daily_sales` × `sku_planning` prices and costs), stock on hand per SKU
 * (`inventory_levels`), last sale days, stockout spans (`out_of_stock` alerts) and forecast
 * accuracy (`forecasts`). Optionally one vendor's SKUs.
 */
import { and, asc, between, eq, isNotNull, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { alerts, dailySales, forecasts, inventoryLevels, skuPlanning, skus } from "../d1/schema";
import { excluded, inJson } from "./d1-sql";

export interface SkuAggregate {
  sku: string;
  vendorId: string;
  createdAt: number;
  units: number;
  unitPrice: number | null;
  unitCost: number | null;
  overstockNoSaleDays: number | null;
  slowMovingNoSaleDays: number | null;
  onHand: number;
  available: number;
  lastSaleDay: string | null;
}

/**
 * Every active SKU (of the vendor) with its units sold in [from, to], price and cost, stock
 * on hand and available (summed over locations) and its last day with a sale up to `to`.
 */
export async function skuAggregates(db: D1Database, vendorId: string | undefined, from: string, to: string): Promise<SkuAggregate[]> {
  const ds = dailySales;
  const l = inventoryLevels;
  // Correlated subqueries over the outer `skus` row. The join keeps every column reference
  // table-qualified (drizzle leaves them bare in a single-table select).
  return drizzle(db)
    .select({
      sku: skus.sku,
      vendorId: skus.vendorId,
      createdAt: skus.createdAt,
      units: sql<number>`coalesce((SELECT SUM(${ds.units}) FROM ${ds} WHERE ${ds.sku} = ${skus.sku} AND ${ds.day} BETWEEN ${from} AND ${to}), 0)`,
      unitPrice: skuPlanning.unitPrice,
      unitCost: skuPlanning.unitCost,
      overstockNoSaleDays: skuPlanning.overstockNoSaleDays,
      slowMovingNoSaleDays: skuPlanning.slowMovingNoSaleDays,
      onHand: sql<number>`coalesce((SELECT SUM(${l.onHand}) FROM ${l} WHERE ${l.sku} = ${skus.sku}), 0)`,
      available: sql<number>`coalesce((SELECT SUM(${l.available}) FROM ${l} WHERE ${l.sku} = ${skus.sku}), 0)`,
      lastSaleDay: sql<string | null>`(SELECT MAX(${ds.day}) FROM ${ds} WHERE ${ds.sku} = ${skus.sku} AND ${ds.day} <= ${to} AND ${ds.units} > 0)`,
    })
    .from(skus)
    .leftJoin(skuPlanning, eq(skuPlanning.sku, skus.sku))
    .where(and(eq(skus.status, "active"), vendorId === undefined ? undefined : eq(skus.vendorId, vendorId)))
    .orderBy(asc(skus.sku))
    .all();
}

/** SKU-days out of stock in [fromMs, toMs): the overlap of every `out_of_stock` alert with the period. */
export async function stockoutSkuDays(db: D1Database, vendorId: string | undefined, fromMs: number, toMs: number): Promise<number> {
  const a = alerts;
  const until = sql`coalesce(${a.resolvedAt}, ${toMs})`;
  const row = await drizzle(db)
    .select({ ms: sql<number>`coalesce(SUM(MAX(0, MIN(${until}, ${toMs}) - MAX(${a.openedAt}, ${fromMs}))), 0)` })
    .from(a)
    .innerJoin(skus, eq(skus.sku, a.sku))
    .where(and(eq(a.kind, "out_of_stock"), vendorId === undefined ? undefined : eq(skus.vendorId, vendorId), lt(a.openedAt, toMs), sql`${until} > ${fromMs}`))
    .get();
  return (row?.ms ?? 0) / 86_400_000;
}

/** Σ|forecast − actual| and Σ actual over the SKUs' last measured forecast periods. */
export async function forecastErrors(db: D1Database, vendorId: string | undefined): Promise<{ absError: number; actual: number; skus: number }> {
  const f = forecasts;
  const row = await drizzle(db)
    .select({
      absError: sql<number>`coalesce(SUM(ABS(${f.accuracyForecast} - ${f.accuracyActual})), 0)`,
      actual: sql<number>`coalesce(SUM(${f.accuracyActual}), 0)`,
      skus: sql<number>`COUNT(*)`,
    })
    .from(f)
    .where(and(isNotNull(f.accuracyActual), vendorId === undefined ? undefined : eq(f.vendorId, vendorId)))
    .get();
  return row ?? { absError: 0, actual: 0, skus: 0 };
}

/** Daily sales rows of one SKU in [from, to], per location. */
export async function dailySalesOf(
  db: D1Database,
  sku: string,
  from: string,
  to: string,
): Promise<{ day: string; locationId: string; units: number; fulfilments: number }[]> {
  const ds = dailySales;
  return drizzle(db)
    .select({ day: ds.day, locationId: ds.locationId, units: ds.units, fulfilments: ds.fulfilments })
    .from(ds)
    .where(and(eq(ds.sku, sku), between(ds.day, from, to)))
    .orderBy(asc(ds.day), asc(ds.locationId))
    .all();
}

/** A SKU's planning settings row (null: none). */
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

/** Sets the given settings (null clears one; omitted ones keep their value). */
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
  vendorId: string;
  locationId: string;
  available: number;
}

/**
 * Stock per location of the active SKUs (of the vendor, or one SKU) held at two locations or
 * more — the only ones rebalancing can move — in (SKU, location) order.
 */
export async function multiLocationStock(db: D1Database, f: { vendorId?: string | undefined; sku?: string | undefined }): Promise<LocationStock[]> {
  const l = inventoryLevels;
  const spread = sql`(SELECT COUNT(*) FROM ${l} AS others WHERE others.sku = ${l.sku}) >= 2`;
  return drizzle(db)
    .select({ sku: l.sku, vendorId: skus.vendorId, locationId: l.locationId, available: l.available })
    .from(l)
    .innerJoin(skus, eq(skus.sku, l.sku))
    .where(
      and(
        eq(skus.status, "active"),
        f.vendorId === undefined ? undefined : eq(skus.vendorId, f.vendorId),
        f.sku === undefined ? undefined : eq(l.sku, f.sku),
        spread,
      ),
    )
    .orderBy(asc(l.sku), asc(l.locationId))
    .all();
}

/** Units sold per SKU and location in [from, to]. */
export async function salesByLocation(db: D1Database, ids: readonly string[], from: string, to: string): Promise<Map<string, Map<string, number>>> {
  const ds = dailySales;
  const rows = await drizzle(db)
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
