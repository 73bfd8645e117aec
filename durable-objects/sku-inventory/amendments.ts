/**
 * Amendments of a live reservation on this SKU (issue 13, item 5): change a line's quantity,
 * release or ship part of it, refresh its expiry, move a line to another location. The rules
 * are pure (domain/reservation-amendments.ts); this module applies their moves through
 * `change()` — one ledger row (op, reason, the amendment id as `idempotency_key`) and one
 * `inventory.updated` per location — and writes one `reservation.updated` event when the
 * amendment has taken effect.
 *
 * `apply` does everything in one transaction: the SKU is the only one the amendment touches,
 * so it is all-or-nothing by itself (a move releases at A and reserves at B, or refuses with
 * nothing changed). For a multi-SKU amendment the coordinator runs two phases: `prepare`
 * takes (the increases and move-ins, checked like a new reservation), then `settle(confirm)`
 * gives and ships, or `settle(abort)` gives back what was taken. What a prepared amendment
 * still has to do lives in its record, kept in the `idempotency` table under
 * `amendment:<reservation id>:<amendment id>` (STORAGE-SCHEMA.md); the record also answers a
 * repeated call, and an abort of an amendment never prepared leaves it as a tombstone so a
 * late prepare is refused.
 */
import { fail, type Failure, type ShortLine } from "../../domain/failures";
import {
  amendmentRefusalFailure,
  decideAmendment,
  endStatusOf,
  ledgerOpOf,
  lineAfter,
  type LineMove,
  movesOfPhase,
  moveDelta,
  planAmendment,
  takeRoom,
} from "../../domain/reservation-amendments";
import { heldIn } from "../../domain/reservation-lifecycle";
import { DEFAULT_SOFT_BUFFER_PCT } from "../../domain/reservation-rules";
import type { AmendedLine, AmendmentResult, AmendReservationInput, SettleAmendmentInput, SkuAmendment, SkuPolicy } from "../sku-inventory.types";
import { quantities, room } from "./counts";
import { expireIfDue, lines, reservationEvent, reservationRow, setStatus, view } from "./lifecycle";
import { rememberSku } from "./meta";
import { waitingOf } from "./preorders";
import type { LineRow, ReservationRow, SkuDb } from "./rows";
import { change } from "./stock";
import { Rollback, Tx } from "./tx";

/** What a SKU keeps of an amendment: its answer, and what a prepared one still has to do or undo. */
interface AmendmentRecord {
  amendment: SkuAmendment;
  /** The lines' quantities before the amendment, by location. */
  before: Record<string, number>;
  /** Gives and ships left for the confirm. */
  deferred: LineMove[];
  /** Takes done by the prepare, with the units each accepted as backorder (given back by an abort). */
  taken: { move: LineMove; backordered: number }[];
  /** `refresh_expiry` prepared: the expiry to put back on abort. */
  previousExpiresAt: number | null;
}

const recordKey = (reservationId: string, amendmentId: string) => `amendment:${reservationId}:${amendmentId}`;

function readRecord(sql: SqlStorage, key: string): { hash: string; record: AmendmentRecord } | undefined {
  const row = sql.exec<{ request_hash: string; response_json: string }>("SELECT request_hash, response_json FROM idempotency WHERE key = ?", key).toArray()[0];
  return row === undefined ? undefined : { hash: row.request_hash, record: JSON.parse(row.response_json) as AmendmentRecord };
}

function writeRecord(tx: Tx, key: string, hash: string, record: AmendmentRecord): void {
  tx.sql.exec(
    `INSERT INTO idempotency (key, request_hash, response_json, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET response_json = excluded.response_json`,
    key,
    hash,
    JSON.stringify(record),
    tx.now,
  );
}

/** The request as stored with the record: a repeat must carry the same amendment. */
function requestHash(input: AmendReservationInput): string {
  return JSON.stringify({ amendment: input.amendment, phase: input.phase, expiresAt: input.expiresAt ?? null });
}

const aborted = (id: string): Failure => fail("invalid_state", `amendment ${id} was abandoned; nothing of it holds`, { reason: "amendment_aborted" });

