/**
 * Lots and expiry of perishable units (issue 14, item 6). A SKU is perishable here when it
 * holds lots: a receipt (transfer or purchase order) that names a `lot` and its expiry date
 * puts its good units in that lot at the destination (D1's `skus.perishable` flag is master
 * data for people; the object goes by what it received). Units received without a lot are
 * unlotted and have no expiry.
 *
 * - **What a lot counts.** Its sellable units at a location: `Σ lots.units ≤ onHand − damaged −
 *   onHold` there (reserved and committed units are still in their lot until they ship).
 * - **First expiry, first out.** A fulfilment ships from the lots with the earliest expiry
 *   first (then by lot name), then unlotted units; each pick is a `lot_moves` row tied to the
 *   fulfilment's ledger row (`lots()` shows them). Any other change that leaves fewer sellable
 *   units than the lots count (damage, a write-off, a negative adjustment, a transfer out, a
 *   partial fulfilment by amendment) takes the difference from the earliest lots the same way.
 * - **Expiring.** The alarm raises `inventory.expiring` once per lot when its expiry is within
 *   the SKU's horizon (default 7 days; `setExpiryHorizon`), projected into an `expiring` alert.
 * - **Expired** (from 00:00 UTC of its `expiresOn` date): the alarm moves the lot's units to
 *   `onHold` (ledger op `lot_expire`, reason `expired`; event `inventory.lot_expired`). Orders
 *   that counted on those units wait as backorders (newest first) for the next arrival;
 *   units already picked (`committed`) stay in the lot and ship as picked.
 */
import { fail } from "../../domain/failures";
import { DEFAULT_EXPIRY_HORIZON_DAYS } from "../../domain/lots";
import { availableOf } from "../../domain/quantities";
import type { LotMove, LotPick, LotView } from "../sku-inbound.types";
import { lineSums, quantities } from "./counts";
import { skuOf } from "./meta";
import type { SkuDb } from "./rows";
import { change } from "./stock";
import { Rollback, Tx } from "./tx";

const DAY_MS = 24 * 60 * 60 * 1000;
const SERVER = "system:lots";

type LotRow = {
  location_id: string;
  lot: string;
  expires_at: number;
  units: number;
  received_at: number;
  alerted_at: number | null;
  expired_at: number | null;
};

const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The SKU's expiring-alert horizon in days. */
export function horizonDays(sql: SqlStorage): number {
  const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'expiry_horizon_days'").toArray()[0];
  return row === undefined ? DEFAULT_EXPIRY_HORIZON_DAYS : Number(row.value);
}

/** Sets the SKU's expiring-alert horizon (days; null: back to the default); lots not yet alerted follow it from the next alarm. */
export function setHorizonDays(db: SkuDb, days: number | null): void {
  db.storage.transactionSync(() => {
    if (days === null) db.sql.exec("DELETE FROM meta WHERE key = 'expiry_horizon_days'");
    else db.sql.exec("INSERT INTO meta (key, value) VALUES ('expiry_horizon_days', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", String(days));
  });
}

/** The horizon set for this SKU (days), or null when it runs on the default. */
export function horizonSet(sql: SqlStorage): number | null {
  const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'expiry_horizon_days'").toArray()[0];
  return row === undefined ? null : Number(row.value);
}

function move(
  tx: Tx,
  locationId: string,
  lot: string,
  delta: number,
  op: string,
  ledgerSeq: number | null,
  reservationId: string | null,
  reference: string | null,
): void {
  tx.sql.exec(
    "INSERT INTO lot_moves (at, location_id, lot, delta, op, ledger_seq, reservation_id, reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    tx.now,
    locationId,
    lot,
    delta,
    op,
    ledgerSeq,
    reservationId,
    reference,
  );
}

/** Puts received good units in a lot at a location (in the receipt's transaction). A lot keeps one expiry. */
export function receiveIntoLot(tx: Tx, locationId: string, lot: string, expiresAt: number, units: number, ledgerSeq: number, reference: string): void {
  const existing = tx.sql.exec<LotRow>("SELECT * FROM lots WHERE location_id = ? AND lot = ?", locationId, lot).toArray()[0];
  if (existing !== undefined && existing.expires_at !== expiresAt) {
    throw new Rollback(
      fail("invalid_state", `lot ${lot} at ${locationId} expires on ${dateOf(existing.expires_at)}, not ${dateOf(expiresAt)}`, {
        lot,
        locationId,
        expiresOn: dateOf(existing.expires_at),
      }),
    );
  }
  tx.sql.exec(
    `INSERT INTO lots (location_id, lot, expires_at, units, received_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (location_id, lot) DO UPDATE SET units = units + excluded.units`,
    locationId,
    lot,
    expiresAt,
    units,
    tx.now,
  );
  tx.db.inbound.mark(tx.sql, "lots");
  move(tx, locationId, lot, units, "receive", ledgerSeq, null, reference);
}

