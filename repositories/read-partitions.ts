/**
 * The partitioned read model (issue 19 item 2): which of the M read databases (`READ_0` …
 * `READ_<M−1>` in wrangler.toml) holds a vendor's projection rows (`inventory_levels`,
 * `processed_events`, `daily_sales`, `alerts`, `alert_cursors`).
 *
 * - **M** is the number of consecutive `READ_<i>` bindings: adding databases is configuration.
 * - **A vendor's read partition** is its home partition (`homeReadPartition`: jump hash of the
 *   vendor id over M, so vendors spread evenly) unless `vendors.read_partition` in `DB` says
 *   otherwise, which only the re-partitioning procedure writes. Every SKU of a vendor is
 *   projected there, so a vendor's lists read one database.
 * - **A SKU's vendor** is in `DB`'s `sku_directory`; its master row (`skus`) and everything
 *   else of it live in the vendor's read database (issue 19 item 3).
 * - **A SKU without master data** (not in the directory: events of a SKU deleted or never
 *   registered) is projected in `partitionOf(sku, M)`.
 *
 * Lookups of a vendor's partition are cached per isolate for `PARTITION_CACHE_MS`; the
 * re-partitioning procedure waits longer than that before it deletes a moved vendor's rows
 * from its old database, so a reader with a stale entry still finds them.
 */