function answer(tx: Tx, row: ReservationRow, amendment: SkuAmendment, replayed: boolean): AmendmentResult {
  return { ok: true, reservation: view(tx.sql, reservationRow(tx.sql, row.id)!), amendment, replayed };
}

function lineAt(sql: SqlStorage, reservationId: string, locationId: string): LineRow | undefined {
  return sql
    .exec<LineRow>("SELECT location_id, quantity, backordered FROM reservation_lines WHERE reservation_id = ? AND location_id = ?", reservationId, locationId)
    .toArray()[0];
}

/** Writes a line's new quantity and backorder (deleting it at zero, inserting it if new). */
function writeLine(sql: SqlStorage, reservationId: string, locationId: string, next: { quantity: number; backordered: number }, existed: boolean): void {
  if (next.quantity === 0) sql.exec("DELETE FROM reservation_lines WHERE reservation_id = ? AND location_id = ?", reservationId, locationId);
  else if (existed) {
    sql.exec(
      "UPDATE reservation_lines SET quantity = ?, backordered = ? WHERE reservation_id = ? AND location_id = ?",
      next.quantity,
      next.backordered,
      reservationId,
      locationId,
    );
  } else {
    sql.exec(
      "INSERT INTO reservation_lines (reservation_id, location_id, quantity, backordered) VALUES (?, ?, ?, ?)",
      reservationId,
      locationId,
      next.quantity,
      next.backordered,
    );
  }
}

/** Runs one move on a live reservation's line: the counts (ledgered) and the line. Returns units accepted as backorder. */
function runMove(tx: Tx, row: ReservationRow, move: LineMove, amendmentId: string, actor: string, backordered = 0): void {
  const line = lineAt(tx.sql, row.id, move.locationId);
  const current = line ?? { location_id: move.locationId, quantity: 0, backordered: 0 };
  change(tx, move.locationId, moveDelta(move, { type: row.type, status: row.status as "active" | "committed" }), {
    op: ledgerOpOf(move, row.type),
    reason: move.reason,
    actor,
    reference: row.reference,
    reservationId: row.id,
    idempotencyKey: amendmentId,
  });
  writeLine(tx.sql, row.id, move.locationId, lineAfter(current, move, backordered), line !== undefined);
}

/**
 * Takes: each checked like a new line of the reservation's type would be (room, soft-hold
 * buffer, backorders where the SKU allows them). One short take rolls the whole transaction back.
 */
function runTakes(tx: Tx, row: ReservationRow, takes: LineMove[], input: AmendReservationInput, policy: SkuPolicy): { move: LineMove; backordered: number }[] {
  const done: { move: LineMove; backordered: number }[] = [];
  const short: ShortLine[] = [];
  for (const move of takes) {
    const fits = takeRoom(move.quantity, room(quantities(tx.sql, move.locationId), row.type, policy), row.type, policy.allowBackorder);
    if (!fits.ok) {
      short.push({ sku: input.sku, locationId: move.locationId, requested: move.quantity, available: fits.available });
      continue;
    }
    runMove(tx, row, move, input.amendmentId, input.actor, fits.backordered);
    done.push({ move, backordered: fits.backordered });
  }
  if (short.length > 0) throw new Rollback(fail("insufficient_stock", `not enough stock for ${input.sku}; nothing was changed`, short));
  return done;
}

/** What the amendment did to each line it touched. */
function changesOf(sql: SqlStorage, row: ReservationRow, record: Pick<AmendmentRecord, "before" | "deferred" | "taken">): AmendedLine[] {
  const moves = [...record.taken.map((t) => t.move), ...record.deferred];
  const locations = [...new Set(moves.map((m) => m.locationId))].sort();
  return locations.map((locationId) => ({
    locationId,
    before: record.before[locationId] ?? 0,
    after: lineAt(sql, row.id, locationId)?.quantity ?? 0,
    shipped: moves.filter((m) => m.kind === "ship" && m.locationId === locationId).reduce((n, m) => n + m.quantity, 0),
    backordered: record.taken.filter((t) => t.move.locationId === locationId).reduce((n, t) => n + t.backordered, 0),
  }));
}

/**
 * The amendment has taken effect: one `reservation.updated`; a reservation left with no
 * line ends (fulfilled if this amendment shipped, else released) with its own event.
 */
