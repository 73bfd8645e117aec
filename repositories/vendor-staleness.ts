/**
 * What the stale flag of a few vendors needs, read at once (the inventory list's rows carry
 * it: services/inventory-list.ts): their sync settings rows, creation times, and per method
 * the last success and when monitoring began. One D1 batch per 30 vendors (3 statements of
 * at most 30 bound ids each, under D1's 100 bound parameters).
 */
import { inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { vendorSyncHealth, vendorSyncSettings, vendors, type VendorSyncSettingsRow } from "../d1/schema";

export interface StalenessInputs {
  settings: VendorSyncSettingsRow[];
  vendors: { id: string; createdAt: number }[];
  health: { vendorId: string; lastSuccessAt: number | null; monitoredSince: number }[];
}

const PER_BATCH = 30;

/** The inputs of the stale flag of `vendorIds` (distinct). */
export async function stalenessInputsOf(db: D1Database, vendorIds: readonly string[]): Promise<StalenessInputs> {
  const d = drizzle(db);
  const out: StalenessInputs = { settings: [], vendors: [], health: [] };
  for (let i = 0; i < vendorIds.length; i += PER_BATCH) {
    const ids = vendorIds.slice(i, i + PER_BATCH);
    const [settings, vendorRows, health] = await d.batch([
      d.select().from(vendorSyncSettings).where(inArray(vendorSyncSettings.vendorId, ids)),
      d.select({ id: vendors.id, createdAt: vendors.createdAt }).from(vendors).where(inArray(vendors.id, ids)),
      d
        .select({ vendorId: vendorSyncHealth.vendorId, lastSuccessAt: vendorSyncHealth.lastSuccessAt, monitoredSince: vendorSyncHealth.monitoredSince })
        .from(vendorSyncHealth)
        .where(inArray(vendorSyncHealth.vendorId, ids)),
    ]);
    out.settings.push(...settings);
    out.vendors.push(...vendorRows);
    out.health.push(...health);
  }
  return out;
}