/** Takes up to `quantity` units from a location's lots, earliest expiry first; returns the picks. */
export function pickFefo(
  tx: Tx,
  locationId: string,
  quantity: number,
  op: string,
  ledgerSeq: number | null,
  reservationId: string | null,
  reference: string | null,
): LotPick[] {
  const picks: LotPick[] = [];
  if (quantity <= 0) return picks;
  let left = quantity;
  const lots = tx.sql.exec<LotRow>("SELECT * FROM lots WHERE location_id = ? AND units > 0 ORDER BY expires_at, lot", locationId).toArray();
  for (const lot of lots) {
    if (left === 0) break;
    const take = Math.min(lot.units, left);
    left -= take;
    tx.sql.exec("UPDATE lots SET units = units - ? WHERE location_id = ? AND lot = ?", take, locationId, lot.lot);
    move(tx, locationId, lot.lot, -take, op, ledgerSeq, reservationId, reference);
    picks.push({ lot: lot.lot, expiresOn: dateOf(lot.expires_at), quantity: take });
  }
  return picks;
}

/** Units in lots at a location. */
export function lotUnits(sql: SqlStorage, locationId: string): number {
  return sql.exec<{ n: number | null }>("SELECT SUM(units) AS n FROM lots WHERE location_id = ? AND units > 0", locationId).one().n ?? 0;
}

/**
 * Keeps a location's lots within its sellable units: what the transaction took beyond the
 * unlotted units comes out of the earliest lots, tied to the transaction's last ledger row
 * there. Run by the transaction runner for every touched location of a SKU with lots.
 */
export function reconcileLots(tx: Tx, locationId: string): void {
  const q = quantities(tx.sql, locationId);
  const excess = lotUnits(tx.sql, locationId) - (q.onHand - q.damaged - q.onHold);
  if (excess <= 0) return;
  const last = tx.events.findLast((e) => e.type === "inventory.updated" && e.locationId === locationId);
  pickFefo(
    tx,
    locationId,
    excess,
    last?.cause.op ?? "reconcile",
    last?.cause.ledgerSeq ?? null,
    last?.cause.reservationId ?? null,
    last?.cause.reference ?? null,
  );
}

/** Sellable units of the SKU whose lot expires within the horizon from `now`. */
function expiringUnits(sql: SqlStorage, now: number): number {
  const horizon = horizonDays(sql) * DAY_MS;
  return sql.exec<{ n: number | null }>("SELECT SUM(units) AS n FROM lots WHERE units > 0 AND expires_at - ? <= ?", horizon, now).one().n ?? 0;
}

/** When the alarm next has lot work (an alert to raise or a lot to expire), or null. */
export function nextLotDue(sql: SqlStorage): number | null {
  const horizon = horizonDays(sql) * DAY_MS;
  return (
    sql
      .exec<{ t: number | null }>(
        "SELECT MIN(CASE WHEN alerted_at IS NULL THEN expires_at - ? ELSE expires_at END) AS t FROM lots WHERE units > 0 AND expired_at IS NULL",
        horizon,
      )
      .one().t ?? null
  );
}

/**
 * The alarm's lot work: raises `inventory.expiring` once for each lot whose expiry came within
 * the horizon, and expires each lot whose date has come (one transaction per lot). Safe to
 * run twice: a lot alerted or expired is marked so.
 */
export function runLotWork(db: SkuDb, now: number): void {
  const horizon = horizonDays(db.sql) * DAY_MS;
  const due = db.sql
    .exec<LotRow>(
      `SELECT * FROM lots WHERE units > 0 AND expired_at IS NULL AND (expires_at <= ? OR (alerted_at IS NULL AND expires_at - ? <= ?))
       ORDER BY expires_at, location_id, lot LIMIT 100`,
      now,
      horizon,
      now,
    )
    .toArray();
  for (const lot of due) {
    const outcome = Tx.run(db, now, (tx) => {
      if (lot.alerted_at === null) alertLot(tx, lot);
      if (lot.expires_at <= now) expireLot(tx, lot);
      return true as const;
    });
    if (outcome !== true)
      console.error(JSON.stringify({ event: "lot.expiry_failed", sku: skuOf(db.sql), lot: lot.lot, locationId: lot.location_id, error: outcome.message }));
  }
}

function lotEvent(tx: Tx, type: "inventory.expiring" | "inventory.lot_expired", lot: LotRow, units: number, ledgerSeq: number | null): void {
  tx.emit({
    type,
    locationId: lot.location_id,
    occurredAt: new Date(tx.now).toISOString(),
    cause: {
      ledgerSeq,
      op: type === "inventory.expiring" ? "lot_expiring" : "lot_expire",
      reason: "expired",
      reference: lot.lot,
      reservationId: null,
      actor: SERVER,
    },
    before: null,
    after: null,
    reservation: null,
    lot: {
      locationId: lot.location_id,
      lot: lot.lot,
      expiresOn: dateOf(lot.expires_at),
      units,
      horizonDays: horizonDays(tx.sql),
      expiringUnits: expiringUnits(tx.sql, tx.now),
    },
  });
}

function alertLot(tx: Tx, lot: LotRow): void {
  tx.sql.exec("UPDATE lots SET alerted_at = ? WHERE location_id = ? AND lot = ?", tx.now, lot.location_id, lot.lot);
  lotEvent(tx, "inventory.expiring", lot, lot.units, null);
}