function finish(tx: Tx, row: ReservationRow, amendment: SkuAmendment, actor: string): void {
  reservationEvent(tx, "reservation.updated", row.id, actor, amendment.kind, {
    amendment: { id: amendment.id, kind: amendment.kind, changes: amendment.changes, expiresAt: amendment.expiresAt },
  });
  if (lines(tx.sql, row.id).length > 0) return;
  const status = endStatusOf(amendment.changes.some((c) => c.shipped > 0));
  setStatus(tx, row.id, status);
  reservationEvent(tx, status === "fulfilled" ? "reservation.fulfilled" : "reservation.released", row.id, actor, amendment.kind);
}

/**
 * Applies (or prepares) an amendment of a live reservation: every move or none. A repeat
 * with the same amendment id answers what the first call did; with another amendment,
 * `idempotency_conflict`; after an abort, refused.
 */
export function amendReservation(db: SkuDb, input: AmendReservationInput, now: number): AmendmentResult | Failure {
  return Tx.run(db, now, (tx) => {
    const sql = tx.sql;
    rememberSku(tx, input.sku);
    if (input.policy !== undefined) db.policy.remember(tx, input.policy);
    const policy = input.policy ?? db.policy.get(sql) ?? { allowBackorder: false, softBufferPct: DEFAULT_SOFT_BUFFER_PCT, reorderPoint: 0 };
    const key = recordKey(input.reservationId, input.amendmentId);
    const hash = requestHash(input);
    const stored = readRecord(sql, key);
    if (stored !== undefined) {
      if (stored.record.amendment.status === "aborted") return aborted(input.amendmentId);
      if (stored.hash !== hash) return fail("idempotency_conflict", `amendment ${input.amendmentId} was already made with another request`);
      const existing = reservationRow(sql, input.reservationId);
      if (existing === undefined) return fail("reservation_not_found", `no reservation ${input.reservationId} for ${input.sku}`);
      return answer(tx, existing, stored.record.amendment, true);
    }
    const existing = reservationRow(sql, input.reservationId);
    if (existing === undefined || existing.attempt !== input.attempt) {
      return fail("reservation_not_found", `no reservation ${input.reservationId} for ${input.sku}`);
    }
    // An expired reservation is answered, not thrown, so that the expiry itself commits.
    const current = expireIfDue(tx, existing, input.actor);
    if (db.inbound.get(sql).preorders && waitingOf(sql, current.id) > 0)
      return fail("invalid_state", "a pre-order cannot be amended while units wait", { reason: "preorder_waiting" });
    const held = lines(sql, current.id);
    const plan = planAmendment(
      {
        id: current.id,
        type: current.type,
        status: current.status,
        lines: held.map((l) => ({ sku: input.sku, locationId: l.location_id, quantity: l.quantity, backordered: l.backordered })),
      },
      input.amendment,
      new Set([input.sku]),
    );
    if ("ok" in plan) return plan;
    if (plan.ttlSeconds !== null && input.expiresAt === undefined) {
      return fail("invalid_state", "a refreshed expiry needs expiresAt", { reason: "missing_expiry" });
    }
    const before = Object.fromEntries(held.map((l) => [l.location_id, l.quantity]));
    const takes = movesOfPhase(plan.moves, "prepare");
    const gives = movesOfPhase(plan.moves, "confirm");
    const taken = runTakes(tx, current, takes, input, policy);
    let previousExpiresAt: number | null = null;
    if (plan.ttlSeconds !== null) {
      previousExpiresAt = current.expires_at;
      sql.exec(
        "UPDATE reservations SET expires_at = ?, expiry_attempts = 0, expiry_retry_at = NULL, updated_at = ? WHERE id = ?",
        input.expiresAt!,
        now,
        current.id,
      );
    }
    const amendment: SkuAmendment = {
      id: input.amendmentId,
      kind: plan.kind,
      status: input.phase === "apply" ? "applied" : "prepared",
      changes: [],
      expiresAt: plan.ttlSeconds !== null ? input.expiresAt! : null,
    };
    if (input.phase === "apply") {
      for (const move of gives) runMove(tx, current, move, input.amendmentId, input.actor);
      amendment.changes = changesOf(sql, current, { before, taken, deferred: gives });
      finish(tx, current, amendment, input.actor);
      writeRecord(tx, key, hash, { amendment, before, deferred: [], taken: [], previousExpiresAt: null });
    } else {
      amendment.changes = changesOf(sql, current, { before, taken, deferred: [] });
      writeRecord(tx, key, hash, { amendment, before, deferred: gives, taken, previousExpiresAt });
    }
    sql.exec("UPDATE reservations SET updated_at = ? WHERE id = ?", now, current.id);
    return answer(tx, current, amendment, false);
  });
}

