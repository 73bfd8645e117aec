/**
 * Reading a SKU's public availability from its Durable Object and the master data.
 */
import type { SkuRow } from "../../d1/schema";
import { publicAvailability, type AvailabilityStatus, type PublicViewConfig } from "../../domain/availability";
import { allLocations } from "../../repositories/locations";
import { shardedPublicLevels } from "../../services/sku-shards";

/** The public record of one SKU, as cached and served (locations are stripped unless asked for). */
export interface PublicRecord {
  sku: string;
  status: AvailabilityStatus;
  available: number;
  locations: { locationId: string; available: number }[];
  /** `preorder` and `backorder` only: the expected date of the next unit not yet promised (`YYYY-MM-DD`), or null. */
  availabilityDate?: string | null;
  updatedAt: string | null;
}

/** The view settings for a SKU: its thresholds and the active locations that sell. */
export async function publicViewConfig(env: Env, row: SkuRow): Promise<PublicViewConfig> {
  const { rows } = await allLocations(env.DB);
  return {
    reorderPoint: row.reorderPoint,
    allowBackorder: row.allowBackorder,
    leadTimeDays: row.leadTimeDays,
    sellableLocationIds: rows.filter((l) => l.active && (l.canShip || l.canPickup)).map((l) => l.id),
  };
}

/** Asks the SKU's object for its levels and computes the public record. */
export async function loadPublicRecord(env: Env, row: SkuRow): Promise<PublicRecord> {
  // A hot SKU's shards' free units count too (services/sku-shards.ts; one parallel round of calls).
  const [config, { levels, updatedAt }] = await Promise.all([publicViewConfig(env, row), shardedPublicLevels(env, row.sku)]);
  return {
    sku: row.sku,
    ...publicAvailability(levels, config),
    updatedAt: updatedAt === null ? null : new Date(updatedAt).toISOString(),
  };
}
