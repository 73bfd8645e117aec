/**
 * D1 side of moving a vendor's read-model rows between read databases (issue 19 item 2;
 * services/read-moves.ts): the `read_moves` rows in `DB`, and the copy and delete of one
 * vendor's rows, table by table, in rowid order and in pages, between two read databases.
 *
 * A vendor's rows are its master rows (`skus` naming it, with their `sku_master_push` rows)
 * and those of its SKUs: the SKUs whose `read_sku_facts` row in the source database names the
 * vendor (every SKU with projection rows has one: the EVENTS consumer
 * writes it first). `location_daily_load` is not moved: a row sums every vendor's shipments
 * of a location and day in its database, and routing sums all databases, so leaving it
 * keeps the totals exact.
 */
import { and, asc, eq, getTableColumns, gt, inArray, isNull, ne, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import {
  alertCursors,
  alerts,
  dailySales,
  forecasts,
  inventoryLevels,
  processedEvents,
  readMoves,
  readSkuFacts,
  reorderSuggestions,
  skuMasterPush,
  skuPlanning,
  skus,
  purchaseOrderLines,
  purchaseOrders,
  purchaseOrderX12,
  vendorPlanning,
  vendors,
  x12ControlNumbers,
  type ReadMoveRow,
} from "../d1/schema";
import { placedReadPartition } from "../domain/read-partitions";
import { type D1Write, inJson, runBatch } from "./d1-sql";
import { readPartitionCount } from "./read-partitions";

/** Whose rows a copy or delete takes: a vendor's (its SKUs' as their master rows there name them), or one SKU's (a SKU that changed vendor). */
export type RowScope = { vendorId: string } | { sku: string };

/** The rows of a vendor's SKUs, by a SKU column (one SKU's for a SKU scope). */
function bySku(sku: SQLiteColumn) {
  return (scope: RowScope): SQL =>
    "sku" in scope
      ? sql`${sku} = ${scope.sku}`
      : sql`${sku} IN (SELECT ${readSkuFacts.sku} FROM ${readSkuFacts} WHERE ${readSkuFacts.vendorId} = ${scope.vendorId})`;
}

/** The rows of the vendor's purchase orders, by a purchase order id column (none for a SKU scope: an order stays with its vendor). */
function byPurchaseOrder(orderId: SQLiteColumn) {
  return (scope: RowScope): SQL =>
    "sku" in scope ? sql`0` : sql`${orderId} IN (SELECT ${purchaseOrders.id} FROM ${purchaseOrders} WHERE ${purchaseOrders.vendorId} = ${scope.vendorId})`;
}

/** The vendor's own rows, by an SQL condition on them (none for a SKU scope). */
function byVendor(condition: (vendorId: string) => SQL) {
  return (scope: RowScope): SQL => ("sku" in scope ? sql`0` : condition(scope.vendorId));
}

/**
 * The tables moved, in copy order (master rows first: the vendor's SKU list in the target,
 * which the other tables' scopes read through the `read_sku_facts` view; orders before their
 * lines and 850s, which reference them); deleted in reverse. Each says which of
 * its rows are in a scope.
 */
export const MOVED_TABLES: readonly MovedTable[] = [
  // Master data (issue 19 item 3): the SKUs' rows, then their push versions. Copying a `skus`
  // row creates its `sku_master_push` row (trigger, version 1): the copied one then raises it
  // to the source's version, so an object never sees its version go back.
  { name: "skus", table: skus, rows: (scope) => ("sku" in scope ? sql`${skus.sku} = ${scope.sku}` : sql`${skus.vendorId} = ${scope.vendorId}`) },
  {
    name: "sku_master_push",
    table: skuMasterPush,
    rows: (scope) =>
      "sku" in scope
        ? sql`${skuMasterPush.sku} = ${scope.sku}`
        : sql`${skuMasterPush.sku} IN (SELECT ${skus.sku} FROM ${skus} WHERE ${skus.vendorId} = ${scope.vendorId})`,
    onConflict: {
      target: skuMasterPush.sku,
      set: {
        version: sql`max(${skuMasterPush.version}, excluded.version)`,
        ackedVersion: sql`excluded.acked_version`,
      },
    },
  },
  { name: "inventory_levels", table: inventoryLevels, rows: bySku(inventoryLevels.sku) },
  { name: "alert_cursors", table: alertCursors, rows: bySku(alertCursors.sku) },
  { name: "alerts", table: alerts, rows: bySku(alerts.sku) },
  { name: "daily_sales", table: dailySales, rows: bySku(dailySales.sku) },
  { name: "processed_events", table: processedEvents, rows: bySku(processedEvents.sku) },
  // The features' tables (issue 19 item 2): planning, then purchase orders.
  { name: "sku_planning", table: skuPlanning, rows: bySku(skuPlanning.sku) },
  { name: "forecasts", table: forecasts, rows: bySku(forecasts.sku) },
  { name: "reorder_suggestions", table: reorderSuggestions, rows: bySku(reorderSuggestions.sku) },
  { name: "vendor_planning", table: vendorPlanning, rows: byVendor((v) => sql`${vendorPlanning.vendorId} = ${v}`) },
  { name: "purchase_orders", table: purchaseOrders, rows: byVendor((v) => sql`${purchaseOrders.vendorId} = ${v}`) },
  { name: "purchase_order_lines", table: purchaseOrderLines, rows: byPurchaseOrder(purchaseOrderLines.purchaseOrderId) },
  { name: "purchase_order_x12", table: purchaseOrderX12, rows: byPurchaseOrder(purchaseOrderX12.purchaseOrderId) },
  // The vendor's X12 control numbers (`vendor:<id>`, services/purchase-order-edi.ts).
  { name: "x12_control_numbers", table: x12ControlNumbers, rows: byVendor((v) => sql`${x12ControlNumbers.partner} = ${`vendor:${v}`}`) },
];

/** A moved table: its rows in a scope, and how a copied row meets one already in the target (default: the target's is kept). */
export interface MovedTable {
  name: string;
  table: SQLiteTable;
  rows: (scope: RowScope) => SQL;
  onConflict?: { target: SQLiteColumn; set: Partial<Record<string, SQL>> };
}

/** The open move of a vendor (not `done`), if any. */
export async function openMoveOf(db: D1Database, vendorId: string): Promise<ReadMoveRow | undefined> {
  return drizzle(db)
    .select()
    .from(readMoves)
    .where(and(eq(readMoves.vendorId, vendorId), ne(readMoves.state, "done")))
    .get();
}

/** Which of these vendors are draining or copying (their events wait; their alerts take no action). */
export async function vendorsMoving(db: D1Database, vendorIds: readonly string[]): Promise<Set<string>> {
  if (vendorIds.length === 0) return new Set();
  const out = new Set<string>();
  const unique = [...new Set(vendorIds)];
  for (let i = 0; i < unique.length; i += 90) {
    const rows = await drizzle(db)
      .select({ vendorId: readMoves.vendorId })
      .from(readMoves)
      .where(and(inArray(readMoves.vendorId, unique.slice(i, i + 90)), inArray(readMoves.state, ["draining", "copying"])))
      .all();
    for (const r of rows) out.add(r.vendorId);
  }
  return out;
}

/** Inserts a move; undefined if the vendor already has an open one. */
export async function insertMove(db: D1Database, row: typeof readMoves.$inferInsert): Promise<ReadMoveRow | undefined> {
  return drizzle(db).insert(readMoves).values(row).onConflictDoNothing().returning().get();
}

export async function findMove(db: D1Database, id: string): Promise<ReadMoveRow | undefined> {
  return drizzle(db).select().from(readMoves).where(eq(readMoves.id, id)).get();
}

/** A vendor's moves, newest first (at most `limit`). */
export async function movesOf(db: D1Database, vendorId: string, limit: number): Promise<ReadMoveRow[]> {
  return drizzle(db).select().from(readMoves).where(eq(readMoves.vendorId, vendorId)).orderBy(sql`${readMoves.createdAt} DESC`).limit(limit).all();
}

/**
 * Every vendor's moves, newest first (ties by id, so the order is stable), at most `limit`:
 * the operators' view of the moves under way. `read_moves` holds a row per move ever made
 * (a few per re-partitioning), so reading it in `created_at` order without an index is cheap.
 */
export async function recentMoves(db: D1Database, limit: number): Promise<ReadMoveRow[]> {
  return drizzle(db).select().from(readMoves).orderBy(sql`${readMoves.createdAt} DESC`, sql`${readMoves.id} DESC`).limit(limit).all();
}

/**
 * Where a vendor's read-model rows are now, read from `DB` uncached (not the isolates' 30 s
 * placement cache): its read database, whether it is pinned there (`vendors.read_partition`
 * stored: by a move or by pinning) or at its home under the current M, and whether that
 * database exists (false: pinned to a partition ≥ M, a deployment that removed a `READ_<i>`
 * binding its vendors still use — shown here for the operator to see, where every other
 * lookup of the vendor fails). Undefined: no such vendor.
 */
export async function vendorPlacement(env: Env, vendorId: string): Promise<{ partition: number; pinned: boolean; databaseExists: boolean } | undefined> {
  const row = await drizzle(env.DB).select({ stored: vendors.readPartition }).from(vendors).where(eq(vendors.id, vendorId)).get();
  if (row === undefined) return undefined;
  const m = readPartitionCount(env);
  if (row.stored !== null && row.stored >= m) return { partition: row.stored, pinned: true, databaseExists: false };
  return { partition: placedReadPartition(vendorId, row.stored, m), pinned: row.stored !== null, databaseExists: true };
}

/** Every open move (the cron advances them). */
export async function openMoves(db: D1Database, limit: number): Promise<ReadMoveRow[]> {
  return drizzle(db).select().from(readMoves).where(ne(readMoves.state, "done")).orderBy(asc(readMoves.createdAt)).limit(limit).all();
}

/** Updates a move if it is still in state `from` (a concurrent advance loses); true if it did. */
export async function updateMove(
  db: D1Database,
  id: string,
  from: ReadMoveRow["state"],
  set: Partial<Pick<ReadMoveRow, "state" | "cursor" | "rowsCopied" | "rowsDeleted" | "stateAt" | "updatedAt">>,
): Promise<boolean> {
  const result = await drizzle(db)
    .update(readMoves)
    .set(set)
    .where(and(eq(readMoves.id, id), eq(readMoves.state, from)))
    .run();
  return result.meta.changes > 0;
}

/** The switch: the vendor's rows are now read and written in `partition`, and the move is `switched`, in one batch. */
export async function switchVendor(db: D1Database, move: ReadMoveRow, now: number): Promise<void> {
  await runBatch(db, [
    drizzle(db).update(vendors).set({ readPartition: move.toPartition }).where(eq(vendors.id, move.vendorId)),
    drizzle(db)
      .update(readMoves)
      .set({ state: "switched", cursor: null, stateAt: now, updatedAt: now })
      .where(and(eq(readMoves.id, move.id), eq(readMoves.state, "copying"))),
  ]);
}

/** Where a copy or cleanup stands: the index into MOVED_TABLES and the last rowid done there. */
export interface MoveCursor {
  table: number;
  rowid: number;
}

/** Bound parameters per statement in D1. */
const MAX_PARAMS = 100;

/**
 * Copies the next page (at most `limit` rows) of the vendor's rows of table `at.table` from
 * `source` to `target`, after rowid `at.rowid`. A row already in the target (a step retried
 * after a crash) is left as it is: the source does not change while the vendor drains.
 * Returns the rows copied and the cursor after them (null: the table is done).
 */
export async function copyPage(
  source: D1Database,
  target: D1Database,
  scope: RowScope,
  at: MoveCursor,
  limit: number,
): Promise<{ copied: number; next: MoveCursor | null }> {
  const moved = MOVED_TABLES[at.table]!;
  const { table } = moved;
  const columns = getTableColumns(table);
  const rows = (await drizzle(source)
    .select({ rowid: sql<number>`rowid`, ...columns })
    .from(table)
    .where(and(gt(sql`rowid`, at.rowid), moved.rows(scope)))
    .orderBy(asc(sql`rowid`))
    .limit(limit)
    .all()) as (Record<string, unknown> & { rowid: number })[];
  if (rows.length > 0) {
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS / Object.keys(columns).length));
    const statements: D1Write[] = [];
    for (let i = 0; i < rows.length; i += perStatement) {
      const values = rows.slice(i, i + perStatement).map(({ rowid: _rowid, ...row }) => row);
      const insert = drizzle(target)
        .insert(table)
        .values(values as never);
      statements.push(moved.onConflict === undefined ? insert.onConflictDoNothing() : insert.onConflictDoUpdate(moved.onConflict));
    }
    await runBatch(target, statements);
  }
  const last = rows[rows.length - 1];
  return { copied: rows.length, next: rows.length < limit ? null : { table: at.table, rowid: last!.rowid } };
}

