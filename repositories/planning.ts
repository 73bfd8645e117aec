/**
 * D1 reads and writes of the planning jobs (issue 15): SKU master data and planning settings,
 * daily sales histories, stored forecasts and plans, reorder suggestions and nightly runs.
 * Raw SQL: several statements are conditional upserts drizzle cannot express.
 */
import type { PlanningSettings } from "../domain/planning-defaults";

/** What planning needs of a SKU: master data, category and settings (a left join on `sku_planning`). */
export interface PlanningSku {
  sku: string;
  vendorId: string;
  status: "active" | "discontinued";
  leadTimeDays: number;
  maxStock: number | null;
  category: string | null;
  unitPrice: number | null;
  settings: PlanningSettings;
}

interface PlanningSkuRow {
  sku: string;
  vendor_id: string;
  status: "active" | "discontinued";
  lead_time_days: number;
  max_stock: number | null;
  category: string | null;
  unit_price: number | null;
  service_level: number | null;
  p_lead_time_days: number | null;
  lead_time_sd_days: number | null;
  minimum_order_quantity: number | null;
  pack_size: number | null;
  p_max_stock: number | null;
  ordering_cost: number | null;
  unit_cost: number | null;
  holding_rate: number | null;
}

const PLANNING_SKU_SELECT = `SELECT s.sku, s.vendor_id, s.status, s.lead_time_days, s.max_stock, p.category, p.unit_price, p.service_level,
  p.lead_time_days AS p_lead_time_days, p.lead_time_sd_days, p.minimum_order_quantity, p.pack_size, p.max_stock AS p_max_stock,
  p.ordering_cost, p.unit_cost, p.holding_rate
  FROM skus s LEFT JOIN sku_planning p ON p.sku = s.sku`;

function planningSku(r: PlanningSkuRow): PlanningSku {
  return {
    sku: r.sku,
    vendorId: r.vendor_id,
    status: r.status,
    leadTimeDays: r.lead_time_days,
    maxStock: r.max_stock,
    category: r.category,
    unitPrice: r.unit_price,
    settings: {
      serviceLevel: r.service_level,
      leadTimeDays: r.p_lead_time_days,
      leadTimeSdDays: r.lead_time_sd_days,
      minimumOrderQuantity: r.minimum_order_quantity,
      packSize: r.pack_size,
      maxStock: r.p_max_stock,
      orderingCost: r.ordering_cost,
      unitCost: r.unit_cost,
      holdingRate: r.holding_rate,
    },
  };
}

/** Master data and settings of the given SKUs (unknown SKUs are absent). */
export async function planningSkus(db: D1Database, skus: readonly string[]): Promise<Map<string, PlanningSku>> {
  const { results } = await db
    .prepare(`${PLANNING_SKU_SELECT} WHERE s.sku IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify([...new Set(skus)]))
    .all<PlanningSkuRow>();
  return new Map(results.map((r) => [r.sku, planningSku(r)]));
}

/** Units sold per SKU and day (summed over locations) in [from, to], days with sales only. */
export async function salesByDay(db: D1Database, skus: readonly string[], from: string, to: string): Promise<Map<string, Map<string, number>>> {
  const { results } = await db
    .prepare(
      `SELECT sku, day, SUM(units) AS units FROM daily_sales
       WHERE sku IN (SELECT value FROM json_each(?1)) AND day BETWEEN ?2 AND ?3 GROUP BY sku, day`,
    )
    .bind(JSON.stringify([...new Set(skus)]), from, to)
    .all<{ sku: string; day: string; units: number }>();
  const out = new Map<string, Map<string, number>>();
  for (const r of results) {
    let days = out.get(r.sku);
    if (days === undefined) out.set(r.sku, (days = new Map()));
    days.set(r.day, r.units);
  }
  return out;
}

/** A stored forecast row (JSON columns as text). */
export interface StoredForecast {
  sku: string;
  vendorId: string;
  origin: string;
  method: string;
  reason: string;
  demandClass: string;
  model: string;
  horizons: string;
  fittedAt: number;
  accuracyForecast: number | null;
  accuracyActual: number | null;
  stockPosition: number | null;
  stockoutDay: string | null;
  daysUntilStockout: number | null;
  plan: string | null;
  plannedAt: number | null;
}

const FORECAST_COLUMNS = `sku, vendor_id AS vendorId, origin, method, reason, demand_class AS demandClass, model, horizons, fitted_at AS fittedAt,
  accuracy_forecast AS accuracyForecast, accuracy_actual AS accuracyActual, stock_position AS stockPosition, stockout_day AS stockoutDay,
  days_until_stockout AS daysUntilStockout, plan, planned_at AS plannedAt`;

/** Stored forecasts of the given SKUs. */
export async function findForecasts(db: D1Database, skus: readonly string[]): Promise<Map<string, StoredForecast>> {
  const { results } = await db
    .prepare(`SELECT ${FORECAST_COLUMNS} FROM forecasts WHERE sku IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify([...new Set(skus)]))
    .all<StoredForecast>();
  return new Map(results.map((r) => [r.sku, r]));
}