/**
 * Confirms a prepared amendment (its gives and ships, never refused for stock) or aborts it
 * (its takes given back, a refreshed expiry put back). Idempotent; an abort of an amendment
 * this SKU never saw leaves a tombstone.
 */
export function settleAmendment(db: SkuDb, input: SettleAmendmentInput, now: number): AmendmentResult | Failure {
  return Tx.run(db, now, (tx) => {
    const sql = tx.sql;
    rememberSku(tx, input.sku);
    const key = recordKey(input.reservationId, input.amendmentId);
    const stored = readRecord(sql, key);
    const existing = reservationRow(sql, input.reservationId);
    if (stored === undefined) {
      if (input.outcome === "confirm")
        return fail("invalid_state", `amendment ${input.amendmentId} was never prepared here`, { reason: "amendment_not_found" });
      const tombstone: SkuAmendment = { id: input.amendmentId, kind: "change_quantity", status: "aborted", changes: [], expiresAt: null };
      writeRecord(tx, key, "", { amendment: tombstone, before: {}, deferred: [], taken: [], previousExpiresAt: null });
      if (existing === undefined) return fail("reservation_not_found", `no reservation ${input.reservationId} for ${input.sku}`);
      return answer(tx, existing, tombstone, false);
    }
    const { record } = stored;
    const status = record.amendment.status;
    if (existing === undefined || existing.attempt !== input.attempt) {
      return fail("reservation_not_found", `no reservation ${input.reservationId} for ${input.sku}`);
    }
    if (status === "aborted") return input.outcome === "abort" ? answer(tx, existing, record.amendment, true) : aborted(input.amendmentId);
    if (status === "applied") {
      if (input.outcome === "confirm") return answer(tx, existing, record.amendment, true);
      return fail("invalid_state", `amendment ${input.amendmentId} has taken effect; it cannot be abandoned`, { reason: "amendment_applied" });
    }
    const current = expireIfDue(tx, existing, input.actor);
    const live = heldIn(current.type, current.status) !== null;
    if (input.outcome === "abort") {
      if (live) {
        for (const { move } of [...record.taken].reverse()) {
          runMove(tx, current, { ...move, kind: "give", reason: "amend_undo" }, input.amendmentId, input.actor);
        }
        if (record.previousExpiresAt !== null) {
          sql.exec("UPDATE reservations SET expires_at = ?, updated_at = ? WHERE id = ?", record.previousExpiresAt, now, current.id);
        }
      }
      record.amendment = { ...record.amendment, status: "aborted", changes: [] };
      writeRecord(tx, key, "", record);
      return answer(tx, current, record.amendment, false);
    }
    if (!live) {
      // The reservation ended here meanwhile (its own expiry): what the amendment took went with it.
      const decision = decideAmendment(record.amendment.kind, current);
      record.amendment = { ...record.amendment, status: "applied" };
      writeRecord(tx, key, stored.hash, record);
      return decision.kind === "refuse"
        ? amendmentRefusalFailure(current.id, current, record.amendment.kind, decision.refusal)
        : answer(tx, current, record.amendment, false);
    }
    for (const move of record.deferred) runMove(tx, current, move, input.amendmentId, input.actor);
    record.amendment = { ...record.amendment, status: "applied", changes: changesOf(sql, current, record) };
    finish(tx, current, record.amendment, input.actor);
    writeRecord(tx, key, stored.hash, { ...record, deferred: [], taken: [] });
    sql.exec("UPDATE reservations SET updated_at = ? WHERE id = ?", now, current.id);
    return answer(tx, current, record.amendment, false);
  });
}
