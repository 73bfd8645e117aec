/**
 * Inventory analytics (issue 15): ABC classes, turnover and days of inventory, the stock
 * health score, overstock and slow-moving stock, and rebalancing transfers between locations.
 * Pure: the caller gathers the numbers (D1 projections, daily sales, forecasts) and passes the
 * day as `asOf`; nothing reads the clock.
 */
import { type GeoPoint, roundedDistanceKm } from "./allocation-geo";
import { shipmentCost } from "./allocation-shipping";
import type { ShippingCostModel } from "./allocation-locations";
import { dayNumber } from "./forecasting/calendar";

// ---------------------------------------------------------------------------------------------
// ABC
// ---------------------------------------------------------------------------------------------

export type AbcClass = "A" | "B" | "C";

export interface AbcOptions {
  /** Cumulative revenue share of class A (default 0.80). */
  aShare: number;
  /** Share of class B after A (default 0.15); C is the rest. */
  bShare: number;
}

export const DEFAULT_ABC: AbcOptions = Object.freeze({ aShare: 0.8, bShare: 0.15 });

export interface AbcRow {
  sku: string;
  revenue: number;
  /** This SKU's share of total revenue. */
  share: number;
  /** Share of the SKUs ranked above it, plus its own. */
  cumulativeShare: number;
  class: AbcClass;
}

/**
 * ABC by revenue (Pareto): SKUs ranked by revenue (ties by SKU id); a SKU is A while the
 * revenue ranked above it is under `aShare` of the total, B while under `aShare + bShare`,
 * otherwise C — so the SKU that crosses a boundary belongs to the higher class, and A is never
 * empty when anything sold. SKUs without revenue are C.
 */