/**
 * Deletes the next page (at most `limit` rows) of the vendor's rows of table `at.table` in
 * `db` (cleanup of the old database, in reverse table order so the facts that name the
 * vendor's SKUs go last). Returns the rows deleted; fewer than `limit` means the table is done.
 */
export async function deletePage(db: D1Database, scope: RowScope, tableIndex: number, limit: number): Promise<number> {
  const moved = MOVED_TABLES[tableIndex]!;
  const { table } = moved;
  const d = drizzle(db);
  const page = d.select({ rowid: sql`rowid` }).from(table).where(moved.rows(scope)).limit(limit);
  const result = await d.delete(table).where(sql`rowid IN ${page}`).run();
  return result.meta.changes;
}

/** Deletes the rows of `scope` of every moved table in `db` (a vendor's: those of the SKUs its facts there name), facts last. */
export async function clearRows(db: D1Database, scope: RowScope): Promise<number> {
  let deleted = 0;
  for (let t = MOVED_TABLES.length - 1; t >= 0; t--) {
    for (;;) {
      const n = await deletePage(db, scope, t, 1000);
      deleted += n;
      if (n < 1000) break;
    }
  }
  return deleted;
}

/** Vendors with no stored read database, by id after `after` (at most `limit`). */
export async function unpinnedVendors(db: D1Database, after: string, limit: number): Promise<string[]> {
  const rows = await drizzle(db)
    .select({ id: vendors.id })
    .from(vendors)
    .where(and(isNull(vendors.readPartition), gt(vendors.id, after)))
    .orderBy(asc(vendors.id))
    .limit(limit)
    .all();
  return rows.map((r) => r.id);
}

/** Stores these vendors' read databases where none is stored yet (one statement); returns how many it stored. */
export async function pinPartitions(db: D1Database, partitions: ReadonlyMap<string, number>): Promise<number> {
  if (partitions.size === 0) return 0;
  const json = JSON.stringify(Object.fromEntries(partitions));
  const result = await drizzle(db)
    .update(vendors)
    .set({ readPartition: sql<number>`(${json} ->> ('$."' || ${vendors.id} || '"'))` })
    .where(and(inJson(vendors.id, [...partitions.keys()]), isNull(vendors.readPartition)))
    .run();
  return result.meta.changes;
}

/** Vendors with master rows (`skus`) in this database, at most `limit`: in `DB`, those left from before the split (migration 0020). */
export async function vendorsWithMasterRows(db: D1Database, limit: number): Promise<string[]> {
  const rows = await drizzle(db).selectDistinct({ vendorId: skus.vendorId }).from(skus).orderBy(asc(skus.vendorId)).limit(limit).all();
  return rows.map((r) => r.vendorId);
}
