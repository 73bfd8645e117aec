/**
 * Replenishment math (issue 15): stock position, safety stock, reorder point, order quantity
 * and urgency. Pure: numbers in, numbers out; the demand side comes from a forecast
 * (`domain/forecasting`: `leadTimeDemand`, `expectedStockout`) or from the caller.
 *
 * Formulas (Silver, Pyke & Thomas, "Inventory and Production Management in Supply Chains",
 * 4th ed., ch. 4 and 6):
 * - stock position = onHand + inTransit + onOrder − reserved − committed − backorders;
 * - σ of lead-time demand = √(L·σd² + d²·σL²) (demand and lead time independent);
 * - safety stock = z(service level) × σ of lead-time demand, z = Φ⁻¹(cycle service level);
 * - reorder point = expected lead-time demand + safety stock;
 * - EOQ = √(2·D·S / H), D annual demand, S cost per order, H = unit cost × holding rate
 *   (Harris 1913); the order is EOQ (or what brings the position back to the reorder point,
 *   if more), raised to the minimum order quantity, rounded up to whole packs, capped by the
 *   maximum stock.
 */
import { inverseNormalCdf } from "./normal-distribution";

/** The quantities that make up a stock position (one SKU, one location or summed over locations). */
export interface StockPositionInput {
  onHand: number;
  /** Inbound transfers and shipped purchase orders. */
  inTransit: number;
  /** Purchase orders placed but not shipped. */
  onOrder: number;
  /** Hard reservations. */
  reserved: number;
  /** Picked for shipment, not shipped. */
  committed: number;
  /** Units sold beyond stock (accepted backorders not yet covered). */
  backorders: number;
  /** Units on hand that cannot be sold (damaged, on hold); 0 if omitted. */
  unsellable?: number;
}

/**
 * onHand + inTransit + onOrder − reserved − committed − backorders (− unsellable): what will be
 * free to sell once everything already ordered arrives. May be negative.
 */
export function stockPosition(q: StockPositionInput): number {
  return q.onHand + q.inTransit + q.onOrder - q.reserved - q.committed - q.backorders - (q.unsellable ?? 0);
}

/**
 * The safety factor z for a cycle service level (the probability of no stockout in a
 * replenishment cycle), e.g. 0.95 → 1.645. Throws a RangeError outside (0, 1).
 */
export function serviceLevelZ(serviceLevel: number): number {
  return inverseNormalCdf(serviceLevel);
}

/**
 * σ of demand over the lead time: √(L·σd² + d²·σL²) for mean lead time L days with standard
 * deviation σL, mean daily demand d and daily standard deviation σd. With a known lead time
 * (σL = 0) it is σd·√L.
 */
export function leadTimeDemandSd(input: { leadTimeDays: number; meanDailyDemand: number; dailyDemandSd: number; leadTimeSdDays?: number }): number {
  const sl = input.leadTimeSdDays ?? 0;
  return Math.sqrt(input.leadTimeDays * input.dailyDemandSd ** 2 + input.meanDailyDemand ** 2 * sl ** 2);
}

/** z(serviceLevel) × σ of lead-time demand; never negative (a service level under 50 % needs no safety stock). */
export function safetyStock(serviceLevel: number, leadTimeDemandSd: number): number {
  return Math.max(0, serviceLevelZ(serviceLevel) * leadTimeDemandSd);
}

/** Expected demand over the lead time plus safety stock. */
export function reorderPoint(leadTimeDemand: number, safetyStockUnits: number): number {
  return leadTimeDemand + safetyStockUnits;
}

/**
 * Economic order quantity √(2·D·S / H) with H = unitCost × holdingRate (per unit per year).
 * Unrounded. 0 without demand; a RangeError if demand is positive but holding costs nothing
 * (the formula has no finite answer).
 */
export function economicOrderQuantity(input: { annualDemand: number; orderingCost: number; unitCost: number; holdingRate: number }): number {
  if (input.annualDemand <= 0 || input.orderingCost <= 0) return 0;
  const holding = input.unitCost * input.holdingRate;
  if (!(holding > 0)) throw new RangeError("economicOrderQuantity needs a positive holding cost (unitCost × holdingRate)");
  return Math.sqrt((2 * input.annualDemand * input.orderingCost) / holding);
}

