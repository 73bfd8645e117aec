/**
 * SKU and product rows in D1. Reservation policy (backorders, soft buffer) is read on every
 * reservation, so found SKUs are kept per isolate for SKU_CACHE_MS; writes through this
 * module drop their entries at once, other isolates see changes within that time.
 */
import { inArray, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { products, skus, type SkuRow } from "../d1/schema";
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
  // ?2: [[sku, vendorId]] and ?3: [[productId, vendorId]] of the whole batch.
  const noConflict = `NOT EXISTS (SELECT 1 FROM json_each(?2) k JOIN skus s ON s.sku = k.value ->> 0 WHERE s.vendor_id <> k.value ->> 1)
    AND NOT EXISTS (SELECT 1 FROM json_each(?3) k JOIN products p ON p.id = k.value ->> 0 WHERE p.vendor_id <> k.value ->> 1)`;
  const statements: D1PreparedStatement[] = [
    db
      .prepare(
        `SELECT 'sku' AS kind, k.value ->> 0 AS id, k.value ->> 1 AS wanted, s.vendor_id AS owner
           FROM json_each(?1) k JOIN skus s ON s.sku = k.value ->> 0
         UNION ALL
         SELECT 'product', k.value ->> 0, k.value ->> 1, p.vendor_id
           FROM json_each(?2) k JOIN products p ON p.id = k.value ->> 0 WHERE p.vendor_id <> k.value ->> 1`,
      )
      .bind(skuPairs, productPairs),
  ];
  const productList = [...productNames].map(([id, p]) => ({ id, vendorId: p.vendorId, name: p.name }));
  for (let i = 0; i < productList.length; i += CHUNK) {
    statements.push(
      db
        .prepare(
          `INSERT INTO products (id, vendor_id, name)
           SELECT value ->> 'id', value ->> 'vendorId', value ->> 'name' FROM json_each(?1) WHERE ${noConflict}
           ON CONFLICT (id) DO NOTHING`,
        )
        .bind(JSON.stringify(productList.slice(i, i + CHUNK)), skuPairs, productPairs),
    );
  }
  for (let i = 0; i < rows.length; i += CHUNK) {
    statements.push(
      db
        .prepare(
          `INSERT INTO skus (sku, product_id, vendor_id, name, status, reorder_point, safety_stock, max_stock,
             lead_time_days, allow_backorder, soft_buffer_pct, perishable)
           SELECT value ->> 'sku', value ->> 'productId', value ->> 'vendorId', value ->> 'name', value ->> 'status',
             value ->> 'reorderPoint', value ->> 'safetyStock', value ->> 'maxStock', value ->> 'leadTimeDays',
             value ->> 'allowBackorder', value ->> 'softBufferPct', value ->> 'perishable'
           FROM json_each(?1) WHERE ${noConflict}
           ON CONFLICT (sku) DO UPDATE SET
             product_id = excluded.product_id, name = excluded.name,
             status = excluded.status, reorder_point = excluded.reorder_point, safety_stock = excluded.safety_stock,
             max_stock = excluded.max_stock, lead_time_days = excluded.lead_time_days,
             allow_backorder = excluded.allow_backorder, soft_buffer_pct = excluded.soft_buffer_pct,
             perishable = excluded.perishable, updated_at = unixepoch('subsec') * 1000
           WHERE skus.vendor_id = excluded.vendor_id`,
        )
        .bind(
          JSON.stringify(
            rows.slice(i, i + CHUNK).map((r) => ({
              ...r,
              allowBackorder: r.allowBackorder ? 1 : 0,
              perishable: r.perishable ? 1 : 0,
            })),
          ),
          skuPairs,
          productPairs,
        ),
    );
  }
  const [seen] = await db.batch<{ kind: "sku" | "product"; id: string; wanted: string; owner: string }>(statements);
  for (const r of rows) skuCache.delete(r.sku);
  const owners = new Map<string, string>();
  const skuConflicts: string[] = [];
  const productConflicts: string[] = [];
  for (const row of seen?.results ?? []) {
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
  const [, updated] = await db.batch<Record<string, unknown>>([
    db.prepare("INSERT INTO products (id, vendor_id, name) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING").bind(t.productId, t.toVendorId, t.productName),
    db
      .prepare(
        `UPDATE skus SET vendor_id = ?2, product_id = ?3, updated_at = unixepoch('subsec') * 1000
         WHERE sku = ?1 AND vendor_id = ?4 AND EXISTS (SELECT 1 FROM products WHERE id = ?3 AND vendor_id = ?2)
         RETURNING sku`,
      )
      .bind(t.sku, t.toVendorId, t.productId, t.fromVendorId),
  ]);
  skuCache.delete(t.sku);
  if ((updated?.results.length ?? 0) === 0) return undefined;
  return freshSku(db, t.sku);
}
