/**
 * Backorders served on arrival (DESIGN.md "Reservations": served first-come-first-served
 * before new orders when stock arrives).
 *
 * A backordered line already counts its full quantity in `reserved`, so `available` at its
 * location is negative by the units still missing; arriving units fill that hole before any
 * new order can see them. What this module keeps right is the bookkeeping: the lines'
 * `backordered` must add up to exactly the hole, `max(0, −available)`. When more is
 * recorded than is missing, units arrived (a stock increase, a transfer receipt, units back
 * to sellable, another reservation released): the oldest backordered lines are covered
 * first (reservation `created_at`, then row order — the order the object accepted them) and
 * each covered line emits `reservation.backorder_covered` so checkout can tell its customer.
 *
 * The transaction runner calls `serveBackorders` for every location a transaction touched,
 * so every path that adds sellable units serves them; operations that report what they
 * covered call it themselves first (a second call finds nothing left to do).
 */
import { availableOf, type LineSums } from "../../domain/quantities";
import type { CoveredBackorder } from "../sku-inbound.types";
import { lineSums } from "./counts";
import { lines, reservationRow } from "./lifecycle";
import type { Tx } from "./tx";

/** The actor of coverage done by the object itself. */
const SERVER = "system:backorders";

/** Covers the oldest backordered lines at a location with the units that arrived there (`sums`: its line sums, if just read). */
export function serveBackorders(tx: Tx, locationId: string, sums: LineSums = lineSums(tx.sql, locationId)): CoveredBackorder[] {
  const recorded = sums.backordered;
  if (recorded === 0) return [];
  const missing = Math.max(0, -availableOf(tx.quantities(locationId)));
  let toCover = recorded - missing;
  if (toCover <= 0) return [];
  const waiting = tx.sql
    .exec<{ reservation_id: string; backordered: number }>(
      `SELECT l.reservation_id, l.backordered FROM reservation_lines l JOIN reservations r ON r.id = l.reservation_id
       WHERE l.location_id = ? AND l.backordered > 0 AND r.status IN ('active', 'committed')
       ORDER BY r.created_at, r.rowid`,
      locationId,
    )
    .toArray();
  const covered: CoveredBackorder[] = [];
  for (const line of waiting) {
    if (toCover === 0) break;
    const take = Math.min(line.backordered, toCover);
    toCover -= take;
    const remaining = line.backordered - take;
    tx.sql.exec("UPDATE reservation_lines SET backordered = ? WHERE reservation_id = ? AND location_id = ?", remaining, line.reservation_id, locationId);
    covered.push({ reservationId: line.reservation_id, locationId, covered: take, remaining });
    emitCovered(tx, line.reservation_id, locationId, take, remaining);
  }
  return covered;
}

function emitCovered(tx: Tx, reservationId: string, locationId: string, covered: number, remaining: number): void {
  const row = reservationRow(tx.sql, reservationId)!;
  tx.emit({
    type: "reservation.backorder_covered",
    locationId,
    occurredAt: new Date(tx.now).toISOString(),
    cause: { ledgerSeq: null, op: "backorder_covered", reason: null, reference: row.reference, reservationId, actor: SERVER },
    before: null,
    after: null,
    reservation: {
      id: reservationId,
      type: row.type,
      status: row.status,
      lines: lines(tx.sql, reservationId).map((l) => ({ locationId: l.location_id, quantity: l.quantity })),
    },
    backorder: { locationId, covered, remaining },
  });
}
