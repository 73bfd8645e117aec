/**
 * Reading and handling stock alerts (the `alerts` read model the EVENTS consumer writes):
 * lists with the SKU's vendor, acknowledge and snooze. Opening and resolving stay with the
 * EVENTS consumer; an operator's acknowledgement or snooze never resolves an alert.
 */

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

const COLUMNS = `a.id, a.sku, s.vendor_id AS vendorId, a.location_id AS locationId, a.kind, a.status, a.available, a.reorder_point AS reorderPoint,
  a.occurrences, a.opened_at AS openedAt, a.updated_at AS updatedAt, a.resolved_at AS resolvedAt, a.resolution,
  a.acknowledged_at AS acknowledgedAt, a.acknowledged_by AS acknowledgedBy, a.snoozed_until AS snoozedUntil`;

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
  const where: string[] = [];
  const args: unknown[] = [];
  const arg = (v: unknown) => {
    args.push(v);
    return `?${args.length}`;
  };
  if (f.kind !== undefined) where.push(`a.kind = ${arg(f.kind)}`);
  if (f.vendorId !== undefined) where.push(`s.vendor_id = ${arg(f.vendorId)}`);
  if (f.sku !== undefined) where.push(`a.sku = ${arg(f.sku)}`);
  if (f.status === "resolved") where.push("a.status = 'resolved'");
  else if (f.status !== undefined) {
    const snoozed = `coalesce(a.snoozed_until, 0) > ${arg(f.now)}`;
    where.push("a.status = 'open'");
    if (f.status === "snoozed") where.push(snoozed);
    else where.push(`NOT (${snoozed})`, f.status === "acknowledged" ? "a.acknowledged_at IS NOT NULL" : "a.acknowledged_at IS NULL");
  }
  if (f.after !== undefined) where.push(`(a.opened_at < ${arg(f.after[0])} OR (a.opened_at = ?${args.length} AND a.id < ${arg(f.after[1])}))`);
  const sql = `SELECT ${COLUMNS} FROM alerts a LEFT JOIN skus s ON s.sku = a.sku ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY a.opened_at DESC, a.id DESC LIMIT ${arg(f.limit)}`;
  return (
    await db
      .prepare(sql)
      .bind(...args)
      .all<AlertListRow>()
  ).results;
}

/** One alert with its SKU's vendor. */
export async function findAlert(db: D1Database, id: string): Promise<AlertListRow | null> {
  return db.prepare(`SELECT ${COLUMNS} FROM alerts a LEFT JOIN skus s ON s.sku = a.sku WHERE a.id = ?`).bind(id).first<AlertListRow>();
}

/** Marks an alert acknowledged (the first acknowledgement is kept; a repeat changes nothing). */
export async function acknowledgeAlert(db: D1Database, id: string, by: string, now: number): Promise<void> {
  await db.prepare("UPDATE alerts SET acknowledged_at = ?2, acknowledged_by = ?3 WHERE id = ?1 AND acknowledged_at IS NULL").bind(id, now, by).run();
}

/** Snoozes an alert until `until` (ms). */
export async function snoozeAlert(db: D1Database, id: string, until: number): Promise<void> {
  await db.prepare("UPDATE alerts SET snoozed_until = ?2 WHERE id = ?1").bind(id, until).run();
}
