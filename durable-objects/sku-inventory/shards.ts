/**
 * Hot-SKU shards (issue 11, item 4): a hot SKU's sellable units spread over N shard objects,
 * each taking single-SKU reservations from its own pool, so a flash sale is not bound by one
 * object's throughput.
 *
 * The SKU's own object (the *main* object) stays the authority on stock: on-hand, vendor
 * syncs, transfers, multi-SKU orders, the ledger. A shard's pool is an **allotment** in the
 * main object: a hard reservation `shard~<k>` that never expires, with a line per location,
 * so allotted units are not available in the main object and cannot be sold twice. A shard
 * object (`<sku>~<k>`, the same class in shard mode) holds the allotted units as its own
 * on-hand and takes reservations against them with the ordinary machinery (direct.ts).
 *
 * Units move only by idempotent operations, each recorded before its call so a crash never
 * strands a unit (the shard's alarm re-runs what is pending):
 * - **allot** (a shard short of units): the main object grows the shard's allotment by what it
 *   can spare (at least what is needed, at most its free units; a fair share — free ÷ shards —
 *   when it has more), then the shard adds the grant to its pool;
 * - **return** (a sibling asked to yield, a shard retired, or emptied): the shard takes free
 *   units out of its pool first, then the main object shrinks the allotment;
 * - **ship** (a fulfilment on a shard): the shard ships from its pool, then the main object
 *   ships the units from the allotment (on-hand falls there, with its `inventory.updated` and a
 *   `reservation.fulfilled` for the order's reservation, so sales and webhooks see it).
 *
 * A request on a shard fails for stock only after its pool, the main object's free units and
 * every sibling's free units (returned to the main object on request) could not cover it.
 * Shards write no events of their own (they would repeat the main object's counts); the main
 * object's events carry the allotments as reserved units.
 */
import { fail, type Failure } from "../../domain/failures";
import { availableOf } from "../../domain/quantities";
import { quantities } from "./counts";
import { change } from "./stock";
import { Tx } from "./tx";
import type { SkuDb } from "./rows";
import { storeSku } from "./meta";

/** A shard object's place: its SKU, its index, how many shards the SKU has, and whether it is retired (index ≥ count). */
export interface ShardConfig {
  parent: string;
  index: number;
  count: number;
}

/** A shard's allotment in the main object: never expires (the year 275760). */
export const ALLOTMENT_EXPIRES_AT = 8.64e15;
export const allotmentId = (index: number) => `shard~${index}`;
/** The shard objects' names: `<sku>~<index>` (`~` is not allowed in a SKU id). */
export { shardName } from "../../domain/shards";
import { shardName } from "../../domain/shards";
const ACTOR = "system:shards";

/** Whether this object is a shard (cached per instance: read once, set by `configureShard`). */
export class ShardFlag {
  #value: ShardConfig | null | undefined;

  get(sql: SqlStorage): ShardConfig | null {
    if (this.#value === undefined) {
      const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'shard'").toArray()[0];
      this.#value = row === undefined ? null : (JSON.parse(row.value) as ShardConfig);
    }
    return this.#value;
  }

  set(sql: SqlStorage, config: ShardConfig): void {
    sql.exec("INSERT INTO meta (key, value) VALUES ('shard', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", JSON.stringify(config));
    storeSku(sql, config.parent);
    this.#value = config;
  }
}

export const retired = (c: ShardConfig) => c.index >= c.count;

// ------------------------------------------------------------------ main object's side

export interface AllotInput {
  index: number;
  opId: string;
  locationId: string;
  /** Units the shard needs now. */
  need: number;
  /** How many shards the SKU has (for the fair share). */
  shards: number;
}

type OpRecord = { units: number };

function opRecord(sql: SqlStorage, key: string): OpRecord | undefined {
  const row = sql.exec<{ response_json: string }>("SELECT response_json FROM idempotency WHERE key = ?", key).toArray()[0];
  return row === undefined ? undefined : (JSON.parse(row.response_json) as OpRecord);
}

function recordOp(tx: Tx, key: string, record: OpRecord): void {
  tx.sql.exec("INSERT INTO idempotency (key, request_hash, response_json, created_at) VALUES (?, '', ?, ?)", key, JSON.stringify(record), tx.now);
}

function allotmentLine(sql: SqlStorage, index: number, locationId: string): number {
  return (
    sql
      .exec<{ quantity: number }>("SELECT quantity FROM reservation_lines WHERE reservation_id = ? AND location_id = ?", allotmentId(index), locationId)
      .toArray()[0]?.quantity ?? 0
  );
}

