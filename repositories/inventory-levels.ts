/**
 * Reading the `inventory_levels` projection for lists, in one read database (the caller picks
 * it: a vendor's, or each in turn for an operator-wide list, services/inventory-list.ts);
 * owner and reorder point come from the same database's `read_sku_facts`. Keyset pagination on its primary key
 * (sku, location_id): a page starts strictly after the last row of the previous one, so
 * rows updated while a client pages keep their place, and no row is skipped or repeated.
 */
import { and, asc, eq, gt, gte, lt, lte, or, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { inventoryLevels, readSkuFacts, type InventoryLevelRow } from "../d1/schema";
import type { LevelStatus } from "../domain/inventory-levels";

export interface LevelFilter {
  vendorId?: string | undefined;
  locationId?: string | undefined;
  status?: LevelStatus | undefined;
  /** true: available ≤ the SKU's reorder point; false: above it. */
  lowStock?: boolean | undefined;
  /** ms: rows changed at or after. */
  updatedSince?: number | undefined;
  skuPrefix?: string | undefined;
  after?: readonly [sku: string, locationId: string] | undefined;
  limit: number;
}

export type LevelListRow = InventoryLevelRow & { vendorId: string | null; reorderPoint: number | null };

/** Rows matching every filter, in (sku, location_id) order, at most `limit`. */
export async function listLevels(db: D1Database, f: LevelFilter): Promise<LevelListRow[]> {
  const l = inventoryLevels;
  const conditions: (SQL | undefined)[] = [];
  if (f.vendorId !== undefined) conditions.push(eq(readSkuFacts.vendorId, f.vendorId));
  if (f.locationId !== undefined) conditions.push(eq(l.locationId, f.locationId));
  if (f.status !== undefined) conditions.push(eq(l.status, f.status));
  if (f.lowStock !== undefined) {
    const reorderPoint = sql`coalesce(${readSkuFacts.reorderPoint}, 0)`;
    conditions.push(f.lowStock ? lte(l.available, reorderPoint) : gt(l.available, reorderPoint));
  }
  if (f.updatedSince !== undefined) conditions.push(gte(l.updatedAt, f.updatedSince));
  if (f.skuPrefix !== undefined) {
    // Ids are ASCII below DEL (0x7f), so [prefix, prefix + DEL) is exactly the SKUs with the prefix.
    conditions.push(gte(l.sku, f.skuPrefix), lt(l.sku, `${f.skuPrefix}\u007f`));
  }
  if (f.after !== undefined) {
    const [sku, locationId] = f.after;
    conditions.push(or(gt(l.sku, sku), and(eq(l.sku, sku), gt(l.locationId, locationId))));
  }
  const rows = await drizzle(db)
    .select({ level: l, vendorId: readSkuFacts.vendorId, reorderPoint: readSkuFacts.reorderPoint })
    .from(l)
    .leftJoin(readSkuFacts, eq(readSkuFacts.sku, l.sku))
    .where(and(...conditions))
    .orderBy(asc(l.sku), asc(l.locationId))
    .limit(f.limit)
    .all();
  return rows.map((r) => ({ ...r.level, vendorId: r.vendorId, reorderPoint: r.reorderPoint }));
}
