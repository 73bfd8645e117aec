/** Vendor rows in D1. */
import { and, asc, eq, gt, or, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { vendors, type VendorRow } from "../d1/schema";

export async function findVendor(db: D1Database, id: string): Promise<VendorRow | undefined> {
  return drizzle(db).select().from(vendors).where(eq(vendors.id, id)).get();
}

/** Inserts a vendor; returns undefined when the id is taken. */
export async function insertVendor(db: D1Database, row: { id: string; name: string; status: "active" | "suspended" }): Promise<VendorRow | undefined> {
  return drizzle(db).insert(vendors).values(row).onConflictDoNothing().returning().get();
}

/** `%text%` for LIKE … ESCAPE '\\': the text's own `%`, `_` and `\\` match themselves. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Vendors by id after `afterId`; `q` keeps those whose name or id contains it (SQLite's LIKE
 * ignores ASCII case).
 */
export async function listVendors(
  db: D1Database,
  f: { q?: string | undefined; status?: VendorRow["status"] | undefined; afterId?: string | undefined; limit: number },
): Promise<VendorRow[]> {
  const v = vendors;
  const conditions: (SQL | undefined)[] = [];
  if (f.q !== undefined) {
    const pattern = containsPattern(f.q);
    conditions.push(or(sql`${v.name} LIKE ${pattern} ESCAPE '\\'`, sql`${v.id} LIKE ${pattern} ESCAPE '\\'`));
  }
  if (f.status !== undefined) conditions.push(eq(v.status, f.status));
  if (f.afterId !== undefined) conditions.push(gt(v.id, f.afterId));
  return drizzle(db)
    .select()
    .from(v)
    .where(and(...conditions))
    .orderBy(asc(v.id))
    .limit(f.limit)
    .all();
}
