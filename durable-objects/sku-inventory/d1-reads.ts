/**
 * The SKU object's two reads of D1, both off the request path: which sent events the EVENTS
 * consumer applied (the outbox confirmation, 5 s after a send and, for any still missing, a minute after it) and the SKU's master
 * facts (the one-time fill, sku-inventory/master.ts). Each reads the SKU's owner from `DB`'s
 * `sku_directory`, then the owner's read database. Drizzle over d1/schema.ts like every D1
 * query; objects may import the schema, never repositories/ (test/node/layers.test.ts), so
 * these two are typed here.
 */
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { processedEvents, skuDirectory, skuMasterPush, skus, vendors } from "../../d1/schema";
import { placedReadPartition, readDbsOf, unownedReadPartition } from "../../domain/read-partitions";
import type { SkuMasterFacts } from "../sku-inventory.types";

/**
 * Which of these event ids (all of SKU `sku`) are in `processed_events`, in the SKU's read
 * database (domain/read-partitions.ts): one read of `DB` for its vendor's placement, one of
 * that database. The ids go as one JSON parameter: a batch can exceed D1's 100 bound values.
 */
export async function appliedEventIds(env: Env, sku: string, eventIds: readonly string[]): Promise<Set<string>> {
  const dbs = readDbsOf(env);
  const partition = await readPartitionOf(env, sku);
  const pe = processedEvents;
  const rows = await drizzle(dbs[partition]!)
    .select({ eventId: pe.eventId })
    .from(pe)
    .where(sql`${pe.eventId} IN (SELECT value FROM json_each(${JSON.stringify(eventIds)}))`)
    .all();
  return new Set(rows.map((r) => r.eventId));
}

/** The SKU's owner from `DB`'s directory with the owner's placement, or undefined for a SKU without master data. */
async function ownerOf(env: Env, sku: string): Promise<{ vendorId: string; readPartition: number | null } | undefined> {
  return drizzle(env.DB)
    .select({ vendorId: skuDirectory.vendorId, readPartition: vendors.readPartition })
    .from(skuDirectory)
    .innerJoin(vendors, eq(vendors.id, skuDirectory.vendorId))
    .where(eq(skuDirectory.sku, sku))
    .get();
}

/** The read partition of the SKU's rows (domain/read-partitions.ts): its vendor's, or its own hash without an owner. */
async function readPartitionOf(env: Env, sku: string): Promise<number> {
  const m = readDbsOf(env).length;
  const owner = await ownerOf(env, sku);
  return owner === undefined ? unownedReadPartition(sku, m) : placedReadPartition(owner.vendorId, owner.readPartition, m);
}

/** What a SKU object keeps of its master row (`SkuMasterFacts`), as columns of `skus` and its push version; also read by repositories/sku-master.ts `masterFactsOf`. */
export const MASTER_FACTS_COLUMNS = {
  sku: skus.sku,
  vendorId: skus.vendorId,
  status: skus.status,
  allowBackorder: skus.allowBackorder,
  softBufferPct: skus.softBufferPct,
  reorderPoint: skus.reorderPoint,
  leadTimeDays: skus.leadTimeDays,
  updatedAt: skus.updatedAt,
  version: sql<number>`COALESCE(${skuMasterPush.version}, 1)`,
};

/**
 * The SKU's facts as D1 has them now, with their push version (the same read as
 * repositories/sku-master.ts `masterFactsOf`), or null: its owner from `DB`'s directory, then
 * its master row from the owner's read database (issue 19 item 3).
 */
export async function masterFactsFromD1(env: Env, sku: string): Promise<SkuMasterFacts | null> {
  const owner = await ownerOf(env, sku);
  if (owner === undefined) return null;
  const dbs = readDbsOf(env);
  const db = dbs[placedReadPartition(owner.vendorId, owner.readPartition, dbs.length)]!;
  const rows = await drizzle(db)
    .select(MASTER_FACTS_COLUMNS)
    .from(skus)
    .leftJoin(skuMasterPush, eq(skuMasterPush.sku, skus.sku))
    .where(eq(skus.sku, sku))
    .limit(1)
    .all();
  const row = rows[0];
  return row !== undefined && row.vendorId === owner.vendorId ? row : null;
}