export function abcClassify(items: readonly { sku: string; revenue: number }[], options: Partial<AbcOptions> = {}): AbcRow[] {
  const { aShare, bShare } = { ...DEFAULT_ABC, ...options };
  const ranked = [...items].sort((a, b) => b.revenue - a.revenue || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
  const total = ranked.reduce((s, i) => s + Math.max(0, i.revenue), 0);
  // Revenue sums against boundaries, with a tolerance for binary fractions: 0.8 + 0.15 is
  // 0.9500000000000001 in floating point, and 950 of 1,000 must count as reaching 95 %.
  const slack = 1e-9 * total;
  const aBound = aShare * total - slack;
  const bBound = (aShare + bShare) * total - slack;
  let before = 0;
  return ranked.map((item) => {
    const revenue = Math.max(0, item.revenue);
    const cls: AbcClass = revenue <= 0 ? "C" : before < aBound ? "A" : before < bBound ? "B" : "C";
    before += revenue;
    return { sku: item.sku, revenue: item.revenue, share: total > 0 ? revenue / total : 0, cumulativeShare: total > 0 ? before / total : 0, class: cls };
  });
}

// ---------------------------------------------------------------------------------------------
// Turnover
// ---------------------------------------------------------------------------------------------

/**
 * Inventory turnover = cost of goods sold / average inventory value, annualised from a period
 * of `periodDays`; days of inventory = average inventory value / COGS × periodDays (= 365 /
 * turnover). Null where undefined: turnover with no inventory, days of inventory with no sales.
 */
export function inventoryTurnover(input: { costOfGoodsSold: number; averageInventoryValue: number; periodDays: number }): {
  turnover: number | null;
  daysOfInventory: number | null;
} {
  const { costOfGoodsSold: cogs, averageInventoryValue: inv, periodDays } = input;
  return {
    turnover: inv > 0 ? (cogs / inv) * (365 / periodDays) : null,
    daysOfInventory: cogs > 0 ? (inv / cogs) * periodDays : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Stock health
// ---------------------------------------------------------------------------------------------

export interface StockHealthInput {
  /** Active SKUs (or SKU × locations) counted. */
  activeSkus: number;
  /** Of those, how many have units available now. */
  inStockSkus: number;
  /** SKU-days observed over the period, and how many of them had nothing available. */
  skuDays: number;
  stockoutSkuDays: number;
  /** Active SKUs classified `overstock` (`classifyStockMovement`). */
  overstockSkus: number;
  /** Annualised inventory turnover (`inventoryTurnover`); null if not measurable. */
  turnover: number | null;
  /** WAPE of the period's forecasts against actual sales (Σ|f − a| / Σa); null if not measured. */
  forecastWape: number | null;
}

export interface HealthComponent {
  name: "in_stock" | "stockout" | "overstock" | "turnover" | "forecast_accuracy";
  /** The measured rate or value (null: not measured, left out of the score). */
  value: number | null;
  /** 0–20. */
  points: number | null;
  /** Full points at or beyond this value… */
  fullAt: number;
  /** …and none at or beyond this one, linear in between. */
  zeroAt: number;
}

/**
 * The five components, 20 points each (the value, where full points start, where none are left):
 * - in_stock: inStockSkus / activeSkus — 20 at ≥ 95 %, 0 at ≤ 75 %;
 * - stockout: stockoutSkuDays / skuDays — 20 at ≤ 2 %, 0 at ≥ 10 %;
 * - overstock: overstockSkus / activeSkus — 20 at ≤ 10 %, 0 at ≥ 30 %;
 * - turnover: annual turnover — 20 at ≥ 10×, 0 at ≤ 2×;
 * - forecast_accuracy: 1 − WAPE — 20 at ≥ 85 %, 0 at ≤ 50 %.
 */
export const HEALTH_RAMPS: Readonly<Record<HealthComponent["name"], { fullAt: number; zeroAt: number }>> = Object.freeze({
  in_stock: { fullAt: 0.95, zeroAt: 0.75 },
  stockout: { fullAt: 0.02, zeroAt: 0.1 },
  overstock: { fullAt: 0.1, zeroAt: 0.3 },
  turnover: { fullAt: 10, zeroAt: 2 },
  forecast_accuracy: { fullAt: 0.85, zeroAt: 0.5 },
});

function rampPoints(value: number, fullAt: number, zeroAt: number): number {
  const f = (value - zeroAt) / (fullAt - zeroAt);
  return 20 * Math.min(1, Math.max(0, f));
}

/**
 * The stock health score, 0–100: the sum of the five components' points (`HEALTH_RAMPS`),
 * rounded to one decimal. A component that cannot be measured (no SKUs, no SKU-days, no
 * turnover or forecast) is left out and the others are scaled up to 100, so a missing number
 * neither rewards nor punishes. Grade: ≥ 90 excellent, ≥ 75 good, ≥ 50 fair, else poor.
 */
export function stockHealthScore(input: StockHealthInput): {
  score: number;
  grade: "excellent" | "good" | "fair" | "poor";
  components: HealthComponent[];
} {
  const values: Record<HealthComponent["name"], number | null> = {
    in_stock: input.activeSkus > 0 ? input.inStockSkus / input.activeSkus : null,
    stockout: input.skuDays > 0 ? input.stockoutSkuDays / input.skuDays : null,
    overstock: input.activeSkus > 0 ? input.overstockSkus / input.activeSkus : null,
    turnover: input.turnover,
    forecast_accuracy: input.forecastWape === null ? null : 1 - input.forecastWape,
  };
  const components = (Object.keys(HEALTH_RAMPS) as HealthComponent["name"][]).map((name) => {
    const { fullAt, zeroAt } = HEALTH_RAMPS[name];
    const value = values[name];
    return { name, value, points: value === null ? null : rampPoints(value, fullAt, zeroAt), fullAt, zeroAt };
  });
  const measured = components.filter((c) => c.points !== null);
  const raw = measured.reduce((s, c) => s + c.points!, 0);
  const score = measured.length === 0 ? 0 : Math.round(((raw * 5) / measured.length) * 10) / 10;
  const grade = score >= 90 ? "excellent" : score >= 75 ? "good" : score >= 50 ? "fair" : "poor";
  return { score, grade, components };
}

// ---------------------------------------------------------------------------------------------
// Overstock and slow-moving stock
// ---------------------------------------------------------------------------------------------

export interface StockMovementOptions {
  /** Overstock: no sale for this many days… */
  overstockNoSaleDays: number;
  /** …or the oldest units on hand are this old. */
  overstockAgeDays: number;
  /** Slow-moving: no sale for this many days. */
  slowNoSaleDays: number;
}

export const DEFAULT_STOCK_MOVEMENT: StockMovementOptions = Object.freeze({
  overstockNoSaleDays: 90,
  overstockAgeDays: 90,
  slowNoSaleDays: 60,
});

export type StockMovementClass = "overstock" | "slow_moving" | "moving" | "empty";

/**
 * Classifies stock on hand by how recently it sold and how old it is, as of `asOf`
 * (`YYYY-MM-DD`): `empty` with nothing on hand; `overstock` when nothing sold for
 * `overstockNoSaleDays` or the oldest units on hand were received `overstockAgeDays` ago or
 * more; `slow_moving` when nothing sold for `slowNoSaleDays`; otherwise `moving`. A SKU that
 * never sold counts its days without a sale from when it was first stocked (unknown → not
 * counted as unsold).
 */
export function classifyStockMovement(
  input: { onHand: number; lastSaleDay: string | null; oldestStockDay: string | null; firstStockedDay?: string | null },
  asOf: string,
  options: Partial<StockMovementOptions> = {},
): { class: StockMovementClass; daysSinceLastSale: number | null; stockAgeDays: number | null } {
  const opts = { ...DEFAULT_STOCK_MOVEMENT, ...options };
  const today = dayNumber(asOf);
  const since = (day: string | null | undefined) => (day === null || day === undefined ? null : today - dayNumber(day));
  const daysSinceLastSale = since(input.lastSaleDay) ?? since(input.firstStockedDay);
  const stockAgeDays = since(input.oldestStockDay);
  if (input.onHand <= 0) return { class: "empty", daysSinceLastSale, stockAgeDays };
  const unsold = (days: number) => daysSinceLastSale !== null && daysSinceLastSale >= days;
  const cls: StockMovementClass =
    unsold(opts.overstockNoSaleDays) || (stockAgeDays !== null && stockAgeDays >= opts.overstockAgeDays)
      ? "overstock"
      : unsold(opts.slowNoSaleDays)
        ? "slow_moving"
        : "moving";
  return { class: cls, daysSinceLastSale, stockAgeDays };
}

// ---------------------------------------------------------------------------------------------
// Rebalancing
// ---------------------------------------------------------------------------------------------

export interface LocationPosition {
  locationId: string;
  /** Units available to sell here now. */
  available: number;
  /** Forecast demand here over the coverage window (e.g. lead time + review period). */
  forecastDemand: number;
  /** Buffer kept here on top of the forecast (0 if omitted). */
  safetyStock?: number;
}

export interface RebalanceOptions {
  /**
   * Cost of moving `quantity` units of the SKU from one location to another (shipping,
   * handling); Infinity or NaN = not possible.
   */
  transferCost: (from: string, to: string, quantity: number) => number;
  /** Most a transfer may cost per unit (e.g. the margin it protects); default unlimited. */
  maxCostPerUnit: number;
  /** A donor keeps its target × (1 + excessBuffer) before anything counts as excess (default 0.2). */
  excessBuffer: number;
  /** Smallest transfer worth making (default 1 unit). */
  minTransfer: number;
}

export interface TransferSuggestion {
  fromLocationId: string;
  toLocationId: string;
  quantity: number;
  cost: number;
  /** Shortage at the receiver and excess at the donor, before this transfer. */
  shortage: number;
  excess: number;
}

/**
 * Transfers for one SKU: a location is short when `available` is below its target
 * (forecastDemand + safetyStock), a donor has excess above target × (1 + excessBuffer). Largest
 * shortages first (ties by location id); each takes from the donor with the lowest cost per
 * unit for the transfer, min(shortage, excess) whole units, while that cost per unit is finite
 * and within `maxCostPerUnit`; then the next cheapest donor, until covered or no donor is left.
 * Donors never drop below their own buffered target, so a transfer cannot create a shortage.
 */
export function suggestTransfers(
  locations: readonly LocationPosition[],
  options: Partial<RebalanceOptions> & Pick<RebalanceOptions, "transferCost">,
): TransferSuggestion[] {
  const opts = { maxCostPerUnit: Infinity, excessBuffer: 0.2, minTransfer: 1, ...options };
  const target = (l: LocationPosition) => l.forecastDemand + (l.safetyStock ?? 0);
  const shortage = new Map<string, number>();
  const excess = new Map<string, number>();
  for (const l of locations) {
    const t = target(l);
    if (l.available < t) shortage.set(l.locationId, Math.ceil(t - l.available));
    const spare = Math.floor(l.available - t * (1 + opts.excessBuffer));
    if (spare > 0) excess.set(l.locationId, spare);
  }
  const receivers = [...shortage.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const out: TransferSuggestion[] = [];
  for (const [to] of receivers) {
    for (;;) {
      const need = shortage.get(to)!;
      if (need < opts.minTransfer) break;
      let best: { from: string; quantity: number; cost: number; perUnit: number } | null = null;
      for (const [from, spare] of excess) {
        if (from === to || spare < opts.minTransfer) continue;
        const quantity = Math.min(need, spare);
        const cost = opts.transferCost(from, to, quantity);
        const perUnit = cost / quantity;
        if (!Number.isFinite(perUnit) || perUnit > opts.maxCostPerUnit) continue;
        if (best === null || perUnit < best.perUnit || (perUnit === best.perUnit && from < best.from)) best = { from, quantity, cost, perUnit };
      }
      if (best === null) break;
      out.push({ fromLocationId: best.from, toLocationId: to, quantity: best.quantity, cost: best.cost, shortage: need, excess: excess.get(best.from)! });
      shortage.set(to, need - best.quantity);
      excess.set(best.from, excess.get(best.from)! - best.quantity);
    }
  }
  return out;
}

/**
 * Per-SKU thresholds of the movement classes (`sku_planning` overrides; null = the default).
 * Stock age is not tracked per unit yet, so `overstockAgeDays` keeps its default and applies
 * only where a caller knows the oldest stock's day.
 */
export function stockMovementOptions(settings: { overstockNoSaleDays: number | null; slowMovingNoSaleDays: number | null }): StockMovementOptions {
  return {
    ...DEFAULT_STOCK_MOVEMENT,
    overstockNoSaleDays: settings.overstockNoSaleDays ?? DEFAULT_STOCK_MOVEMENT.overstockNoSaleDays,
    slowNoSaleDays: settings.slowMovingNoSaleDays ?? DEFAULT_STOCK_MOVEMENT.slowNoSaleDays,
  };
}

export type MovementAlertKind = "overstock" | "slow_moving";
export type MovementAlertResolution = "moving" | "no_stock" | "overstock" | "discontinued";

/**
 * The movement alerts a SKU's class asks for: `overstock` and `slow_moving` open their own
 * kind (at most one of the two is open: a slow mover that reaches the overstock threshold
 * resolves its `slow_moving` alert as `overstock`); `moving` and `empty` resolve both (as
 * `moving` / `no_stock`).
 */
export function movementAlerts(cls: StockMovementClass): {
  open: MovementAlertKind | null;
  resolve: { kind: MovementAlertKind; resolution: MovementAlertResolution }[];
} {
  switch (cls) {
    case "overstock":
      return { open: "overstock", resolve: [{ kind: "slow_moving", resolution: "overstock" }] };
    case "slow_moving":
      return { open: "slow_moving", resolve: [{ kind: "overstock", resolution: "moving" }] };
    case "moving":
      return {
        open: null,
        resolve: [
          { kind: "overstock", resolution: "moving" },
          { kind: "slow_moving", resolution: "moving" },
        ],
      };
    case "empty":
      return {
        open: null,
        resolve: [
          { kind: "overstock", resolution: "no_stock" },
          { kind: "slow_moving", resolution: "no_stock" },
        ],
      };
  }
}

// ---------------------------------------------------------------------------------------------
// Rebalancing inputs: per-location targets and the transfer cost
// ---------------------------------------------------------------------------------------------

/**
 * Each location's share of a SKU's forecast: the SKU's demand over the coverage window (and
 * its safety stock) split by the location's share of the SKU's recent sales. A location
 * without recent sales gets no demand (its stock counts as excess above the buffer); with no
 * sales anywhere nothing is short. Locations are listed in input order.
 */
export function locationPositions(input: {
  demand: number;
  safetyStock: number;
  locations: readonly { locationId: string; available: number; recentUnits: number }[];
}): LocationPosition[] {
  const total = input.locations.reduce((s, l) => s + Math.max(0, l.recentUnits), 0);
  return input.locations.map((l) => {
    const share = total > 0 ? Math.max(0, l.recentUnits) / total : 0;
    return { locationId: l.locationId, available: l.available, forecastDemand: input.demand * share, safetyStock: input.safetyStock * share };
  });
}

/**
 * What moving `quantity` units from one location to another costs, in the locations' currency
 * minor units (cents): one shipment priced by the origin's shipping model (base + per km of
 * great-circle distance + per unit; the same model order routing uses).
 */
export function transferCost(from: GeoPoint & { shippingCost: ShippingCostModel }, to: GeoPoint, quantity: number): number {
  return shipmentCost(from.shippingCost, roundedDistanceKm(from, to), quantity);
}
