/**
 * Pre-orders (issue 14, item 4): orders against expected arrivals — the open transfer and
 * purchase-order lines of this SKU that carry an expected date (`transfers` rows in transit
 * or partly received with `expected_at`, a purchase order's lines once it shipped; and, v9,
 * the `expected_arrivals` of confirmed purchase orders not shipped yet).
 *
 * - **Limit.** A pre-order line of q units at a location is accepted only while
 *   `available + expected − waiting ≥ q` there: the units expected, less what is already
 *   promised — backorders (the negative part of `available`) and pre-ordered units still
 *   waiting. Otherwise `insufficient_stock` (409) with what could still be pre-ordered.
 * - **Waiting units** are in no quantity bucket: they are a `preorder_lines` row (v8), in queue
 *   order (`seq`: the order this object accepted them). The reservation row is `hard`; its
 *   view shows type `preorder` while any unit waits, and the units already arrived as its
 *   reserved line.
 * - **On arrival** (any transaction that leaves `available > 0` at the location: a receipt, a
 *   stock increase, units back to sellable, another order released) the transaction runner
 *   first lets backorders take the units (backorders.ts: they are orders already counted in
 *   `reserved`, so the hole in `available` is filled first), then covers waiting pre-orders
 *   oldest first: `reserved += n` on the reservation's line, `waiting −= n`, ledger op
 *   `preorder_cover`, event `reservation.preorder_covered`. What cannot be covered waits for
 *   the next arrival. New orders see only what is left.
 * - A pre-order cannot be committed (picked) or amended while units wait; released or expired,
 *   its waiting units are dropped (nothing to give back: they held nothing).
 */
import type { ShortLine } from "../../domain/failures";
import { availableOf } from "../../domain/quantities";
import type { HeldLine, LineRequest, PreorderQueueEntry } from "../sku-inventory.types";
import { quantities } from "./counts";
import { openArrivals } from "./expected-arrivals";
import { reservationRow } from "./lifecycle";
import type { PreorderRow } from "./rows";
import { change } from "./stock";
import type { Tx } from "./tx";

/** The actor of coverage done by the object itself. */
const SERVER = "system:preorders";

/** One expected arrival at a location: an open transfer or purchase-order line with a date. */
export interface ExpectedArrival {
  transferId: string;
  expectedAt: number;
  outstanding: number;
}

/**
 * Open inbound lines with an expected date at a location, earliest first: transfer and shipped
 * purchase-order lines, and (v9) confirmed purchase-order lines not shipped yet
 * (expected-arrivals.ts; the ship step replaces one by its transfer line, so none is counted twice).
 */
export function expectedArrivals(sql: SqlStorage, locationId: string): ExpectedArrival[] {
  const inbound = sql
    .exec<{ id: string; expected_at: number; outstanding: number }>(
      `SELECT id, expected_at, quantity - received - damaged - short AS outstanding FROM transfers
       WHERE to_location = ? AND status IN ('in_transit', 'partially_received') AND expected_at IS NOT NULL`,
      locationId,
    )
    .toArray();
  return [...inbound, ...openArrivals(sql, locationId)]
    .filter((r) => r.outstanding > 0)
    .sort((a, b) => a.expected_at - b.expected_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => ({ transferId: r.id, expectedAt: r.expected_at, outstanding: r.outstanding }));
}

/** Pre-ordered units waiting at a location. */
export function waitingAt(sql: SqlStorage, locationId: string): number {
  return sql.exec<{ n: number | null }>("SELECT SUM(waiting) AS n FROM preorder_lines WHERE location_id = ? AND waiting > 0", locationId).one().n ?? 0;
}

/** What a location's pre-order figures are now. */
export interface PreorderPosition {
  /** Units expected by open lines with a date. */
  expected: number;
  /** Pre-ordered units waiting. */
  waiting: number;
  /** Units a new pre-order may still take: available + expected − waiting (never below 0). */
  room: number;
  /** When the next unit not yet promised is expected (ms), or null when none is. */
  nextDate: number | null;
}

/** The pre-order figures of a location: expected, waiting, room, and the date of the next free unit. */
export function preorderPosition(sql: SqlStorage, locationId: string): PreorderPosition {
  const arrivals = expectedArrivals(sql, locationId);
  const available = availableOf(quantities(sql, locationId));
  const waiting = waitingAt(sql, locationId);
  const expected = arrivals.reduce((n, a) => n + a.outstanding, 0);
  return { expected, waiting, room: Math.max(0, available + expected - waiting), nextDate: dateOfUnit(arrivals, Math.max(0, -available) + waiting) };
}