/**
 * Stores a fitted model unless a model of the same or a later origin is there already (a
 * redelivered or concurrent job does not overwrite newer work).
 */
export function saveForecastStatement(
  db: D1Database,
  f: Pick<
    StoredForecast,
    "sku" | "vendorId" | "origin" | "method" | "reason" | "demandClass" | "model" | "horizons" | "fittedAt" | "accuracyForecast" | "accuracyActual"
  >,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO forecasts (sku, vendor_id, origin, method, reason, demand_class, model, horizons, fitted_at, accuracy_forecast, accuracy_actual)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
       ON CONFLICT (sku) DO UPDATE SET vendor_id = excluded.vendor_id, origin = excluded.origin, method = excluded.method,
         reason = excluded.reason, demand_class = excluded.demand_class, model = excluded.model, horizons = excluded.horizons,
         fitted_at = excluded.fitted_at, accuracy_forecast = excluded.accuracy_forecast, accuracy_actual = excluded.accuracy_actual
       WHERE excluded.origin > forecasts.origin`,
    )
    .bind(f.sku, f.vendorId, f.origin, f.method, f.reason, f.demandClass, f.model, f.horizons, f.fittedAt, f.accuracyForecast, f.accuracyActual);
}

/** Records the latest plan on the SKU's forecast row (only changes when a value changed). */
export function savePlanStatement(
  db: D1Database,
  p: { sku: string; stockPosition: number; stockoutDay: string | null; daysUntilStockout: number | null; plan: string; at: number },
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE forecasts SET stock_position = ?2, stockout_day = ?3, days_until_stockout = ?4, plan = ?5, planned_at = ?6
       WHERE sku = ?1 AND (stock_position IS NOT ?2 OR stockout_day IS NOT ?3 OR days_until_stockout IS NOT ?4 OR plan IS NOT ?5)`,
    )
    .bind(p.sku, p.stockPosition, p.stockoutDay, p.daysUntilStockout, p.plan, p.at);
}

/** The numbers of a reorder suggestion. */
export interface SuggestionValues {
  sku: string;
  vendorId: string;
  locationId: string | null;
  urgency: string;
  quantity: number;
  stockPosition: number;
  reorderPoint: number;
  safetyStock: number;
  economicOrderQuantity: number;
  stockoutDay: string | null;
  daysUntilStockout: number | null;
  origin: string;
  unitCost: number | null;
}

/** A dismissed suggestion keeps new ones for its SKU away this long (the operator decided). */
export const DISMISS_QUIET_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Opens a suggestion, or refreshes the SKU's open one (at most one open per SKU: the unique
 * partial index), changing nothing when its numbers are the same. No new one within
 * DISMISS_QUIET_MS of a dismissal.
 */
