/**
 * A reservation as this SKU holds it: its rows, its view, and the moves that end it
 * (release, expiry), following the shared state machine of domain/reservation-lifecycle.ts.
 */
import type { InventoryEventType } from "../../domain/events";
import { fail, type Failure } from "../../domain/failures";
import { decideStep, heldIn, refusalFailure, type StepRefusal } from "../../domain/reservation-lifecycle";
import type { ReservationStatus } from "../../domain/reservation-rules";
import type { ReservationRefInput, SkuReservation } from "../sku-inventory.types";
import type { LineRow, ReservationRow } from "./rows";
import { dropPreorders, mergedLines } from "./preorders";
import { change } from "./stock";
import { type PendingEvent, Rollback, type Tx } from "./tx";

export function reservationRow(sql: SqlStorage, id: string): ReservationRow | undefined {
  return sql.exec<ReservationRow>("SELECT * FROM reservations WHERE id = ?", id).toArray()[0];
}

export function lines(sql: SqlStorage, id: string): LineRow[] {
  return sql.exec<LineRow>("SELECT location_id, quantity, backordered FROM reservation_lines WHERE reservation_id = ? ORDER BY location_id", id).toArray();
}

/**
 * The reservation as an RPC value. `withPreorders` (the SKU has pre-orders): lines include
 * their waiting pre-ordered units, and the type is `preorder` while any unit waits.
 */
export function view(sql: SqlStorage, row: ReservationRow, withPreorders = false): SkuReservation {
  if (withPreorders) {
    const merged = mergedLines(sql, row.id);
    return {
      id: row.id,
      attempt: row.attempt,
      type: merged.some((l) => (l.preordered ?? 0) > 0) ? "preorder" : row.type,
      status: row.status,
      expiresAt: row.expires_at,
      lines: merged,
    };
  }
  return {
    id: row.id,
    attempt: row.attempt,
    type: row.type,
    status: row.status,
    expiresAt: row.expires_at,
    lines: lines(sql, row.id).map((l) => ({ locationId: l.location_id, quantity: l.quantity, backordered: l.backordered })),
  };
}

/** The failure a refused step answers with; an expiry names when it happened. */
export function refusal(row: ReservationRow, why: StepRefusal): Failure {
  return refusalFailure(row.id, row, why, row.expires_at);
}

export function setStatus(tx: Tx, id: string, status: ReservationStatus): void {
  tx.sql.exec("UPDATE reservations SET status = ?, updated_at = ? WHERE id = ?", status, tx.now, id);
}

/**
 * Records a reservation-level event in the running transaction (`extra`: fields only some types
 * carry, e.g. `amendment`). `known`: the reservation as the transaction just wrote it, for a SKU
 * without pre-orders (it is not read back).
 */
export function reservationEvent(
  tx: Tx,
  type: InventoryEventType,
  id: string,
  actor: string,
  reason: string | null,
  extra: Partial<PendingEvent> = {},
  known?: { reference: string | null; view: SkuReservation },
): void {
  const preorders = tx.db.inbound.get(tx.sql).preorders;
  let reference: string | null;
  let shown: Pick<SkuReservation, "type" | "status" | "lines">;
  if (known !== undefined && !preorders) {
    ({ reference, view: shown } = known);
  } else {
    const row = reservationRow(tx.sql, id)!;
    reference = row.reference;
    // With pre-orders, lines include their waiting units and the type is `preorder` while any waits.
    shown = preorders
      ? { ...view(tx.sql, row, true), status: row.status }
      : {
          type: row.type,
          status: row.status,
          lines: lines(tx.sql, id).map((l) => ({ locationId: l.location_id, quantity: l.quantity, backordered: l.backordered })),
        };
  }
  tx.emit({
    type,
    locationId: null,
    occurredAt: new Date(tx.now).toISOString(),
    cause: { ledgerSeq: null, op: type.slice("reservation.".length), reason, reference, reservationId: id, actor },
    before: null,
    after: null,
    reservation: { id, type: shown.type, status: shown.status, lines: shown.lines.map((l) => ({ locationId: l.locationId, quantity: l.quantity })) },
    ...extra,
  });
}

/** Gives back a live reservation's units and sets its final status. */
export function endReservation(tx: Tx, row: ReservationRow, status: "released" | "expired", actor: string, reason: string): void {
  const bucket = heldIn(row.type, row.status);
  if (bucket !== null) {
    for (const line of lines(tx.sql, row.id)) {
      change(
        tx,
        line.location_id,
        { [bucket]: -line.quantity },
        {
          op: status === "expired" ? "expire" : "release",
          reason,
          actor,
          reference: row.reference,
          reservationId: row.id,
        },
      );
    }
  }
  // Pre-ordered units still waiting held nothing: they are dropped (preorders.ts).
  if (tx.db.inbound.get(tx.sql).preorders) dropPreorders(tx, row.id);
  setStatus(tx, row.id, status);
  reservationEvent(tx, status === "expired" ? "reservation.expired" : "reservation.released", row.id, actor, reason);
}

/** Expires an active reservation whose time has come (in the running transaction). */
export function expireIfDue(tx: Tx, row: ReservationRow, actor: string): ReservationRow {
  if (row.expires_at > tx.now || decideStep("expire", row).kind !== "apply") return row;
  endReservation(tx, row, "expired", actor.startsWith("system:") ? actor : "system:expiry", "expire");
  return reservationRow(tx.sql, row.id)!;
}

/** Loads a reservation for a state change, expiring it if due; rolls back with a failure if it is gone. */
export function liveReservation(tx: Tx, input: ReservationRefInput): ReservationRow {
  const existing = reservationRow(tx.sql, input.reservationId);
  if (existing === undefined || existing.attempt !== input.attempt) {
    throw new Rollback(fail("reservation_not_found", `no reservation ${input.reservationId} for ${input.sku}`));
  }
  // An expired reservation is returned, not thrown: the caller answers with a failure
  // value so the expiry itself still commits (a Rollback would undo it).
  const current = expireIfDue(tx, existing, input.actor);
  if (current.status === "released") {
    throw new Rollback(fail("reservation_released", `reservation ${current.id} was released`));
  }
  return current;
}