/** Sets the shard's allotment line at a location (creating the allotment and the line as needed; deleting a line at 0). */
function setAllotmentLine(tx: Tx, index: number, locationId: string, quantity: number): void {
  const sql = tx.sql;
  const id = allotmentId(index);
  sql.exec(
    `INSERT INTO reservations (id, attempt, type, status, reference, expires_at, created_at, updated_at)
     VALUES (?, 1, 'hard', 'active', ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at`,
    id,
    `shard ${index}`,
    ALLOTMENT_EXPIRES_AT,
    tx.now,
    tx.now,
  );
  if (quantity === 0) sql.exec("DELETE FROM reservation_lines WHERE reservation_id = ? AND location_id = ?", id, locationId);
  else {
    sql.exec(
      `INSERT INTO reservation_lines (reservation_id, location_id, quantity, backordered) VALUES (?, ?, ?, 0)
       ON CONFLICT (reservation_id, location_id) DO UPDATE SET quantity = excluded.quantity`,
      id,
      locationId,
      quantity,
    );
  }
}

/** Grows shard `index`'s allotment by what this object can spare; idempotent by `opId`. */
export function allotToShard(db: SkuDb, input: AllotInput, now: number): { ok: true; granted: number } | Failure {
  const result = Tx.run(db, now, (tx) => {
    const key = `shard-op:${input.opId}`;
    const done = opRecord(tx.sql, key);
    if (done !== undefined) return done.units;
    const free = Math.max(0, availableOf(quantities(tx.sql, input.locationId)));
    const granted = Math.min(free, Math.max(input.need, Math.ceil(free / Math.max(1, input.shards))));
    if (granted > 0) {
      setAllotmentLine(tx, input.index, input.locationId, allotmentLine(tx.sql, input.index, input.locationId) + granted);
      change(tx, input.locationId, { reserved: granted }, { op: "reserve", reason: "shard_allot", actor: ACTOR, reservationId: allotmentId(input.index) });
    }
    recordOp(tx, key, { units: granted });
    return granted;
  });
  return typeof result === "number" ? { ok: true, granted: result } : result;
}

export interface ShardUnitsInput {
  index: number;
  opId: string;
  locationId: string;
  units: number;
}

/** Shrinks shard `index`'s allotment by units it took out of its pool; idempotent by `opId`. */
export function returnFromShard(db: SkuDb, input: ShardUnitsInput, now: number): { ok: true; units: number } | Failure {
  const result = Tx.run(db, now, (tx) => {
    const key = `shard-op:${input.opId}`;
    const done = opRecord(tx.sql, key);
    if (done !== undefined) return done.units;
    const held = allotmentLine(tx.sql, input.index, input.locationId);
    const units = Math.min(held, input.units);
    if (units > 0) {
      setAllotmentLine(tx, input.index, input.locationId, held - units);
      change(tx, input.locationId, { reserved: -units }, { op: "release", reason: "shard_return", actor: ACTOR, reservationId: allotmentId(input.index) });
    }
    recordOp(tx, key, { units });
    return units;
  });
  return typeof result === "number" ? { ok: true, units: result } : result;
}

export interface ShipInput extends ShardUnitsInput {
  /** The order's reservation (its id on the shard) and reference. */
  reservationId: string;
  reference: string | null;
  actor: string;
}

/** Ships units a shard fulfilled: out of the allotment and on-hand here; idempotent by `opId`. */
export function shipFromShard(db: SkuDb, input: ShipInput, now: number): { ok: true; units: number } | Failure {
  const result = Tx.run(db, now, (tx) => {
    const key = `shard-op:${input.opId}`;
    const done = opRecord(tx.sql, key);
    if (done !== undefined) return done.units;
    const held = allotmentLine(tx.sql, input.index, input.locationId);
    const units = Math.min(held, input.units);
    if (units > 0) {
      setAllotmentLine(tx, input.index, input.locationId, held - units);
      change(
        tx,
        input.locationId,
        { reserved: -units, onHand: -units },
        { op: "fulfil", reason: "shard_fulfil", actor: input.actor, reference: input.reference, reservationId: input.reservationId },
      );
      tx.emit({
        type: "reservation.fulfilled",
        locationId: null,
        occurredAt: new Date(tx.now).toISOString(),
        cause: { ledgerSeq: null, op: "fulfilled", reason: "shard_fulfil", reference: input.reference, reservationId: input.reservationId, actor: input.actor },
        before: null,
        after: null,
        reservation: { id: input.reservationId, type: "hard", status: "fulfilled", lines: [{ locationId: input.locationId, quantity: units }] },
      });
    }
    recordOp(tx, key, { units });
    return units;
  });
  return typeof result === "number" ? { ok: true, units: result } : result;
}

