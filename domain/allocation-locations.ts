/**
 * The location master data that order routing needs, and who may serve an order. Pure.
 *
 * These fields extend the `locations` table (D1); the routing code reads nothing else about
 * a location. Money is in minor currency units (euro cents) so shipment costs are integers.
 */
import { isValidPoint } from "./allocation-geo";

/**
 * What one shipment from a location costs: `base + perKm × distance + perUnit × units`, in
 * euro cents. `perKm` may be fractional (0.5 = half a cent per km); the total is rounded.
 */
export interface ShippingCostModel {
  /** Per shipment: picking, packing, label. */
  base: number;
  /** Per km of great-circle distance to the ship-to point. */
  perKm: number;
  /** Per unit in the shipment. */
  perUnit: number;
}

/** A location as routing sees it. */
export interface RoutingLocation {
  id: string;
  /** ISO 3166-1 alpha-2 of the building (informational; distance uses the coordinates). */
  countryCode: string;
  latitude: number;
  longitude: number;
  /** Lower number = preferred (as in `locations.priority`); decides ties, then `id`. */
  priority: number;
  active: boolean;
  canShip: boolean;
  canPickup: boolean;
  shippingCost: ShippingCostModel;
  /** Hours from an order's release until it is packed and ready for the carrier. */
  handlingHours: number;
  /**
   * The carrier collects once a day at this local hour (0 < h ≤ 24, fractions allowed:
   * 16.5 = 16:30). What is packed by then leaves that day, anything later the next day.
   */
  cutoffHour: number;
  /**
   * The location's fixed offset from UTC in minutes (+60 for Paris in winter). Deliberately
   * a fixed offset, not a time-zone name: routing stays pure and deterministic, at the cost
   * of being an hour off around the cut-off during daylight-saving time.
   */
  utcOffsetMinutes: number;
  /** Units the location can ship in one day. */
  dailyCapacity: number;
  /** Units already scheduled to ship today. */
  currentLoad: number;
  /** Share of shipments delivered on time, 0..1. */
  onTimeRate: number;
  /** Share of shipments picked without error, 0..1. */
  accuracyRate: number;
}

/** One thing wrong with a location's routing data, with the field it concerns. */
export interface LocationDataProblem {
  field: string;
  message: string;
}

/** True when the location may send parcels: active and able to ship. */
export function canShipFrom(location: RoutingLocation): boolean {
  return location.active && location.canShip;
}

/** True when customers may collect orders there: active and offering pickup. */
export function canPickupAt(location: RoutingLocation): boolean {
  return location.active && location.canPickup;
}

/**
 * The tie rule between two locations: the better (lower) priority first, then the smaller
 * id (code-unit order, as SQL's `ORDER BY priority, id` in the locations repository).
 */
export function compareByPriority(a: Pick<RoutingLocation, "id" | "priority">, b: Pick<RoutingLocation, "id" | "priority">): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Checks a location's routing data: coordinates in range, costs, hours, capacity and load
 * non-negative and finite, cut-off in (0, 24], offset within ±14 h, rates within 0..1.
 * Returns every problem (empty when the data is usable).
 */
export function locationDataProblems(location: RoutingLocation): LocationDataProblem[] {
  const problems: LocationDataProblem[] = [];
  const nonNegative = (field: string, value: number) => {
    if (!Number.isFinite(value) || value < 0) problems.push({ field, message: `${field} must be a finite number ≥ 0` });
  };
  if (typeof location.id !== "string" || location.id.length === 0) problems.push({ field: "id", message: "id must be a non-empty string" });
  if (!isValidPoint(location)) problems.push({ field: "latitude", message: "coordinates must be within ±90° latitude and ±180° longitude" });
  if (!Number.isFinite(location.priority)) problems.push({ field: "priority", message: "priority must be a finite number" });
  nonNegative("shippingCost.base", location.shippingCost.base);
  nonNegative("shippingCost.perKm", location.shippingCost.perKm);
  nonNegative("shippingCost.perUnit", location.shippingCost.perUnit);
  nonNegative("handlingHours", location.handlingHours);
  nonNegative("dailyCapacity", location.dailyCapacity);
  nonNegative("currentLoad", location.currentLoad);
  if (!(location.cutoffHour > 0 && location.cutoffHour <= 24)) problems.push({ field: "cutoffHour", message: "cutoffHour must be in (0, 24]" });
  if (!(Number.isInteger(location.utcOffsetMinutes) && Math.abs(location.utcOffsetMinutes) <= 14 * 60)) {
    problems.push({ field: "utcOffsetMinutes", message: "utcOffsetMinutes must be an integer within ±840" });
  }
  for (const field of ["onTimeRate", "accuracyRate"] as const) {
    const rate = location[field];
    if (!(rate >= 0 && rate <= 1)) problems.push({ field, message: `${field} must be within 0..1` });
  }
  return problems;
}
