/**
 * Vendors' sync settings and their pull cursor (`vendor_sync_settings`, issue 16). The
 * settings are stored as validated JSON with the columns the pull sweep filters on copied
 * out; a pull is taken by a conditional lease, so two overlapping cron runs never fetch the
 * same vendor at once, and its outcome sets the next due time from the interval stored at
 * that moment (a settings change in between wins).
 */
import { and, asc, eq, isNull, lt, lte, or, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { vendorSyncSettings, type VendorSyncSettingsRow } from "../d1/schema";
import type { SyncMethod } from "../domain/vendor-sync-settings";

/** One vendor's settings row. */
export async function findVendorSyncSettings(db: D1Database, vendorId: string): Promise<VendorSyncSettingsRow | undefined> {
  return drizzle(db).select().from(vendorSyncSettings).where(eq(vendorSyncSettings.vendorId, vendorId)).get();
}

export interface SavedSettings {
  vendorId: string;
  settings: string;
  enabled: boolean;
  method: SyncMethod;
  intervalMinutes: number;
  /** `undefined` keeps the stored auth header, `null` removes it. */
  auth: { header: string; secret: string; hint: string } | null | undefined;
  /** When the first pull is due; null when the vendor is not pulled. */
  nextPullAt: number | null;
  /** Forget the last response's validators and content hash (the pull URL changed). */
  resetCursor: boolean;
  updatedBy: string;
  now: number;
}

/** Creates or replaces a vendor's settings (version + 1), and returns the row. */
export async function saveVendorSyncSettings(db: D1Database, s: SavedSettings): Promise<VendorSyncSettingsRow> {
  const t = vendorSyncSettings;
  const auth =
    s.auth === undefined ? {} : { pullAuthHeader: s.auth?.header ?? null, pullAuthSecret: s.auth?.secret ?? null, pullAuthHint: s.auth?.hint ?? null };
  const cursor = s.resetCursor ? { pullEtag: null, pullLastModified: null, pullContentHash: null, pullJobId: null } : {};
  const values = {
    settings: s.settings,
    enabled: s.enabled,
    method: s.method,
    intervalMinutes: s.intervalMinutes,
    nextPullAt: s.nextPullAt,
    pullLeaseUntil: null,
    updatedBy: s.updatedBy,
    updatedAt: s.now,
  };
  await drizzle(db)
    .insert(t)
    .values({ vendorId: s.vendorId, ...values, ...auth, createdAt: s.now })
    .onConflictDoUpdate({ target: t.vendorId, set: { ...values, ...auth, ...cursor, version: sql`${t.version} + 1` } })
    .run();
  return (await findVendorSyncSettings(db, s.vendorId))!;
}

/** Pulls due at `now` and not taken by another run, oldest due first. */
export async function duePulls(db: D1Database, now: number, limit: number): Promise<VendorSyncSettingsRow[]> {
  const t = vendorSyncSettings;
  return drizzle(db)
    .select()
    .from(t)
    .where(and(lte(t.nextPullAt, now), eq(t.enabled, true), eq(t.method, "pull_url"), or(isNull(t.pullLeaseUntil), lt(t.pullLeaseUntil, now))))
    .orderBy(asc(t.nextPullAt))
    .limit(limit)
    .all();
}

/** Takes a due pull until `until`; false when another run took it first (or it is no longer due). */
export async function leasePull(db: D1Database, vendorId: string, version: number, now: number, until: number): Promise<boolean> {
  const t = vendorSyncSettings;
  const result = await drizzle(db)
    .update(t)
    .set({ pullLeaseUntil: until })
    .where(and(eq(t.vendorId, vendorId), eq(t.version, version), lte(t.nextPullAt, now), or(isNull(t.pullLeaseUntil), lt(t.pullLeaseUntil, now))))
    .run();
  return result.meta.changes > 0;
}

export interface PullRecord {
  vendorId: string;
  /** The settings version the pull ran under: a PUT since then keeps its own cursor and due time. */
  version: number;
  at: number;
  outcome: "ingested" | "not_modified" | "same_content" | "failed";
  status: number | null;
  error: string | null;
  /** New validators and content (only when the body was read). */
  etag?: string | null;
  lastModified?: string | null;
  contentHash?: string;
  jobId?: string;
}

/** Records a pull's outcome, releases its lease and sets the next due time from the stored interval. */
export async function recordPull(db: D1Database, r: PullRecord): Promise<void> {
  const t = vendorSyncSettings;
  await drizzle(db)
    .update(t)
    .set({
      lastPullAt: r.at,
      lastPullOutcome: r.outcome,
      lastPullStatus: r.status,
      lastPullError: r.error,
      pullLeaseUntil: null,
      nextPullAt: sql`${r.at} + ${t.intervalMinutes} * 60000`,
      ...(r.etag !== undefined ? { pullEtag: r.etag } : {}),
      ...(r.lastModified !== undefined ? { pullLastModified: r.lastModified } : {}),
      ...(r.contentHash !== undefined ? { pullContentHash: r.contentHash } : {}),
      ...(r.jobId !== undefined ? { pullJobId: r.jobId } : {}),
    })
    .where(and(eq(t.vendorId, r.vendorId), eq(t.version, r.version)))
    .run();
}