export function upsertSuggestionStatement(db: D1Database, id: string, v: SuggestionValues, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO reorder_suggestions (id, sku, vendor_id, location_id, status, urgency, quantity, stock_position, reorder_point, safety_stock,
         economic_order_quantity, stockout_day, days_until_stockout, origin, unit_cost, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, 'open', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15
       WHERE NOT EXISTS (SELECT 1 FROM reorder_suggestions WHERE sku = ?2 AND status = 'dismissed' AND closed_at > ?15 - ?16)
       ON CONFLICT (sku) WHERE status = 'open' DO UPDATE SET
         vendor_id = excluded.vendor_id, location_id = excluded.location_id, urgency = excluded.urgency, quantity = excluded.quantity,
         stock_position = excluded.stock_position, reorder_point = excluded.reorder_point, safety_stock = excluded.safety_stock,
         economic_order_quantity = excluded.economic_order_quantity, stockout_day = excluded.stockout_day,
         days_until_stockout = excluded.days_until_stockout, origin = excluded.origin, unit_cost = excluded.unit_cost, updated_at = excluded.updated_at
       WHERE reorder_suggestions.quantity IS NOT excluded.quantity OR reorder_suggestions.urgency IS NOT excluded.urgency
         OR reorder_suggestions.stock_position IS NOT excluded.stock_position OR reorder_suggestions.reorder_point IS NOT excluded.reorder_point
         OR reorder_suggestions.location_id IS NOT excluded.location_id OR reorder_suggestions.stockout_day IS NOT excluded.stockout_day
         OR reorder_suggestions.origin IS NOT excluded.origin`,
    )
    .bind(
      id,
      v.sku,
      v.vendorId,
      v.locationId,
      v.urgency,
      v.quantity,
      v.stockPosition,
      v.reorderPoint,
      v.safetyStock,
      v.economicOrderQuantity,
      v.stockoutDay,
      v.daysUntilStockout,
      v.origin,
      v.unitCost,
      now,
      DISMISS_QUIET_MS,
    );
}

/** Closes the SKU's open suggestion as `resolved` (its position is above the reorder point again). */
export function resolveSuggestionStatement(db: D1Database, sku: string, now: number): D1PreparedStatement {
  return db
    .prepare(
      "UPDATE reorder_suggestions SET status = 'resolved', closed_at = ?2, closed_by = 'reorder-job', updated_at = ?2 WHERE sku = ?1 AND status = 'open'",
    )
    .bind(sku, now);
}

/** A suggestion as stored. */
export interface SuggestionRow extends SuggestionValues {
  id: string;
  status: "open" | "accepted" | "dismissed" | "resolved";
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  closedBy: string | null;
}

const SUGGESTION_COLUMNS = `id, sku, vendor_id AS vendorId, location_id AS locationId, status, urgency, quantity, stock_position AS stockPosition,
  reorder_point AS reorderPoint, safety_stock AS safetyStock, economic_order_quantity AS economicOrderQuantity, stockout_day AS stockoutDay,
  days_until_stockout AS daysUntilStockout, origin, unit_cost AS unitCost, created_at AS createdAt, updated_at AS updatedAt,
  closed_at AS closedAt, closed_by AS closedBy`;

export interface SuggestionFilter {
  status?: SuggestionRow["status"] | undefined;
  vendorId?: string | undefined;
  locationId?: string | undefined;
  urgency?: string | undefined;
  sku?: string | undefined;
  /** Keyset: rows after this (vendor, location, id) in list order. */
  after?: readonly [vendorId: string, locationKey: string, id: string] | undefined;
  limit: number;
}

/** Suggestions grouped by vendor and location (list order: vendor, location, id), at most `limit`. */
export async function listSuggestions(db: D1Database, f: SuggestionFilter): Promise<SuggestionRow[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  const arg = (v: unknown) => {
    args.push(v);
    return `?${args.length}`;
  };
  if (f.status !== undefined) where.push(`status = ${arg(f.status)}`);
  if (f.vendorId !== undefined) where.push(`vendor_id = ${arg(f.vendorId)}`);
  if (f.locationId !== undefined) where.push(`location_id = ${arg(f.locationId)}`);
  if (f.urgency !== undefined) where.push(`urgency = ${arg(f.urgency)}`);
  if (f.sku !== undefined) where.push(`sku = ${arg(f.sku)}`);
  if (f.after !== undefined) {
    const [v, l, id] = f.after;
    where.push(`(vendor_id, coalesce(location_id, ''), id) > (${arg(v)}, ${arg(l)}, ${arg(id)})`);
  }
  const sql = `SELECT ${SUGGESTION_COLUMNS} FROM reorder_suggestions ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY vendor_id, coalesce(location_id, ''), id LIMIT ${arg(f.limit)}`;
  const { results } = await db
    .prepare(sql)
    .bind(...args)
    .all<SuggestionRow>();
  return results;
}

/** One suggestion by id. */
export async function findSuggestion(db: D1Database, id: string): Promise<SuggestionRow | null> {
  return db.prepare(`SELECT ${SUGGESTION_COLUMNS} FROM reorder_suggestions WHERE id = ?`).bind(id).first<SuggestionRow>();
}

/** Dismisses an open suggestion; false when it was not open. */
export async function dismissSuggestion(db: D1Database, id: string, by: string, now: number): Promise<boolean> {
  const r = await db
    .prepare("UPDATE reorder_suggestions SET status = 'dismissed', closed_at = ?2, closed_by = ?3, updated_at = ?2 WHERE id = ?1 AND status = 'open'")
    .bind(id, now, by)
    .run();
  return r.meta.changes > 0;
}

/** Active SKU ids after `cursor` in id order (the nightly run's keyset page). */
export async function activeSkusAfter(db: D1Database, cursor: string, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT sku FROM skus WHERE sku > ? AND status = 'active' ORDER BY sku LIMIT ?")
    .bind(cursor, limit)
    .all<{ sku: string }>();
  return results.map((r) => r.sku);
}

/** A nightly run. */
export interface ReorderRun {
  origin: string;
  cursor: string;
  status: "running" | "done";
  chunks: number;
  skus: number;
  startedAt: number;
  finishedAt: number | null;
}

const RUN_COLUMNS = "origin, cursor, status, chunks, skus, started_at AS startedAt, finished_at AS finishedAt";

/** Starts the run for `origin` (no-op if it exists). */
export async function startRun(db: D1Database, origin: string, now: number): Promise<void> {
  await db.prepare("INSERT OR IGNORE INTO reorder_runs (origin, cursor, status, started_at) VALUES (?, '', 'running', ?)").bind(origin, now).run();
}

/** The oldest unfinished run, if any. */
export async function runningRun(db: D1Database): Promise<ReorderRun | null> {
  return db.prepare(`SELECT ${RUN_COLUMNS} FROM reorder_runs WHERE status = 'running' ORDER BY origin LIMIT 1`).first<ReorderRun>();
}

/** One run by origin. */
export async function findRun(db: D1Database, origin: string): Promise<ReorderRun | null> {
  return db.prepare(`SELECT ${RUN_COLUMNS} FROM reorder_runs WHERE origin = ?`).bind(origin).first<ReorderRun>();
}

/**
 * Moves a run's cursor from `from` to `to` (compare-and-set: a concurrent tick that moved it
 * first wins, and this one's messages were duplicates the consumer ignores); `done` finishes it.
 */
export async function advanceRun(
  db: D1Database,
  origin: string,
  from: string,
  to: string,
  chunks: number,
  skus: number,
  done: boolean,
  now: number,
): Promise<boolean> {
  const r = await db
    .prepare(
      `UPDATE reorder_runs SET cursor = ?3, chunks = chunks + ?4, skus = skus + ?5, status = CASE WHEN ?6 THEN 'done' ELSE status END,
         finished_at = CASE WHEN ?6 THEN ?7 ELSE finished_at END
       WHERE origin = ?1 AND cursor = ?2 AND status = 'running'`,
    )
    .bind(origin, from, to, chunks, skus, done ? 1 : 0, now)
    .run();
  return r.meta.changes > 0;
}

/**
 * Marks suggestions `accepted` into a purchase order (only those still open); the PO's id is
 * kept in `closed_by` (`po:<id>`).
 */
export async function acceptSuggestions(db: D1Database, ids: readonly string[], purchaseOrderId: string, now: number): Promise<void> {
  await db
    .prepare(
      "UPDATE reorder_suggestions SET status = 'accepted', closed_at = ?2, closed_by = ?3, updated_at = ?2 WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'open'",
    )
    .bind(JSON.stringify(ids), now, `po:${purchaseOrderId}`)
    .run();
}

/**
 * Units on order per SKU: lines of purchase orders not yet shipped (draft, submitted,
 * confirmed). Once shipped, a line is in transit on the SKU's object instead.
 */
export async function onOrderBySku(db: D1Database, skus: readonly string[]): Promise<Map<string, number>> {
  const { results } = await db
    .prepare(
      `SELECT l.sku AS sku, SUM(l.quantity) AS units FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.purchase_order_id
       WHERE p.status IN ('draft', 'submitted', 'confirmed') AND l.sku IN (SELECT value FROM json_each(?)) GROUP BY l.sku`,
    )
    .bind(JSON.stringify([...new Set(skus)]))
    .all<{ sku: string; units: number }>();
  return new Map(results.map((r) => [r.sku, r.units]));
}
