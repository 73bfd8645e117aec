/**
 * D1 side of the SKU master-facts push (services/sku-master.ts): the facts of SKUs with their
 * push version, the SKUs whose objects are behind, and what the objects acknowledged.
 */
import { and, eq, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { skuMasterPush, skus } from "../d1/schema";
import type { SkuMasterFacts } from "../durable-objects/sku-inventory.types";
import { inJson } from "./d1-sql";

/** Rows per JSON-bound statement. */
const CHUNK = 1000;

/** The facts of these SKUs as D1 has them now, with their push version (SKUs it does not have are left out). */
export async function masterFactsOf(db: D1Database, ids: readonly string[]): Promise<SkuMasterFacts[]> {
  const out: SkuMasterFacts[] = [];
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += CHUNK) {
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
      .where(inJson(skus.sku, unique.slice(i, i + CHUNK)))
      .all();
    out.push(...rows);
  }
  return out;
}

/** SKUs whose objects or read-model copies have not acknowledged their current version, at most `limit`. */
export async function skusBehind(db: D1Database, limit: number): Promise<string[]> {
  const p = skuMasterPush;
  const half = Math.max(1, Math.ceil(limit / 2));
  // Two index scans (each a partial index), so neither kind of lag starves the other.
  const [objects, reads] = await Promise.all([
    drizzle(db).select({ sku: p.sku }).from(p).where(lt(p.ackedVersion, p.version)).limit(half).all(),
    drizzle(db).select({ sku: p.sku }).from(p).where(lt(p.readAckedVersion, p.version)).limit(half).all(),
  ]);
  return [...new Set([...objects, ...reads].map((r) => r.sku))].slice(0, limit);
}

/**
 * Records acknowledged versions ([sku, version] pairs) in `column`: the objects'
 * (`ackedVersion`) or the read-model copies' (`readAckedVersion`); a lower one never
 * overwrites a higher.
 */
async function acknowledge(db: D1Database, column: "ackedVersion" | "readAckedVersion", acked: readonly (readonly [string, number])[]): Promise<void> {
  const p = skuMasterPush;
  for (let i = 0; i < acked.length; i += CHUNK) {
    const versions = new Map(acked.slice(i, i + CHUNK).map(([sku, version]) => [sku, version]));
    // One statement per chunk: the acknowledged version is looked up in the JSON object by SKU.
    const json = JSON.stringify(Object.fromEntries(versions));
    const ackedOf = sql<number>`(${json} ->> ('$."' || ${p.sku} || '"'))`;
    await drizzle(db)
      .update(p)
      .set({ [column]: ackedOf })
      .where(and(inJson(p.sku, [...versions.keys()]), lt(p[column], ackedOf)))
      .run();
  }
}

/** Records the versions the SKU objects acknowledged. */
export function acknowledgeMasters(db: D1Database, acked: readonly (readonly [string, number])[]): Promise<void> {
  return acknowledge(db, "ackedVersion", acked);
}

/** Records the versions the read-model copies (`read_sku_facts`) hold. */
export function acknowledgeReadFacts(db: D1Database, acked: readonly (readonly [string, number])[]): Promise<void> {
  return acknowledge(db, "readAckedVersion", acked);
}
