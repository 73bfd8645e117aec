/**
 * Direct reservations (issue 11, the single-SKU fast path): an order whose lines all name
 * this SKU is taken here, with no coordinator in front. The object already keeps what the
 * coordinator would add for one SKU — the reservation's state, its expiry (the alarm) and
 * every step's idempotency — so it only needs what the coordinator's row held besides:
 * the owner (`principal`), the hash of the request its Idempotency-Key was first used with,
 * the TTL a promote falls back on, and the first answer (v10 columns of `reservations`).
 *
 * One object, one transaction: a reserve commits every line with its owner and first answer,
 * or nothing, so there is no saga and no crash window to recover. A refusal for stock is the
 * first answer too (kept in `idempotency` under `direct:<id>`, 24 hours). Steps refuse and
 * answer as the coordinator's do (the shared state machine, domain/reservation-lifecycle.ts).
 *
 * The key's binding across SKUs (the same key reused for another order) is checked by the
 * reservation's coordinator shard in parallel (`claimKey`, services/reservations.ts).
 */
import { fail, type Failure } from "../../domain/failures";
import { type Amendment, planAmendment, skusOf } from "../../domain/reservation-amendments";
import { refusalFailure } from "../../domain/reservation-lifecycle";
import type { ReservationType } from "../../domain/reservation-rules";
import type { AmendmentOutcome, AmendmentView, ReservationLineView, ReservationOutcome, ReservationView } from "../reservation-coordinator.types";
import type { SkuPolicy, SkuReservation } from "../sku-inventory.types";
import { amendReservation } from "./amendments";
import { lines as lineRows, reservationRow, view } from "./lifecycle";
import { applyReservation, asWritten, commit, fulfil, getReservation, promote, release } from "./reservations";
import type { ReservationRow, SkuDb } from "./rows";

/** A new direct reservation, as the Worker sends it (checked there). */
export interface DirectReserveInput {
  id: string;
  sku: string;
  requestHash: string;
  principal: string;
  actor: string;
  type: ReservationType;
  reference: string;
  ttlSeconds: number;
  lines: { locationId: string; quantity: number }[];
}

/** Who asks about a direct reservation (operators may act on any principal's). */
export interface DirectLookupInput {
  id: string;
  sku: string;
  principal: string;
  anyPrincipal: boolean;
  actor: string;
}

export type DirectOp = "promote" | "commit" | "fulfil" | "release";

export interface DirectTransitionInput extends DirectLookupInput {
  /** `promote`: the hard reservation's TTL (seconds). */
  ttlSeconds?: number;
}

export interface DirectAmendInput extends DirectLookupInput {
  amendmentId: string;
  requestHash: string;
  amendment: Amendment;
}

/** Told, inside the step's transaction batch, which units a fulfilment shipped (a hot-SKU shard records them for its main object). */
export type OnShip = (shipped: { locationId: string; quantity: number }[], reservationId: string, reference: string | null) => void;

const refusalKey = (id: string) => `direct:${id}`;
const amendmentKey = (id: string, amendmentId: string) => `direct-amend:${id}:${amendmentId}`;
const conflict = (): Failure => fail("idempotency_conflict", "this Idempotency-Key was already used with a different request");

function stored(sql: SqlStorage, key: string): { hash: string; answer: string } | undefined {
  return sql
    .exec<{ request_hash: string; response_json: string }>("SELECT request_hash, response_json FROM idempotency WHERE key = ?", key)
    .toArray()
    .map((r) => ({ hash: r.request_hash, answer: r.response_json }))[0];
}

function store(db: SkuDb, key: string, hash: string, answer: unknown, now: number): void {
  db.epoch += 1;
  db.sql.exec("INSERT OR REPLACE INTO idempotency (key, request_hash, response_json, created_at) VALUES (?, ?, ?, ?)", key, hash, JSON.stringify(answer), now);
}

/** Whether views include waiting pre-ordered units (the SKU ever took a pre-order). */
function withPreorders(db: SkuDb): boolean {
  return db.inbound.get(db.sql).preorders;
}

/** The reservation as its client sees it (the coordinator's view, for one SKU). */
function apiView(row: Pick<ReservationRow, "id" | "reference" | "created_at" | "updated_at">, sku: string, held: SkuReservation): ReservationView {
  const status = held.status;
  return {
    id: row.id,
    type: held.type,
    status,
    reference: row.reference ?? "",
    expiresAt: status === "active" ? held.expiresAt : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lines: held.lines.map(
      (l): ReservationLineView => ({
        sku,
        locationId: l.locationId,
        quantity: l.quantity,
        backordered: l.backordered,
        ...(l.preordered === undefined ? {} : { preordered: l.preordered }),
        ...(l.expectedAt === undefined ? {} : { expectedAt: l.expectedAt }),
      }),
    ),
  };
}

function current(db: SkuDb, id: string, sku: string): ReservationView {
  const row = reservationRow(db.sql, id)!;
  return apiView(row, sku, view(db.sql, row, withPreorders(db)));
}