export interface OrderRounding {
  /** Units per pack (case); orders are whole packs. */
  packSize: number;
  /** Minimum order quantity (units). */
  minimumOrderQuantity: number;
  /** Highest stock position allowed after the order arrives; null = no cap. */
  maxStock: number | null;
}

export type OrderAdjustment = "raised_to_moq" | "rounded_to_pack" | "capped_by_max_stock" | "blocked_by_max_stock";

/**
 * Turns a wanted quantity into an orderable one: at least the MOQ, rounded up to whole packs,
 * then cut to whole packs that keep `position + order ≤ maxStock`. If the cap leaves room for
 * less than the MOQ, nothing can be ordered (`blocked_by_max_stock`, quantity 0).
 */
export function roundOrderQuantity(wanted: number, position: number, rules: OrderRounding): { quantity: number; adjustments: OrderAdjustment[] } {
  const adjustments: OrderAdjustment[] = [];
  if (!(wanted > 0)) return { quantity: 0, adjustments };
  const pack = Math.max(1, Math.floor(rules.packSize));
  let q = Math.ceil(wanted);
  if (q < rules.minimumOrderQuantity) {
    q = rules.minimumOrderQuantity;
    adjustments.push("raised_to_moq");
  }
  if (q % pack !== 0) {
    q = Math.ceil(q / pack) * pack;
    adjustments.push("rounded_to_pack");
  }
  if (rules.maxStock !== null && position + q > rules.maxStock) {
    const room = Math.floor(Math.max(0, rules.maxStock - position) / pack) * pack;
    if (room <= 0 || room < rules.minimumOrderQuantity) return { quantity: 0, adjustments: [...adjustments, "blocked_by_max_stock"] };
    q = room;
    adjustments.push("capped_by_max_stock");
  }
  return { quantity: q, adjustments };
}

export type Urgency = "critical" | "high" | "medium" | "low" | "none";

/**
 * Urgency from the days until the expected stockout: under 3 days critical, 3 to under 7 high,
 * 7 to under 14 medium, later low; `none` when no stockout is expected within the forecast.
 */
export function urgencyOf(daysUntilStockout: number | null): Urgency {
  if (daysUntilStockout === null) return "none";
  if (daysUntilStockout < 3) return "critical";
  if (daysUntilStockout < 7) return "high";
  if (daysUntilStockout < 14) return "medium";
  return "low";
}

/** The replenishment settings of a SKU (defaults per vendor or category, per-SKU overrides on top). */
export interface ReplenishmentPolicy extends OrderRounding {
  /** Cycle service level, e.g. 0.95. */
  serviceLevel: number;
  leadTimeDays: number;
  /** Standard deviation of the lead time in days (0 when unknown or fixed). */
  leadTimeSdDays: number;
  /** Cost of placing one order. */
  orderingCost: number;
  unitCost: number;
  /** Yearly holding cost as a share of unit cost, e.g. 0.25. */
  holdingRate: number;
}

/** Per-SKU overrides: any policy field, or fixed safety stock, reorder point or order quantity. */
export type ReplenishmentOverrides = Partial<ReplenishmentPolicy> & {
  safetyStock?: number;
  reorderPoint?: number;
  orderQuantity?: number;
};

/** The demand side of a plan, in units. */
export interface DemandOutlook {
  /** Mean daily demand over the lead time. */
  meanDailyDemand: number;
  /** Standard deviation of one day's demand. */
  dailyDemandSd: number;
  /**
   * Lead-time demand straight from a forecast (mean and σ, which then include the forecast's
   * own level error); when given it replaces d·L and σd·√L.
   */
  leadTimeDemand?: { mean: number; sd: number };
  /** Demand over the next year; default meanDailyDemand × 365. */
  annualDemand?: number;
  /** Days until the stock position runs out at expected demand; null = not within the forecast. */
  daysUntilStockout: number | null;
}

