/**
 * Stock alerts over the partitioned read model (issue 19 item 2): an alert lives in its SKU's
 * read database. A vendor's list (or one SKU's) reads one database; an operator's list reads
 * each and merges them newest first under one cursor. An alert is found by id in the
 * caller's vendor's database, or — for an operator, who names no vendor — in every database
 * at once (M reads in parallel; ids are unique across them, being random).
 */
import { compareKeys, mergeSortedPages } from "../domain/keyset-merge";
import { acknowledgeAlert, findAlert, listAlerts, snoozeAlert, type AlertFilter, type AlertListRow } from "../repositories/alerts";
import { readDbs, skuReadDb, vendorReadDb, vendorReadPartition, withoutMovedCopies } from "../repositories/read-partitions";
import { assertVendorsNotMoving } from "./read-moves";

/** A page of alerts, newest first (at most `filter.limit`). */
export async function listAlertsAcross(env: Env, filter: AlertFilter): Promise<AlertListRow[]> {
  if (filter.vendorId !== undefined) return listAlerts(await vendorReadDb(env, filter.vendorId), filter);
  if (filter.sku !== undefined) return listAlerts(await skuReadDb(env, filter.sku), filter);
  const pages = await withoutMovedCopies(
    env,
    await Promise.all(readDbs(env).map((db) => listAlerts(db, filter))),
    (a) => a.id,
    (a) => a.vendorId,
  );
  // Newest first: descending (openedAt, id).
  return mergeSortedPages(pages, (a, b) => compareKeys([b.openedAt, b.id], [a.openedAt, a.id]), filter.limit);
}

/** An alert found by id, with the read database it lives in. */
export interface LocatedAlert {
  alert: AlertListRow;
  db: D1Database;
}

/** The alert with this id: in `vendorId`'s read database if given, else in whichever has it. */
export async function locateAlert(env: Env, id: string, vendorId?: string): Promise<LocatedAlert | null> {
  const candidates = vendorId !== undefined ? [await vendorReadDb(env, vendorId)] : readDbs(env);
  const found = await Promise.all(candidates.map(async (db, p) => ({ db, p, alert: await findAlert(db, id) })));
  const hits = found.filter((f) => f.alert !== null);
  if (hits.length <= 1) return hits[0] === undefined ? null : { db: hits[0].db, alert: hits[0].alert! };
  // Two copies: a moved vendor's, before the old rows are cleaned up. The one where the vendor lives now is the alert.
  const home = hits[0]!.alert!.vendorId === null ? -1 : await vendorReadPartition(env, hits[0]!.alert!.vendorId);
  const hit = hits.find((h) => h.p === home) ?? hits[0]!;
  return { db: hit.db, alert: hit.alert! };
}

/** 503 while the alert's vendor's rows are being moved (services/read-moves.ts): a change now could land in the database being left. */
async function assertNotMoving(env: Env, alert: AlertListRow): Promise<void> {
  if (alert.vendorId !== null) await assertVendorsNotMoving(env, [alert.vendorId], { id: alert.id });
}

/** Acknowledges a located alert (the first acknowledgement is kept); returns it as stored now. */
export async function acknowledgeLocated(env: Env, located: LocatedAlert, by: string, now: number): Promise<AlertListRow> {
  await assertNotMoving(env, located.alert);
  await acknowledgeAlert(located.db, located.alert.id, by, now);
  return (await findAlert(located.db, located.alert.id))!;
}

/** Snoozes a located alert until `until` (ms); returns it as stored now. */
export async function snoozeLocated(env: Env, located: LocatedAlert, until: number): Promise<AlertListRow> {
  await assertNotMoving(env, located.alert);
  await snoozeAlert(located.db, located.alert.id, until);
  return (await findAlert(located.db, located.alert.id))!;
}
