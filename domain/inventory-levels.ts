/**
 * The `inventory_levels` read model's rules: a location's stock status and the units a
 * fulfilled reservation shipped per location and UTC day. Pure.
 */

export const LEVEL_STATUSES = ["in_stock", "low_stock", "out_of_stock", "backorder"] as const;
export type LevelStatus = (typeof LEVEL_STATUSES)[number];

/** The SKU master data a level's status depends on. */
export interface LevelThresholds {
  reorderPoint: number;
  allowBackorder: boolean;
}

/**
 * A location's status from its `available`: above the reorder point → in stock; 1..reorder
 * point → low stock; nothing available → backorder when the SKU takes backorders (units
 * owed show as negative available), otherwise out of stock. The same thresholds as the
 * public view (`domain/availability.ts`), per location and without the pre-order case
 * (in-transit units are shown as their own column).
 */
export function levelStatus(available: number, thresholds: LevelThresholds): LevelStatus {
  if (available > 0) return available <= thresholds.reorderPoint ? "low_stock" : "in_stock";
  return thresholds.allowBackorder ? "backorder" : "out_of_stock";
}

/** Units shipped per location (lines of one location summed, zero and negative lines ignored), by location id. */
export function unitsByLocation(lines: readonly { locationId: string; quantity: number }[]): { locationId: string; units: number }[] {
  const units = new Map<string, number>();
  for (const line of lines) {
    if (line.quantity > 0) units.set(line.locationId, (units.get(line.locationId) ?? 0) + line.quantity);
  }
  return [...units].map(([locationId, n]) => ({ locationId, units: n })).sort((a, b) => (a.locationId < b.locationId ? -1 : 1));
}

/**
 * The UTC calendar day (`YYYY-MM-DD`) and epoch milliseconds of an ISO timestamp; throws
 * on a timestamp that does not parse (the event is then poison and dead-lettered).
 */
export function utcDayOf(iso: string): { day: string; ms: number } {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new RangeError(`not a timestamp: ${JSON.stringify(iso).slice(0, 80)}`);
  return { day: new Date(ms).toISOString().slice(0, 10), ms };
}