export interface ReplenishmentPlan {
  stockPosition: number;
  leadTimeDays: number;
  leadTimeDemand: number;
  leadTimeDemandSd: number;
  z: number;
  safetyStock: number;
  reorderPoint: number;
  /** Unrounded EOQ. */
  economicOrderQuantity: number;
  /** Stock position at or below the reorder point. */
  shouldReorder: boolean;
  /** Units to order now (0 when no reorder is due or the cap blocks it). */
  orderQuantity: number;
  adjustments: OrderAdjustment[];
  urgency: Urgency;
  /** Which values came from overrides. */
  overridden: (keyof ReplenishmentOverrides)[];
}

/**
 * One SKU's plan: safety stock, reorder point, EOQ and, if the position is at or below the
 * reorder point, the order to place — max(EOQ rounded to a unit, reorder point − position),
 * then MOQ, packs and max stock (`roundOrderQuantity`). Overrides replace the policy field or
 * the computed value they name.
 */
export function planReplenishment(input: {
  stock: StockPositionInput;
  demand: DemandOutlook;
  policy: ReplenishmentPolicy;
  overrides?: ReplenishmentOverrides;
}): ReplenishmentPlan {
  const overrides = input.overrides ?? {};
  const overridden = (Object.keys(overrides) as (keyof ReplenishmentOverrides)[]).filter((k) => overrides[k] !== undefined);
  const policy: ReplenishmentPolicy = { ...input.policy };
  for (const key of Object.keys(input.policy) as (keyof ReplenishmentPolicy)[]) {
    const v = overrides[key];
    if (v !== undefined) (policy as unknown as Record<string, unknown>)[key] = v;
  }
  const position = stockPosition(input.stock);
  const d = input.demand;
  const L = policy.leadTimeDays;
  const ltMean = d.leadTimeDemand?.mean ?? d.meanDailyDemand * L;
  const ltSdDemand = d.leadTimeDemand?.sd ?? Math.sqrt(L) * d.dailyDemandSd;
  // Lead-time variability adds d²·σL² to the variance of lead-time demand.
  const ltSd = Math.sqrt(ltSdDemand ** 2 + d.meanDailyDemand ** 2 * policy.leadTimeSdDays ** 2);
  const z = serviceLevelZ(policy.serviceLevel);
  const ss = overrides.safetyStock ?? Math.max(0, z * ltSd);
  const rop = overrides.reorderPoint ?? reorderPoint(ltMean, ss);
  const eoq = economicOrderQuantity({
    annualDemand: d.annualDemand ?? d.meanDailyDemand * 365,
    orderingCost: policy.orderingCost,
    unitCost: policy.unitCost,
    holdingRate: policy.holdingRate,
  });
  const shouldReorder = position <= rop;
  // EOQ's total cost is flat near the optimum, so rounding it to the nearest unit costs nothing.
  const wanted = overrides.orderQuantity ?? Math.max(Math.round(eoq), Math.ceil(rop - position));
  const { quantity, adjustments } = shouldReorder ? roundOrderQuantity(wanted, position, policy) : { quantity: 0, adjustments: [] };
  return {
    stockPosition: position,
    leadTimeDays: L,
    leadTimeDemand: ltMean,
    leadTimeDemandSd: ltSd,
    z,
    safetyStock: ss,
    reorderPoint: rop,
    economicOrderQuantity: eoq,
    shouldReorder,
    orderQuantity: quantity,
    adjustments,
    urgency: urgencyOf(d.daysUntilStockout),
    overridden,
  };
}

// ---------------------------------------------------------------------------------------------
// Purchase orders from suggestions
// ---------------------------------------------------------------------------------------------

const URGENCY_RANK: Readonly<Record<Urgency, number>> = Object.freeze({ critical: 0, high: 1, medium: 2, low: 3, none: 4 });

/**
 * The suggestions one purchase order takes from a vendor × location group: most urgent first
 * (ties by SKU id), at most `maxLines` (the purchase order's line cap); the rest wait for the
 * next order. Pure; does not change its input.
 */
export function draftLines<T extends { sku: string; urgency: Urgency }>(open: readonly T[], maxLines: number): { take: T[]; left: number } {
  const ranked = [...open].sort((a, b) => URGENCY_RANK[a.urgency] - URGENCY_RANK[b.urgency] || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
  const take = ranked.slice(0, Math.max(0, maxLines));
  return { take, left: open.length - take.length };
}