/** Moves an expired lot's units (all but those already picked) to on hold; orders that counted on them become backorders. */
function expireLot(tx: Tx, lot: LotRow): void {
  const at = lot.location_id;
  const q = quantities(tx.sql, at);
  const sums = lineSums(tx.sql, at);
  const lines = tx.sql
    .exec<{ reservation_id: string; quantity: number; backordered: number }>(
      `SELECT l.reservation_id, l.quantity, l.backordered FROM reservation_lines l JOIN reservations r ON r.id = l.reservation_id
       WHERE l.location_id = ? AND r.status = 'active' AND r.type = 'hard' AND l.quantity > l.backordered
       ORDER BY r.created_at DESC, r.rowid DESC`,
      at,
    )
    .toArray();
  const absorbable = lines.reduce((n, l) => n + l.quantity - l.backordered, 0);
  // Units beyond what the active orders can wait for are picked (committed): they stay and ship.
  const deficit = -(availableOf(q) - lot.units + sums.backordered);
  const units = lot.units - Math.max(0, deficit - absorbable);
  let seq: number | null = null;
  if (units > 0) {
    seq = change(tx, at, { onHold: units }, { op: "lot_expire", reason: "expired", actor: SERVER, reference: lot.lot });
    tx.sql.exec("UPDATE lots SET units = units - ? WHERE location_id = ? AND lot = ?", units, at, lot.lot);
    move(tx, at, lot.lot, -units, "expire", seq, null, null);
    let short = -(availableOf(quantities(tx.sql, at)) + sums.backordered);
    for (const line of lines) {
      if (short <= 0) break;
      const add = Math.min(short, line.quantity - line.backordered);
      short -= add;
      tx.sql.exec("UPDATE reservation_lines SET backordered = backordered + ? WHERE reservation_id = ? AND location_id = ?", add, line.reservation_id, at);
    }
  }
  tx.sql.exec("UPDATE lots SET expired_at = ? WHERE location_id = ? AND lot = ?", tx.now, at, lot.lot);
  lotEvent(tx, "inventory.lot_expired", lot, Math.max(units, 0), seq);
}

/** The lots of this SKU (optionally at one location), earliest expiry first, with their moves (newest 200). */
export function lotsView(sql: SqlStorage, locationId?: string): { lots: LotView[]; moves: LotMove[]; horizonDays: number } {
  const where = locationId === undefined ? "" : "WHERE location_id = ?";
  const args = locationId === undefined ? [] : [locationId];
  const lots = sql
    .exec<LotRow>(`SELECT * FROM lots ${where} ORDER BY location_id, expires_at, lot`, ...args)
    .toArray()
    .map((l) => ({
      locationId: l.location_id,
      lot: l.lot,
      expiresOn: dateOf(l.expires_at),
      units: l.units,
      receivedAt: l.received_at,
      alertedAt: l.alerted_at,
      expiredAt: l.expired_at,
    }));
  const moves = sql
    .exec<{ seq: number; at: number; location_id: string; lot: string; delta: number; op: string; ledger_seq: number | null; reservation_id: string | null }>(
      `SELECT * FROM lot_moves ${where} ORDER BY seq DESC LIMIT 200`,
      ...args,
    )
    .toArray()
    .reverse()
    .map((m) => ({
      seq: m.seq,
      at: m.at,
      locationId: m.location_id,
      lot: m.lot,
      delta: m.delta,
      op: m.op,
      ledgerSeq: m.ledger_seq,
      reservationId: m.reservation_id,
    }));
  return { lots, moves, horizonDays: horizonDays(sql) };
}

/** `verify()`'s lot checks: each lot's units equal the sum of its moves; lots never exceed a location's sellable units. */
export function verifyLots(sql: SqlStorage): { locationId: string; invariant: string; detail: string }[] {
  const breaches: { locationId: string; invariant: string; detail: string }[] = [];
  const rows = sql
    .exec<{ location_id: string; lot: string; units: number; moved: number | null }>(
      `SELECT l.location_id, l.lot, l.units, (SELECT SUM(delta) FROM lot_moves m WHERE m.location_id = l.location_id AND m.lot = l.lot) AS moved FROM lots l`,
    )
    .toArray();
  const perLocation = new Map<string, number>();
  for (const r of rows) {
    if ((r.moved ?? 0) !== r.units)
      breaches.push({ locationId: r.location_id, invariant: "lot_moves_replay", detail: `lot ${r.lot} has ${r.units}, its moves give ${r.moved ?? 0}` });
    perLocation.set(r.location_id, (perLocation.get(r.location_id) ?? 0) + r.units);
  }
  for (const [locationId, units] of perLocation) {
    const q = quantities(sql, locationId);
    const sellable = q.onHand - q.damaged - q.onHold;
    if (units > sellable) breaches.push({ locationId, invariant: "lots_within_sellable", detail: `lots hold ${units}, sellable units are ${sellable}` });
  }
  return breaches;
}
