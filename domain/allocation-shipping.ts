/**
 * The shipping time and cost model of order routing: when a parcel leaves a location, how
 * many days it travels, when it arrives and what it costs. Pure: the current time is a
 * parameter, never read from a clock.
 *
 * Dates are UTC calendar dates (`YYYY-MM-DD`). Carriers are assumed to run every day:
 * weekends and public holidays are not modelled.
 */
import type { RoutingLocation, ShippingCostModel } from "./allocation-locations";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Road freight covers about this many km per transit day (next-day within it). */
export const KM_PER_TRANSIT_DAY = 500;

/** How an order leaves the location: carried to the ship-to point, or collected by the customer. */
export type FulfilmentMode = "ship" | "pickup";

/** When a shipment leaves and arrives. */
export interface ShippingTimes {
  /** Epoch ms when the parcel leaves (the carrier's cut-off) or, for pickup, is ready. */
  shipAt: number;
  /** UTC date of `shipAt`. */
  shipDate: string;
  /** Whole days in transit; 0 for pickup. */
  transitDays: number;
  /** UTC date the parcel is expected at the ship-to point (pickup: ready to collect). */
  deliveryDate: string;
  /** Calendar days from the date of `now` to `deliveryDate`. */
  deliveryDays: number;
}

/** Days in transit for a distance: at least one, one more per started 500 km. */
export function transitDaysFor(distanceKm: number): number {
  return Math.max(1, Math.ceil(distanceKm / KM_PER_TRANSIT_DAY));
}

/**
 * When an order released at `from` (epoch ms) leaves the location and arrives. It is packed
 * `handlingHours` later; shipped at the first local cut-off at or after that moment; then
 * travels `transitDaysFor(distanceKm)` days. A pickup order is ready as soon as it is packed
 * and has no transit. `now` only anchors `deliveryDays`.
 */
export function shippingTimes(
  location: Pick<RoutingLocation, "handlingHours" | "cutoffHour" | "utcOffsetMinutes">,
  distanceKm: number,
  mode: FulfilmentMode,
  from: number,
  now: number,
): ShippingTimes {
  const ready = from + location.handlingHours * HOUR_MS;
  let shipAt = ready;
  let transitDays = 0;
  if (mode === "ship") {
    const offset = location.utcOffsetMinutes * 60_000;
    const localReady = ready + offset;
    const localCutoff = Math.floor(localReady / DAY_MS) * DAY_MS + location.cutoffHour * HOUR_MS;
    shipAt = (localReady <= localCutoff ? localCutoff : localCutoff + DAY_MS) - offset;
    transitDays = transitDaysFor(distanceKm);
  }
  const shipDate = isoDate(shipAt);
  const deliveryDate = addDays(shipDate, transitDays);
  return { shipAt, shipDate, transitDays, deliveryDate, deliveryDays: daysBetween(isoDate(now), deliveryDate) };
}

/**
 * The estimated cost of one shipment in euro cents: `base + round(perKm × km) + perUnit ×
 * units`. Integer when `base` and `perUnit` are.
 */
export function shipmentCost(model: ShippingCostModel, distanceKm: number, units: number): number {
  return model.base + Math.round(model.perKm * distanceKm) + model.perUnit * units;
}

/** The UTC calendar date (`YYYY-MM-DD`) of an epoch-ms instant. */
export function isoDate(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/**
 * Epoch ms of 00:00 UTC on a `YYYY-MM-DD` date, or `undefined` when the text is not a real
 * calendar date in that exact form (`2026-02-30` and `2026-2-3` are refused).
 */
export function parseIsoDate(date: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const ms = Date.parse(`${date}T00:00:00Z`);
  return Number.isFinite(ms) && isoDate(ms) === date ? ms : undefined;
}

/** The date `days` calendar days after a `YYYY-MM-DD` date. */
export function addDays(date: string, days: number): string {
  return isoDate(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS);
}

/** Whole calendar days from date `a` to date `b` (negative when `b` is earlier). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}
