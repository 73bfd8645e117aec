/**
 * Sync health rows per vendor and method (`vendor_sync_health`, issue 16); the webhook
 * deliveries of `sync.failed` are made by services/webhook-fanout.ts. A state is written only over the state it was folded from
 * (compare-and-set on the last attempt's time), so two attempts finishing at once cannot
 * lose one another's count: the loser folds again over the winner's row.
 */
import { and, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { vendorSyncHealth, type VendorSyncHealthRow } from "../d1/schema";
import type { SyncHealthState } from "../domain/vendor-sync-health";

/** Every method's row of a vendor. */
export async function vendorHealthRows(db: D1Database, vendorId: string): Promise<VendorSyncHealthRow[]> {
  return drizzle(db).select().from(vendorSyncHealth).where(eq(vendorSyncHealth.vendorId, vendorId)).all();
}

/** One vendor and method's row. */
export async function findHealthRow(db: D1Database, vendorId: string, method: SyncHealthState["method"]): Promise<VendorSyncHealthRow | undefined> {
  return drizzle(db)
    .select()
    .from(vendorSyncHealth)
    .where(and(eq(vendorSyncHealth.vendorId, vendorId), eq(vendorSyncHealth.method, method)))
    .get();
}

/**
 * Writes a folded state over `previous` (undefined: no row yet). False when another writer
 * changed the row first; the caller reads it again and folds its attempt over it.
 */
export async function saveHealthState(
  db: D1Database,
  state: SyncHealthState,
  previous: VendorSyncHealthRow | undefined,
  extra: { alertEventId: string | null; lastJobId: string | null },
  now: number,
): Promise<boolean> {
  const t = vendorSyncHealth;
  const values = {
    monitoredSince: state.monitoredSince,
    lastAttemptAt: state.lastAttemptAt,
    lastSuccessAt: state.lastSuccessAt,
    lastFailureAt: state.lastFailureAt,
    consecutiveFailures: state.consecutiveFailures,
    failingSince: state.failingSince,
    lastError: state.lastError,
    alerted: state.alerted,
    alertEventId: extra.alertEventId,
    lastJobId: extra.lastJobId,
    updatedAt: now,
  };
  const d = drizzle(db);
  if (previous === undefined) {
    const result = await d
      .insert(t)
      .values({ vendorId: state.vendorId, method: state.method, ...values })
      .onConflictDoNothing()
      .run();
    return result.meta.changes > 0;
  }
  const sameAttempt = previous.lastAttemptAt === null ? isNull(t.lastAttemptAt) : eq(t.lastAttemptAt, previous.lastAttemptAt);
  const result = await d
    .update(t)
    .set(values)
    .where(and(eq(t.vendorId, state.vendorId), eq(t.method, state.method), sameAttempt, eq(t.consecutiveFailures, previous.consecutiveFailures)))
    .run();
  return result.meta.changes > 0;
}
