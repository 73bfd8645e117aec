/**
 * Location rows in D1. All locations are read at once and kept per isolate for
 * LOCATION_CACHE_MS: there are few of them and every reservation needs them.
 */
import { asc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { locations, type LocationRow } from "../../d1/schema";
import type { LocationBody } from "../schemas/master-data";

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
