/**
 * Reservations on this SKU: hold / reserve every line or none, and the steps after
 * (promote, demote, commit, uncommit, fulfil, release), each one transaction that moves
 * the counts through `change()`. Which step may happen is decided by the shared state
 * machine (domain/reservation-lifecycle.ts); a step already taken answers the reservation
 * as it stands, so the coordinator may repeat any of them.
 */
import { fail, type Failure, type ShortLine } from "../../domain/failures";
import { availableOf, type QuantityDelta } from "../../domain/quantities";
import { decideStep } from "../../domain/reservation-lifecycle";
import { TERMINAL_STATUSES } from "../../domain/reservation-rules";
import type {
  ApplyReservationInput,
  DemoteInput,
  HeldLine,
  PromoteInput,
  ReleaseInput,
  ReservationRefInput,
  ReservationResult,
  SkuReservation,
} from "../sku-inventory.types";
import { chooseLocation, room } from "./counts";
import { endReservation, expireIfDue, liveReservation, lines, refusal, reservationEvent, reservationRow, setStatus, view } from "./lifecycle";
import { pickFefo, lotUnits } from "./lots";
import { rememberSku } from "./meta";
import { mergedLines, placePreorder, servePreorders, waitingDate } from "./preorders";
import type { ReservationRow, SkuDb } from "./rows";
import { change } from "./stock";
import { Rollback, Tx } from "./tx";

function answer(tx: Tx, id: string): ReservationResult {
  return { ok: true, reservation: view(tx.sql, reservationRow(tx.sql, id)!, withPreorders(tx.db)) };
}

/**
 * Whether a reservation just written with these lines stays as written to the end of its
 * transaction (no pre-orders, nothing backordered): then its view need not be read back.
 */
export function asWritten(db: SkuDb, lines: readonly { backordered: number }[]): boolean {
  return !withPreorders(db) && lines.every((l) => l.backordered === 0);
}

/** Whether views must include waiting pre-ordered units (the SKU ever took a pre-order). */
function withPreorders(db: SkuDb): boolean {
  return db.inbound.get(db.sql).preorders;
}

/**
 * Holds (soft) or reserves (hard) every line, or nothing. Idempotent by reservation id
 * and attempt: a repeat returns the reservation as it stands.
 */
export function applyReservation(db: SkuDb, input: ApplyReservationInput, now: number): ReservationResult | Failure {
  return Tx.run(db, now, (tx) => {
    const sql = tx.sql;
    rememberSku(tx, input.sku);
    db.policy.remember(tx, input.policy);
    const existing = input.absent ? undefined : reservationRow(sql, input.reservationId);
    if (existing !== undefined) {
      if (existing.attempt > input.attempt) {
        return fail("reservation_released", `reservation ${input.reservationId} was superseded by a later attempt`);
      }
      if (existing.attempt === input.attempt) {
        const current = expireIfDue(tx, existing, input.actor);
        if (current.status === "released") return fail("reservation_released", `reservation ${input.reservationId} was released`);
        if (current.status === "expired") return fail("reservation_expired", `reservation ${input.reservationId} has expired`);
        return { ok: true, reservation: view(sql, current, withPreorders(db)) };
      }
      if (!TERMINAL_STATUSES.has(existing.status)) {
        return fail("invalid_state", `reservation ${input.reservationId} from attempt ${existing.attempt} still holds stock`);
      }
      sql.exec("DELETE FROM reservation_lines WHERE reservation_id = ?", input.reservationId);
      if (withPreorders(db)) sql.exec("DELETE FROM preorder_lines WHERE reservation_id = ?", input.reservationId);
      sql.exec("DELETE FROM reservations WHERE id = ?", input.reservationId);
    }
    if (input.type === "preorder") return applyPreorder(tx, input);

    const bucket = input.type === "hard" ? "reserved" : "softHeld";
    const held = new Map<string, HeldLine>();
    const short: ShortLine[] = [];
    for (const line of input.lines) {
      const locationId = line.locationId ?? chooseLocation(sql, line.candidates ?? [], input.type, input.policy);
      if (locationId === undefined) {
        short.push({ sku: input.sku, locationId: null, requested: line.quantity, available: 0 });
        continue;
      }
      const space = room(tx.quantities(locationId), input.type, input.policy);
      let backordered = 0;
      if (space < line.quantity) {
        if (input.type === "hard" && input.policy.allowBackorder) {
          backordered = line.quantity - Math.max(space, 0);
        } else {
          short.push({ sku: input.sku, locationId, requested: line.quantity, available: Math.max(space, 0) });
          continue;
        }
      }
      change(
        tx,
        locationId,
        { [bucket]: line.quantity },
        {
          op: input.type === "hard" ? "reserve" : "hold",
          actor: input.actor,
          reference: input.reference,
          reservationId: input.reservationId,
        },
      );
      const previous = held.get(locationId);
      held.set(locationId, {
        locationId,
        quantity: (previous?.quantity ?? 0) + line.quantity,
        backordered: (previous?.backordered ?? 0) + backordered,
      });
    }
    if (short.length > 0) {
      throw new Rollback(fail("insufficient_stock", `not enough stock for ${input.sku}`, short));
    }
    sql.exec(
      `INSERT INTO reservations (id, attempt, type, status, reference, expires_at, created_at, updated_at)
       VALUES (?, ?, ?, 'active', ?, ?, ?, ?)`,
      input.reservationId,
      input.attempt,
      input.type,
      input.reference,
      input.expiresAt,
      now,
      now,
    );
    for (const line of held.values()) {
      sql.exec(
        "INSERT INTO reservation_lines (reservation_id, location_id, quantity, backordered) VALUES (?, ?, ?, ?)",
        input.reservationId,
        line.locationId,
        line.quantity,
        line.backordered,
      );
    }
    // Without pre-orders or backordered units nothing later in the transaction changes this
    // reservation, so its view is what was just written: the event and the answer need not read it back.
    if (!asWritten(db, [...held.values()])) {
      reservationEvent(tx, "reservation.created", input.reservationId, input.actor, null);
      return answer(tx, input.reservationId);
    }
    const written: SkuReservation = {
      id: input.reservationId,
      attempt: input.attempt,
      type: input.type,
      status: "active",
      expiresAt: input.expiresAt,
      lines: [...held.values()].sort((a, b) => (a.locationId < b.locationId ? -1 : a.locationId > b.locationId ? 1 : 0)),
    };
    reservationEvent(tx, "reservation.created", input.reservationId, input.actor, null, {}, { reference: input.reference, view: written });
    return { ok: true, reservation: written };
  });
}