/**
 * The first answer to this reservation's key, if the key was used here before: replayed for
 * the same request, a conflict for another. Undefined: a new request.
 */
export function replayDirect(db: SkuDb, input: Pick<DirectReserveInput, "id" | "requestHash">): ReservationOutcome | undefined {
  // The reservation (kind 1) and a stored refusal (kind 2) in one statement: the reservation wins.
  const [first] = db.sql
    .exec<{ kind: number; request_hash: string | null; answer: string | null }>(
      `SELECT 1 AS kind, request_hash, answer_json AS answer FROM reservations WHERE id = ?
       UNION ALL SELECT 2, request_hash, response_json FROM idempotency WHERE key = ?
       ORDER BY kind LIMIT 1`,
      input.id,
      refusalKey(input.id),
    )
    .toArray();
  if (first === undefined) return undefined;
  if (first.request_hash !== input.requestHash) return conflict();
  // A stored refusal replayed is still a replay: the client learns it is the first answer.
  if (first.kind === 2) return { ...(JSON.parse(first.answer!) as Failure), replayed: true } as ReservationOutcome;
  return { ...(JSON.parse(first.answer!) as { ok: true; reservation: ReservationView }), replayed: true };
}

/**
 * Takes a direct reservation: every line or none, in one transaction with its owner and first
 * answer; a repeat replays the first answer. A refusal for stock is stored as the first answer;
 * a refusal by master facts is not (decided afresh, as the coordinator does). `checkedAt`: the
 * `db.epoch` at which the caller's own `replayDirect` found nothing; while it is unchanged
 * nothing was written since, and the check is not repeated.
 */
export function reserveDirect(
  db: SkuDb,
  input: DirectReserveInput,
  policy: SkuPolicy,
  now: number,
  storeRefusal = true,
  checkedAt?: number,
): ReservationOutcome {
  const again = checkedAt === db.epoch ? undefined : replayDirect(db, input);
  if (again !== undefined) return again;
  const result = applyReservation(
    db,
    {
      sku: input.sku,
      reservationId: input.id,
      attempt: 1,
      type: input.type,
      lines: input.lines,
      expiresAt: now + input.ttlSeconds * 1000,
      reference: input.reference,
      policy,
      actor: input.actor,
      absent: true,
    },
    now,
  );
  if (!result.ok) {
    if (result.code === "insufficient_stock" && storeRefusal) store(db, refusalKey(input.id), input.requestHash, result, now);
    return result;
  }
  // No await since the reservation's transaction: this write commits with it (the output gate).
  // A reservation with no waiting units is as its transaction wrote it (reservations.ts), created now.
  const reservation = asWritten(db, result.reservation.lines)
    ? apiView({ id: input.id, reference: input.reference, created_at: now, updated_at: now }, input.sku, result.reservation)
    : current(db, input.id, input.sku);
  const answer = { ok: true as const, reservation };
  db.sql.exec(
    "UPDATE reservations SET principal = ?, request_hash = ?, ttl_seconds = ?, answer_json = ? WHERE id = ?",
    input.principal,
    input.requestHash,
    input.ttlSeconds,
    JSON.stringify(answer),
    input.id,
  );
  return { ...answer, replayed: false };
}

/** Stores a refusal for stock as the first answer (a hot-SKU shard decides it after refilling); a concurrent first answer wins. */
export function rememberRefusal(db: SkuDb, input: DirectReserveInput, refusal: Failure, now: number): ReservationOutcome {
  const again = replayDirect(db, input);
  if (again !== undefined) return again;
  store(db, refusalKey(input.id), input.requestHash, refusal, now);
  return refusal;
}

/** The direct reservation if it exists and the caller may see it. */
function visible(db: SkuDb, input: DirectLookupInput): ReservationRow | undefined {
  const row = reservationRow(db.sql, input.id);
  if (row === undefined || row.principal === null) return undefined;
  if (!input.anyPrincipal && row.principal !== input.principal) return undefined;
  return row;
}

const notFound = (id: string): Failure => fail("reservation_not_found", `no reservation ${id}`);

