/**
 * Reads of the counts and the live line sums, and the room they leave. Nothing here writes:
 * counts change only through `change()` in stock.ts, inside a transaction.
 */
import { pickMostAvailable } from "../../domain/allocation";
import { availableOf, QUANTITY_FIELDS, softHoldLimit, type LineSums, type Quantities } from "../../domain/quantities";
import type { ReservationType } from "../../domain/reservation-rules";
import type { SkuPolicy } from "../sku-inventory.types";
import { quantitiesOf, type StockRow } from "./rows";

/** One location's counts (zero where it has none yet). */
export function quantities(sql: SqlStorage, locationId: string): Quantities {
  return quantitiesOf(sql.exec<StockRow>("SELECT * FROM stock WHERE location_id = ?", locationId).toArray()[0]);
}

/** Totals across locations (for threshold events). */
export function totals(sql: SqlStorage): Quantities {
  const row = sql
    .exec<StockRow>(
      `SELECT '' AS location_id, SUM(on_hand) AS on_hand, SUM(reserved) AS reserved, SUM(soft_held) AS soft_held,
         SUM(committed) AS committed, SUM(in_transit) AS in_transit, SUM(damaged) AS damaged, SUM(on_hold) AS on_hold,
         0 AS updated_at FROM stock`,
    )
    .one();
  const q = quantitiesOf(row);
  for (const f of QUANTITY_FIELDS) q[f] ??= 0;
  return q;
}

/** Live line sums at a location, from the trigger-kept `line_totals` (O(1)). */
export function lineSums(sql: SqlStorage, locationId: string): LineSums {
  const row = sql
    .exec<{ active_hard: number; active_soft: number; committed: number; backordered: number }>(
      "SELECT active_hard, active_soft, committed, backordered FROM line_totals WHERE location_id = ?",
      locationId,
    )
    .toArray()[0];
  return {
    activeHard: row?.active_hard ?? 0,
    activeSoft: row?.active_soft ?? 0,
    committed: row?.committed ?? 0,
    backordered: row?.backordered ?? 0,
  };
}

/** Live line sums at a location recomputed from the lines themselves (for `verify`). */
export function lineSumsFromLines(sql: SqlStorage, locationId: string): LineSums {
  const row = sql
    .exec<{ hard: number | null; soft: number | null; committed: number | null; backordered: number | null }>(
      `SELECT
         SUM(CASE WHEN r.status = 'active' AND r.type = 'hard' THEN l.quantity END) AS hard,
         SUM(CASE WHEN r.status = 'active' AND r.type = 'soft' THEN l.quantity END) AS soft,
         SUM(CASE WHEN r.status = 'committed' THEN l.quantity END) AS committed,
         SUM(l.backordered) AS backordered
       FROM reservation_lines l JOIN reservations r ON r.id = l.reservation_id
       WHERE l.location_id = ? AND r.status IN ('active', 'committed')`,
      locationId,
    )
    .one();
  return {
    activeHard: row.hard ?? 0,
    activeSoft: row.soft ?? 0,
    committed: row.committed ?? 0,
    backordered: row.backordered ?? 0,
  };
}

/** Units a new line of this type may take at a location (negative when already over). */
export function room(q: Quantities, type: ReservationType, policy: SkuPolicy): number {
  const available = availableOf(q);
  return type === "soft" ? softHoldLimit(available, policy.softBufferPct) - q.softHeld : available;
}

/** The candidate with the most room for a line of this type (domain/allocation.ts). */
export function chooseLocation(sql: SqlStorage, candidates: readonly string[], type: ReservationType, policy: SkuPolicy): string | undefined {
  return pickMostAvailable(candidates.map((locationId) => ({ locationId, available: room(quantities(sql, locationId), type, policy) })))?.locationId;
}

/** The least on-hand a location may have: what is reserved, committed or unsellable (less accepted backorders). */
export function onHandFloor(sql: SqlStorage, locationId: string, q: Quantities, policy: SkuPolicy): number {
  const allowance = policy.allowBackorder ? lineSums(sql, locationId).backordered : 0;
  return q.onHand - availableOf(q) - allowance;
}