/**
 * Places a pre-order (preorders.ts): every line within its location's expected arrivals not
 * yet promised, or nothing. The reservation row is `hard`; the units already available are
 * covered at once (oldest pre-orders first), the rest wait.
 */
function applyPreorder(tx: Tx, input: ApplyReservationInput): ReservationResult | Failure {
  const sql = tx.sql;
  sql.exec(
    `INSERT INTO reservations (id, attempt, type, status, reference, expires_at, created_at, updated_at)
     VALUES (?, ?, 'hard', 'active', ?, ?, ?, ?)`,
    input.reservationId,
    input.attempt,
    input.reference,
    input.expiresAt,
    tx.now,
    tx.now,
  );
  const { held, short } = placePreorder(tx, input.sku, input.reservationId, input.lines);
  if (short.length > 0) {
    throw new Rollback(fail("insufficient_stock", `not enough expected for ${input.sku}: a pre-order is limited to expected arrivals not yet promised`, short));
  }
  for (const locationId of held.keys()) servePreorders(tx, locationId);
  reservationEvent(tx, "reservation.created", input.reservationId, input.actor, null);
  return answer(tx, input.reservationId);
}

/**
 * Releases a live reservation (or marks it expired). Releasing one this SKU never saw
 * leaves a tombstone, so a late-arriving apply of the same attempt cannot hold stock. A
 * SKU never refuses a release: one that already ended (even fulfilled) answers as it stands.
 */
export function release(db: SkuDb, input: ReleaseInput, now: number): ReservationResult | Failure {
  return Tx.run(db, now, (tx) => {
    const sql = tx.sql;
    rememberSku(tx, input.sku);
    const existing = reservationRow(sql, input.reservationId);
    if (existing === undefined) {
      sql.exec(
        `INSERT INTO reservations (id, attempt, type, status, reference, expires_at, created_at, updated_at)
         VALUES (?, ?, ?, 'released', NULL, ?, ?, ?)`,
        input.reservationId,
        input.attempt,
        input.type === "soft" ? "soft" : "hard",
        now,
        now,
        now,
      );
      return answer(tx, input.reservationId);
    }
    if (existing.attempt > input.attempt) return { ok: true, reservation: view(sql, existing) };
    const current = expireIfDue(tx, existing, input.actor);
    if (decideStep("release", current).kind !== "apply") {
      if (current.attempt < input.attempt) {
        sql.exec("UPDATE reservations SET attempt = ?, updated_at = ? WHERE id = ?", input.attempt, now, input.reservationId);
      }
      return answer(tx, input.reservationId);
    }
    endReservation(tx, current, input.reason === "expire" ? "expired" : "released", input.actor, input.reason);
    sql.exec("UPDATE reservations SET attempt = MAX(attempt, ?) WHERE id = ?", input.attempt, input.reservationId);
    return answer(tx, input.reservationId);
  });
}

