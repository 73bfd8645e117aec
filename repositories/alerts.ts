/**
 * Reading and handling stock alerts (the `alerts` read model the EVENTS consumer writes), in
 * one read database (services/alerts.ts picks it): lists with the SKU's vendor (from the same
 * database's `read_sku_facts`), acknowledge and snooze. Opening and resolving stay with the
 * EVENTS consumer; an operator's acknowledgement or snooze never resolves an alert.
 */
import { and, desc, eq, isNotNull, isNull, lt, not, or, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { alerts, readSkuFacts } from "../d1/schema";

export interface AlertListRow {
  id: string;
  sku: string;
  vendorId: string | null;
  locationId: string | null;
  kind: string;
  status: "open" | "resolved";
  available: number;
  reorderPoint: number;
  occurrences: number;
  openedAt: number;
  updatedAt: number;
  resolvedAt: number | null;
  resolution: string | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  snoozedUntil: number | null;
}

/** The listed columns: the alert and its SKU's vendor (null for an unknown SKU). */
const COLUMNS = {
  id: alerts.id,
  sku: alerts.sku,
  vendorId: readSkuFacts.vendorId,
  locationId: alerts.locationId,
  kind: alerts.kind,
  status: alerts.status,
  available: alerts.available,
  reorderPoint: alerts.reorderPoint,
  occurrences: alerts.occurrences,
  openedAt: alerts.openedAt,
  updatedAt: alerts.updatedAt,
  resolvedAt: alerts.resolvedAt,
  resolution: alerts.resolution,
  acknowledgedAt: alerts.acknowledgedAt,
  acknowledgedBy: alerts.acknowledgedBy,
  snoozedUntil: alerts.snoozedUntil,
};

export interface AlertFilter {
  kind?: string | undefined;
  status?: "open" | "acknowledged" | "snoozed" | "resolved" | undefined;
  vendorId?: string | undefined;
  sku?: string | undefined;
  /** Keyset: newest first, rows after (openedAt, id). */
  after?: readonly [openedAt: number, id: string] | undefined;
  limit: number;
  now: number;
}

/** Alerts matching the filter, newest first. */
export async function listAlerts(db: D1Database, f: AlertFilter): Promise<AlertListRow[]> {
  const a = alerts;
  const where: SQL[] = [];
  if (f.kind !== undefined) where.push(sql`${a.kind} = ${f.kind}`);
  if (f.vendorId !== undefined) where.push(eq(readSkuFacts.vendorId, f.vendorId));
  if (f.sku !== undefined) where.push(eq(a.sku, f.sku));
  if (f.status === "resolved") where.push(eq(a.status, "resolved"));
  else if (f.status !== undefined) {
    const snoozed = sql`coalesce(${a.snoozedUntil}, 0) > ${f.now}`;
    where.push(eq(a.status, "open"));
    if (f.status === "snoozed") where.push(snoozed);
    else where.push(not(snoozed), f.status === "acknowledged" ? isNotNull(a.acknowledgedAt) : isNull(a.acknowledgedAt));
  }
  if (f.after !== undefined) {
    const [openedAt, id] = f.after;
    where.push(or(lt(a.openedAt, openedAt), and(eq(a.openedAt, openedAt), lt(a.id, id)))!);
  }
  return drizzle(db)
    .select(COLUMNS)
    .from(a)
    .leftJoin(readSkuFacts, eq(readSkuFacts.sku, a.sku))
    .where(and(...where))
    .orderBy(desc(a.openedAt), desc(a.id))
    .limit(f.limit)
    .all();
}

/** One alert with its SKU's vendor. */
export async function findAlert(db: D1Database, id: string): Promise<AlertListRow | null> {
  const row = await drizzle(db).select(COLUMNS).from(alerts).leftJoin(readSkuFacts, eq(readSkuFacts.sku, alerts.sku)).where(eq(alerts.id, id)).get();
  return row ?? null;
}

/** Marks an alert acknowledged (the first acknowledgement is kept; a repeat changes nothing). */
export async function acknowledgeAlert(db: D1Database, id: string, by: string, now: number): Promise<void> {
  await drizzle(db)
    .update(alerts)
    .set({ acknowledgedAt: now, acknowledgedBy: by })
    .where(and(eq(alerts.id, id), isNull(alerts.acknowledgedAt)))
    .run();
}

/** Snoozes an alert until `until` (ms). */
export async function snoozeAlert(db: D1Database, id: string, until: number): Promise<void> {
  await drizzle(db).update(alerts).set({ snoozedUntil: until }).where(eq(alerts.id, id)).run();
}
