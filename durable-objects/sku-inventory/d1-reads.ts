/**
 * The SKU object's two reads of D1, both off the request path: which sent events the EVENTS
 * consumer applied (the outbox confirmation, once a minute after a send) and the SKU's master
 * facts (the one-time fill, sku-inventory/master.ts). Drizzle over d1/schema.ts like every D1
 * query; objects may import the schema, never repositories/ (test/node/layers.test.ts), so
 * these two are typed here.
 */
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { processedEvents, skuMasterPush, skus, vendors } from "../../d1/schema";
import { placedReadPartition, readDbsOf, unownedReadPartition } from "../../domain/read-partitions";
import type { SkuMasterFacts } from "../sku-inventory.types";

/**
 * Which of these event ids (all of SKU `sku`) are in `processed_events`, in the SKU's read
 * database (domain/read-partitions.ts): one read of `DB` for its vendor's placement, one of
 * that database. The ids go as one JSON parameter: a batch can exceed D1's 100 bound values.
 */
export async function appliedEventIds(env: Env, sku: string, eventIds: readonly string[]): Promise<Set<string>> {
  const dbs = readDbsOf(env);
  const owner = await drizzle(env.DB)
    .select({ vendorId: skus.vendorId, readPartition: vendors.readPartition })
    .from(skus)
    .innerJoin(vendors, eq(vendors.id, skus.vendorId))
    .where(eq(skus.sku, sku))
    .get();
  const partition = owner === undefined ? unownedReadPartition(sku, dbs.length) : placedReadPartition(owner.vendorId, owner.readPartition, dbs.length);
  const pe = processedEvents;
  const rows = await drizzle(dbs[partition]!)
    .select({ eventId: pe.eventId })
    .from(pe)
    .where(sql`${pe.eventId} IN (SELECT value FROM json_each(${JSON.stringify(eventIds)}))`)
    .all();
  return new Set(rows.map((r) => r.eventId));
}

/** The SKU's facts as D1 has them now, with their push version (the same read as repositories/sku-master.ts `masterFactsOf`), or null. */
export async function masterFactsFromD1(db: D1Database, sku: string): Promise<SkuMasterFacts | null> {
  const rows = await drizzle(db)
    .select({
      sku: skus.sku,
      vendorId: skus.vendorId,
      status: skus.status,
      allowBackorder: skus.allowBackorder,
      softBufferPct: skus.softBufferPct,
      reorderPoint: skus.reorderPoint,
      leadTimeDays: skus.leadTimeDays,
      updatedAt: skus.updatedAt,
      version: sql<number>`COALESCE(${skuMasterPush.version}, 1)`,
    })
    .from(skus)
    .leftJoin(skuMasterPush, eq(skuMasterPush.sku, skus.sku))
    .where(eq(skus.sku, sku))
    .limit(1)
    .all();
  return rows[0] ?? null;
}
