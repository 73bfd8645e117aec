/**
 * The analytics API's numbers (issue 15): ABC by revenue, inventory turnover, overstock and
 * slow-moving stock, and the stock health score, over one vendor's SKUs or all of them, for
 * the `days` up to yesterday. Gathers the aggregates from D1 and hands them to the pure
 * functions in `domain/analytics.ts`.
 *
 * Computed on request over every matching SKU: fine for a vendor's catalogue (thousands to a
 * few hundred thousand SKUs); a 50M-SKU marketplace-wide view would need the nightly job to
 * store per-SKU aggregates first (not built).
 */
import { abcClassify, classifyStockMovement, inventoryTurnover, stockHealthScore, type StockMovementClass } from "../domain/analytics";
import { dayNumber, isoDay } from "../domain/forecasting/calendar";
import { DEFAULT_POLICY } from "../domain/planning-defaults";
import { forecastErrors, skuAggregates, stockoutSkuDays, type SkuAggregate } from "../repositories/planning-analytics";
import { originBefore } from "./reorder-planning";

export interface Period {
  vendorId: string | undefined;
  days: number;
  now: number;
}

function window(p: Period) {
  const to = originBefore(p.now);
  const from = isoDay(dayNumber(to) - p.days + 1);
  return { from, to, fromMs: dayNumber(from) * 86_400_000, toMs: (dayNumber(to) + 1) * 86_400_000 };
}

/** ABC classes by revenue (units sold × unit price; SKUs without a price count no revenue). */
export async function abcAnalysis(db: D1Database, p: Period, limit: number) {
  const w = window(p);
  const rows = await skuAggregates(db, p.vendorId, w.from, w.to);
  const classified = abcClassify(rows.map((r) => ({ sku: r.sku, revenue: r.units * (r.unitPrice ?? 0) })));
  const summary = { A: { skus: 0, revenue: 0 }, B: { skus: 0, revenue: 0 }, C: { skus: 0, revenue: 0 } };
  for (const r of classified) {
    summary[r.class].skus++;
    summary[r.class].revenue += Math.max(0, r.revenue);
  }
  return {
    from: w.from,
    to: w.to,
    vendorId: p.vendorId ?? null,
    skus: rows.length,
    pricedSkus: rows.filter((r) => r.unitPrice !== null).length,
    summary,
    items: classified.slice(0, limit),
  };
}

const costOf = (r: SkuAggregate) => r.unitCost ?? DEFAULT_POLICY.unitCost;

/**
 * Turnover = COGS over the period (units × unit cost) / inventory value at cost, annualised.
 * The inventory value is today's on hand (the projection keeps no history): a stand-in for
 * the period's average. SKUs without a unit cost count at the default cost.
 */
async function turnoverOf(rows: SkuAggregate[], days: number) {
  const cogs = rows.reduce((s, r) => s + r.units * costOf(r), 0);
  const inventoryValue = rows.reduce((s, r) => s + Math.max(0, r.onHand) * costOf(r), 0);
  return { costOfGoodsSold: cogs, inventoryValue, ...inventoryTurnover({ costOfGoodsSold: cogs, averageInventoryValue: inventoryValue, periodDays: days }) };
}

/** Turnover and days of inventory, overall and for the slowest SKUs (lowest turnover with stock). */
export async function turnoverAnalysis(db: D1Database, p: Period, limit: number) {
  const w = window(p);
  const rows = await skuAggregates(db, p.vendorId, w.from, w.to);
  const overall = await turnoverOf(rows, p.days);
  const perSku = rows
    .filter((r) => r.onHand > 0)
    .map((r) => ({
      sku: r.sku,
      unitsSold: r.units,
      onHand: r.onHand,
      ...inventoryTurnover({ costOfGoodsSold: r.units * costOf(r), averageInventoryValue: r.onHand * costOf(r), periodDays: p.days }),
    }))
    .sort((a, b) => (a.turnover ?? 0) - (b.turnover ?? 0) || (a.sku < b.sku ? -1 : 1));
  return {
    from: w.from,
    to: w.to,
    vendorId: p.vendorId ?? null,
    skus: rows.length,
    costedSkus: rows.filter((r) => r.unitCost !== null).length,
    ...overall,
    slowest: perSku.slice(0, limit),
  };
}

/** Each SKU's movement class as of yesterday (`classifyStockMovement`; stock age unknown: the projection keeps no receipts). */
function movements(rows: SkuAggregate[], asOf: string) {
  return rows.map((r) => ({
    sku: r.sku,
    vendorId: r.vendorId,
    onHand: r.onHand,
    lastSaleDay: r.lastSaleDay,
    ...classifyStockMovement(
      { onHand: r.onHand, lastSaleDay: r.lastSaleDay, oldestStockDay: null, firstStockedDay: isoDay(Math.floor(r.createdAt / 86_400_000)) },
      asOf,
    ),
  }));
}

/** Overstock and slow-moving SKUs (counts per class and the listed rows, longest unsold first). */
export async function stockMovementAnalysis(db: D1Database, p: Period, limit: number) {
  const w = window(p);
  const rows = movements(await skuAggregates(db, p.vendorId, w.from, w.to), w.to);
  const counts: Record<StockMovementClass, number> = { overstock: 0, slow_moving: 0, moving: 0, empty: 0 };
  for (const r of rows) counts[r.class]++;
  const flagged = rows
    .filter((r) => r.class === "overstock" || r.class === "slow_moving")
    .sort((a, b) => (b.daysSinceLastSale ?? 0) - (a.daysSinceLastSale ?? 0) || (a.sku < b.sku ? -1 : 1));
  return { asOf: w.to, vendorId: p.vendorId ?? null, skus: rows.length, counts, items: flagged.slice(0, limit) };
}

/**
 * The stock health score with its five components: in-stock rate now, stockout SKU-days over
 * the period (from `out_of_stock` alerts), overstock rate, annual turnover, and forecast
 * accuracy (1 − WAPE of the stored forecasts' last measured periods; left out until measured).
 */
export async function healthAnalysis(db: D1Database, p: Period) {
  const w = window(p);
  const rows = await skuAggregates(db, p.vendorId, w.from, w.to);
  const moved = movements(rows, w.to);
  const turnover = await turnoverOf(rows, p.days);
  const errors = await forecastErrors(db, p.vendorId);
  const health = stockHealthScore({
    activeSkus: rows.length,
    inStockSkus: rows.filter((r) => r.available > 0).length,
    skuDays: rows.length * p.days,
    stockoutSkuDays: await stockoutSkuDays(db, p.vendorId, w.fromMs, w.toMs),
    overstockSkus: moved.filter((m) => m.class === "overstock").length,
    turnover: turnover.turnover,
    forecastWape: errors.actual > 0 ? errors.absError / errors.actual : null,
  });
  return { from: w.from, to: w.to, vendorId: p.vendorId ?? null, skus: rows.length, ...health };
}
