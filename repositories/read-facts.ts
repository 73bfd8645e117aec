/**
 * The read model's copy of SKU master facts (`read_sku_facts`, issue 19 item 2): reading the
 * facts as `DB` has them (with the vendor's read placement and whether the vendor is being
 * moved), and upserting them into a read database, where a lower version never overwrites a
 * higher. Used by the EVENTS consumer (each batch writes its SKUs' facts first) and by the
 * master-facts push (services/sku-master.ts).
 */
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { readMoves, readSkuFacts, skuMasterPush, skus, vendors, type ReadSkuFactsRow } from "../d1/schema";
import { type D1Write, excluded, inJson, jsonEach, jsonValue, rowOf, runBatch } from "./d1-sql";

/** SKUs per facts read, and rows per facts upsert (one JSON parameter each). */
const CHUNK = 500;

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

/** One statement upserting these facts rows (from one bound JSON parameter) into a read database; an older or equal version never overwrites a newer one. */
export function readFactsStatement(db: D1Database, rows: readonly ReadSkuFactsRow[]): D1Write {
  const f = readSkuFacts;
  const values = rowOf(f, {
    sku: jsonValue("sku"),
    vendorId: jsonValue("vendorId"),
    productId: jsonValue("productId"),
    name: jsonValue("name"),
    status: jsonValue("status"),
    reorderPoint: jsonValue("reorderPoint"),
    safetyStock: jsonValue("safetyStock"),
    leadTimeDays: jsonValue("leadTimeDays"),
    allowBackorder: jsonValue("allowBackorder"),
    version: jsonValue("version"),
    updatedAt: jsonValue("updatedAt"),
  });
  return drizzle(db)
    .insert(f)
    .select(
      sql`select ${sql.join(Object.values(values), sql`, `)} from ${jsonEach(rows.map((r) => ({ ...r, allowBackorder: r.allowBackorder ? 1 : 0 })))} where true`,
    )
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
    });
}

/** Upserts facts rows into one read database (one batch of JSON-bound statements). */
export async function writeReadFacts(readDb: D1Database, rows: readonly ReadSkuFactsRow[]): Promise<void> {
  const statements: D1Write[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) statements.push(readFactsStatement(readDb, rows.slice(i, i + CHUNK)));
  if (statements.length > 0) await runBatch(readDb, statements);
}
