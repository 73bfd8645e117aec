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
  /**
   * Units a pre-order may still take here: expected arrivals (open lines with a date) not yet
   * promised to backorders or pre-orders. Absent from an older object: `inTransit` stands in.
   */
  preorderable?: number;
  /** When the arrival bringing the next unit not yet promised is expected (ms), or null. */
  availabilityDate?: number | null;
}

/** The master data the public view depends on. */
export interface PublicViewConfig {
  /** At or below this many units the status is `low_stock`. */
  reorderPoint: number;
  allowBackorder: boolean;
  /** Active locations that sell (can ship or offer pickup), in priority order. */
  sellableLocationIds: string[];
  /**
   * The SKU's replenishment lead time: a `backorder` with no dated arrival left to cover its
   * next unit gives today + this many days as its `availabilityDate`. Absent: null.
   */
  leadTimeDays?: number;
}

export interface PublicAvailability {
  status: AvailabilityStatus;
  available: number;
  locations: { locationId: string; available: number }[];
  /**
   * `preorder` and `backorder` answers only (Google Merchant Center asks for one on both): the
   * date (`YYYY-MM-DD`, UTC) of the earliest expected arrival at a selling location that brings
   * a unit not yet promised; for a backorder with none, today + the lead time; else null.
   */
  availabilityDate?: string | null;
}

/**
 * Status rules: more than the reorder point → in stock; 1..reorder point → low stock;
 * none available but expected units a pre-order may take (`preorderable`; an older object's
 * levels: units in transit) → preorder; none and backorders allowed → backorder; otherwise
 * out of stock.
 */
export function statusOf(available: number, inTransit: number, config: Pick<PublicViewConfig, "reorderPoint" | "allowBackorder">): AvailabilityStatus {
  if (available > 0) return available <= config.reorderPoint ? "low_stock" : "in_stock";
  if (inTransit > 0) return "preorder";
  return config.allowBackorder ? "backorder" : "out_of_stock";
}

/** The public view of a SKU from its per-location levels. */
export function publicAvailability(levels: readonly PublicLevel[], config: PublicViewConfig, now = Date.now()): PublicAvailability {
  const byId = new Map(levels.map((l) => [l.locationId, l]));
  let available = 0;
  let inTransit = 0;
  let preorderDate: number | null = null;
  let nextDate: number | null = null;
  const earliest = (a: number | null, b: number | null | undefined) => (b === null || b === undefined ? a : a === null ? b : Math.min(a, b));
  const locations: PublicAvailability["locations"] = [];
  for (const locationId of config.sellableLocationIds) {
    const level = byId.get(locationId);
    if (level === undefined) continue;
    const units = Math.max(0, level.available);
    available += units;
    const preorderable = Math.max(0, level.preorderable ?? level.inTransit);
    inTransit += preorderable;
    if (preorderable > 0) preorderDate = earliest(preorderDate, level.availabilityDate);
    nextDate = earliest(nextDate, level.availabilityDate);
    locations.push({ locationId, available: units });
  }
  const status = statusOf(available, inTransit, config);
  if (status === "preorder") return { status, available, locations, availabilityDate: isoDate(preorderDate) };
  if (status === "backorder") {
    const restock = config.leadTimeDays === undefined ? null : now + config.leadTimeDays * 24 * 60 * 60 * 1000;
    return { status, available, locations, availabilityDate: isoDate(nextDate ?? restock) };
  }
  return { status, available, locations };
}

function isoDate(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().slice(0, 10);
}

/** True when two public views would show a storefront the same thing. */
export function samePublicView(a: PublicAvailability, b: PublicAvailability): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
