/** Vendor rows in D1. */
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { vendors, type VendorRow } from "../d1/schema";

export async function findVendor(db: D1Database, id: string): Promise<VendorRow | undefined> {
  return drizzle(db).select().from(vendors).where(eq(vendors.id, id)).get();
}

/** Inserts a vendor; returns undefined when the id is taken. */
export async function insertVendor(db: D1Database, row: { id: string; name: string; status: "active" | "suspended" }): Promise<VendorRow | undefined> {
  return drizzle(db).insert(vendors).values(row).onConflictDoNothing().returning().get();
}
