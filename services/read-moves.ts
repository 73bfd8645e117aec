/**
 * Re-partitioning the read model (issue 19 item 2): moving one vendor's rows from its read
 * database to another, online, without losing or doubling anything. An operator starts a
 * move (`POST /api/v2/read-partitions/moves`); the per-minute cron advances every open move
 * (`advanceReadMoves`), and so does each call of the move's own endpoints, so a crash at any
 * step leaves a move that the next advance carries on.
 *
 * 1. `draining` (MOVE_TIMING.drainMs): the vendor's events wait — the EVENTS consumer sees
 *    the open move with the SKUs' facts and throws, so the queue retries them — while any
 *    batch that read the old placement before the move existed commits. Master-facts pushes
 *    for the vendor are deferred to the sweep; alert actions answer 503 `retry_later`.
 * 2. `copying`: the vendor's rows (its SKUs' facts, levels, alert cursors, alerts, daily
 *    sales, dedupe records) are copied to the new database in pages, the position kept in
 *    the move row; rows already there (a retried step) are left alone.
 * 3. `switched`: one D1 batch sets `vendors.read_partition` and the state; events and pushes
 *    flow to the new database at once (they read the placement uncached). Readers that cached
 *    the old placement (at most PARTITION_CACHE_MS) still find the old rows, untouched.
 * 4. After MOVE_TIMING.cleanupAfterMs the old rows are deleted in pages, then `done`.
 *
 * Changing M: pin every vendor where it is (`pinVendors`: stores its current home, since a
 * home is a hash over M), add the databases (READ_<M>… in wrangler.toml, migrated), then move
 * vendors onto them one by one. README "Re-partitioning the read model" has the procedure.
 */
import type { ReadMoveRow } from "../d1/schema";
import {
  clearRows,
  copyPage,
  deletePage,
  findMove,
  insertMove,
  MOVED_TABLES,
  type MoveCursor,
  openMoves,
  pinPartitions,
  switchVendor,
  unpinnedVendors,
  updateMove,
  vendorsMoving,
} from "../repositories/read-moves";
import { forgetReadPartitions, homeReadPartition, PARTITION_CACHE_MS, readDb, readPartitionCount, vendorReadPartition } from "../repositories/read-partitions";
import { findVendor } from "../repositories/vendors";
import { ApiError } from "./api-error";

export const MOVE_TIMING = {
  /** How long a move drains before it copies: longer than an EVENTS batch takes from its facts read to its commit. */
  drainMs: 30_000,
  /** How long the old rows stay after the switch: twice the isolates' placement cache. */
  cleanupAfterMs: 2 * PARTITION_CACHE_MS,
  /** Rows per copied or deleted page. */
  pageRows: 200,
  /** Pages per advance of one move (the rest in the next advance). */
  pagesPerAdvance: 25,
} as const;

/** A move as the API shows it. */
export function moveJson(m: ReadMoveRow) {
  return {
    id: m.id,
    vendorId: m.vendorId,
    from: m.fromPartition,
    to: m.toPartition,
    state: m.state,
    rowsCopied: m.rowsCopied,
    rowsDeleted: m.rowsDeleted,
    requestedBy: m.requestedBy,
    stateSince: new Date(m.stateAt).toISOString(),
    createdAt: new Date(m.createdAt).toISOString(),
    updatedAt: new Date(m.updatedAt).toISOString(),
  };
}

/** Starts moving a vendor's rows to read database `to`: 404 unknown vendor, 409 already there or already moving, 400 no such database. */
export async function startMove(env: Env, vendorId: string, to: number, requestedBy: string, now = Date.now()): Promise<ReadMoveRow> {
  const m = readPartitionCount(env);
  if (!Number.isInteger(to) || to < 0 || to >= m) {
    throw ApiError.invalid("invalid request body", [{ path: ["body", "to"], message: `to must be a read database 0..${m - 1}`, code: "out_of_range" }]);
  }
  if ((await findVendor(env.DB, vendorId)) === undefined) throw new ApiError(404, "vendor_not_found", `no vendor ${vendorId}`, { vendorId });
  forgetReadPartitions(vendorId);
  const from = await vendorReadPartition(env, vendorId);
  if (from === to) throw new ApiError(409, "already_there", `vendor ${vendorId} is in read database ${to} already`, { vendorId, partition: to });
  const row = await insertMove(env.DB, {
    id: `rmv_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`,
    vendorId,
    fromPartition: from,
    toPartition: to,
    state: "draining",
    requestedBy,
    stateAt: now,
    createdAt: now,
    updatedAt: now,
  });
  if (row === undefined) throw new ApiError(409, "move_in_progress", `vendor ${vendorId} is being moved already`, { vendorId });
  return row;
}

/** Carries one move as far as it can go now (several states in one call when nothing waits); returns it as stored after. */
export async function advanceMove(env: Env, id: string, now = Date.now()): Promise<ReadMoveRow | undefined> {
  for (let step = 0; step < 8; step++) {
    const move = await findMove(env.DB, id);
    if (move === undefined || move.state === "done") return move;
    const progressed = await advanceOnce(env, move, now);
    if (!progressed) return findMove(env.DB, id);
  }
  return findMove(env.DB, id);
}

