/**
 * D1 side of the SKU master-facts push (services/sku-master.ts): the facts of SKUs with their
 * push version, the SKUs whose objects are behind, and what the objects acknowledged.
 */
import { and, eq, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { readMoves, readSkuFacts, skuMasterPush, skus, vendors, type ReadSkuFactsRow } from "../d1/schema";
import type { SkuMasterFacts } from "../durable-objects/sku-inventory.types";
import { type D1Write, excluded, inJson, runBatch } from "./d1-sql";

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
 * A SKU's row of `read_sku_facts` as `DB` has it now, with where it goes (its vendor's stored
 * read partition; null: home) and whether its vendor's rows are being moved (`read_moves`).
 */
export type ReadFacts = ReadSkuFactsRow & { readPartition: number | null; moving: boolean };

/** The read-model facts of these SKUs as `DB` has them now (SKUs it does not have are left out). */
export async function readFactsOf(db: D1Database, ids: readonly string[]): Promise<ReadFacts[]> {
  const out: ReadFacts[] = [];
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = await drizzle(db)
      .select({
        sku: skus.sku,
        vendorId: skus.vendorId,
        productId: skus.productId,
        name: skus.name,
        status: skus.status,
        reorderPoint: skus.reorderPoint,
        safetyStock: skus.safetyStock,
        leadTimeDays: skus.leadTimeDays,
        allowBackorder: skus.allowBackorder,
        version: sql<number>`COALESCE(${skuMasterPush.version}, 1)`,
        updatedAt: skus.updatedAt,
        readPartition: vendors.readPartition,
        moving: sql<number>`EXISTS (SELECT 1 FROM ${readMoves} WHERE ${readMoves.vendorId} = ${skus.vendorId} AND ${readMoves.state} IN ('draining', 'copying'))`,
      })
      .from(skus)
      .innerJoin(vendors, eq(vendors.id, skus.vendorId))
      .leftJoin(skuMasterPush, eq(skuMasterPush.sku, skus.sku))
      .where(inJson(skus.sku, unique.slice(i, i + CHUNK)))
      .all();
    out.push(...rows.map((r) => ({ ...r, moving: r.moving === 1 })));
  }
  return out;
}

/** Upserts facts rows into one read database; an older or equal version never overwrites a newer one. */
export async function writeReadFacts(readDb: D1Database, rows: readonly ReadSkuFactsRow[]): Promise<void> {
  const f = readSkuFacts;
  const statements: D1Write[] = [];
  // 11 columns a row and D1's 100 bound parameters a statement: 9 rows a statement, one batch.
  for (let i = 0; i < rows.length; i += 9) {
    const values = rows.slice(i, i + 9);
    statements.push(
      drizzle(readDb)
        .insert(f)
        .values([...values])
        .onConflictDoUpdate({
          target: f.sku,
          set: {
            vendorId: excluded(f.vendorId),
            productId: excluded(f.productId),
            name: excluded(f.name),
            status: excluded(f.status),
            reorderPoint: excluded(f.reorderPoint),
            safetyStock: excluded(f.safetyStock),
            leadTimeDays: excluded(f.leadTimeDays),
            allowBackorder: excluded(f.allowBackorder),
            version: excluded(f.version),
            updatedAt: excluded(f.updatedAt),
          },
          setWhere: sql`${excluded(f.version)} > ${f.version}`,
        }),
    );
  }
  await runBatch(readDb, statements);
}

/** Records the versions the read-model copies hold ([sku, version] pairs); a lower one never overwrites a higher. */
export async function acknowledgeReadFacts(db: D1Database, acked: readonly (readonly [string, number])[]): Promise<void> {
  const p = skuMasterPush;
  for (let i = 0; i < acked.length; i += CHUNK) {
    const versions = new Map(acked.slice(i, i + CHUNK).map(([sku, version]) => [sku, version]));
    const json = JSON.stringify(Object.fromEntries(versions));
    const ackedOf = sql<number>`(${json} ->> ('$."' || ${p.sku} || '"'))`;
    await drizzle(db)
      .update(p)
      .set({ readAckedVersion: ackedOf })
      .where(and(inJson(p.sku, [...versions.keys()]), lt(p.readAckedVersion, ackedOf)))
      .run();
  }
}

/** Records the versions the objects acknowledged ([sku, version] pairs); a lower one never overwrites a higher. */
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