/** Promotes, commits, fulfils (committing first if active) or releases a direct reservation. */
export function transitionDirect(db: SkuDb, op: DirectOp, input: DirectTransitionInput, policy: SkuPolicy, now: number, onShip?: OnShip): ReservationOutcome {
  const row = visible(db, input);
  if (row === undefined) return notFound(input.id);
  const ref = { sku: input.sku, reservationId: row.id, attempt: row.attempt, actor: input.actor };
  let result: { ok: true } | Failure;
  switch (op) {
    case "release":
      result = release(db, { ...ref, reason: "release", type: row.type }, now);
      // A SKU never refuses a release (it answers as it stands); the API refuses a fulfilled one, as the coordinator does.
      if (result.ok && reservationRow(db.sql, row.id)!.status === "fulfilled") return refusalFailure(row.id, row, "fulfilled");
      break;
    case "promote": {
      const ttl = input.ttlSeconds ?? row.ttl_seconds!;
      result = promote(db, { ...ref, expiresAt: now + ttl * 1000, policy }, now);
      if (result.ok) db.sql.exec("UPDATE reservations SET ttl_seconds = ? WHERE id = ?", ttl, row.id);
      break;
    }
    case "commit":
      result = commit(db, ref, now);
      break;
    case "fulfil": {
      const before = reservationRow(db.sql, row.id)!.status;
      // Only a hot-SKU shard needs to know what shipped (onShip): other objects read nothing more.
      const shipped = onShip === undefined ? [] : lineRows(db.sql, row.id).map((l) => ({ locationId: l.location_id, quantity: l.quantity }));
      result = before === "active" ? commit(db, ref, now) : { ok: true };
      if (result.ok) result = fulfil(db, ref, now);
      if (onShip !== undefined && result.ok && before !== "fulfilled" && reservationRow(db.sql, row.id)!.status === "fulfilled")
        onShip(shipped, row.id, row.reference);
      break;
    }
  }
  if (!result.ok) return result;
  return { ok: true, reservation: current(db, row.id, input.sku), replayed: false };
}

/** The direct reservation as it stands (expired if due; waiting lines with their expected dates). */
export function getDirect(db: SkuDb, input: DirectLookupInput, now: number): ReservationOutcome {
  const row = visible(db, input);
  if (row === undefined) return notFound(input.id);
  const held = getReservation(db, row.id, now);
  if (!held.ok) return held;
  return { ok: true, reservation: apiView(reservationRow(db.sql, row.id)!, input.sku, held.reservation), replayed: false };
}

/**
 * Amends a direct reservation in one transaction (the SKU's `apply` phase), or replays the
 * first answer to the same amendment id. An amendment naming another SKU is refused: a
 * direct reservation holds one SKU (a new reservation takes another).
 */
export function amendDirect(db: SkuDb, input: DirectAmendInput, policy: SkuPolicy, now: number, onShip?: OnShip): AmendmentOutcome {
  const row = visible(db, input);
  if (row === undefined) return notFound(input.id);
  const key = amendmentKey(row.id, input.amendmentId);
  const earlier = stored(db.sql, key);
  if (earlier !== undefined) {
    if (earlier.hash !== input.requestHash) return conflict();
    const answer = JSON.parse(earlier.answer) as AmendmentOutcome;
    return answer.ok ? { ...answer, replayed: true } : answer;
  }
  const held = lineRows(db.sql, row.id).map((l) => ({ sku: input.sku, locationId: l.location_id, quantity: l.quantity, backordered: 0 }));
  const others = skusOf(input.amendment, { lines: held }).filter((s) => s !== input.sku);
  if (others.length > 0) {
    const answer = fail("invalid_state", `reservation ${row.id} holds ${input.sku} only; reserve ${others.join(", ")} in a new reservation`, {
      reason: "other_sku",
      skus: others,
    });
    store(db, key, input.requestHash, answer, now);
    return answer;
  }
  // The expiry a `refresh_expiry` sets (the SKU checks every other rule again in its transaction).
  const plan = planAmendment({ id: row.id, type: row.type, status: row.status, lines: held }, input.amendment);
  const ttlSeconds = "ok" in plan ? null : plan.ttlSeconds;
  const expiresAt = ttlSeconds === null ? undefined : now + ttlSeconds * 1000;
  const result = amendReservation(
    db,
    {
      sku: input.sku,
      reservationId: row.id,
      attempt: row.attempt,
      actor: input.actor,
      amendmentId: input.amendmentId,
      amendment: input.amendment,
      phase: "apply",
      policy,
      ...(expiresAt === undefined ? {} : { expiresAt }),
    },
    now,
  );
  if (!result.ok) {
    // A refusal is the first answer (as the coordinator keeps it); a vanished reservation is not stored.
    if (result.code !== "reservation_not_found") store(db, key, input.requestHash, result, now);
    return result;
  }
  const amendment: AmendmentView = {
    id: result.amendment.id,
    kind: result.amendment.kind,
    changes: result.amendment.changes.map((c) => ({ sku: input.sku, ...c })),
    expiresAt: result.amendment.expiresAt,
  };
  const answer = { ok: true as const, reservation: current(db, row.id, input.sku), amendment };
  store(db, key, input.requestHash, answer, now);
  const shipped = result.amendment.changes.filter((c) => c.shipped > 0).map((c) => ({ locationId: c.locationId, quantity: c.shipped }));
  if (shipped.length > 0) onShip?.(shipped, row.id, row.reference);
  if (ttlSeconds !== null) db.sql.exec("UPDATE reservations SET ttl_seconds = ? WHERE id = ?", ttlSeconds, row.id);
  return { ...answer, replayed: false };
}
