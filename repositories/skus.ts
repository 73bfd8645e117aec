/**
 * SKU and product rows in D1. Reservation policy (backorders, soft buffer) is read on every
 * reservation, so found SKUs are kept per isolate for SKU_CACHE_MS; writes through this
 * module drop their entries at once, other isolates see changes within that time.
 */
import { and, eq, exists, inArray, notExists, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { QueryBuilder } from "drizzle-orm/sqlite-core";
import { products, skus, type SkuRow } from "../d1/schema";
import { type D1Write, excluded, guardedRow, jsonEach, jsonValue } from "./d1-sql";
import { TtlCache } from "./ttl-cache";

const SKU_CACHE_MS = 5_000;
const skuCache = new TtlCache<string, SkuRow>(SKU_CACHE_MS, 20_000);
/** Rows per JSON-bound statement: one bound parameter carries a whole chunk. */
const CHUNK = 1000;

/** The SKUs found among `ids` (unknown ids are simply absent). */
export async function findSkus(db: D1Database, ids: readonly string[]): Promise<Map<string, SkuRow>> {
  const found = new Map<string, SkuRow>();
  const missing: string[] = [];
  for (const id of new Set(ids)) {
    const hit = skuCache.get(id);
    if (hit !== undefined) found.set(id, hit);
    else missing.push(id);
  }
  for (let i = 0; i < missing.length; i += CHUNK) {
    const chunk = missing.slice(i, i + CHUNK);
    const rows =
      chunk.length <= 90
        ? await drizzle(db).select().from(skus).where(inArray(skus.sku, chunk)).all()
        : await drizzle(db)
            .select()
            .from(skus)
            .where(sql`${skus.sku} IN (SELECT value FROM json_each(${JSON.stringify(chunk)}))`)
            .all();
    for (const row of rows) {
      skuCache.set(row.sku, row);
      found.set(row.sku, row);
    }
  }
  return found;
}

/** Product id → owning vendor, for the products among `ids` that exist. */
export async function productOwners(db: D1Database, ids: readonly string[]): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = await drizzle(db)
      .select({ id: products.id, vendorId: products.vendorId })
      .from(products)
      .where(sql`${products.id} IN (SELECT value FROM json_each(${JSON.stringify(unique.slice(i, i + CHUNK))}))`)
      .all();
    for (const r of rows) owners.set(r.id, r.vendorId);
  }
  return owners;
}

/** A complete SKU row to write (timestamps aside). */
export type SkuWrite = Omit<SkuRow, "createdAt" | "updatedAt">;

/** What an upsert found, in its own transaction, before it wrote. */
export interface UpsertOutcome {
  /** True when nothing was written because some SKU or product belongs to another vendor. */
  refused: boolean;
  /** SKUs that existed, and their owner at that moment. */
  owners: Map<string, string>;
  /** SKUs of the batch whose owner was another vendor than the row's. */
  skuConflicts: string[];
  /** Products of the batch owned by another vendor than the rows naming them. */
  productConflicts: string[];
}

/**
 * Inserts or updates SKUs (complete rows) and creates their products where missing, in one
 * D1 batch (one transaction), all or none, with one JSON-bound statement per CHUNK rows.
 *
 * Ownership is part of the write, not a separate read (issue 12): every statement is
 * conditional on no SKU and no product of the whole batch belonging to another vendor than
 * the row gives, as the transaction sees them, and an update never changes `vendor_id` (that
 * is `transferSku`). The batch's first statement reports what the transaction saw, so the
 * answer says exactly why nothing was written. Two vendors creating the same new SKU at once:
 * the second transaction sees the first one's row and writes nothing.
 */
