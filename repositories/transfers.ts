/**
 * Transfer documents in D1 (`transfers`, `transfer_lines`). The counts live in the SKU
 * objects; these rows are the document, its status and the figures the objects answered.
 */
import type { TransferLineRow, TransferRow } from "../d1/schema";
import type { TransferLine } from "../durable-objects/sku-inbound.types";

type DocRow = {
  id: string;
  status: TransferRow["status"];
  from_location_id: string;
  to_location_id: string;
  expected_at: number | null;
  reference: string | null;
  principal: string;
  idempotency_key: string;
  request_hash: string;
  created_by: string;
  failure_json: string | null;
  created_at: number;
  updated_at: number;
};
type LineRow = {
  transfer_id: string;
  line_no: number;
  sku: string;
  quantity: number;
  received: number;
  damaged: number;
  short: number;
  returned: number;
  status: TransferLineRow["status"];
};

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

function docOf(row: DocRow, lines: LineRow[]): TransferDoc {
  return {
    id: row.id,
    status: row.status,
    fromLocationId: row.from_location_id,
    toLocationId: row.to_location_id,
    expectedAt: row.expected_at,
    reference: row.reference,
    principal: row.principal,
    requestHash: row.request_hash,
    createdBy: row.created_by,
    failure: row.failure_json === null ? null : (JSON.parse(row.failure_json) as TransferDoc["failure"]),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lines: lines.map((l) => ({
      lineNo: l.line_no,
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
  const [doc, lines] = await db.batch([
    db.prepare("SELECT * FROM transfers WHERE id = ?").bind(id),
    db.prepare("SELECT * FROM transfer_lines WHERE transfer_id = ? ORDER BY line_no").bind(id),
  ]);
  const row = (doc!.results as DocRow[])[0];
  return row === undefined ? null : docOf(row, lines!.results as LineRow[]);
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
  await db.batch([
    db
      .prepare(
        `INSERT OR IGNORE INTO transfers (id, status, from_location_id, to_location_id, expected_at, reference, principal, idempotency_key,
           request_hash, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(
        t.id,
        t.status ?? "creating",
        t.fromLocationId,
        t.toLocationId,
        t.expectedAt,
        t.reference,
        t.principal,
        t.idempotencyKey,
        t.requestHash,
        t.createdBy,
        t.now,
        t.now,
      ),
    ...t.lines.map((l, i) =>
      db.prepare("INSERT OR IGNORE INTO transfer_lines (transfer_id, line_no, sku, quantity) VALUES (?, ?, ?, ?)").bind(t.id, i, l.sku, l.quantity),
    ),
  ]);
}

/** Writes the figures a SKU object answered for a line. */
export function lineUpdate(db: D1Database, transferId: string, lineNo: number, line: TransferLine): D1PreparedStatement {
  return db
    .prepare("UPDATE transfer_lines SET received = ?, damaged = ?, short = ?, returned = ?, status = ? WHERE transfer_id = ? AND line_no = ?")
    .bind(line.received, line.damaged, line.short, line.returned, line.status, transferId, lineNo);
}

/** Sets the document's status (only from one of `from`, when given), with an optional failure. */
export function statusUpdate(
  db: D1Database,
  id: string,
  status: TransferRow["status"],
  now: number,
  options: { from?: TransferRow["status"][]; failure?: unknown } = {},
): D1PreparedStatement {
  const guard = options.from === undefined ? "" : ` AND status IN (${options.from.map((s) => `'${s}'`).join(", ")})`;
  return db
    .prepare(`UPDATE transfers SET status = ?, updated_at = ?, failure_json = COALESCE(?, failure_json) WHERE id = ?${guard}`)
    .bind(status, now, options.failure === undefined ? null : JSON.stringify(options.failure), id);
}

/** Marks a document as being worked on now (the sweeper leaves it alone for a minute). */
export async function touchTransfer(db: D1Database, id: string, now: number): Promise<void> {
  await db.prepare("UPDATE transfers SET updated_at = ? WHERE id = ?").bind(now, id).run();
}

/** Documents by id, optionally of one status, after a cursor. */
export async function listTransfers(
  db: D1Database,
  status: TransferRow["status"] | undefined,
  after: string | undefined,
  limit: number,
): Promise<TransferDoc[]> {
  const where: string[] = [];
  const binds: unknown[] = [];
  if (status !== undefined) {
    where.push("status = ?");
    binds.push(status);
  }
  if (after !== undefined) {
    where.push("id > ?");
    binds.push(after);
  }
  const { results } = await db
    .prepare(`SELECT * FROM transfers ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id LIMIT ?`)
    .bind(...binds, limit)
    .all<DocRow>();
  if (results.length === 0) return [];
  const lines = await db
    .prepare("SELECT * FROM transfer_lines WHERE transfer_id IN (SELECT value FROM json_each(?)) ORDER BY transfer_id, line_no")
    .bind(JSON.stringify(results.map((r) => r.id)))
    .all<LineRow>();
  return results.map((r) =>
    docOf(
      r,
      lines.results.filter((l) => l.transfer_id === r.id),
    ),
  );
}

/** Ids of documents left `creating` since before `staleBefore` (a crashed create). */
export async function staleCreating(db: D1Database, staleBefore: number, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT id FROM transfers WHERE status = 'creating' AND updated_at < ? ORDER BY updated_at LIMIT ?")
    .bind(staleBefore, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}
