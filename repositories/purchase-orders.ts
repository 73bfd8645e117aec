/**
 * Purchase orders in D1 (`purchase_orders`, `purchase_order_lines`). The in-transit and
 * received counts live in the SKU objects (a purchase order's line is an inbound line there,
 * keyed `<po id>:<line no>`); these rows are the document and the figures they answered.
 */
import { and, asc, eq, gt, lt, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { purchaseOrderLines, purchaseOrders, type PurchaseOrderLineRow, type PurchaseOrderRow } from "../d1/schema";
import type { TransferLine } from "../durable-objects/sku-inbound.types";
import { type D1Write, inJson } from "./d1-sql";

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

function docOf(row: PurchaseOrderRow, lines: PurchaseOrderLineRow[]): PurchaseOrder {
  return {
    id: row.id,
    vendorId: row.vendorId,
    locationId: row.locationId,
    status: row.status,
    expectedAt: row.expectedAt,
    reference: row.reference,
    requestHash: row.requestHash,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lines: lines.map((l) => ({
      lineNo: l.lineNo,
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
  const d = drizzle(db);
  const [doc, lines] = await d.batch([
    d.select().from(purchaseOrders).where(eq(purchaseOrders.id, id)),
    d.select().from(purchaseOrderLines).where(eq(purchaseOrderLines.purchaseOrderId, id)).orderBy(asc(purchaseOrderLines.lineNo)),
  ]);
  const row = doc[0];
  return row === undefined ? null : docOf(row, lines);
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
  // ON CONFLICT DO NOTHING: a retry with the same id inserts nothing (every value is set, so no other constraint can fail).
  const d = drizzle(db);
  await d.batch([
    d
      .insert(purchaseOrders)
      .values({
        id: po.id,
        vendorId: po.vendorId,
        locationId: po.locationId,
        status: "draft",
        expectedAt: po.expectedAt,
        reference: po.reference,
        principal: po.principal,
        idempotencyKey: po.idempotencyKey,
        requestHash: po.requestHash,
        createdBy: po.createdBy,
        createdAt: po.now,
        updatedAt: po.now,
      })
      .onConflictDoNothing(),
    ...po.lines.map((l, i) =>
      d.insert(purchaseOrderLines).values({ purchaseOrderId: po.id, lineNo: i, sku: l.sku, quantity: l.quantity }).onConflictDoNothing(),
    ),
  ]);
}

/** Writes the figures a SKU object answered for a line. */
export function poLineUpdate(db: D1Database, id: string, lineNo: number, line: TransferLine): D1Write {
  return drizzle(db)
    .update(purchaseOrderLines)
    .set({ received: line.received, damaged: line.damaged, short: line.short + line.returned, status: line.status })
    .where(and(eq(purchaseOrderLines.purchaseOrderId, id), eq(purchaseOrderLines.lineNo, lineNo)));
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
): D1Write & { run(): Promise<D1Result> } {
  return drizzle(db)
    .update(purchaseOrders)
    .set({ status, updatedAt: now, expectedAt: sql`COALESCE(${expectedAt ?? null}, ${purchaseOrders.expectedAt})` })
    .where(and(eq(purchaseOrders.id, id), inJson(purchaseOrders.status, from)));
}

/** Purchase orders by id, optionally of one status and one vendor, after a cursor. */
export async function listPurchaseOrders(
  db: D1Database,
  filter: { status?: PurchaseOrderRow["status"]; vendorId?: string; after?: string },
  limit: number,
): Promise<PurchaseOrder[]> {
  const d = drizzle(db);
  const where: SQL[] = [];
  if (filter.status !== undefined) where.push(eq(purchaseOrders.status, filter.status));
  if (filter.vendorId !== undefined) where.push(eq(purchaseOrders.vendorId, filter.vendorId));
  if (filter.after !== undefined) where.push(gt(purchaseOrders.id, filter.after));
  const results = await d
    .select()
    .from(purchaseOrders)
    .where(and(...where))
    .orderBy(asc(purchaseOrders.id))
    .limit(limit)
    .all();
  if (results.length === 0) return [];
  const lines = await d
    .select()
    .from(purchaseOrderLines)
    .where(
      inJson(
        purchaseOrderLines.purchaseOrderId,
        results.map((r) => r.id),
      ),
    )
    .orderBy(asc(purchaseOrderLines.purchaseOrderId), asc(purchaseOrderLines.lineNo))
    .all();
  return results.map((r) =>
    docOf(
      r,
      lines.filter((l) => l.purchaseOrderId === r.id),
    ),
  );
}

/** Ids of orders left `shipping` since before `staleBefore` (a crashed ship step). */
export async function staleShipping(db: D1Database, staleBefore: number, limit: number): Promise<string[]> {
  const results = await drizzle(db)
    .select({ id: purchaseOrders.id })
    .from(purchaseOrders)
    .where(and(eq(purchaseOrders.status, "shipping"), lt(purchaseOrders.updatedAt, staleBefore)))
    .orderBy(asc(purchaseOrders.updatedAt))
    .limit(limit)
    .all();
  return results.map((r) => r.id);
}
