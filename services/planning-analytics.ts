/**
 * The analytics API's numbers (issue 15): ABC by revenue, inventory turnover, overstock and
 * slow-moving stock, the stock health score, and rebalancing transfers between locations, over one vendor's SKUs or all of them, for
 * the `days` up to yesterday. Gathers the aggregates from D1 and hands them to the pure
 * functions in `domain/analytics.ts`.
 *
 * Split by vendor (issue 19 item 2): sales, stock levels, alerts, planning settings and
 * forecasts are in the read database of each SKU's vendor, master data in `DB`. One
 * vendor's numbers read its read database only; the operator's (no vendor) read every read
 * database in parallel. Each SKU's (or vendor's) read-model numbers are taken from its
 * vendor's database only, so sums and lists are exactly what one database gave before, even
 * while a moved vendor's rows still linger in its old database.
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
import { findForecasts, planningSkus, type PlanningSku } from "../repositories/planning";
import {
  activeSkuMasters,
  EMPTY_READ_AGGREGATE,
  forecastErrorsByVendorOf,
  multiLocationStockOf,
  salesByLocation,
  skuReadAggregatesOf,
  stockoutMsByVendorOf,
  type LocationStock,
  type SkuAggregate,
} from "../repositories/planning-analytics";
import { readDb, readPartitionCount, skuReadHomes, vendorReadPartition, vendorReadPartitions } from "../repositories/read-partitions";
import type { TransferDoc } from "../repositories/transfers";
import { ApiError } from "./api-error";
import type { Principal } from "./principal";
import { originBefore, readBySku } from "./reorder-planning";
import { createTransfer } from "./transfers";
import { compareKeys } from "../domain/keyset-merge";

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
export async function abcAnalysis(env: Env, p: Period, limit: number) {
  const w = window(p);
  const rows = await skuAggregates(env, p.vendorId, w.from, w.to);
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

/** The read partitions to ask: the vendor's, or all of them (operator-wide). */
async function partitionsOf(env: Env, vendorId: string | undefined): Promise<number[]> {
  if (vendorId !== undefined) return [await vendorReadPartition(env, vendorId)];
  return Array.from({ length: readPartitionCount(env) }, (_, p) => p);
}

/**
 * Every active SKU (of the vendor) in SKU order with its units sold in [from, to], price and
 * cost, stock on hand and available (summed over locations) and its last day with a sale up
 * to `to`: all from each SKU's read database, where its master row lives too (issue 19). A
 * SKU counts only in its vendor's current database (during a move its rows are in two).
 */
async function skuAggregates(env: Env, vendorId: string | undefined, from: string, to: string): Promise<SkuAggregate[]> {
  const perPartition = await Promise.all(
    (await partitionsOf(env, vendorId)).map(async (p) => {
      const db = readDb(env, p);
      const [masters, read] = await Promise.all([activeSkuMasters(db, vendorId), skuReadAggregatesOf(db, vendorId, from, to)]);
      return { p, masters, read };
    }),
  );
  const homes = await vendorReadPartitions(
    env,
    perPartition.flatMap((x) => x.masters.map((m) => m.vendorId)),
  );
  const rows = perPartition.flatMap(({ p, masters, read }) =>
    masters.filter((m) => homes.get(m.vendorId) === p).map((m) => ({ ...m, ...(read.get(m.sku) ?? EMPTY_READ_AGGREGATE) })),
  );
  return rows.sort((a, b) => compareKeys([a.sku], [b.sku]));
}

/** The forecast errors of the vendor's (or every vendor's) SKUs, each vendor's from its home read database only. */
async function forecastErrors(env: Env, vendorId: string | undefined): Promise<{ absError: number; actual: number; skus: number }> {
  const partitions = await partitionsOf(env, vendorId);
  const perPartition = await Promise.all(partitions.map(async (p) => [p, await forecastErrorsByVendorOf(readDb(env, p), vendorId)] as const));
  const homes = await vendorReadPartitions(
    env,
    perPartition.flatMap(([, byVendor]) => [...byVendor.keys()]),
  );
  const sum = { absError: 0, actual: 0, skus: 0 };
  for (const [p, byVendor] of perPartition) {
    for (const [v, e] of byVendor) {
      if (homes.get(v) !== p) continue;
      sum.absError += e.absError;
      sum.actual += e.actual;
      sum.skus += e.skus;
    }
  }
  return sum;
}

