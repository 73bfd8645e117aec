/**
 * Reads of the SKU object: its snapshot, the public view's figures, the ledger, and
 * `verify()`, which checks every invariant and replays the ledger against the counts.
 */
import type { PublicLevel } from "../../domain/availability";
import { applyDelta, availableOf, checkInvariants, QUANTITY_FIELDS, sameQuantities, ZERO_QUANTITIES, type Quantities } from "../../domain/quantities";
import type { LedgerEntry, ReservationCounts, SkuSnapshot, VerifyReport } from "../sku-inventory.types";
import { lineSums, lineSumsFromLines } from "./counts";
import { verifyLots } from "./lots";
import { skuOf } from "./meta";
import { preorderPosition } from "./preorders";
import { arrivalOnlyLocations, hasOpenArrivals } from "./expected-arrivals";
import { COLUMNS, levelOf, quantitiesOf, type StockRow } from "./rows";

/** Per-location quantities, totals and reservation counts. */
export function snapshot(sql: SqlStorage): SkuSnapshot {
  const rows = sql.exec<StockRow>("SELECT * FROM stock ORDER BY location_id").toArray();
  let totals: Quantities = { ...ZERO_QUANTITIES };
  let updatedAt: number | null = null;
  const locations = rows.map((row) => {
    const q = quantitiesOf(row);
    totals = applyDelta(totals, q);
    updatedAt = Math.max(updatedAt ?? 0, row.updated_at);
    return levelOf(row.location_id, q, row.updated_at);
  });
  const counts = (where: string): ReservationCounts => {
    const c = sql
      .exec<{ count: number; units: number | null }>(
        `SELECT COUNT(DISTINCT r.id) AS count, SUM(l.quantity) AS units
         FROM reservations r JOIN reservation_lines l ON l.reservation_id = r.id WHERE ${where}`,
      )
      .one();
    return { count: c.count, units: c.units ?? 0 };
  };
  return {
    sku: skuOf(sql),
    version: lastSeq(sql),
    updatedAt,
    totals: { ...totals, available: availableOf(totals) },
    locations,
    reservations: {
      activeSoft: counts("r.status = 'active' AND r.type = 'soft'"),
      activeHard: counts("r.status = 'active' AND r.type = 'hard'"),
      committed: counts("r.status = 'committed'"),
    },
  };
}

/** Per-location sellable figures for the public view, and when they last changed. */
export function publicLevels(sql: SqlStorage): { levels: PublicLevel[]; updatedAt: number | null } {
  const rows = sql.exec<StockRow>("SELECT * FROM stock").toArray();
  // A location expecting a confirmed order's units before it ever held any (expected-arrivals.ts) has no counts row yet.
  for (const { locationId, updatedAt: at } of arrivalOnlyLocations(sql))
    rows.push({ location_id: locationId, on_hand: 0, reserved: 0, soft_held: 0, committed: 0, in_transit: 0, damaged: 0, on_hold: 0, updated_at: at });
  let updatedAt: number | null = null;
  const levels = rows.map((row): PublicLevel => {
    updatedAt = Math.max(updatedAt ?? 0, row.updated_at);
    const level: PublicLevel = { locationId: row.location_id, available: availableOf(quantitiesOf(row)), inTransit: row.in_transit };
    if (row.in_transit === 0 && !hasOpenArrivals(sql, row.location_id)) return { ...level, preorderable: 0, availabilityDate: null };
    // Expected arrivals not yet promised (preorders.ts): what a pre-order may take, and when the next unit comes.
    const position = preorderPosition(sql, row.location_id);
    return { ...level, preorderable: Math.min(position.room, position.expected), availabilityDate: position.nextDate };
  });
  return { levels, updatedAt };
}