/** Turns an active soft hold into a hard reservation, all lines or none. */
export function promote(db: SkuDb, input: PromoteInput, now: number): ReservationResult | Failure {
  return Tx.run(db, now, (tx) => {
    const current = liveReservation(tx, input);
    const step = decideStep("promote", current);
    if (step.kind === "refuse") return refusal(current, step.refusal);
    if (step.kind === "already") return { ok: true, reservation: view(tx.sql, current, withPreorders(db)) };
    const short: ShortLine[] = [];
    for (const line of lines(tx.sql, current.id)) {
      const space = availableOf(tx.quantities(line.location_id));
      let backordered = 0;
      if (space < line.quantity) {
        if (!input.policy.allowBackorder) {
          short.push({ sku: input.sku, locationId: line.location_id, requested: line.quantity, available: Math.max(space, 0) });
          continue;
        }
        backordered = line.quantity - Math.max(space, 0);
      }
      change(
        tx,
        line.location_id,
        { softHeld: -line.quantity, reserved: line.quantity },
        {
          op: "promote",
          actor: input.actor,
          reference: current.reference,
          reservationId: current.id,
        },
      );
      tx.sql.exec("UPDATE reservation_lines SET backordered = ? WHERE reservation_id = ? AND location_id = ?", backordered, current.id, line.location_id);
    }
    if (short.length > 0) throw new Rollback(fail("insufficient_stock", `not enough stock for ${input.sku}`, short));
    tx.sql.exec("UPDATE reservations SET type = 'hard', expires_at = ?, updated_at = ? WHERE id = ?", input.expiresAt, now, current.id);
    return answer(tx, current.id);
  });
}

/** Undoes a promotion (compensation when another SKU of the order could not promote). */
export function demote(db: SkuDb, input: DemoteInput, now: number): ReservationResult | Failure {
  return Tx.run(db, now, (tx) => {
    const current = liveReservation(tx, input);
    const step = decideStep("demote", current);
    if (step.kind === "refuse") return refusal(current, step.refusal);
    if (step.kind === "already") return { ok: true, reservation: view(tx.sql, current, withPreorders(db)) };
    moveEveryLine(tx, current, input.actor, "demote", "compensation", (q) => ({ reserved: -q, softHeld: q }));
    tx.sql.exec("UPDATE reservation_lines SET backordered = 0 WHERE reservation_id = ?", current.id);
    tx.sql.exec("UPDATE reservations SET type = 'soft', expires_at = ?, updated_at = ? WHERE id = ?", input.expiresAt, now, current.id);
    return answer(tx, current.id);
  });
}

/** Moves a hard reservation's units to `committed` (picked). Needs the units on hand. */
export function commit(db: SkuDb, input: ReservationRefInput, now: number): ReservationResult | Failure {
  return Tx.run(db, now, (tx) => {
    const current = liveReservation(tx, input);
    const step = decideStep("commit", current);
    if (step.kind === "refuse") return refusal(current, step.refusal);
    if (step.kind === "already") return { ok: true, reservation: view(tx.sql, current, withPreorders(db)) };
    const short: ShortLine[] = [];
    // A pre-order whose units have not all arrived cannot be picked yet (preorders.ts).
    if (withPreorders(db)) {
      for (const l of mergedLines(tx.sql, current.id)) {
        if ((l.preordered ?? 0) > 0)
          short.push({ sku: input.sku, locationId: l.locationId, requested: l.quantity, available: l.quantity - (l.preordered ?? 0) });
      }
      if (short.length > 0) throw new Rollback(fail("insufficient_stock", `pre-ordered units of ${input.sku} have not arrived yet`, short));
    }
    for (const line of lines(tx.sql, current.id)) {
      const q = tx.quantities(line.location_id);
      const pickable = q.onHand - q.committed - q.damaged - q.onHold;
      // A line still backordered waits for its units (backorders.ts covers the oldest first).
      if (line.backordered > 0 || pickable < line.quantity) {
        short.push({ sku: input.sku, locationId: line.location_id, requested: line.quantity, available: Math.max(pickable, 0) });
        continue;
      }
      change(
        tx,
        line.location_id,
        { reserved: -line.quantity, committed: line.quantity },
        {
          op: "commit",
          actor: input.actor,
          reference: current.reference,
          reservationId: current.id,
        },
      );
    }
    if (short.length > 0) {
      throw new Rollback(fail("insufficient_stock", `backordered units of ${input.sku} are not on hand yet`, short));
    }
    tx.sql.exec("UPDATE reservation_lines SET backordered = 0 WHERE reservation_id = ?", current.id);
    setStatus(tx, current.id, step.to.status);
    return answer(tx, current.id);
  });
}

