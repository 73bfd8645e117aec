/**
 * Location rows in D1. All locations are read at once and kept per isolate for
 * LOCATION_CACHE_MS: there are few of them and every reservation needs them.
 */
import { asc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { locationDailyLoad, locations, type LocationRow } from "../d1/schema";
import type { RoutingLocation } from "../domain/allocation-locations";
import type { LocationBody } from "../domain/schemas/master-data";

/**
 * Routing values of a location whose PUT leaves them out: the same as the D1 column defaults
 * (migration 0006), so a row written before the columns existed routes like a new one
 * (test/allocation-api.test.ts compares them).
 */
export const LOCATION_ROUTING_DEFAULTS = Object.freeze({
  shippingCost: Object.freeze({ base: 450, perKm: 0.5, perUnit: 50 }),
  handlingHours: 4,
  cutoffHour: 17,
  utcOffsetMinutes: 0,
  dailyCapacity: 10_000,
  currentLoad: 0,
  onTimeRate: 0.95,
  accuracyRate: 0.99,
});

/**
 * A location row as order routing sees it (domain/allocation-locations.ts). Its load is the
 * configured `currentLoad` plus the units it shipped today (`shippedToday`).
 */
export function routingLocationOf(row: LocationRow, shippedToday = 0): RoutingLocation {
  return {
    id: row.id,
    countryCode: row.countryCode,
    latitude: row.latitude,
    longitude: row.longitude,
    priority: row.priority,
    active: row.active,
    canShip: row.canShip,
    canPickup: row.canPickup,
    shippingCost: { base: row.shippingBase, perKm: row.shippingPerKm, perUnit: row.shippingPerUnit },
    handlingHours: row.handlingHours,
    cutoffHour: row.cutoffHour,
    utcOffsetMinutes: row.utcOffsetMinutes,
    dailyCapacity: row.dailyCapacity,
    currentLoad: row.currentLoad + shippedToday,
    onTimeRate: row.onTimeRate,
    accuracyRate: row.accuracyRate,
  };
}

const LOCATION_CACHE_MS = 5_000;
let cached: { rows: LocationRow[]; byId: Map<string, LocationRow>; expiresAt: number } | null = null;

/** Every location, best priority first (cached briefly in this isolate). */
export async function allLocations(db: D1Database): Promise<{ rows: LocationRow[]; byId: Map<string, LocationRow> }> {
  const now = Date.now();
  if (cached !== null && cached.expiresAt > now) return cached;
  const rows = await drizzle(db).select().from(locations).orderBy(asc(locations.priority), asc(locations.id)).all();
  cached = { rows, byId: new Map(rows.map((r) => [r.id, r])), expiresAt: now + LOCATION_CACHE_MS };
  return cached;
}

/** Creates or replaces a location; returns it and whether it was new. */
export async function upsertLocation(db: D1Database, id: string, body: LocationBody): Promise<{ row: LocationRow; created: boolean }> {
  const d = drizzle(db);
  const existed = (await d.select({ id: locations.id }).from(locations).where(eq(locations.id, id)).get()) !== undefined;
  const values = {
    id,
    name: body.name,
    type: body.type,
    countryCode: body.countryCode,
    city: body.city,
    latitude: body.latitude,
    longitude: body.longitude,
    canShip: body.canShip ?? true,
    canPickup: body.canPickup ?? false,
    priority: body.priority ?? 100,
    capacityUnits: body.capacityUnits ?? 0,
    active: body.active ?? true,
    shippingBase: (body.shippingCost ?? LOCATION_ROUTING_DEFAULTS.shippingCost).base,
    shippingPerKm: (body.shippingCost ?? LOCATION_ROUTING_DEFAULTS.shippingCost).perKm,
    shippingPerUnit: (body.shippingCost ?? LOCATION_ROUTING_DEFAULTS.shippingCost).perUnit,
    handlingHours: body.handlingHours ?? LOCATION_ROUTING_DEFAULTS.handlingHours,
    cutoffHour: body.cutoffHour ?? LOCATION_ROUTING_DEFAULTS.cutoffHour,
    utcOffsetMinutes: body.utcOffsetMinutes ?? LOCATION_ROUTING_DEFAULTS.utcOffsetMinutes,
    dailyCapacity: body.dailyCapacity ?? LOCATION_ROUTING_DEFAULTS.dailyCapacity,
    currentLoad: body.currentLoad ?? LOCATION_ROUTING_DEFAULTS.currentLoad,
    onTimeRate: body.onTimeRate ?? LOCATION_ROUTING_DEFAULTS.onTimeRate,
    accuracyRate: body.accuracyRate ?? LOCATION_ROUTING_DEFAULTS.accuracyRate,
  };
  const row = await d
    .insert(locations)
    .values(values)
    .onConflictDoUpdate({ target: locations.id, set: { ...values, updatedAt: sql`(unixepoch('subsec') * 1000)` } })
    .returning()
    .get();
  cached = null;
  return { row, created: !existed };
}

/** How long this isolate keeps today's shipped units per location. */
export const SHIPPED_TODAY_CACHE_MS = 30_000;
let shipped: { day: string; units: Map<string, number>; expiresAt: number } | null = null;

/**
 * Units each location shipped on `day` (UTC, `YYYY-MM-DD`), from fulfilment events
 * (`location_daily_load`, in every read database: each holds its vendors' shipments, summed
 * here); one row per location and database, read at most every SHIPPED_TODAY_CACHE_MS per
 * isolate, so routing reads no D1 per request.
 */
export async function shippedOn(readDbs: readonly D1Database[], day: string, now = Date.now()): Promise<Map<string, number>> {
  if (shipped !== null && shipped.day === day && shipped.expiresAt > now) return shipped.units;
  const perDb = await Promise.all(
    readDbs.map((db) =>
      drizzle(db)
        .select({ locationId: locationDailyLoad.locationId, units: locationDailyLoad.units })
        .from(locationDailyLoad)
        .where(eq(locationDailyLoad.day, day))
        .all(),
    ),
  );
  const units = new Map<string, number>();
  for (const r of perDb.flat()) units.set(r.locationId, (units.get(r.locationId) ?? 0) + r.units);
  shipped = { day, units, expiresAt: now + SHIPPED_TODAY_CACHE_MS };
  return shipped.units;
}

/** Drops this isolate's caches of locations and shipped units (tests that change them mid-run). */
export function forgetLocationCaches(): void {
  cached = null;
  shipped = null;
}
