/**
 * Hot-SKU shard counts (D1 `sku_shards`): only sharded SKUs have a row, so the whole table is
 * small and kept in this isolate for a few seconds — the reservation path reads D1 for it about
 * once per isolate per TTL, never per request. A write here drops this isolate's copy; other
 * isolates see it within the TTL (a reservation routed by the old count is still exact: every
 * shard, retired or not, serves the reservations it holds).
 */
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { skuShards } from "../d1/schema";

const SHARD_CACHE_MS = 5_000;
let cached: { counts: Map<string, number>; expiresAt: number } | null = null;

/** Every sharded SKU's shard count (cached briefly in this isolate). */
export async function shardCounts(db: D1Database): Promise<Map<string, number>> {
  const now = Date.now();
  if (cached !== null && cached.expiresAt > now) return cached.counts;
  const rows = await drizzle(db).select({ sku: skuShards.sku, shards: skuShards.shards }).from(skuShards).all();
  cached = { counts: new Map(rows.map((r) => [r.sku, r.shards])), expiresAt: now + SHARD_CACHE_MS };
  return cached.counts;
}

/** A SKU's shard count (1: not sharded). */
export async function shardCountOf(db: D1Database, sku: string): Promise<number> {
  return (await shardCounts(db)).get(sku) ?? 1;
}

/** Sets a SKU's shard count (1 deletes its row) and drops this isolate's cache. */
export async function setShardCount(db: D1Database, sku: string, shards: number, now: number): Promise<void> {
  const d = drizzle(db);
  if (shards <= 1) await d.delete(skuShards).where(eq(skuShards.sku, sku)).run();
  else {
    await d
      .insert(skuShards)
      .values({ sku, shards, updatedAt: now })
      .onConflictDoUpdate({ target: skuShards.sku, set: { shards, updatedAt: now } })
      .run();
  }
  cached = null;
}
