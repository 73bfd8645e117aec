/**
 * The analytics API's numbers (issue 15): ABC by revenue, inventory turnover, overstock and
 * slow-moving stock, the stock health score, and rebalancing transfers between locations, over one vendor's SKUs or all of them, for
 * the `days` up to yesterday. Gathers the aggregates from D1 and hands them to the pure
 * functions in `domain/analytics.ts`.
 *
 * Computed on request over every matching SKU: fine for a vendor's catalogue (thousands to a
 * few hundred thousand SKUs); a 50M-SKU marketplace-wide view would need the nightly job to
 * store per-SKU aggregates first (not built).
 */
import {
  abcClassify,
  classifyStockMovement,
  inventoryTurnover,
  locationPositions,
  stockHealthScore,
  stockMovementOptions,
  suggestTransfers,
  transferCost,
  type StockMovementClass,
} from "../domain/analytics";
import { leadTimeDemand, type ForecastModel } from "../domain/forecasting";
import { dayNumber, isoDay } from "../domain/forecasting/calendar";
import { DEFAULT_POLICY, resolvePolicy } from "../domain/planning-defaults";
import { allLocations, routingLocationOf } from "../repositories/locations";
import { findForecasts, planningSkus } from "../repositories/planning";
import { forecastErrors, multiLocationStock, salesByLocation, skuAggregates, stockoutSkuDays, type SkuAggregate } from "../repositories/planning-analytics";
import type { TransferDoc } from "../repositories/transfers";
import { ApiError } from "./api-error";
import type { Principal } from "./principal";
import { originBefore } from "./reorder-planning";
import { createTransfer } from "./transfers";

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