import { eq, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { skuDirectory, vendors } from "../d1/schema";
import { copiesAcrossPages, keepOneCopy } from "../domain/keyset-merge";
import { byPartition } from "../domain/event-partitions";
import { homeReadPartition, placedReadPartition, readDbsOf, unownedReadPartition } from "../domain/read-partitions";
import { TtlCache } from "./ttl-cache";

export { byPartition, homeReadPartition, placedReadPartition, unownedReadPartition };

/** The read databases, in partition order. */
export function readDbs(env: Env): D1Database[] {
  return readDbsOf(env);
}

/** M: how many read databases there are. */
export function readPartitionCount(env: Env): number {
  return readDbsOf(env).length;
}

/** The read database of a partition. */
export function readDb(env: Env, partition: number): D1Database {
  const dbs = readDbsOf(env);
  const db = dbs[partition];
  if (db === undefined) throw new RangeError(`read partition ${partition} does not exist (M = ${dbs.length})`);
  return db;
}

/** How long an isolate trusts a vendor's partition it has read. */
export const PARTITION_CACHE_MS = 30_000;

const vendorCache = new TtlCache<string, number>(PARTITION_CACHE_MS, 100_000);

/** Forgets cached partitions (tests; the re-partitioning procedure after it moves a vendor). */
export function forgetReadPartitions(vendorId?: string): void {
  if (vendorId === undefined) vendorCache.clear();
  else vendorCache.delete(vendorId);
}

/**
 * The read partitions of these vendors (from `DB`, cached per isolate). A vendor with no row
 * gets its home partition (nothing of it is stored anywhere yet, so any answer is consistent).
 */
export async function vendorReadPartitions(env: Env, vendorIds: readonly string[]): Promise<Map<string, number>> {
  const m = readPartitionCount(env);
  const out = new Map<string, number>();
  const missing: string[] = [];
  for (const id of new Set(vendorIds)) {
    const cached = vendorCache.get(id);
    if (cached !== undefined && cached < m) out.set(id, cached);
    else missing.push(id);
  }
  if (missing.length > 0) {
    const rows: { id: string; partition: number | null }[] = [];
    // D1 binds at most 100 parameters per statement.
    for (let i = 0; i < missing.length; i += 90) {
      const part = missing.slice(i, i + 90);
      rows.push(...(await drizzle(env.DB).select({ id: vendors.id, partition: vendors.readPartition }).from(vendors).where(inArray(vendors.id, part)).all()));
    }
    const found = new Map(rows.map((r) => [r.id, r.partition]));
    for (const id of missing) {
      if (!found.has(id)) {
        out.set(id, homeReadPartition(id, m));
        continue;
      }
      const partition = placedReadPartition(id, found.get(id) ?? null, m);
      vendorCache.set(id, partition);
      out.set(id, partition);
    }
  }
  return out;
}

/** The read partition of one vendor. */
export async function vendorReadPartition(env: Env, vendorId: string): Promise<number> {
  return (await vendorReadPartitions(env, [vendorId])).get(vendorId)!;
}

/** The read database of one vendor. */
export async function vendorReadDb(env: Env, vendorId: string): Promise<D1Database> {
  return readDb(env, await vendorReadPartition(env, vendorId));
}

/** A SKU's place in the read model: its vendor (null without master data) and partition. */
export interface SkuReadHome {
  vendorId: string | null;
  partition: number;
}

/**
 * Where each SKU's read-model rows live: one `DB` read for the SKUs' vendors (with their
 * partitions), none for vendors cached. Every SKU asked for has an answer.
 */
export async function skuReadHomes(env: Env, skuIds: readonly string[]): Promise<Map<string, SkuReadHome>> {
  const m = readPartitionCount(env);
  const distinct = [...new Set(skuIds)];
  const owners = new Map<string, { vendorId: string; partition: number | null }>();
  for (let i = 0; i < distinct.length; i += 90) {
    const part = distinct.slice(i, i + 90);
    const rows = await drizzle(env.DB)
      .select({ sku: skuDirectory.sku, vendorId: skuDirectory.vendorId, partition: vendors.readPartition })
      .from(skuDirectory)
      .innerJoin(vendors, eq(vendors.id, skuDirectory.vendorId))
      .where(inArray(skuDirectory.sku, part))
      .all();
    for (const r of rows) owners.set(r.sku, { vendorId: r.vendorId, partition: r.partition });
  }
  const out = new Map<string, SkuReadHome>();
  for (const sku of distinct) {
    const owner = owners.get(sku);
    if (owner === undefined) {
      out.set(sku, { vendorId: null, partition: unownedReadPartition(sku, m) });
      continue;
    }
    const partition = placedReadPartition(owner.vendorId, owner.partition, m);
    vendorCache.set(owner.vendorId, partition);
    out.set(sku, { vendorId: owner.vendorId, partition });
  }
  return out;
}

/**
 * The SKUs among `skuIds` that have an owner, grouped by their vendor's read partition (one
 * `DB` read; SKUs not in the directory are left out).
 */
export async function ownedSkusByPartition(env: Env, skuIds: readonly string[]): Promise<Map<number, string[]>> {
  const homes = await skuReadHomes(env, skuIds);
  return byPartition([...homes.keys()], (sku) => {
    const home = homes.get(sku)!;
    return home.vendorId === null ? undefined : home.partition;
  });
}

/** The read database of one SKU. */
export async function skuReadDb(env: Env, sku: string): Promise<D1Database> {
  return readDb(env, (await skuReadHomes(env, [sku])).get(sku)!.partition);
}

/**
 * An operator-wide list's pages (one per read database, in partition order) with each row
 * that two databases hold (a moved vendor's, until its old rows are deleted) kept once: the
 * copy in its vendor's current database (domain/keyset-merge.ts `keepOneCopy`). One `DB` read
 * for those rows' vendors, none when no row is held twice (the usual case).
 */
export async function withoutMovedCopies<T>(
  env: Env,
  pages: readonly (readonly T[])[],
  keyOf: (row: T) => string,
  vendorOf: (row: T) => string | null,
): Promise<T[][]> {
  const copies = copiesAcrossPages(pages, keyOf);
  if (copies.size === 0) return pages.map((page) => [...page]);
  const vendorIds = [...copies.values()].flatMap(({ row }) => {
    const v = vendorOf(row);
    return v === null ? [] : [v];
  });
  const placements = await vendorReadPartitions(env, vendorIds);
  const keep = new Map<string, number>();
  for (const [key, { row }] of copies) {
    const v = vendorOf(row);
    if (v !== null) keep.set(key, placements.get(v)!);
  }
  return keepOneCopy(pages, keyOf, copies, keep);
}