/** Ledger rows after `afterSeq`, oldest first. */
export function ledger(sql: SqlStorage, afterSeq: number, limit: number): LedgerEntry[] {
  type Row = {
    seq: number;
    at: number;
    location_id: string;
    op: string;
    reason: string | null;
    actor: string;
    reference: string | null;
    reservation_id: string | null;
    before_json: string;
    after_json: string;
  } & Record<`d_${string}`, number>;
  return sql
    .exec<Row>("SELECT * FROM ledger WHERE seq > ? ORDER BY seq LIMIT ?", afterSeq, limit)
    .toArray()
    .map((row) => {
      const before = JSON.parse(row.before_json) as Quantities;
      const after = JSON.parse(row.after_json) as Quantities;
      const delta = { ...ZERO_QUANTITIES };
      for (const f of QUANTITY_FIELDS) delta[f] = row[`d_${COLUMNS[f]}`] ?? 0;
      return {
        seq: row.seq,
        at: row.at,
        locationId: row.location_id,
        op: row.op,
        reason: row.reason,
        actor: row.actor,
        reference: row.reference,
        reservationId: row.reservation_id,
        delta,
        before,
        after,
      };
    });
}

/** Checks every location's invariants and that replaying the ledger from zero gives its counts. */
export function verify(sql: SqlStorage): Omit<VerifyReport, "health"> {
  const breaches: VerifyReport["breaches"] = [];
  const stock = new Map(
    sql
      .exec<StockRow>("SELECT * FROM stock")
      .toArray()
      .map((row) => [row.location_id, quantitiesOf(row)]),
  );
  const sums = QUANTITY_FIELDS.map((f) => `SUM(d_${COLUMNS[f]}) AS ${COLUMNS[f]}`).join(", ");
  const replayed = sql.exec<StockRow>(`SELECT location_id, ${sums}, 0 AS updated_at FROM ledger GROUP BY location_id`).toArray();
  for (const row of replayed) {
    const fromLedger = quantitiesOf(row);
    const actual = stock.get(row.location_id) ?? { ...ZERO_QUANTITIES };
    if (!sameQuantities(fromLedger, actual)) {
      breaches.push({
        locationId: row.location_id,
        invariant: "ledger_replay",
        detail: `ledger gives ${JSON.stringify(fromLedger)}, counts are ${JSON.stringify(actual)}`,
      });
    }
  }
  const replayedIds = new Set(replayed.map((r) => r.location_id));
  for (const [locationId, q] of stock) {
    if (!replayedIds.has(locationId) && !sameQuantities(q, ZERO_QUANTITIES)) {
      breaches.push({ locationId, invariant: "ledger_replay", detail: "counts without any ledger row" });
    }
    const fromLines = lineSumsFromLines(sql, locationId);
    for (const b of checkInvariants(q, fromLines)) breaches.push({ locationId, ...b });
    const kept = lineSums(sql, locationId);
    if (JSON.stringify(kept) !== JSON.stringify(fromLines)) {
      breaches.push({ locationId, invariant: "line_totals", detail: `kept ${JSON.stringify(kept)}, lines give ${JSON.stringify(fromLines)}` });
    }
  }
  breaches.push(...verifyLots(sql));
  const preorders = sql
    .exec<{ reservation_id: string; location_id: string; waiting: number; placed: number; status: string }>(
      `SELECT p.reservation_id, p.location_id, p.waiting, p.placed, r.status FROM preorder_lines p LEFT JOIN reservations r ON r.id = p.reservation_id
       WHERE p.waiting > 0 AND (p.waiting > p.placed OR r.status IS NOT 'active')`,
    )
    .toArray();
  for (const p of preorders) {
    breaches.push({
      locationId: p.location_id,
      invariant: "preorder_waiting",
      detail: `${p.reservation_id} waits for ${p.waiting} of ${p.placed} while ${p.status ?? "gone"}`,
    });
  }
  const ledgerRows = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM ledger").one().n;
  return { ok: breaches.length === 0, locations: stock.size, ledgerRows, breaches };
}

function lastSeq(sql: SqlStorage): number {
  return sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM ledger").one().seq ?? 0;
}
