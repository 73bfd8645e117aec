/**
 * Expected arrivals (issue 14, item 4; v9): the lines of this SKU on confirmed purchase
 * orders that have not shipped. No quantity moves — the units are not in transit yet — but
 * pre-orders count each `expected` row with a date as an arrival, like an open transfer line
 * (preorders.ts `expectedArrivals`).
 *
 * - **expect** (services/purchase-orders.ts, after the confirm step): sets the row's location,
 *   units and date; a repeat with the same figures changes nothing, so the confirm step can be
 *   finished again by a retry or the sweeper. A row already `shipped` or `cancelled` is left
 *   as it is (a late push never brings a withdrawn or shipped line back).
 * - **ship** (transfers.ts `createTransfer` of a purchase order's line): the row with the
 *   line's id becomes `shipped` in the transaction that creates the transfer line and puts the
 *   units in transit, so the same units are never counted twice, nor missed in between.
 * - **cancel** (the order cancelled before it shipped): the row becomes `cancelled`; a cancel
 *   of a row never pushed leaves a `cancelled` tombstone, so a late push is ignored. Pre-orders
 *   placed against it keep waiting for the next arrival (their date moves to it, or to null).
 */
import type { CancelExpectedArrivalInput, ExpectArrivalInput, ExpectArrivalResult, ExpectedArrivalStatus, ExpectedArrivalView } from "../sku-inbound.types";
import type { Failure } from "../../domain/failures";
import { rememberSku } from "./meta";
import type { SkuDb } from "./rows";
import { Tx } from "./tx";

type ArrivalRow = {
  id: string;
  location_id: string;
  quantity: number;
  expected_at: number | null;
  status: ExpectedArrivalStatus;
  reference: string | null;
};

function row(sql: SqlStorage, id: string): ArrivalRow | undefined {
  return sql.exec<ArrivalRow>("SELECT id, location_id, quantity, expected_at, status, reference FROM expected_arrivals WHERE id = ?", id).toArray()[0];
}

function viewOf(r: ArrivalRow): ExpectedArrivalView {
  return { arrivalId: r.id, locationId: r.location_id, quantity: r.quantity, expectedAt: r.expected_at, status: r.status, reference: r.reference };
}

/** Sets an expected arrival's figures (idempotent); one already shipped or withdrawn stays so. */
export function expectArrival(db: SkuDb, input: ExpectArrivalInput, now: number): ExpectArrivalResult | Failure {
  return Tx.run(db, now, (tx) => {
    const sql = tx.sql;
    const current = row(sql, input.arrivalId);
    // Shipped before this push arrived (the transfer line exists): the line took over.
    const shipped = current === undefined && sql.exec("SELECT 1 FROM transfers WHERE id = ?", input.arrivalId).toArray().length > 0;
    if (shipped || (current !== undefined && current.status !== "expected")) {
      return {
        ok: true as const,
        arrival: current === undefined ? { ...viewOfInput(input), status: "shipped" as const } : viewOf(current),
        replayed: true,
      };
    }
    if (
      current !== undefined &&
      current.location_id === input.locationId &&
      current.quantity === input.quantity &&
      current.expected_at === input.expectedAt &&
      current.reference === input.reference
    ) {
      return { ok: true as const, arrival: viewOf(current), replayed: true };
    }
    rememberSku(tx, input.sku);
    db.policy.remember(tx, input.policy);
    sql.exec(
      `INSERT INTO expected_arrivals (id, location_id, quantity, expected_at, status, reference, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'expected', ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET location_id = excluded.location_id, quantity = excluded.quantity,
         expected_at = excluded.expected_at, reference = excluded.reference, updated_at = excluded.updated_at`,
      input.arrivalId,
      input.locationId,
      input.quantity,
      input.expectedAt,
      input.reference,
      now,
      now,
    );
    return { ok: true as const, arrival: viewOf(row(sql, input.arrivalId)!), replayed: false };
  });
}

function viewOfInput(input: ExpectArrivalInput): Omit<ExpectedArrivalView, "status"> {
  return { arrivalId: input.arrivalId, locationId: input.locationId, quantity: input.quantity, expectedAt: input.expectedAt, reference: input.reference };
}

/** Withdraws an expected arrival (idempotent); a tombstone if it was never pushed, nothing if it shipped. */
export function cancelExpectedArrival(db: SkuDb, input: CancelExpectedArrivalInput, now: number): ExpectArrivalResult | Failure {
  return Tx.run(db, now, (tx) => {
    const sql = tx.sql;
    const current = row(sql, input.arrivalId);
    if (current !== undefined && current.status !== "expected") return { ok: true as const, arrival: viewOf(current), replayed: true };
    rememberSku(tx, input.sku);
    sql.exec(
      `INSERT INTO expected_arrivals (id, location_id, quantity, expected_at, status, reference, created_at, updated_at)
       VALUES (?, '', 0, NULL, 'cancelled', ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = 'cancelled', updated_at = excluded.updated_at`,
      input.arrivalId,
      input.reason,
      now,
      now,
    );
    return { ok: true as const, arrival: viewOf(row(sql, input.arrivalId)!), replayed: false };
  });
}

/** In the transaction that ships a purchase order's line: its expected arrival (if any) is now that transfer line. */
export function arrivalShipped(tx: Tx, arrivalId: string): void {
  tx.sql.exec("UPDATE expected_arrivals SET status = 'shipped', updated_at = ? WHERE id = ? AND status = 'expected'", tx.now, arrivalId);
}

/** Dated expected arrivals at a location (units, date), for pre-orders. */
export function openArrivals(sql: SqlStorage, locationId: string): { id: string; expected_at: number; outstanding: number }[] {
  return sql
    .exec<{ id: string; expected_at: number; outstanding: number }>(
      `SELECT id, expected_at, quantity AS outstanding FROM expected_arrivals
       WHERE location_id = ? AND status = 'expected' AND expected_at IS NOT NULL AND quantity > 0`,
      locationId,
    )
    .toArray();
}

/** Locations with a dated expected arrival and no counts row yet (the public view lists them too). */
export function arrivalOnlyLocations(sql: SqlStorage): { locationId: string; updatedAt: number }[] {
  return sql
    .exec<{ location_id: string; updated_at: number }>(
      `SELECT location_id, MAX(updated_at) AS updated_at FROM expected_arrivals
       WHERE status = 'expected' AND expected_at IS NOT NULL AND quantity > 0 AND location_id NOT IN (SELECT location_id FROM stock)
       GROUP BY location_id`,
    )
    .toArray()
    .map((r) => ({ locationId: r.location_id, updatedAt: r.updated_at }));
}

/** Whether any dated arrival is expected at a location (the public view's shortcut). */
export function hasOpenArrivals(sql: SqlStorage, locationId: string): boolean {
  return openArrivals(sql, locationId).length > 0;
}

/** An expected arrival as this SKU holds it, or null. */
export function getExpectedArrival(sql: SqlStorage, arrivalId: string): ExpectedArrivalView | null {
  const r = row(sql, arrivalId);
  return r === undefined ? null : viewOf(r);
}