/** Each SKU's movement class as of yesterday (`classifyStockMovement` with the SKU's thresholds; stock age unknown: the projection keeps no receipts). */
function movements(rows: SkuAggregate[], asOf: string) {
  return rows.map((r) => ({
    sku: r.sku,
    vendorId: r.vendorId,
    onHand: r.onHand,
    lastSaleDay: r.lastSaleDay,
    ...classifyStockMovement(
      { onHand: r.onHand, lastSaleDay: r.lastSaleDay, oldestStockDay: null, firstStockedDay: isoDay(Math.floor(r.createdAt / 86_400_000)) },
      asOf,
      stockMovementOptions(r),
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

/** Days of sales the one-click draft splits forecasts by (the list's default). */
export const REBALANCING_DAYS = 28;

/** A transfer costing at most this per unit (cents; the seed's €2.50 inter-warehouse average) may be drafted in one click. */
export const CHEAP_TRANSFER_CENTS_PER_UNIT = 250;

/** One suggested transfer, as the API shows it. */
export interface RebalancingSuggestion {
  sku: string;
  vendorId: string;
  fromLocationId: string;
  toLocationId: string;
  quantity: number;
  /** Cents: one shipment priced by the origin's shipping model (`transferCost`). */
  cost: number;
  costPerUnit: number;
  /** Shortage at the receiver and excess at the donor before this transfer. */
  shortage: number;
  excess: number;
  /** At most CHEAP_TRANSFER_CENTS_PER_UNIT a unit: `POST …/rebalancing/draft-transfer` drafts it. */
  cheap: boolean;
}

/**
 * Rebalancing suggestions (`suggestTransfers`) for the active SKUs held at two locations or
 * more: each SKU's forecast demand over its lead time and its safety stock (the last plan's)
 * are split over its locations by their share of the last `days` of sales
 * (`locationPositions`); a location below its share is short, one above its buffered share
 * has excess; transfers cost one shipment at the origin's rates, and are suggested only while
 * their cost per unit stays under the margin they protect (unit price − unit cost, when both
 * are set). SKUs without a forecast are left out. Ordered by SKU, then the domain's order
 * (largest shortage first).
 */
export async function rebalancingAnalysis(
  env: Env,
  q: { vendorId: string | undefined; sku: string | undefined; days: number; now: number },
): Promise<{ asOf: string; vendorId: string | null; skus: number; items: RebalancingSuggestion[] }> {
  const to = originBefore(q.now);
  const from = isoDay(dayNumber(to) - q.days + 1);
  const stock = await multiLocationStock(env.DB, { vendorId: q.vendorId, sku: q.sku });
  const ids = [...new Set(stock.map((s) => s.sku))];
  const [sales, stored, master, { byId }] = await Promise.all([
    salesByLocation(env.DB, ids, from, to),
    findForecasts(env.DB, ids),
    planningSkus(env.DB, ids),
    allLocations(env.DB),
  ]);
  const items: RebalancingSuggestion[] = [];
  for (const sku of ids) {
    const f = stored.get(sku);
    const m = master.get(sku);
    if (f === undefined || m === undefined) continue;
    const policy = resolvePolicy(m, m.settings);
    const demand = leadTimeDemand(JSON.parse(f.model) as ForecastModel, policy.leadTimeDays).mean;
    const safetyStock = f.plan === null ? 0 : ((JSON.parse(f.plan) as { safetyStock?: number }).safetyStock ?? 0);
    const here = stock.filter((s) => s.sku === sku && byId.has(s.locationId));
    const positions = locationPositions({
      demand,
      safetyStock,
      locations: here.map((s) => ({ locationId: s.locationId, available: s.available, recentUnits: sales.get(sku)?.get(s.locationId) ?? 0 })),
    });
    const margin = m.unitPrice !== null && m.settings.unitCost !== null ? (m.unitPrice - m.settings.unitCost) * 100 : Infinity;
    const transfers = suggestTransfers(positions, {
      maxCostPerUnit: margin,
      transferCost: (a, b, quantity) => transferCost(routingLocationOf(byId.get(a)!), byId.get(b)!, quantity),
    });
    for (const t of transfers) {
      const costPerUnit = t.cost / t.quantity;
      items.push({ sku, vendorId: m.vendorId, ...t, costPerUnit, cheap: costPerUnit <= CHEAP_TRANSFER_CENTS_PER_UNIT });
    }
  }
  return { asOf: to, vendorId: q.vendorId ?? null, skus: ids.length, items };
}

/**
 * Drafts the suggested transfer of one SKU between two locations (a `draft` transfer
 * document: nothing moves until an operator ships it), if it is suggested now and cheap.
 * Idempotent per day and quantity: a repeat answers the same document.
 */
export async function draftRebalancingTransfer(
  env: Env,
  principal: Principal,
  body: { sku: string; fromLocationId: string; toLocationId: string },
  now: number,
): Promise<{ transfer: TransferDoc; suggestion: RebalancingSuggestion; replayed: boolean }> {
  const { asOf, items } = await rebalancingAnalysis(env, { vendorId: undefined, sku: body.sku, days: REBALANCING_DAYS, now });
  const suggestion = items.find((s) => s.fromLocationId === body.fromLocationId && s.toLocationId === body.toLocationId);
  if (suggestion === undefined) {
    throw new ApiError(
      409,
      "no_rebalancing_suggestion",
      `no transfer of ${body.sku} from ${body.fromLocationId} to ${body.toLocationId} is suggested now`,
      body,
    );
  }
  if (!suggestion.cheap) {
    throw new ApiError(
      409,
      "transfer_not_cheap",
      `the suggested transfer costs ${suggestion.costPerUnit.toFixed(1)} cents a unit, over ${CHEAP_TRANSFER_CENTS_PER_UNIT}`,
      {
        ...body,
        costPerUnit: suggestion.costPerUnit,
      },
    );
  }
  const { doc, replayed } = await createTransfer(
    env,
    principal,
    {
      fromLocationId: suggestion.fromLocationId,
      toLocationId: suggestion.toLocationId,
      reference: "rebalancing",
      lines: [{ sku: suggestion.sku, quantity: suggestion.quantity }],
      draft: true,
    },
    `rebalance-${asOf}-${suggestion.sku}-${suggestion.fromLocationId}-${suggestion.toLocationId}-${suggestion.quantity}`,
  );
  return { transfer: doc, suggestion, replayed };
}