/** Undoes a commit (compensation when another SKU of the order could not commit). */
export function uncommit(db: SkuDb, input: ReservationRefInput, now: number): ReservationResult | Failure {
  return Tx.run(db, now, (tx) => {
    const current = liveReservation(tx, input);
    const step = decideStep("uncommit", current);
    if (step.kind === "refuse") return refusal(current, step.refusal);
    if (step.kind === "already") return { ok: true, reservation: view(tx.sql, current, withPreorders(db)) };
    moveEveryLine(tx, current, input.actor, "uncommit", "compensation", (q) => ({ committed: -q, reserved: q }));
    setStatus(tx, current.id, step.to.status);
    return answer(tx, current.id);
  });
}

/** Ships a committed reservation: `committed −= q`, `onHand −= q`. */
export function fulfil(db: SkuDb, input: ReservationRefInput, now: number): ReservationResult | Failure {
  return Tx.run(db, now, (tx) => {
    const current = liveReservation(tx, input);
    const step = decideStep("fulfil", current);
    if (step.kind === "refuse") return refusal(current, step.refusal);
    if (step.kind === "already") return { ok: true, reservation: view(tx.sql, current, withPreorders(db)) };
    const hasLots = db.inbound.get(tx.sql).lots;
    const picked: NonNullable<ReservationResult["lots"]> = [];
    for (const line of lines(tx.sql, current.id)) {
      const seq = change(
        tx,
        line.location_id,
        { committed: -line.quantity, onHand: -line.quantity },
        { op: "fulfil", actor: input.actor, reference: current.reference, reservationId: current.id },
      );
      // Perishables ship first expiry, first out: lots before unlotted units (lots.ts).
      if (hasLots) {
        const picks = pickFefo(tx, line.location_id, Math.min(line.quantity, lotUnits(tx.sql, line.location_id)), "fulfil", seq, current.id, current.reference);
        if (picks.length > 0) picked.push({ locationId: line.location_id, picks });
      }
    }
    setStatus(tx, current.id, step.to.status);
    reservationEvent(tx, "reservation.fulfilled", current.id, input.actor, null);
    return hasLots ? { ...answer(tx, current.id), lots: picked } : answer(tx, current.id);
  });
}

/**
 * Moves each line's quantity between buckets (`delta` of the line's quantity), one ledger
 * row per location with the op, reason and the reservation: the whole of a demote, uncommit
 * or fulfil once its step is decided.
 */
function moveEveryLine(tx: Tx, current: ReservationRow, actor: string, op: string, reason: string | null, delta: (quantity: number) => QuantityDelta): void {
  for (const line of lines(tx.sql, current.id)) {
    change(tx, line.location_id, delta(line.quantity), {
      op,
      ...(reason === null ? {} : { reason }),
      actor,
      reference: current.reference,
      reservationId: current.id,
    });
  }
}

/** The reservation as this SKU holds it, expiring it first if it is due. */
export function getReservation(db: SkuDb, reservationId: string, now: number): ReservationResult | Failure {
  const row: ReservationRow | undefined = reservationRow(db.sql, reservationId);
  if (row === undefined) return fail("reservation_not_found", `no reservation ${reservationId} for this SKU`);
  if (row.status !== "active" || row.expires_at > now) return { ok: true, reservation: withDates(db.sql, view(db.sql, row, withPreorders(db))) };
  return Tx.run(db, now, (tx) => ({
    ok: true as const,
    reservation: withDates(tx.sql, view(tx.sql, expireIfDue(tx, row, "system:expiry"), withPreorders(db))),
  }));
}

/** A lookup's lines: each with backordered or pre-ordered units carries the date of the arrival that covers them (`expectedAt`, or null). */
function withDates(sql: SqlStorage, reservation: SkuReservation): SkuReservation {
  return {
    ...reservation,
    lines: reservation.lines.map((l) => (l.backordered > 0 || (l.preordered ?? 0) > 0 ? { ...l, expectedAt: waitingDate(sql, reservation.id, l) } : l)),
  };
}
