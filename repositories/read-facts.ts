/**
 * SKU master facts as the read model sees them (`read_sku_facts`: a view over `skus` in each
 * vendor's read database, issue 19 item 3), read for many SKUs at once with their vendor's
 * read placement and whether the vendor is being moved. Used by the EVENTS consumer (alert
 * thresholds, owner, placement of each batch's SKUs).
 */
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { readMoves, readSkuFacts, skuDirectory, vendors, type ReadSkuFactsRow } from "../d1/schema";
import { placedReadPartition, readDbsOf } from "../domain/read-partitions";
import { byPartition } from "./read-partitions";
import { inJson } from "./d1-sql";

/** SKUs per facts read (one JSON parameter). */
const CHUNK = 500;

/**
 * A SKU's row of `read_sku_facts` as its master row has it now, with where it lives (its
 * vendor's read partition, and the vendor's stored placement: null for home) and whether its
 * vendor's rows are being moved (`read_moves`).
 */
export type ReadFacts = ReadSkuFactsRow & { partition: number; readPartition: number | null; moving: boolean };

/**
 * The read-model facts of these SKUs as their master rows have them now (SKUs without one
 * are left out): one `DB` read for their owners, placement and moves (`sku_directory`,
 * `vendors`, `read_moves`), then one read per read database holding some of them (in
 * parallel). A row naming another vendor than the directory (a transfer between its steps)
 * is left out, like a missing one.
 */
export async function readFactsOf(env: Env, ids: readonly string[]): Promise<ReadFacts[]> {
  const dir = skuDirectory;
  const m = readDbsOf(env).length;
  const owners = new Map<string, { vendorId: string; readPartition: number | null; moving: boolean; partition: number }>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = await drizzle(env.DB)
      .select({
        sku: dir.sku,
        vendorId: dir.vendorId,
        readPartition: vendors.readPartition,
        moving: sql<number>`EXISTS (SELECT 1 FROM ${readMoves} WHERE ${readMoves.vendorId} = ${dir.vendorId} AND ${readMoves.state} IN ('draining', 'copying'))`,
      })
      .from(dir)
      .innerJoin(vendors, eq(vendors.id, dir.vendorId))
      .where(inJson(dir.sku, unique.slice(i, i + CHUNK)))
      .all();
    for (const r of rows) owners.set(r.sku, { ...r, moving: r.moving === 1, partition: placedReadPartition(r.vendorId, r.readPartition, m) });
  }
  const groups = byPartition(owners.keys(), (sku) => owners.get(sku)!.partition);
  const pages = await Promise.all(
    [...groups].flatMap(([p, list]) => {
      const reads = [];
      for (let i = 0; i < list.length; i += CHUNK) reads.push(masterFactsRows(readDbsOf(env)[p]!, list.slice(i, i + CHUNK)));
      return reads;
    }),
  );
  const out: ReadFacts[] = [];
  for (const row of pages.flat()) {
    const owner = owners.get(row.sku);
    if (owner === undefined || owner.vendorId !== row.vendorId) continue;
    out.push({ ...row, partition: owner.partition, readPartition: owner.readPartition, moving: owner.moving });
  }
  return out;
}

/** The facts rows of these SKUs in one read database (the `read_sku_facts` view over their master rows and push versions). */
function masterFactsRows(db: D1Database, ids: readonly string[]): Promise<ReadSkuFactsRow[]> {
  return drizzle(db).select().from(readSkuFacts).where(inJson(readSkuFacts.sku, ids)).all();
}
