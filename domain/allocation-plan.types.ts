/**
 * The plain data that goes into and comes out of order routing (`planAllocation` in
 * allocation-plan.ts). Everything is JSON-safe: the API can return a plan as it is and a
 * coordinator can store one.
 */
import type { GeoPoint } from "./allocation-geo";
import type { RoutingLocation } from "./allocation-locations";
import type { FulfilmentMode } from "./allocation-shipping";

export const ALLOCATION_STRATEGIES = ["nearest", "lowest_cost", "fastest", "single_shipment", "balanced", "performance", "hybrid"] as const;
/** How locations are ranked for lines that name none (docs/allocation.md). */
export type AllocationStrategy = (typeof ALLOCATION_STRATEGIES)[number];

/** Relative weights of the hybrid strategy's normalised scores; only their ratios matter. */
export interface HybridWeights {
  delivery: number;
  cost: number;
  performance: number;
}

/** The spec's default: delivery time 40%, cost 30%, performance 30%. */
export const DEFAULT_HYBRID_WEIGHTS: Readonly<HybridWeights> = Object.freeze({ delivery: 40, cost: 30, performance: 30 });

/** Cost of each shipment after the first, in euro cents, unless the request says otherwise. */
export const DEFAULT_EXTRA_SHIPMENT_COST = 250;

/** Where the order goes: coordinates, or a country code resolved to its centroid. */
export type ShipTo = GeoPoint | { countryCode: string };

/** One order line. */
export interface OrderLine {
  /**
   * The caller's id for the line (e.g. its index in the request), unique within the order.
   * When omitted it is derived from the content (`sku|location|quantity`, plus `|2`, `|3`…
   * for identical lines), so the plan does not depend on the order of the lines.
   */
  lineId?: string;
  sku: string;
  quantity: number;
  /** Pinned: served only from this location. */
  locationId?: string;
}

/** A dated inbound arrival (open purchase order or transfer) at a location. */
export interface InboundArrival {
  quantity: number;
  /** `YYYY-MM-DD`. */
  expectedDate: string;
}

/**
 * A SKU's stock at one location, as its SkuInventory object reports it. An entry means the
 * SKU is stocked there (it has a stock row), even with nothing available; backorders of
 * lines without a location go only to such locations or to ones with inbound arrivals.
 */
export interface SkuStockLevel {
  sku: string;
  locationId: string;
  /**
   * Units a new line of the reservation's type may take here: for a hard reservation the
   * location's `available` (negative when backorders were accepted), for a soft hold the hold
   * headroom (`room()` in the SKU object). Negative counts as none.
   */
  available: number;
  inbound?: InboundArrival[];
}

/** What routing needs from a SKU's master data. */
export interface SkuRoutingPolicy {
  sku: string;
  allowBackorder: boolean;
  /** Days until a replenishment arrives when no inbound arrival covers a backorder. */
  leadTimeDays: number;
}

/** The defaults for a SKU without a policy entry (as the `skus` table's defaults). */
export const DEFAULT_SKU_ROUTING_POLICY: Readonly<Omit<SkuRoutingPolicy, "sku">> = Object.freeze({ allowBackorder: false, leadTimeDays: 7 });

export interface AllocationOptions {
  strategy: AllocationStrategy;
  /** Required unless the order is picked up. */
  shipTo?: ShipTo;
  /** At most this many shipments (pinned lines' shipments are always kept, even beyond it). */
  maxShipments?: number;
  /** `YYYY-MM-DD`: locations that cannot deliver by this date are not used. */
  requiredBy?: string;
  /** The customer collects the whole order at this location (it must offer pickup). */
  pickupLocationId?: string;
  /** Hybrid strategy only; defaults to `DEFAULT_HYBRID_WEIGHTS`. */
  weights?: HybridWeights;
  /** Euro cents per shipment after the first; defaults to `DEFAULT_EXTRA_SHIPMENT_COST`. */
  extraShipmentCost?: number;
}

/** Everything a plan depends on, besides `now`. */
export interface AllocationRequest {
  lines: OrderLine[];
  locations: RoutingLocation[];
  stock: SkuStockLevel[];
  policies?: SkuRoutingPolicy[];
  options: AllocationOptions;
}

/** The metric a strategy ranks by, and which way is better. */
export type RankingMetric = "distance_km" | "cost" | "delivery_days" | "load_ratio" | "performance" | "hybrid_score";

/** What routing measured about a candidate location for this order. */
export interface LocationMetrics {
  /** Great-circle km to the ship-to point, 0.1 km; 0 for pickup. */
  distanceKm: number;
  transitDays: number;
  shipAt: number;
  shipDate: string;
  deliveryDate: string;
  deliveryDays: number;
  /** Cost in cents of one shipment carrying all the order's unpinned units from here. */
  estimatedCost: number;
  /** (current load + the order's unpinned units) ÷ daily capacity, 4 decimals; 1 when capacity is 0. */
  loadRatio: number;
  /** Mean of on-time and accuracy rates, 4 decimals. */
  performance: number;
}