/** Units allotted to each shard, per location (the main object's view). */
export function allotments(sql: SqlStorage): { index: number; locationId: string; units: number }[] {
  return sql
    .exec<{ reservation_id: string; location_id: string; quantity: number }>(
      "SELECT reservation_id, location_id, quantity FROM reservation_lines WHERE reservation_id LIKE 'shard~%' ORDER BY reservation_id, location_id",
    )
    .toArray()
    .map((r) => ({ index: Number(r.reservation_id.slice("shard~".length)), locationId: r.location_id, units: r.quantity }));
}

// ------------------------------------------------------------------ shard object's side

export type ShardOpKind = "allot" | "return" | "ship";

export type ShardOp = {
  id: string;
  kind: ShardOpKind;
  location_id: string;
  units: number;
  reservation_id: string | null;
  reference: string | null;
  actor: string | null;
  created_at: number;
};

/** Records an operation on the main object before it is called (the alarm re-runs it after a crash). */
export function recordShardOp(sql: SqlStorage, op: ShardOp): void {
  sql.exec(
    "INSERT INTO shard_ops (id, kind, location_id, units, reservation_id, reference, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    op.id,
    op.kind,
    op.location_id,
    op.units,
    op.reservation_id,
    op.reference,
    op.actor,
    op.created_at,
  );
}

/** Operations recorded and not yet finished (oldest first). */
export function pendingShardOps(sql: SqlStorage, olderThan?: number): ShardOp[] {
  return sql
    .exec<ShardOp>(
      olderThan === undefined ? "SELECT * FROM shard_ops ORDER BY created_at" : "SELECT * FROM shard_ops WHERE created_at <= ? ORDER BY created_at",
      ...(olderThan === undefined ? [] : [olderThan]),
    )
    .toArray();
}

/** When the oldest pending operation is due for a retry by the alarm, or null. */
export function nextShardOpDue(sql: SqlStorage, retryAfterMs: number): number | null {
  const row = sql.exec<{ t: number | null }>("SELECT MIN(created_at) AS t FROM shard_ops").one();
  return row.t === null ? null : row.t + retryAfterMs;
}

/** Finishes an allot: adds the grant to the pool (once: the op row is deleted in the same transaction). */
export function finishAllot(db: SkuDb, opId: string, granted: number, now: number): void | Failure {
  const result = Tx.run(db, now, (tx) => {
    const op = tx.sql.exec<ShardOp>("SELECT * FROM shard_ops WHERE id = ?", opId).toArray()[0];
    if (op === undefined) return;
    if (granted > 0) change(tx, op.location_id, { onHand: granted }, { op: "adjust", reason: "shard_allot", actor: ACTOR, idempotencyKey: opId });
    tx.sql.exec("DELETE FROM shard_ops WHERE id = ?", opId);
  });
  return result;
}

/** Takes up to `units` free units out of the pool at a location and records their return (0: nothing free). */
export function takeForReturn(db: SkuDb, opId: string, locationId: string, units: number, now: number): number | Failure {
  return Tx.run(db, now, (tx) => {
    const free = Math.max(0, availableOf(quantities(tx.sql, locationId)));
    const taken = Math.min(free, units);
    if (taken === 0) return 0;
    change(tx, locationId, { onHand: -taken }, { op: "adjust", reason: "shard_return", actor: ACTOR, idempotencyKey: opId });
    recordShardOp(tx.sql, {
      id: opId,
      kind: "return",
      location_id: locationId,
      units: taken,
      reservation_id: null,
      reference: null,
      actor: null,
      created_at: tx.now,
    });
    return taken;
  });
}

/** The free units of the pool, per location (a retired shard returns them all). */
export function freeUnits(sql: SqlStorage): { locationId: string; units: number }[] {
  return sql
    .exec<{ location_id: string }>("SELECT location_id FROM stock ORDER BY location_id")
    .toArray()
    .map((r) => ({ locationId: r.location_id, units: Math.max(0, availableOf(quantities(sql, r.location_id))) }))
    .filter((f) => f.units > 0);
}

/** Deletes a finished operation. */
export function dropShardOp(sql: SqlStorage, opId: string): void {
  sql.exec("DELETE FROM shard_ops WHERE id = ?", opId);
}

export const notSharded = (sku: string): Failure => fail("invalid_state", `${sku} is not a shard`, { reason: "not_a_shard" });