/** The expected date of the arrival that brings the unit after the first `promised` ones, or null. */
export function dateOfUnit(arrivals: readonly ExpectedArrival[], promised: number): number | null {
  let units = 0;
  for (const a of arrivals) {
    units += a.outstanding;
    if (units > promised) return a.expectedAt;
  }
  return null;
}

/**
 * Places the lines of a pre-order (in the running transaction): each checked against its
 * location's room, accumulated per location. Returns the held lines, or the short ones.
 */
export function placePreorder(tx: Tx, sku: string, reservationId: string, requests: readonly LineRequest[]): { held: Map<string, number>; short: ShortLine[] } {
  const held = new Map<string, number>();
  const short: ShortLine[] = [];
  const roomAt = (locationId: string) => preorderPosition(tx.sql, locationId).room - (held.get(locationId) ?? 0);
  for (const line of requests) {
    const locationId = line.locationId ?? mostRoom(line.candidates ?? [], roomAt);
    if (locationId === undefined) {
      short.push({ sku, locationId: null, requested: line.quantity, available: 0 });
      continue;
    }
    const room = roomAt(locationId);
    if (room < line.quantity) {
      short.push({ sku, locationId, requested: line.quantity, available: Math.max(room, 0) });
      continue;
    }
    held.set(locationId, (held.get(locationId) ?? 0) + line.quantity);
  }
  if (short.length > 0) return { held, short };
  for (const [locationId, quantity] of held) {
    tx.sql.exec(
      "INSERT INTO preorder_lines (reservation_id, location_id, placed, waiting, created_at) VALUES (?, ?, ?, ?, ?)",
      reservationId,
      locationId,
      quantity,
      quantity,
      tx.now,
    );
    tx.db.inbound.mark(tx.sql, "preorders");
    tx.touch(locationId);
  }
  return { held, short };
}

function mostRoom(candidates: readonly string[], roomAt: (locationId: string) => number): string | undefined {
  let best: { locationId: string; room: number } | undefined;
  for (const locationId of candidates) {
    const room = roomAt(locationId);
    if (room > 0 && (best === undefined || room > best.room)) best = { locationId, room };
  }
  return best?.locationId;
}

/** A covered pre-order line (partly or in full) by arriving units. */
export interface CoveredPreorder {
  reservationId: string;
  locationId: string;
  covered: number;
  remaining: number;
}

/**
 * Covers waiting pre-orders at a location, oldest first, with what is available there (after
 * backorders took theirs). Run by the transaction runner for every touched location.
 */
export function servePreorders(tx: Tx, locationId: string): CoveredPreorder[] {
  let space = availableOf(quantities(tx.sql, locationId));
  if (space <= 0) return [];
  const queue = tx.sql
    .exec<PreorderRow>(
      `SELECT p.* FROM preorder_lines p JOIN reservations r ON r.id = p.reservation_id
       WHERE p.location_id = ? AND p.waiting > 0 AND r.status = 'active' ORDER BY p.seq`,
      locationId,
    )
    .toArray();
  const covered: CoveredPreorder[] = [];
  for (const line of queue) {
    if (space === 0) break;
    const take = Math.min(line.waiting, space);
    space -= take;
    const row = reservationRow(tx.sql, line.reservation_id)!;
    change(
      tx,
      locationId,
      { reserved: take },
      { op: "preorder_cover", reason: "arrived", actor: SERVER, reference: row.reference, reservationId: line.reservation_id },
    );
    tx.sql.exec(
      `INSERT INTO reservation_lines (reservation_id, location_id, quantity, backordered) VALUES (?, ?, ?, 0)
       ON CONFLICT (reservation_id, location_id) DO UPDATE SET quantity = quantity + excluded.quantity`,
      line.reservation_id,
      locationId,
      take,
    );
    tx.sql.exec("UPDATE preorder_lines SET waiting = waiting - ? WHERE seq = ?", take, line.seq);
    const remaining = line.waiting - take;
    covered.push({ reservationId: line.reservation_id, locationId, covered: take, remaining });
    const lines = mergedLines(tx.sql, line.reservation_id);
    tx.emit({
      type: "reservation.preorder_covered",
      locationId,
      occurredAt: new Date(tx.now).toISOString(),
      cause: { ledgerSeq: null, op: "preorder_covered", reason: null, reference: row.reference, reservationId: line.reservation_id, actor: SERVER },
      before: null,
      after: null,
      reservation: {
        id: line.reservation_id,
        type: lines.some((l) => (l.preordered ?? 0) > 0) ? "preorder" : "hard",
        status: row.status,
        lines: lines.map((l) => ({ locationId: l.locationId, quantity: l.quantity })),
      },
      preorder: { locationId, covered: take, remaining },
    });
  }
  return covered;
}

