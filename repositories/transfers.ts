/**
 * Transfer documents in D1 (`transfers`, `transfer_lines`). The counts live in the SKU
 * objects; these rows are the document, its status and the figures the objects answered.
 */
import { and, asc, eq, gt, inArray, lt, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { transferLines, transfers, type TransferLineRow, type TransferRow } from "../d1/schema";
import type { TransferLine } from "../durable-objects/sku-inbound.types";
import { type D1Write, inJson } from "./d1-sql";

export interface TransferDocLine {
  lineNo: number;
  sku: string;
  quantity: number;
  received: number;
  damaged: number;
  short: number;
  returned: number;
  status: TransferLineRow["status"];
}

export interface TransferDoc {
  id: string;
  status: TransferRow["status"];
  fromLocationId: string;
  toLocationId: string;
  expectedAt: number | null;
  reference: string | null;
  principal: string;
  requestHash: string;
  createdBy: string;
  failure: { code: string; message: string; details: unknown } | null;
  createdAt: number;
  updatedAt: number;
  lines: TransferDocLine[];
}

function docOf(row: TransferRow, lines: TransferLineRow[]): TransferDoc {
  return {
    id: row.id,
    status: row.status,
    fromLocationId: row.fromLocationId,
    toLocationId: row.toLocationId,
    expectedAt: row.expectedAt,
    reference: row.reference,
    principal: row.principal,
    requestHash: row.requestHash,
    createdBy: row.createdBy,
    failure: row.failureJson === null ? null : (JSON.parse(row.failureJson) as TransferDoc["failure"]),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lines: lines.map((l) => ({
      lineNo: l.lineNo,
      sku: l.sku,
      quantity: l.quantity,
      received: l.received,
      damaged: l.damaged,
      short: l.short,
      returned: l.returned,
      status: l.status,
    })),
  };
}

/** One document with its lines, or null. */
export async function findTransfer(db: D1Database, id: string): Promise<TransferDoc | null> {
  const d = drizzle(db);
  const [doc, lines] = await d.batch([
    d.select().from(transfers).where(eq(transfers.id, id)),
    d.select().from(transferLines).where(eq(transferLines.transferId, id)).orderBy(asc(transferLines.lineNo)),
  ]);
  const row = doc[0];
  return row === undefined ? null : docOf(row, lines);
}

export interface NewTransfer {
  id: string;
  fromLocationId: string;
  toLocationId: string;
  expectedAt: number | null;
  reference: string | null;
  principal: string;
  idempotencyKey: string;
  requestHash: string;
  createdBy: string;
  lines: { sku: string; quantity: number }[];
  now: number;
  /** `draft`: nothing moves until it is shipped; else `creating` (the default). */
  status?: "draft" | "creating";
}

/** Inserts a document in `creating` (or `draft`) with its lines `pending` (nothing if the id exists). */
export async function insertTransfer(db: D1Database, t: NewTransfer): Promise<void> {
  // ON CONFLICT DO NOTHING: a retry with the same id inserts nothing (every value is set, so no other constraint can fail).
  const d = drizzle(db);
  await d.batch([
    d
      .insert(transfers)
      .values({
        id: t.id,
        status: t.status ?? "creating",
        fromLocationId: t.fromLocationId,
        toLocationId: t.toLocationId,
        expectedAt: t.expectedAt,
        reference: t.reference,
        principal: t.principal,
        idempotencyKey: t.idempotencyKey,
        requestHash: t.requestHash,
        createdBy: t.createdBy,
        createdAt: t.now,
        updatedAt: t.now,
      })
      .onConflictDoNothing(),
    ...t.lines.map((l, i) => d.insert(transferLines).values({ transferId: t.id, lineNo: i, sku: l.sku, quantity: l.quantity }).onConflictDoNothing()),
  ]);
}

/** Writes the figures a SKU object answered for a line. */
export function lineUpdate(db: D1Database, transferId: string, lineNo: number, line: TransferLine): D1Write {
  return drizzle(db)
    .update(transferLines)
    .set({ received: line.received, damaged: line.damaged, short: line.short, returned: line.returned, status: line.status })
    .where(and(eq(transferLines.transferId, transferId), eq(transferLines.lineNo, lineNo)));
}

/** Sets the document's status (only from one of `from`, when given), with an optional failure. */
export function statusUpdate(
  db: D1Database,
  id: string,
  status: TransferRow["status"],
  now: number,
  options: { from?: TransferRow["status"][]; failure?: unknown } = {},
): D1Write & { run(): Promise<D1Result> } {
  return drizzle(db)
    .update(transfers)
    .set({ status, updatedAt: now, ...(options.failure === undefined ? {} : { failureJson: JSON.stringify(options.failure) }) })
    .where(and(eq(transfers.id, id), options.from === undefined ? undefined : inArray(transfers.status, options.from)));
}

/** Marks a document as being worked on now (the sweeper leaves it alone for a minute). */
export async function touchTransfer(db: D1Database, id: string, now: number): Promise<void> {
  await drizzle(db).update(transfers).set({ updatedAt: now }).where(eq(transfers.id, id)).run();
}

/** Documents by id, optionally of one status, after a cursor. */
export async function listTransfers(
  db: D1Database,
  status: TransferRow["status"] | undefined,
  after: string | undefined,
  limit: number,
): Promise<TransferDoc[]> {
  const d = drizzle(db);
  const where: SQL[] = [];
  if (status !== undefined) where.push(eq(transfers.status, status));
  if (after !== undefined) where.push(gt(transfers.id, after));
  const results = await d
    .select()
    .from(transfers)
    .where(and(...where))
    .orderBy(asc(transfers.id))
    .limit(limit)
    .all();
  if (results.length === 0) return [];
  const lines = await d
    .select()
    .from(transferLines)
    .where(
      inJson(
        transferLines.transferId,
        results.map((r) => r.id),
      ),
    )
    .orderBy(asc(transferLines.transferId), asc(transferLines.lineNo))
    .all();
  return results.map((r) =>
    docOf(
      r,
      lines.filter((l) => l.transferId === r.id),
    ),
  );
}

/** Ids of documents left `creating` since before `staleBefore` (a crashed create). */
export async function staleCreating(db: D1Database, staleBefore: number, limit: number): Promise<string[]> {
  const results = await drizzle(db)
    .select({ id: transfers.id })
    .from(transfers)
    .where(and(eq(transfers.status, "creating"), lt(transfers.updatedAt, staleBefore)))
    .orderBy(asc(transfers.updatedAt))
    .limit(limit)
    .all();
  return results.map((r) => r.id);
}
