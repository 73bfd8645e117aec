/**
 * D1 side of the SKU master-facts push (services/sku-master.ts): the facts of SKUs with their
 * push version, the SKUs whose objects are behind, and what the objects acknowledged — all in
 * the read database of each SKU's vendor, where its `skus` and `sku_master_push` rows live
 * (issue 19 item 3).
 */
import { and, eq, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { skuMasterPush, skus } from "../d1/schema";
import { MASTER_FACTS_COLUMNS } from "../durable-objects/sku-inventory/d1-reads";
import type { SkuMasterFacts } from "../durable-objects/sku-inventory.types";
import { inJson } from "./d1-sql";
import { ownedSkusByPartition, readDb, readDbs } from "./read-partitions";

/** Rows per JSON-bound statement. */
const CHUNK = 1000;

/** A SKU's facts with the read partition its master row lives in. */
export interface LocatedFacts {
  partition: number;
  facts: SkuMasterFacts;
}

/**
 * The facts of these SKUs as their master rows have them now, with their push version and
 * partition (SKUs without a row are left out): one `DB` read for their owners, then their
 * vendors' read databases (repositories/read-facts.ts `readFactsOf`).
 */
export async function masterFactsOf(env: Env, ids: readonly string[]): Promise<LocatedFacts[]> {
  const groups = await ownedSkusByPartition(env, ids);
  const pages = await Promise.all(
    [...groups].flatMap(([partition, list]) => {
      const reads: Promise<LocatedFacts[]>[] = [];
      for (let i = 0; i < list.length; i += CHUNK) {
        reads.push(
          drizzle(readDb(env, partition))
            .select(MASTER_FACTS_COLUMNS)
            .from(skus)
            .leftJoin(skuMasterPush, eq(skuMasterPush.sku, skus.sku))
            .where(inJson(skus.sku, list.slice(i, i + CHUNK)))
            .all()
            .then((rows) => rows.map((facts) => ({ partition, facts }))),
        );
      }
      return reads;
    }),
  );
  return pages.flat();
}

/** SKUs whose objects have not acknowledged their current version, at most `limit` in each read database (their master rows' databases), by partition. */
export async function skusBehind(env: Env, limit: number): Promise<Map<number, string[]>> {
  const p = skuMasterPush;
  const out = new Map<number, string[]>();
  await Promise.all(
    readDbs(env).map(async (db, partition) => {
      // The partial index sku_master_push_behind.
      const behind = await drizzle(db).select({ sku: p.sku }).from(p).where(lt(p.ackedVersion, p.version)).limit(limit).all();
      if (behind.length > 0)
        out.set(
          partition,
          behind.map((r) => r.sku),
        );
    }),
  );
  return out;
}

/** Records the versions the SKU objects acknowledged ([sku, version] pairs); a lower one never overwrites a higher. */
export async function acknowledgeMasters(db: D1Database, acked: readonly (readonly [string, number])[]): Promise<void> {
  const p = skuMasterPush;
  for (let i = 0; i < acked.length; i += CHUNK) {
    const versions = new Map(acked.slice(i, i + CHUNK).map(([sku, version]) => [sku, version]));
    // One statement per chunk: the acknowledged version is looked up in the JSON object by SKU.
    const json = JSON.stringify(Object.fromEntries(versions));
    const ackedOf = sql<number>`(${json} ->> ('$."' || ${p.sku} || '"'))`;
    await drizzle(db)
      .update(p)
      .set({ ackedVersion: ackedOf })
      .where(and(inJson(p.sku, [...versions.keys()]), lt(p.ackedVersion, ackedOf)))
      .run();
  }
}
