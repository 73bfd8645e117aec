/**
 * Public availability: what storefronts may see of a SKU's stock. Pure.
 *
 * Only sellable, active locations count; negative availability (accepted backorders)
 * shows as zero; nothing operator-only (reserved counts, vendor, reservations) is here.
 */

export const AVAILABILITY_STATUSES = ["in_stock", "low_stock", "out_of_stock", "backorder", "preorder"] as const;
export type AvailabilityStatus = (typeof AVAILABILITY_STATUSES)[number];

/** What the SKU object reports per location for the public view. */
export interface PublicLevel {
  locationId: string;
  available: number;
  inTransit: number;
}

/** The master data the public view depends on. */
export interface PublicViewConfig {
  /** At or below this many units the status is `low_stock`. */
  reorderPoint: number;
  allowBackorder: boolean;
  /** Active locations that sell (can ship or offer pickup), in priority order. */
  sellableLocationIds: string[];
}

export interface PublicAvailability {
  status: AvailabilityStatus;
  available: number;
  locations: { locationId: string; available: number }[];
}

/**
 * Status rules: more than the reorder point → in stock; 1..reorder point → low stock;
 * none available but units in transit → preorder; none and backorders allowed →
 * backorder; otherwise out of stock.
 */
export function statusOf(available: number, inTransit: number, config: Pick<PublicViewConfig, "reorderPoint" | "allowBackorder">): AvailabilityStatus {
  if (available > 0) return available <= config.reorderPoint ? "low_stock" : "in_stock";
  if (inTransit > 0) return "preorder";
  return config.allowBackorder ? "backorder" : "out_of_stock";
}

/** The public view of a SKU from its per-location levels. */
export function publicAvailability(levels: readonly PublicLevel[], config: PublicViewConfig): PublicAvailability {
  const byId = new Map(levels.map((l) => [l.locationId, l]));
  let available = 0;
  let inTransit = 0;
  const locations: PublicAvailability["locations"] = [];
  for (const locationId of config.sellableLocationIds) {
    const level = byId.get(locationId);
    if (level === undefined) continue;
    const units = Math.max(0, level.available);
    available += units;
    inTransit += Math.max(0, level.inTransit);
    locations.push({ locationId, available: units });
  }
  return { status: statusOf(available, inTransit, config), available, locations };
}

/** True when two public views would show a storefront the same thing. */
export function samePublicView(a: PublicAvailability, b: PublicAvailability): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
