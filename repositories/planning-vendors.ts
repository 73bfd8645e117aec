/**
 * Vendors' planning settings (`vendor_planning`, issue 15): whether purchase orders drafted
 * by the nightly run are submitted at once. No row: the defaults.
 *
 * The row lives in the vendor's read database (issue 19 item 2: a vendor's planning data
 * together), so every `db` here is `vendorReadDb(env, vendorId)`, never `DB`.
 */
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { vendorPlanning } from "../d1/schema";
import { excluded, runBatch } from "./d1-sql";

/** A vendor's planning settings as stored and their defaults. */
export interface VendorPlanningSettings {
  autoSubmitPurchaseOrders: boolean;
  updatedBy: string | null;
  updatedAt: number | null;
}

export const DEFAULT_VENDOR_PLANNING: Readonly<VendorPlanningSettings> = Object.freeze({ autoSubmitPurchaseOrders: false, updatedBy: null, updatedAt: null });

/** The vendor's settings (the defaults without a row). */
export async function vendorPlanningOf(db: D1Database, vendorId: string): Promise<VendorPlanningSettings> {
  const row = await drizzle(db).select().from(vendorPlanning).where(eq(vendorPlanning.vendorId, vendorId)).get();
  return row === undefined
    ? { ...DEFAULT_VENDOR_PLANNING }
    : { autoSubmitPurchaseOrders: row.autoSubmitPurchaseOrders, updatedBy: row.updatedBy, updatedAt: row.updatedAt };
}

/** Sets the vendor's settings (omitted ones keep their value), in the vendor's read database. */
export async function upsertVendorPlanning(
  db: D1Database,
  vendor: { id: string; name: string },
  values: { autoSubmitPurchaseOrders?: boolean | undefined },
  by: string,
  now: number,
): Promise<void> {
  const t = vendorPlanning;
  const vendorId = vendor.id;
  const d = drizzle(db);
  await runBatch(db, [
    d
      .insert(t)
      .values({ vendorId, autoSubmitPurchaseOrders: values.autoSubmitPurchaseOrders ?? false, updatedBy: by, updatedAt: now })
      .onConflictDoUpdate({
        target: t.vendorId,
        set: {
          updatedBy: excluded(t.updatedBy),
          updatedAt: excluded(t.updatedAt),
          ...(values.autoSubmitPurchaseOrders === undefined ? {} : { autoSubmitPurchaseOrders: excluded(t.autoSubmitPurchaseOrders) }),
        },
      }),
  ]);
}
