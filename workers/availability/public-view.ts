/**
 * Reading a SKU's public availability from its Durable Object and the master data.
 */
import type { SkuRow } from "../../d1/schema";
import { publicAvailability, type AvailabilityStatus, type PublicLevel, type PublicViewConfig } from "../../domain/availability";
import { allLocations } from "../../repositories/locations";
import { findSkus } from "../../repositories/skus";
import { shardedPublicLevels, shardedPublicView } from "../../services/sku-shards";

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

/** What the public view needs of a SKU's master data: a D1 row, or the facts its object holds. */
export type ViewSettings = Pick<SkuRow, "reorderPoint" | "allowBackorder" | "leadTimeDays">;

/** The view settings for a SKU: its thresholds and the active locations that sell. */
export async function publicViewConfig(env: Env, row: ViewSettings): Promise<PublicViewConfig> {
  const { rows } = await allLocations(env.DB);
  return {
    reorderPoint: row.reorderPoint,
    allowBackorder: row.allowBackorder,
    leadTimeDays: row.leadTimeDays,
    sellableLocationIds: rows.filter((l) => l.active && (l.canShip || l.canPickup)).map((l) => l.id),
  };
}

function recordOf(sku: string, config: PublicViewConfig, { levels, updatedAt }: { levels: PublicLevel[]; updatedAt: number | null }): PublicRecord {
  return {
    sku,
    ...publicAvailability(levels, config),
    updatedAt: updatedAt === null ? null : new Date(updatedAt).toISOString(),
  };
}

/**
 * Asks the SKU's object for its levels and computes the public record with the D1 row's
 * settings. A hot SKU's shards' free units count too (services/sku-shards.ts; one parallel
 * round of calls).
 */
export async function loadPublicRecord(env: Env, row: SkuRow): Promise<PublicRecord> {
  const [config, levels] = await Promise.all([publicViewConfig(env, row), shardedPublicLevels(env, row.sku)]);
  return recordOf(row.sku, config, levels);
}

/**
 * The public record of a SKU known to exist (a cached entry's refresh): its levels and the
 * master facts its object holds (pushed after every master-data write, repaired by the
 * sweep), one call to the object (`publicView`) and no D1 read; the D1 row only while the object holds no
 * facts yet. Null if D1 has no such SKU either. Never for a SKU not known to exist: a call
 * would create its object.
 */
export async function loadKnownPublicRecord(env: Env, sku: string): Promise<PublicRecord | null> {
  const { facts, ...levels } = await shardedPublicView(env, sku);
  const settings = facts ?? (await findSkus(env, [sku])).get(sku);
  return settings === undefined ? null : recordOf(sku, await publicViewConfig(env, settings), levels);
}
