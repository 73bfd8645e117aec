/**
 * SKU and product rows in D1. Reservation policy (backorders, soft buffer) is read on every
 * reservation, so found SKUs are kept per isolate for SKU_CACHE_MS; writes through this
 * module drop their entries at once, other isolates see changes within that time.
 */
import { inArray, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { products, skus, type SkuRow } from "../../d1/schema";
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

/**
 * Inserts or updates SKUs (complete rows) and creates their products where missing, in one
 * D1 batch (atomic), with one JSON-bound statement per CHUNK rows.
 */
export async function upsertSkus(
  db: D1Database,
  rows: readonly SkuWrite[],
  productNames: ReadonlyMap<string, { vendorId: string; name: string }>,
): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  const productList = [...productNames].map(([id, p]) => ({ id, vendorId: p.vendorId, name: p.name }));
  for (let i = 0; i < productList.length; i += CHUNK) {
    statements.push(
      db
        .prepare(
          `INSERT INTO products (id, vendor_id, name)
           SELECT value ->> 'id', value ->> 'vendorId', value ->> 'name' FROM json_each(?1) WHERE true
           ON CONFLICT (id) DO NOTHING`,
        )
        .bind(JSON.stringify(productList.slice(i, i + CHUNK))),
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
           FROM json_each(?1) WHERE true
           ON CONFLICT (sku) DO UPDATE SET
             product_id = excluded.product_id, vendor_id = excluded.vendor_id, name = excluded.name,
             status = excluded.status, reorder_point = excluded.reorder_point, safety_stock = excluded.safety_stock,
             max_stock = excluded.max_stock, lead_time_days = excluded.lead_time_days,
             allow_backorder = excluded.allow_backorder, soft_buffer_pct = excluded.soft_buffer_pct,
             perishable = excluded.perishable, updated_at = unixepoch('subsec') * 1000`,
        )
        .bind(
          JSON.stringify(
            rows.slice(i, i + CHUNK).map((r) => ({
              ...r,
              allowBackorder: r.allowBackorder ? 1 : 0,
              perishable: r.perishable ? 1 : 0,
            })),
          ),
        ),
    );
  }
  if (statements.length > 0) await db.batch(statements);
  for (const r of rows) skuCache.delete(r.sku);
}
