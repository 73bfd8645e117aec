/**
 * The aggregates behind the analytics API (issue 15), over D1's read models: sales and
 * revenue per SKU (`daily_sales` × `sku_planning` prices and costs), stock on hand per SKU
 * (`inventory_levels`), last sale days, stockout spans (`out_of_stock` alerts) and forecast
 * accuracy (`forecasts`). Optionally one vendor's SKUs.
 */

export interface SkuAggregate {
  sku: string;
  vendorId: string;
  createdAt: number;
  units: number;
  unitPrice: number | null;
  unitCost: number | null;
  onHand: number;
  available: number;
  lastSaleDay: string | null;
}

/**
 * Every active SKU (of the vendor) with its units sold in [from, to], price and cost, stock
 * on hand and available (summed over locations) and its last day with a sale up to `to`.
 */
export async function skuAggregates(db: D1Database, vendorId: string | undefined, from: string, to: string): Promise<SkuAggregate[]> {
  const { results } = await db
    .prepare(
      `SELECT s.sku, s.vendor_id AS vendorId, s.created_at AS createdAt,
         coalesce((SELECT SUM(units) FROM daily_sales d WHERE d.sku = s.sku AND d.day BETWEEN ?2 AND ?3), 0) AS units,
         p.unit_price AS unitPrice, p.unit_cost AS unitCost,
         coalesce((SELECT SUM(on_hand) FROM inventory_levels l WHERE l.sku = s.sku), 0) AS onHand,
         coalesce((SELECT SUM(available) FROM inventory_levels l WHERE l.sku = s.sku), 0) AS available,
         (SELECT MAX(day) FROM daily_sales d WHERE d.sku = s.sku AND d.day <= ?3 AND d.units > 0) AS lastSaleDay
       FROM skus s LEFT JOIN sku_planning p ON p.sku = s.sku
       WHERE s.status = 'active' AND (?1 IS NULL OR s.vendor_id = ?1)
       ORDER BY s.sku`,
    )
    .bind(vendorId ?? null, from, to)
    .all<SkuAggregate>();
  return results;
}

/** SKU-days out of stock in [fromMs, toMs): the overlap of every `out_of_stock` alert with the period. */
export async function stockoutSkuDays(db: D1Database, vendorId: string | undefined, fromMs: number, toMs: number): Promise<number> {
  const row = await db
    .prepare(
      `SELECT coalesce(SUM(MAX(0, MIN(coalesce(a.resolved_at, ?3), ?3) - MAX(a.opened_at, ?2))), 0) AS ms
       FROM alerts a JOIN skus s ON s.sku = a.sku
       WHERE a.kind = 'out_of_stock' AND (?1 IS NULL OR s.vendor_id = ?1) AND a.opened_at < ?3 AND coalesce(a.resolved_at, ?3) > ?2`,
    )
    .bind(vendorId ?? null, fromMs, toMs)
    .first<{ ms: number }>();
  return (row?.ms ?? 0) / 86_400_000;
}

/** Σ|forecast − actual| and Σ actual over the SKUs' last measured forecast periods. */
export async function forecastErrors(db: D1Database, vendorId: string | undefined): Promise<{ absError: number; actual: number; skus: number }> {
  const row = await db
    .prepare(
      `SELECT coalesce(SUM(ABS(accuracy_forecast - accuracy_actual)), 0) AS absError, coalesce(SUM(accuracy_actual), 0) AS actual, COUNT(*) AS skus
       FROM forecasts WHERE accuracy_actual IS NOT NULL AND (?1 IS NULL OR vendor_id = ?1)`,
    )
    .bind(vendorId ?? null)
    .first<{ absError: number; actual: number; skus: number }>();
  return row ?? { absError: 0, actual: 0, skus: 0 };
}

/** Daily sales rows of one SKU in [from, to], per location. */
export async function dailySalesOf(
  db: D1Database,
  sku: string,
  from: string,
  to: string,
): Promise<{ day: string; locationId: string; units: number; fulfilments: number }[]> {
  const { results } = await db
    .prepare("SELECT day, location_id AS locationId, units, fulfilments FROM daily_sales WHERE sku = ?1 AND day BETWEEN ?2 AND ?3 ORDER BY day, location_id")
    .bind(sku, from, to)
    .all<{ day: string; locationId: string; units: number; fulfilments: number }>();
  return results;
}

/** A SKU's planning settings row (null: none). */
export async function findPlanningSettings(db: D1Database, sku: string): Promise<Record<string, unknown> | null> {
  return db
    .prepare(
      `SELECT category, unit_cost AS unitCost, unit_price AS unitPrice, service_level AS serviceLevel, lead_time_days AS leadTimeDays,
         lead_time_sd_days AS leadTimeSdDays, minimum_order_quantity AS minimumOrderQuantity, pack_size AS packSize, max_stock AS maxStock,
         ordering_cost AS orderingCost, holding_rate AS holdingRate, updated_at AS updatedAt
       FROM sku_planning WHERE sku = ?`,
    )
    .bind(sku)
    .first<Record<string, unknown>>();
}

const SETTING_COLUMNS = {
  category: "category",
  unitCost: "unit_cost",
  unitPrice: "unit_price",
  serviceLevel: "service_level",
  leadTimeDays: "lead_time_days",
  leadTimeSdDays: "lead_time_sd_days",
  minimumOrderQuantity: "minimum_order_quantity",
  packSize: "pack_size",
  maxStock: "max_stock",
  orderingCost: "ordering_cost",
  holdingRate: "holding_rate",
} as const;

/** Sets the given settings (null clears one; omitted ones keep their value). */
export async function upsertPlanningSettings(
  db: D1Database,
  sku: string,
  values: Partial<Record<keyof typeof SETTING_COLUMNS, string | number | null>>,
  now: number,
): Promise<void> {
  const keys = (Object.keys(values) as (keyof typeof SETTING_COLUMNS)[]).filter((k) => values[k] !== undefined);
  const cols = keys.map((k) => SETTING_COLUMNS[k]);
  const placeholders = keys.map((_, i) => `?${i + 3}`);
  await db
    .prepare(
      `INSERT INTO sku_planning (sku, updated_at${cols.map((c) => `, ${c}`).join("")}) VALUES (?1, ?2${placeholders.map((p) => `, ${p}`).join("")})
       ON CONFLICT (sku) DO UPDATE SET updated_at = excluded.updated_at${cols.map((c) => `, ${c} = excluded.${c}`).join("")}`,
    )
    .bind(sku, now, ...keys.map((k) => values[k] ?? null))
    .run();
}