export async function upsertSkus(
  db: D1Database,
  rows: readonly SkuWrite[],
  productNames: ReadonlyMap<string, { vendorId: string; name: string }>,
): Promise<UpsertOutcome> {
  const skuPairs = JSON.stringify(rows.map((r) => [r.sku, r.vendorId]));
  const productPairs = JSON.stringify([...new Map(rows.map((r) => [`${r.productId}\n${r.vendorId}`, [r.productId, r.vendorId]])).values()]);
  const d = drizzle(db);
  const qb = new QueryBuilder();
  // `k`: a [id, vendorId] pair of the whole batch (json_each over skuPairs / productPairs).
  const pairs = (json: string) => sql`json_each(${json}) k`;
  const pairId = sql<string>`k.value ->> 0`;
  const pairVendor = sql<string>`k.value ->> 1`;
  const noConflict = and(
    notExists(qb.select({ one: sql`1` }).from(pairs(skuPairs)).innerJoin(skus, eq(skus.sku, pairId)).where(sql`${skus.vendorId} <> ${pairVendor}`)),
    notExists(
      qb.select({ one: sql`1` }).from(pairs(productPairs)).innerJoin(products, eq(products.id, pairId)).where(sql`${products.vendorId} <> ${pairVendor}`),
    ),
  )!;
  const seenQuery = d
    .select({ kind: sql<"sku" | "product">`'sku'`, id: pairId, wanted: pairVendor, owner: skus.vendorId })
    .from(pairs(skuPairs))
    .innerJoin(skus, eq(skus.sku, pairId))
    .unionAll(
      d
        .select({ kind: sql<"sku" | "product">`'product'`, id: pairId, wanted: pairVendor, owner: products.vendorId })
        .from(pairs(productPairs))
        .innerJoin(products, eq(products.id, pairId))
        .where(sql`${products.vendorId} <> ${pairVendor}`),
    );
  const statements: D1Write[] = [];
  const productList = [...productNames].map(([id, p]) => ({ id, vendorId: p.vendorId, name: p.name }));
  for (let i = 0; i < productList.length; i += CHUNK) {
    const row = { id: jsonValue("id"), vendorId: jsonValue("vendorId"), name: jsonValue("name") };
    statements.push(
      d
        .insert(products)
        .select(guardedRow(products, row, noConflict, jsonEach(productList.slice(i, i + CHUNK))))
        .onConflictDoNothing({ target: products.id }),
    );
  }
  for (let i = 0; i < rows.length; i += CHUNK) {
    const row = {
      sku: jsonValue("sku"),
      productId: jsonValue("productId"),
      vendorId: jsonValue("vendorId"),
      name: jsonValue("name"),
      status: jsonValue("status"),
      reorderPoint: jsonValue("reorderPoint"),
      safetyStock: jsonValue("safetyStock"),
      maxStock: jsonValue("maxStock"),
      leadTimeDays: jsonValue("leadTimeDays"),
      allowBackorder: jsonValue("allowBackorder"),
      softBufferPct: jsonValue("softBufferPct"),
      perishable: jsonValue("perishable"),
    };
    const chunk = rows.slice(i, i + CHUNK).map((r) => ({ ...r, allowBackorder: r.allowBackorder ? 1 : 0, perishable: r.perishable ? 1 : 0 }));
    statements.push(
      d
        .insert(skus)
        .select(guardedRow(skus, row, noConflict, jsonEach(chunk)))
        .onConflictDoUpdate({
          target: skus.sku,
          set: {
            productId: excluded(skus.productId),
            name: excluded(skus.name),
            status: excluded(skus.status),
            reorderPoint: excluded(skus.reorderPoint),
            safetyStock: excluded(skus.safetyStock),
            maxStock: excluded(skus.maxStock),
            leadTimeDays: excluded(skus.leadTimeDays),
            allowBackorder: excluded(skus.allowBackorder),
            softBufferPct: excluded(skus.softBufferPct),
            perishable: excluded(skus.perishable),
            updatedAt: sql`unixepoch('subsec') * 1000`,
          },
          setWhere: sql`${skus.vendorId} = ${excluded(skus.vendorId)}`,
        }),
    );
  }
  const [seen] = await d.batch([seenQuery, ...statements]);
  for (const r of rows) skuCache.delete(r.sku);
  const owners = new Map<string, string>();
  const skuConflicts: string[] = [];
  const productConflicts: string[] = [];
  for (const row of seen) {
    if (row.kind === "product") productConflicts.push(row.id);
    else {
      owners.set(row.id, row.owner);
      if (row.owner !== row.wanted) skuConflicts.push(row.id);
    }
  }
  return { refused: skuConflicts.length > 0 || productConflicts.length > 0, owners, skuConflicts, productConflicts };
}

/** A SKU read from D1 now (not from the isolate's cache). */
export async function freshSku(db: D1Database, sku: string): Promise<SkuRow | undefined> {
  skuCache.delete(sku);
  return (await findSkus(db, [sku])).get(sku);
}

/**
 * Moves a SKU to another vendor (operators' transfer), creating the new vendor's product if
 * it is missing, in one batch. Compare-and-set: only while the SKU still belongs to
 * `fromVendorId` and the product belongs to `toVendorId`. Returns the updated row, or
 * undefined when either no longer holds.
 */
export async function transferSku(
  db: D1Database,
  t: { sku: string; fromVendorId: string; toVendorId: string; productId: string; productName: string },
): Promise<SkuRow | undefined> {
  const d = drizzle(db);
  const [, updated] = await d.batch([
    d.insert(products).values({ id: t.productId, vendorId: t.toVendorId, name: t.productName }).onConflictDoNothing({ target: products.id }),
    d
      .update(skus)
      .set({ vendorId: t.toVendorId, productId: t.productId, updatedAt: sql`unixepoch('subsec') * 1000` })
      .where(
        and(
          eq(skus.sku, t.sku),
          eq(skus.vendorId, t.fromVendorId),
          exists(
            new QueryBuilder()
              .select({ one: sql`1` })
              .from(products)
              .where(and(eq(products.id, t.productId), eq(products.vendorId, t.toVendorId))),
          ),
        ),
      )
      .returning({ sku: skus.sku }),
  ]);
  skuCache.delete(t.sku);
  if (updated.length === 0) return undefined;
  return freshSku(db, t.sku);
}
