/**
 * Purchase orders in D1 (`purchase_orders`, `purchase_order_lines`). The in-transit and
 * received counts live in the SKU objects (a purchase order's line is an inbound line there,
 * keyed `<po id>:<line no>`); these rows are the document and the figures they answered.
 */
import type { PurchaseOrderLineRow, PurchaseOrderRow } from "../d1/schema";
import type { TransferLine } from "../durable-objects/sku-inbound.types";

type DocRow = {
  id: string;
  vendor_id: string;
  location_id: string;
  status: PurchaseOrderRow["status"];
  expected_at: number | null;
  reference: string | null;
  principal: string;
  idempotency_key: string;
  request_hash: string;
  created_by: string;
  created_at: number;
  updated_at: number;
};
type LineRow = {
  purchase_order_id: string;
  line_no: number;
  sku: string;
  quantity: number;
  received: number;
  damaged: number;
  short: number;
  status: PurchaseOrderLineRow["status"];
};

export interface PurchaseOrderLine {
  lineNo: number;
  sku: string;
  quantity: number;
  received: number;
  damaged: number;
  short: number;
  status: PurchaseOrderLineRow["status"];
}

export interface PurchaseOrder {
  id: string;
  vendorId: string;
  locationId: string;
  status: PurchaseOrderRow["status"];
  expectedAt: number | null;
  reference: string | null;
  requestHash: string;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  lines: PurchaseOrderLine[];
}

function docOf(row: DocRow, lines: LineRow[]): PurchaseOrder {
  return {
    id: row.id,
    vendorId: row.vendor_id,
    locationId: row.location_id,
    status: row.status,
    expectedAt: row.expected_at,
    reference: row.reference,
    requestHash: row.request_hash,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lines: lines.map((l) => ({
      lineNo: l.line_no,
      sku: l.sku,
      quantity: l.quantity,
      received: l.received,
      damaged: l.damaged,
      short: l.short,
      status: l.status,
    })),
  };
}

/** One purchase order with its lines, or null. */
export async function findPurchaseOrder(db: D1Database, id: string): Promise<PurchaseOrder | null> {
  const [doc, lines] = await db.batch([
    db.prepare("SELECT * FROM purchase_orders WHERE id = ?").bind(id),
    db.prepare("SELECT * FROM purchase_order_lines WHERE purchase_order_id = ? ORDER BY line_no").bind(id),
  ]);
  const row = (doc!.results as DocRow[])[0];
  return row === undefined ? null : docOf(row, lines!.results as LineRow[]);
}

export interface NewPurchaseOrder {
  id: string;
  vendorId: string;
  locationId: string;
  expectedAt: number | null;
  reference: string | null;
  principal: string;
  idempotencyKey: string;
  requestHash: string;
  createdBy: string;
  lines: { sku: string; quantity: number }[];
  now: number;
}

/** Inserts a draft with its lines (nothing if the id exists). */
export async function insertPurchaseOrder(db: D1Database, po: NewPurchaseOrder): Promise<void> {
  await db.batch([
    db
      .prepare(
        `INSERT OR IGNORE INTO purchase_orders (id, vendor_id, location_id, status, expected_at, reference, principal, idempotency_key, request_hash,
           created_by, created_at, updated_at) VALUES (?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .bind(po.id, po.vendorId, po.locationId, po.expectedAt, po.reference, po.principal, po.idempotencyKey, po.requestHash, po.createdBy, po.now, po.now),
    ...po.lines.map((l, i) =>
      db
        .prepare("INSERT OR IGNORE INTO purchase_order_lines (purchase_order_id, line_no, sku, quantity) VALUES (?, ?, ?, ?)")
        .bind(po.id, i, l.sku, l.quantity),
    ),
  ]);
}

/** Writes the figures a SKU object answered for a line. */
export function poLineUpdate(db: D1Database, id: string, lineNo: number, line: TransferLine): D1PreparedStatement {
  return db
    .prepare("UPDATE purchase_order_lines SET received = ?, damaged = ?, short = ?, status = ? WHERE purchase_order_id = ? AND line_no = ?")
    .bind(line.received, line.damaged, line.short + line.returned, line.status, id, lineNo);
}

/**
 * Moves the order to `status` only from one of `from` (a compare-and-set: two racing steps
 * cannot both win); optionally sets the expected arrival. Returns the statement.
 */
export function poStatusUpdate(
  db: D1Database,
  id: string,
  status: PurchaseOrderRow["status"],
  from: PurchaseOrderRow["status"][],
  now: number,
  expectedAt?: number,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE purchase_orders SET status = ?, updated_at = ?, expected_at = COALESCE(?, expected_at)
       WHERE id = ? AND status IN (SELECT value FROM json_each(?))`,
    )
    .bind(status, now, expectedAt ?? null, id, JSON.stringify(from));
}

/** Purchase orders by id, optionally of one status and one vendor, after a cursor. */
export async function listPurchaseOrders(
  db: D1Database,
  filter: { status?: PurchaseOrderRow["status"]; vendorId?: string; after?: string },
  limit: number,
): Promise<PurchaseOrder[]> {
  const where: string[] = [];
  const binds: unknown[] = [];
  if (filter.status !== undefined) where.push("status = ?"), binds.push(filter.status);
  if (filter.vendorId !== undefined) where.push("vendor_id = ?"), binds.push(filter.vendorId);
  if (filter.after !== undefined) where.push("id > ?"), binds.push(filter.after);
  const { results } = await db
    .prepare(`SELECT * FROM purchase_orders ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id LIMIT ?`)
    .bind(...binds, limit)
    .all<DocRow>();
  if (results.length === 0) return [];
  const lines = await db
    .prepare("SELECT * FROM purchase_order_lines WHERE purchase_order_id IN (SELECT value FROM json_each(?)) ORDER BY purchase_order_id, line_no")
    .bind(JSON.stringify(results.map((r) => r.id)))
    .all<LineRow>();
  return results.map((r) =>
    docOf(
      r,
      lines.results.filter((l) => l.purchase_order_id === r.id),
    ),
  );
}

/** Ids of orders left `shipping` since before `staleBefore` (a crashed ship step). */
export async function staleShipping(db: D1Database, staleBefore: number, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare("SELECT id FROM purchase_orders WHERE status = 'shipping' AND updated_at < ? ORDER BY updated_at LIMIT ?")
    .bind(staleBefore, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}
