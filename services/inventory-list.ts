/**
 * The stock list (`GET /api/v2/inventory`) with the **stale** flag of issue 16: a row is
 * `stale: true` when its SKU's vendor's sync health says stale — no successful sync of any
 * method for longer than the vendor's `staleAfterMinutes` (from its sync settings; without
 * settings the standard tier's three intervals, 90 minutes), counted from when monitoring
 * began for a vendor that never synced. The same rule, on the same rows, as
 * `GET /api/v2/vendors/{vendorId}/sync-health` (services/sync-health.ts `vendorSyncHealthJson`).
 *
 * Cost: per page, one query per read database (one for a vendor's list) and one D1 batch for the page's distinct vendors (usually one; a batch per 30),
 * never per row. A SKU without a vendor is never stale.
 */
import { compareKeys, mergeSortedPages } from "../domain/keyset-merge";
import { listLevels, type LevelFilter, type LevelListRow } from "../repositories/inventory-levels";
import { readDbs, vendorReadDb, withoutMovedCopies } from "../repositories/read-partitions";
import { stalenessInputsOf } from "../repositories/vendor-staleness";
import { syncHealthPolicy } from "../domain/vendor-sync-settings";
import { DEFAULT_HEALTH_POLICY } from "./sync-health";
import { settingsOfRow } from "./sync-settings";

/** The vendors among `vendorIds` whose sync data is stale at `now`. */
export async function staleVendors(env: Env, vendorIds: readonly string[], now: number): Promise<Set<string>> {
  const stale = new Set<string>();
  if (vendorIds.length === 0) return stale;
  const inputs = await stalenessInputsOf(env.DB, vendorIds);
  const settingsOf = new Map(inputs.settings.map((r) => [r.vendorId, r]));
  const createdAt = new Map(inputs.vendors.map((v) => [v.id, v.createdAt]));
  for (const vendorId of vendorIds) {
    const row = settingsOf.get(vendorId);
    const settings = settingsOfRow(row);
    // As services/sync-health.ts: valid settings give the rule and the start of monitoring, else the defaults from the vendor's creation.
    const policy = row !== undefined && settings !== null ? syncHealthPolicy(settings) : DEFAULT_HEALTH_POLICY;
    const monitoredSince = row !== undefined && settings !== null ? row.createdAt : (createdAt.get(vendorId) ?? null);
    const rows = inputs.health.filter((h) => h.vendorId === vendorId);
    const lastSuccess = rows.reduce<number | null>((m, r) => (r.lastSuccessAt !== null && (m === null || r.lastSuccessAt > m) ? r.lastSuccessAt : m), null);
    const since = lastSuccess ?? Math.min(monitoredSince ?? now, ...rows.map((r) => r.monitoredSince));
    if (Math.max(0, now - since) > policy.staleAfterMs) stale.add(vendorId);
  }
  return stale;
}

/**
 * A page of the stock list (in (sku, location) order, at most `filter.limit` rows): a vendor's
 * from its read database alone; everyone's from every read database, merged in key order
 * (domain/keyset-merge.ts), one cursor for all.
 */
export async function listLevelsAcross(env: Env, filter: LevelFilter): Promise<LevelListRow[]> {
  if (filter.vendorId !== undefined) return listLevels(await vendorReadDb(env, filter.vendorId), filter);
  const pages = await withoutMovedCopies(
    env,
    await Promise.all(readDbs(env).map((db) => listLevels(db, filter))),
    (r) => `${r.sku}\n${r.locationId}`,
    (r) => r.vendorId,
  );
  return mergeSortedPages(pages, (a, b) => compareKeys([a.sku, a.locationId], [b.sku, b.locationId]), filter.limit);
}

/** A page of the stock list with each row's `stale` flag. */
export async function listLevelsWithStale(env: Env, filter: LevelFilter, now: number): Promise<(LevelListRow & { stale: boolean })[]> {
  const rows = await listLevelsAcross(env, filter);
  const vendorIds = [...new Set(rows.flatMap((r) => (r.vendorId === null ? [] : [r.vendorId])))];
  const stale = await staleVendors(env, vendorIds, now);
  return rows.map((r) => ({ ...r, stale: r.vendorId !== null && stale.has(r.vendorId) }));
}