/** A reservation's lines with its waiting pre-ordered units: `quantity` is all units, `preordered` those still waiting. */
export function mergedLines(sql: SqlStorage, reservationId: string): HeldLine[] {
  const rows = sql
    .exec<{ location_id: string; quantity: number; backordered: number; preordered: number }>(
      `SELECT location_id, SUM(quantity) AS quantity, SUM(backordered) AS backordered, SUM(preordered) AS preordered FROM (
         SELECT location_id, quantity, backordered, 0 AS preordered FROM reservation_lines WHERE reservation_id = ?
         UNION ALL SELECT location_id, waiting, 0, waiting FROM preorder_lines WHERE reservation_id = ? AND waiting > 0
       ) GROUP BY location_id ORDER BY location_id`,
      reservationId,
      reservationId,
    )
    .toArray();
  return rows.map((r) => ({ locationId: r.location_id, quantity: r.quantity, backordered: r.backordered, preordered: r.preordered }));
}

/** Units of a reservation still waiting, over its locations. */
export function waitingOf(sql: SqlStorage, reservationId: string): number {
  return sql.exec<{ n: number | null }>("SELECT SUM(waiting) AS n FROM preorder_lines WHERE reservation_id = ?", reservationId).one().n ?? 0;
}

/** Drops a reservation's waiting units (it was released or expired; they held nothing). */
export function dropPreorders(tx: Tx, reservationId: string): void {
  tx.sql.exec("UPDATE preorder_lines SET waiting = 0 WHERE reservation_id = ? AND waiting > 0", reservationId);
}

/** The pre-order queue (units still waiting), in the order arrivals will cover it. */
export function preorderQueue(sql: SqlStorage, locationId?: string): PreorderQueueEntry[] {
  const rows = sql
    .exec<PreorderRow & { reference: string | null }>(
      `SELECT p.*, r.reference FROM preorder_lines p JOIN reservations r ON r.id = p.reservation_id
       WHERE p.waiting > 0 AND r.status = 'active' ${locationId === undefined ? "" : "AND p.location_id = ?"} ORDER BY p.location_id, p.seq`,
      ...(locationId === undefined ? [] : [locationId]),
    )
    .toArray();
  const positions = new Map<string, { arrivals: ExpectedArrival[]; promised: number }>();
  return rows.map((r) => {
    let at = positions.get(r.location_id);
    if (at === undefined) {
      at = { arrivals: expectedArrivals(sql, r.location_id), promised: Math.max(0, -availableOf(quantities(sql, r.location_id))) };
      positions.set(r.location_id, at);
    }
    at.promised += r.waiting;
    const expectedAt = dateOfUnit(at.arrivals, at.promised - 1);
    return {
      reservationId: r.reservation_id,
      reference: r.reference,
      locationId: r.location_id,
      placed: r.placed,
      waiting: r.waiting,
      placedAt: r.created_at,
      expectedAt,
    };
  });
}

/**
 * When the arrival covering a reservation line's waiting units is expected (ms), or null when
 * none is yet: backordered units queue behind older backorders at the location (backorders.ts
 * order), pre-ordered ones behind every backorder and older pre-orders (this module's queue).
 */
export function waitingDate(sql: SqlStorage, reservationId: string, line: HeldLine): number | null {
  if ((line.preordered ?? 0) > 0) return preorderQueue(sql, line.locationId).find((q) => q.reservationId === reservationId)?.expectedAt ?? null;
  if (line.backordered <= 0) return null;
  const ahead = sql
    .exec<{ reservation_id: string; backordered: number }>(
      `SELECT l.reservation_id, l.backordered FROM reservation_lines l JOIN reservations r ON r.id = l.reservation_id
       WHERE l.location_id = ? AND l.backordered > 0 AND r.status IN ('active', 'committed')
       ORDER BY r.created_at, r.rowid`,
      line.locationId,
    )
    .toArray();
  let promised = 0;
  for (const r of ahead) {
    promised += r.backordered;
    if (r.reservation_id === reservationId) break;
  }
  return dateOfUnit(expectedArrivals(sql, line.locationId), promised - 1);
}