/** One step of a move; false when it must wait (or another advance took the step). */
async function advanceOnce(env: Env, move: ReadMoveRow, now: number): Promise<boolean> {
  const source = readDb(env, move.fromPartition);
  const target = readDb(env, move.toPartition);
  switch (move.state) {
    case "draining": {
      if (now - move.stateAt < MOVE_TIMING.drainMs) return false;
      // Leftovers of an earlier move of this vendor into the target (none normally) go first.
      await clearRows(target, { vendorId: move.vendorId });
      return updateMove(env.DB, move.id, "draining", {
        state: "copying",
        cursor: JSON.stringify({ table: 0, rowid: 0 } satisfies MoveCursor),
        stateAt: now,
        updatedAt: now,
      });
    }
    case "copying": {
      let at: MoveCursor | null = JSON.parse(move.cursor ?? '{"table":0,"rowid":0}') as MoveCursor;
      let copied = 0;
      for (let page = 0; page < MOVE_TIMING.pagesPerAdvance && at !== null; page++) {
        const result = await copyPage(source, target, { vendorId: move.vendorId }, at, MOVE_TIMING.pageRows);
        copied += result.copied;
        at = result.next ?? (at.table + 1 < MOVED_TABLES.length ? { table: at.table + 1, rowid: 0 } : null);
      }
      if (at !== null) {
        await updateMove(env.DB, move.id, "copying", { cursor: JSON.stringify(at), rowsCopied: move.rowsCopied + copied, updatedAt: now });
        return false;
      }
      await updateMove(env.DB, move.id, "copying", { rowsCopied: move.rowsCopied + copied, updatedAt: now });
      await switchVendor(env.DB, { ...move, state: "copying" }, now);
      forgetReadPartitions(move.vendorId);
      console.log(
        JSON.stringify({
          event: "read_move.switched",
          id: move.id,
          vendorId: move.vendorId,
          from: move.fromPartition,
          to: move.toPartition,
          rows: move.rowsCopied + copied,
        }),
      );
      return true;
    }
    case "switched": {
      if (now - move.stateAt < MOVE_TIMING.cleanupAfterMs) return false;
      let table = move.cursor === null ? MOVED_TABLES.length - 1 : (JSON.parse(move.cursor) as MoveCursor).table;
      let deleted = 0;
      for (let page = 0; page < MOVE_TIMING.pagesPerAdvance && table >= 0; page++) {
        const n = await deletePage(source, { vendorId: move.vendorId }, table, MOVE_TIMING.pageRows);
        deleted += n;
        if (n < MOVE_TIMING.pageRows) table -= 1;
      }
      if (table >= 0) {
        await updateMove(env.DB, move.id, "switched", { cursor: JSON.stringify({ table, rowid: 0 }), rowsDeleted: move.rowsDeleted + deleted, updatedAt: now });
        return false;
      }
      await updateMove(env.DB, move.id, "switched", { state: "done", cursor: null, rowsDeleted: move.rowsDeleted + deleted, stateAt: now, updatedAt: now });
      console.log(JSON.stringify({ event: "read_move.done", id: move.id, vendorId: move.vendorId, deleted: move.rowsDeleted + deleted }));
      return true;
    }
    default:
      return false;
  }
}

/** The cron: advances every open move (oldest first). */
export async function advanceReadMoves(env: Env, now: number): Promise<{ open: number; done: number }> {
  const moves = await openMoves(env.DB, 20);
  let done = 0;
  for (const m of moves) {
    try {
      if ((await advanceMove(env, m.id, now))?.state === "done") done += 1;
    } catch (error) {
      console.error(JSON.stringify({ event: "read_move.failed", id: m.id, vendorId: m.vendorId, state: m.state, error: String(error) }));
    }
  }
  return { open: moves.length, done };
}

/**
 * Pins every vendor that has no stored read database to its home under the current M (in
 * pages of `page` vendors; returns how many were pinned): the first step of changing M,
 * since a home is a hash over M and would move with it. Idempotent.
 */
export async function pinVendors(env: Env, page = 500): Promise<number> {
  const m = readPartitionCount(env);
  let pinned = 0;
  let after = "";
  for (;;) {
    const ids = await unpinnedVendors(env.DB, after, page);
    if (ids.length === 0) break;
    pinned += await pinPartitions(env.DB, new Map(ids.map((id) => [id, homeReadPartition(id, m)])));
    after = ids[ids.length - 1]!;
  }
  forgetReadPartitions();
  return pinned;
}

/**
 * A SKU that changed vendor (services/master-data.ts `transferSkuTo`) takes its read-model rows
 * to its new vendor's read database: copied (a row the new database has already — an event
 * applied there since the transfer — is kept, being newer), then deleted from the old one.
 * Synchronous: one SKU's rows are a few hundred at most. Not guarded by a drain: an EVENTS
 * batch that read the old owner just before the transfer committed can still land one change
 * in the old database after this; the SKU's next event brings its level up to date in the new
 * one (levels carry whole counts), but such a change's daily sales stay behind.
 */
export async function moveSkuRows(env: Env, sku: string, from: number, to: number): Promise<{ copied: number; deleted: number }> {
  if (from === to) return { copied: 0, deleted: 0 };
  const source = readDb(env, from);
  const target = readDb(env, to);
  let copied = 0;
  for (let table = 0; table < MOVED_TABLES.length; table++) {
    let at: MoveCursor | null = { table, rowid: 0 };
    while (at !== null) {
      const page = await copyPage(source, target, { sku }, at, MOVE_TIMING.pageRows);
      copied += page.copied;
      at = page.next;
    }
  }
  const deleted = await clearRows(source, { sku });
  return { copied, deleted };
}

/**
 * 503 `retry_later` while any of these vendors' rows are being moved between read databases
 * (draining or copying): a write now could land in the database being left, behind the copy.
 * `details` go into the error (default: the vendors being moved).
 */
export async function assertVendorsNotMoving(env: Env, vendorIds: readonly string[], details?: Record<string, unknown>): Promise<void> {
  const moving = await vendorsMoving(env.DB, vendorIds);
  if (moving.size > 0) {
    throw new ApiError(
      503,
      "retry_later",
      "the vendor's read model is being moved to another database; try again in a minute",
      details ?? { vendorIds: [...moving] },
    );
  }
}
