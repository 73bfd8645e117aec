/**
 * Replenishment settings of a SKU (issue 15): the defaults, and how a SKU's master data
 * (`skus.lead_time_days`, `skus.max_stock`) and its planning row (`sku_planning`, every column
 * nullable) override them. Pure.
 */
import type { ReplenishmentPolicy } from "./replenishment";

/**
 * Defaults where nothing is set: a 95 % cycle service level, a fixed lead time, single units,
 * €50 per order, 25 % a year holding rate. The unit cost default stands in for an unknown
 * cost so EOQ has a finite answer; `costKnown: false` on the plan says it was assumed.
 */
export const DEFAULT_POLICY: Readonly<ReplenishmentPolicy> = Object.freeze({
  serviceLevel: 0.95,
  leadTimeDays: 7,
  leadTimeSdDays: 0,
  orderingCost: 50,
  unitCost: 10,
  holdingRate: 0.25,
  packSize: 1,
  minimumOrderQuantity: 1,
  maxStock: null,
});

/** The planning columns a SKU may set (null = not set). */
export interface PlanningSettings {
  serviceLevel: number | null;
  leadTimeDays: number | null;
  leadTimeSdDays: number | null;
  minimumOrderQuantity: number | null;
  packSize: number | null;
  maxStock: number | null;
  orderingCost: number | null;
  unitCost: number | null;
  holdingRate: number | null;
}

/**
 * The policy of one SKU: the planning row's values, else the SKU's master data (lead time,
 * max stock), else `DEFAULT_POLICY`.
 */
export function resolvePolicy(master: { leadTimeDays: number; maxStock: number | null }, settings: Partial<PlanningSettings> | null): ReplenishmentPolicy {
  const s = settings ?? {};
  const pick = <T>(v: T | null | undefined, fallback: T): T => (v === null || v === undefined ? fallback : v);
  return {
    serviceLevel: pick(s.serviceLevel, DEFAULT_POLICY.serviceLevel),
    leadTimeDays: pick(s.leadTimeDays, master.leadTimeDays),
    leadTimeSdDays: pick(s.leadTimeSdDays, DEFAULT_POLICY.leadTimeSdDays),
    orderingCost: pick(s.orderingCost, DEFAULT_POLICY.orderingCost),
    unitCost: pick(s.unitCost, DEFAULT_POLICY.unitCost),
    holdingRate: pick(s.holdingRate, DEFAULT_POLICY.holdingRate),
    packSize: pick(s.packSize, DEFAULT_POLICY.packSize),
    minimumOrderQuantity: pick(s.minimumOrderQuantity, DEFAULT_POLICY.minimumOrderQuantity),
    maxStock: pick(s.maxStock, master.maxStock),
  };
}

/**
 * The forecast pools of a SKU, broadest first: its category, then vendor × category; a SKU
 * without a category borrows from its vendor's pool only.
 */
export function poolsOf(vendorId: string, category: string | null): string[] {
  return category === null ? [`vendor:${vendorId}`] : [`category:${category}`, `vendor:${vendorId}/category:${category}`];
}
