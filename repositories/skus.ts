/**
 * SKU and product rows in D1, partitioned (issue 19 item 3): `DB` holds `sku_directory` (which
 * vendor owns each SKU id) and `products`; a SKU's `skus` row lives in its vendor's read
 * database (repositories/read-partitions.ts). Found SKUs are kept per isolate for
 * SKU_CACHE_MS; writes through this module drop their entries at once, other isolates see
 * changes within that time.
 */
import { and, eq, exists, notExists, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { QueryBuilder } from "drizzle-orm/sqlite-core";
import { products, skuDirectory, skus, type SkuRow } from "../d1/schema";
import { type D1Write, excluded, guardedRow, jsonEach, jsonValue, runBatch } from "./d1-sql";
import { byPartition, forgetReadPartitions, readDb, readDbs, skuReadHomes, vendorReadPartitions } from "./read-partitions";
import { TtlCache } from "./ttl-cache";

const SKU_CACHE_MS = 5_000;
const skuCache = new TtlCache<string, SkuRow>(SKU_CACHE_MS, 20_000);
/** Rows per JSON-bound statement: one bound parameter carries a whole chunk. */
const CHUNK = 1000;

/**
 * The SKUs found among `ids` (unknown ids are simply absent): their owners from `DB`'s
 * directory, then their rows from each owner's read database (one query per database and
 * CHUNK, in parallel). A row whose vendor is not the directory's (a transfer interrupted
 * between its steps, services/master-data.ts `transferSkuTo` completes it) counts as absent.
 */
export async function findSkus(env: Env, ids: readonly string[]): Promise<Map<string, SkuRow>> {
  const found = new Map<string, SkuRow>();
  const missing: string[] = [];
  for (const id of new Set(ids)) {
    const hit = skuCache.get(id);
    if (hit !== undefined) found.set(id, hit);
    else missing.push(id);
  }
  if (missing.length === 0) return found;
  const homes = await skuReadHomes(env, missing);
  const groups = byPartition(missing, (sku) => {
    const home = homes.get(sku)!;
    return home.vendorId === null ? undefined : home.partition;
  });
  const pages = await Promise.all(
    [...groups].flatMap(([p, list]) => {
      const reads: Promise<SkuRow[]>[] = [];
      for (let i = 0; i < list.length; i += CHUNK) {
        const chunk = list.slice(i, i + CHUNK);
        reads.push(
          drizzle(readDb(env, p))
            .select()
            .from(skus)
            .where(sql`${skus.sku} IN (SELECT value FROM json_each(${JSON.stringify(chunk)}))`)
            .all(),
        );
      }
      return reads;
    }),
  );
  for (const row of pages.flat()) {
    if (homes.get(row.sku)?.vendorId !== row.vendorId) continue;
    skuCache.set(row.sku, row);
    found.set(row.sku, row);
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
 * Inserts or updates SKUs (complete rows) and creates their products where missing, all or
 * none, in two steps (issue 19 item 3: a SKU's row lives in its vendor's read database):
 *
 * 1. **Claim, in `DB`, one batch (one transaction):** the products and the SKUs' directory
 *    entries. Ownership is part of the write, not a separate read (issue 12): every statement
 *    is conditional on no SKU and no product of the whole batch belonging to another vendor
 *    than the row gives, as the transaction sees them. The batch's first statement reports
 *    what the transaction saw, so the answer says exactly why nothing was written. Two vendors
 *    creating the same new SKU at once: the second transaction sees the first one's entry and
 *    writes nothing.
 * 2. **Write the rows, one batch per vendor read database** (in parallel), one JSON-bound
 *    statement per CHUNK rows. An update never changes `vendor_id` (that is a transfer).
 *
 * If step 2 fails (or the Worker dies between the steps), the SKUs are claimed but have no
 * row: they read as absent, no other vendor can take them, and the same write again (the
 * caller's retry) completes them — step 1 is a no-op for the owner's own entries.
 */
export async function upsertSkus(
  env: Env,
  rows: readonly SkuWrite[],
  productNames: ReadonlyMap<string, { vendorId: string; name: string }>,
): Promise<UpsertOutcome> {
  const skuPairs = JSON.stringify(rows.map((r) => [r.sku, r.vendorId]));
  const productPairs = JSON.stringify([...new Map(rows.map((r) => [`${r.productId}\n${r.vendorId}`, [r.productId, r.vendorId]])).values()]);
  const d = drizzle(env.DB);
  const qb = new QueryBuilder();
  const dir = skuDirectory;
  // `k`: a [id, vendorId] pair of the whole batch (json_each over skuPairs / productPairs).
  const pairs = (json: string) => sql`json_each(${json}) k`;
  const pairId = sql<string>`k.value ->> 0`;
  const pairVendor = sql<string>`k.value ->> 1`;
  const noConflict = and(
    notExists(qb.select({ one: sql`1` }).from(pairs(skuPairs)).innerJoin(dir, eq(dir.sku, pairId)).where(sql`${dir.vendorId} <> ${pairVendor}`)),
    notExists(
      qb.select({ one: sql`1` }).from(pairs(productPairs)).innerJoin(products, eq(products.id, pairId)).where(sql`${products.vendorId} <> ${pairVendor}`),
    ),
  )!;
  const seenQuery = d
    .select({ kind: sql<"sku" | "product">`'sku'`, id: pairId, wanted: pairVendor, owner: dir.vendorId })
    .from(pairs(skuPairs))
    .innerJoin(dir, eq(dir.sku, pairId))
    .unionAll(
      d
        .select({ kind: sql<"sku" | "product">`'product'`, id: pairId, wanted: pairVendor, owner: products.vendorId })
        .from(pairs(productPairs))
        .innerJoin(products, eq(products.id, pairId))
        .where(sql`${products.vendorId} <> ${pairVendor}`),
    );
  const claims: D1Write[] = [];
  const productList = [...productNames].map(([id, p]) => ({ id, vendorId: p.vendorId, name: p.name }));
  for (let i = 0; i < productList.length; i += CHUNK) {
    const row = { id: jsonValue("id"), vendorId: jsonValue("vendorId"), name: jsonValue("name") };
    claims.push(
      d
        .insert(products)
        .select(guardedRow(products, row, noConflict, jsonEach(productList.slice(i, i + CHUNK))))
        .onConflictDoNothing({ target: products.id }),
    );
  }
  for (let i = 0; i < rows.length; i += CHUNK) {
    const entries = rows.slice(i, i + CHUNK).map((r) => ({ sku: r.sku, vendorId: r.vendorId }));
    claims.push(
      d
        .insert(dir)
        .select(guardedRow(dir, { sku: jsonValue("sku"), vendorId: jsonValue("vendorId") }, noConflict, jsonEach(entries)))
        .onConflictDoNothing({ target: dir.sku }),
    );
  }
  const [seen] = await d.batch([seenQuery, ...claims]);
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
  const refused = skuConflicts.length > 0 || productConflicts.length > 0;
  if (!refused) await writeSkuRows(env, rows);
  return { refused, owners, skuConflicts, productConflicts };
}

/**
 * Step 2 of `upsertSkus`: the rows, upserted in their vendors' read databases — as `DB` places
 * the vendors now, not as this isolate cached them: a write into a database a vendor has just
 * left would be deleted with its old rows (the caller refuses vendors being moved).
 */
async function writeSkuRows(env: Env, rows: readonly SkuWrite[]): Promise<void> {
  for (const vendorId of new Set(rows.map((r) => r.vendorId))) forgetReadPartitions(vendorId);
  const partitions = await vendorReadPartitions(
    env,
    rows.map((r) => r.vendorId),
  );
  const groups = byPartition(rows, (r) => partitions.get(r.vendorId));
  await Promise.all(
    [...groups].map(([p, list]) => {
      const db = readDb(env, p);
      const statements: D1Write[] = [];
      for (let i = 0; i < list.length; i += CHUNK) statements.push(skuUpsert(db, list.slice(i, i + CHUNK)));
      return runBatch(db, statements);
    }),
  );
  for (const r of rows) skuCache.delete(r.sku);
}

/** One statement upserting these rows (one bound JSON parameter); an existing row of another vendor is left alone. */
function skuUpsert(db: D1Database, rows: readonly SkuWrite[]): D1Write {
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
  const chunk = rows.map((r) => ({ ...r, allowBackorder: r.allowBackorder ? 1 : 0, perishable: r.perishable ? 1 : 0 }));
  return drizzle(db)
    .insert(skus)
    .select(guardedRow(skus, row, sql`true`, jsonEach(chunk)))
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
    });
}

/** A SKU read from D1 now (not from the isolate's cache). */
export async function freshSku(env: Env, sku: string): Promise<SkuRow | undefined> {
  skuCache.delete(sku);
  return (await findSkus(env, [sku])).get(sku);
}

/** The SKU's owner in `DB`'s directory, whether or not its row exists (undefined: unknown SKU). */
export async function directoryOwner(db: D1Database, sku: string): Promise<string | undefined> {
  const row = await drizzle(db).select({ vendorId: skuDirectory.vendorId }).from(skuDirectory).where(eq(skuDirectory.sku, sku)).get();
  return row?.vendorId;
}

/**
 * Step 1 of a transfer (services/master-data.ts `transferSkuTo`), in `DB`, one batch: creates
 * the new vendor's product if it is missing and moves the SKU's directory entry to the new
 * vendor — compare-and-set: only while the SKU still belongs to `fromVendorId` and the product
 * belongs to `toVendorId`. False when either no longer holds.
 */
export async function claimTransfer(
  db: D1Database,
  t: { sku: string; fromVendorId: string; toVendorId: string; productId: string; productName: string },
): Promise<boolean> {
  const d = drizzle(db);
  const [, updated] = await d.batch([
    d.insert(products).values({ id: t.productId, vendorId: t.toVendorId, name: t.productName }).onConflictDoNothing({ target: products.id }),
    d
      .update(skuDirectory)
      .set({ vendorId: t.toVendorId })
      .where(
        and(
          eq(skuDirectory.sku, t.sku),
          eq(skuDirectory.vendorId, t.fromVendorId),
          exists(
            new QueryBuilder()
              .select({ one: sql`1` })
              .from(products)
              .where(and(eq(products.id, t.productId), eq(products.vendorId, t.toVendorId))),
          ),
        ),
      )
      .returning({ sku: skuDirectory.sku }),
  ]);
  skuCache.delete(t.sku);
  return updated.length > 0;
}

/** The last step of a transfer, in the SKU's new read database (after its rows were moved there): its new owner and product. */
export async function setSkuOwner(db: D1Database, sku: string, vendorId: string, productId: string): Promise<SkuRow | undefined> {
  const row = await drizzle(db)
    .update(skus)
    .set({ vendorId, productId, updatedAt: sql`unixepoch('subsec') * 1000` })
    .where(eq(skus.sku, sku))
    .returning()
    .get();
  skuCache.delete(sku);
  return row;
}

/** Where a SKU's row is, whoever it names as owner: every read database is asked (the repair of an interrupted transfer only). */
export async function locateSkuRow(env: Env, sku: string): Promise<{ partition: number; row: SkuRow } | undefined> {
  const rows = await Promise.all(readDbs(env).map((db) => drizzle(db).select().from(skus).where(eq(skus.sku, sku)).get()));
  const partition = rows.findIndex((r) => r !== undefined);
  return partition < 0 ? undefined : { partition, row: rows[partition]! };
}