/** SKU-days out of stock in [fromMs, toMs): the overlap of every `out_of_stock` alert with the period. */
async function stockoutSkuDays(env: Env, vendorId: string | undefined, fromMs: number, toMs: number): Promise<number> {
  const partitions = await partitionsOf(env, vendorId);
  const perPartition = await Promise.all(partitions.map(async (p) => [p, await stockoutMsByVendorOf(readDb(env, p), vendorId, fromMs, toMs)] as const));
  const homes = await vendorReadPartitions(
    env,
    perPartition.flatMap(([, byVendor]) => [...byVendor.keys()]),
  );
  let ms = 0;
  for (const [p, byVendor] of perPartition) for (const [v, vms] of byVendor) if (homes.get(v) === p) ms += vms;
  return ms / 86_400_000;
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
export async function turnoverAnalysis(env: Env, p: Period, limit: number) {
  const w = window(p);
  const rows = await skuAggregates(env, p.vendorId, w.from, w.to);
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
export async function stockMovementAnalysis(env: Env, p: Period, limit: number) {
  const w = window(p);
  const rows = movements(await skuAggregates(env, p.vendorId, w.from, w.to), w.to);
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
export async function healthAnalysis(env: Env, p: Period) {
  const w = window(p);
  const rows = await skuAggregates(env, p.vendorId, w.from, w.to);
  const moved = movements(rows, w.to);
  const turnover = await turnoverOf(rows, p.days);
  const errors = await forecastErrors(env, p.vendorId);
  const health = stockHealthScore({
    activeSkus: rows.length,
    inStockSkus: rows.filter((r) => r.available > 0).length,
    skuDays: rows.length * p.days,
    stockoutSkuDays: await stockoutSkuDays(env, p.vendorId, w.fromMs, w.toMs),
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
 * Stock per location of the active SKUs (of the vendor, or one SKU) held at two locations or
 * more, in (SKU, location) order, with their master data: the levels from the read databases
 * (the vendor's, the SKU's, or all), each SKU's only from its vendor's database, whether it
 * is active and its owner from `DB`; its settings from its vendor's read database.
 */
async function activeMultiLocationStock(
  env: Env,
  q: { vendorId: string | undefined; sku: string | undefined },
): Promise<{ stock: LocationStock[]; master: Map<string, PlanningSku> }> {
  const partitions = q.sku !== undefined ? [(await skuReadHomes(env, [q.sku])).get(q.sku)!.partition] : await partitionsOf(env, q.vendorId);
  const perPartition = await Promise.all(partitions.map(async (p) => [p, await multiLocationStockOf(readDb(env, p), q)] as const));
  const master = await planningSkus(
    env,
    perPartition.flatMap(([, rows]) => rows.map((r) => r.sku)),
  );
  const homes = await vendorReadPartitions(
    env,
    [...master.values()].map((m) => m.vendorId),
  );
  const stock = perPartition
    .flatMap(([p, rows]) =>
      rows.filter((r) => {
        const m = master.get(r.sku);
        return m !== undefined && m.status === "active" && (q.vendorId === undefined || m.vendorId === q.vendorId) && homes.get(m.vendorId) === p;
      }),
    )
    .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.locationId < b.locationId ? -1 : a.locationId > b.locationId ? 1 : 0));
  return { stock, master };
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
  const { stock, master } = await activeMultiLocationStock(env, q);
  const ids = [...new Set(stock.map((s) => s.sku))];
  const [sales, stored, { byId }] = await Promise.all([
    readBySku(
      env,
      ids.map((sku) => master.get(sku)!),
      (db, part) => salesByLocation(db, part, from, to),
    ),
    readBySku(
      env,
      ids.map((sku) => master.get(sku)!),
      findForecasts,
    ),
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
