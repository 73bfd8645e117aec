/**
 * Between planning and reserving, other orders may take the stock a plan counted on: the
 * SKU object then refuses with `insufficient_stock` and the lines it could not hold. These
 * helpers turn a refusal into the next plan and a plan into reservation lines. Pure: how
 * many attempts to make is the caller's decision.
 */
import type { ShortLine } from "./failures";
import { planAllocation } from "./allocation-plan";
import type { AllocationPlan, AllocationRequest } from "./allocation-plan.types";

/** One reservation line per SKU and location, as the SkuInventory objects take them. */
export interface PlannedReservationLine {
  sku: string;
  locationId: string;
  /** Units to reserve there: from stock plus backordered. */
  quantity: number;
  /** Of which the plan expects to be accepted beyond stock. */
  backordered: number;
}

/**
 * The plan as reservation lines: one per SKU and location (allocated plus backordered units),
 * sorted by SKU then location. One line per pair matters for re-planning: a SKU object
 * reports a short line's `available` after the earlier lines of the same request, so only
 * with a single line per location is it the location's whole availability.
 */
export function reservationLinesOf(plan: AllocationPlan): PlannedReservationLine[] {
  const lines = new Map<string, PlannedReservationLine>();
  const line = (sku: string, locationId: string) => {
    const key = `${sku}\u0000${locationId}`;
    if (!lines.has(key)) lines.set(key, { sku, locationId, quantity: 0, backordered: 0 });
    return lines.get(key)!;
  };
  for (const shipment of plan.shipments) for (const l of shipment.lines) line(l.sku, shipment.locationId).quantity += l.quantity;
  for (const b of plan.backorders) {
    const l = line(b.sku, b.locationId);
    l.quantity += b.quantity;
    l.backordered += b.quantity;
  }
  return [...lines.values()].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.locationId < b.locationId ? -1 : a.locationId > b.locationId ? 1 : 0));
}

/**
 * The request with the availability a refusal reported: each short line's `available`
 * replaces the SKU's stock at that location (a refused request held nothing, so that is the
 * location's availability now). Lines without a location (`locationId: null`) say nothing
 * about a location and are skipped. `changed` is false when nothing differs, so retrying
 * would only repeat the same plan.
 */
export function applyRefusal(request: AllocationRequest, refusal: readonly ShortLine[]): { request: AllocationRequest; changed: boolean } {
  const stock = request.stock.map((level) => ({ ...level }));
  let changed = false;
  for (const short of refusal) {
    if (short.locationId === null) continue;
    const available = Math.max(0, short.available);
    const level = stock.find((l) => l.sku === short.sku && l.locationId === short.locationId);
    if (level === undefined) {
      stock.push({ sku: short.sku, locationId: short.locationId, available });
      changed = true;
    } else if (level.available !== available) {
      level.available = available;
      changed = true;
    }
  }
  return { request: { ...request, stock }, changed };
}

/**
 * The next plan after a SKU object refused the previous one: availability updated from the
 * refusal, then planned again at `now`. `samePlan` is true when the new plan reserves the
 * same lines as `previous`; with `changed` false or `samePlan` true, another attempt would
 * meet the same refusal.
 */
export function replanAfterRefusal(
  request: AllocationRequest,
  previous: AllocationPlan,
  refusal: readonly ShortLine[],
  now: number,
): { request: AllocationRequest; plan: AllocationPlan; changed: boolean; samePlan: boolean } {
  const next = applyRefusal(request, refusal);
  const plan = planAllocation(next.request, now);
  const samePlan = JSON.stringify(reservationLinesOf(plan)) === JSON.stringify(reservationLinesOf(previous));
  return { request: next.request, plan, changed: next.changed, samePlan };
}