/** One candidate location in the strategy's order, with why it is there. */
export interface RankedLocation {
  locationId: string;
  /** 1 = best. */
  rank: number;
  metric: RankingMetric;
  score: number;
  better: "lower" | "higher";
  priority: number;
  /** What put it before or after candidates with the same score: priority, else id; null when none tied. */
  tieBreak: "priority" | "id" | null;
  metrics: LocationMetrics;
  /** Hybrid only: the normalised component scores (1 = best candidate, 0 = worst). */
  components?: { delivery: number; cost: number; performance: number };
}

/** Why a shipment's location was chosen. */
export type ShipmentReason =
  /** Only pinned lines. */
  | "pinned"
  /** The customer collects here. */
  | "pickup"
  /** Taken in the strategy's ranking order. */
  | "ranked"
  /** Part of the smallest set of locations that serves the most units (single_shipment). */
  | "fewest_shipments"
  /** Part of the cheapest set of locations that serves the most units (lowest_cost). */
  | "lowest_total_cost"
  /** Part of the best-ranked set of locations within `maxShipments`. */
  | "max_shipments";

export interface ShipmentLine {
  lineId: string;
  sku: string;
  quantity: number;
  pinned: boolean;
}

export interface PlannedShipment {
  locationId: string;
  mode: FulfilmentMode;
  /** Sorted by SKU, then line id. */
  lines: ShipmentLine[];
  units: number;
  distanceKm: number;
  transitDays: number;
  shipAt: number;
  shipDate: string;
  estimatedDeliveryDate: string;
  /** Euro cents (`base + perKm × km + perUnit × units`; 0 for pickup). */
  estimatedCost: number;
  reason: ShipmentReason;
  /** The location's place in `plan.ranking`; null for a shipment of pinned lines only. */
  rank: number | null;
  score: number | null;
}

/** Units accepted beyond stock, to be served when stock arrives. */
export interface PlannedBackorder {
  lineId: string;
  sku: string;
  locationId: string;
  quantity: number;
  pinned: boolean;
  /** `YYYY-MM-DD` the units are expected at the location. */
  expectedDate: string;
  /** `inbound`: an inbound arrival covers them; `lead_time`: the SKU's lead time from today (or the last arrival, if later). */
  basis: "inbound" | "lead_time";
  estimatedDeliveryDate: string;
}

/** Why part of a line is neither allocated nor backordered. */
export type ShortfallReason =
  /** No usable location has the units and backorders are not allowed. */
  | "insufficient_stock"
  /** Backorders are allowed but no usable location stocks or expects the SKU. */
  | "no_backorder_location"
  /** The units exist only where delivery would miss `requiredBy`. */
  | "misses_required_by"
  /** The units exist only at locations that `maxShipments` left out. */
  | "max_shipments"
  /** The pinned location is inactive or cannot ship. */
  | "location_unavailable"
  /** Pickup order with a line pinned to another location. */
  | "not_at_pickup_location";

export interface UnallocatedLine {
  lineId: string;
  sku: string;
  /** The pinned location, if any. */
  locationId: string | null;
  quantity: number;
  reason: ShortfallReason;
}

/** What happened to one line. */
export interface LineOutcome {
  lineId: string;
  sku: string;
  locationId: string | null;
  requested: number;
  allocated: number;
  backordered: number;
  unallocated: number;
}

/** How the locations for the unpinned lines were chosen. */
export interface SourceSelection {
  /** `greedy`: in ranking order; `exact`: every subset of the candidates compared; `greedy_fallback`: too many candidates for an exact search. */
  method: "greedy" | "exact" | "greedy_fallback";
  candidates: number;
  setsEvaluated: number;
}

export interface AllocationPlan {
  strategy: AllocationStrategy;
  mode: FulfilmentMode;
  /** The resolved ship-to point (null for pickup). */
  shipTo: GeoPoint | null;
  /** `complete`: everything from stock; `with_backorders`: the rest accepted as backorders; `short`: some units unallocated. */
  status: "complete" | "with_backorders" | "short";
  /** Sorted by rank (pinned-only shipments last), then location id. */
  shipments: PlannedShipment[];
  backorders: PlannedBackorder[];
  unallocated: UnallocatedLine[];
  /** Every line, by line id. */
  lines: LineOutcome[];
  /** The candidates for unpinned lines in the strategy's order. */
  ranking: RankedLocation[];
  selection: SourceSelection;
  totals: {
    requested: number;
    allocated: number;
    backordered: number;
    unallocated: number;
    shipments: number;
    /** Σ shipment costs, cents. */
    shippingCost: number;
    /** `extraShipmentCost × (shipments − 1)`, cents. */
    extraShipmentsCost: number;
    totalCost: number;
  };
  /** The last shipment's ship date (the order has fully left); null without shipments. */
  estimatedShipDate: string | null;
  /** The last shipment's delivery date; null without shipments. */
  estimatedDeliveryDate: string | null;
}

/** One reason a request cannot be planned, with the path of the offending field. */
export interface AllocationInputProblem {
  path: (string | number)[];
  code: string;
  message: string;
}
