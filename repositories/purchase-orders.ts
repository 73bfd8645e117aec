/**
 * Purchase orders in D1 (`purchase_orders`, `purchase_order_lines`, `purchase_order_x12`,
 * and the vendor's X12 control-number counter `x12_control_numbers`). The in-transit and
 * received counts live in the SKU objects (a purchase order's line is an inbound line there,
 * keyed `<po id>:<line no>`); these rows are the document and the figures they answered.
 *
 * Every function takes the database to use: an order's rows live in its vendor's read
 * database (`READ_<n>`, issue 19 item 2; services/purchase-orders.ts picks it), all of an
 * order together, so a function's statements and joins stay in one database.
 */
import { and, asc, eq, gt, gte, lt, lte, notExists, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import {
  purchaseOrderLines,
  purchaseOrders,
  purchaseOrderX12,
  readSkuFacts,
  x12ControlNumbers,
  type PurchaseOrderLineRow,
  type PurchaseOrderRow,
} from "../d1/schema";
import type { TransferLine } from "../durable-objects/sku-inbound.types";
import { type D1Write, guardedRow, inJson } from "./d1-sql";

export interface PurchaseOrderLine {
  lineNo: number;
  sku: string;
  quantity: number;
  /** As first ordered, once the vendor changed `quantity`; null while unchanged. */
  orderedQuantity: number | null;
  /** The line's own expected arrival (ms); null: the order's. */
  expectedAt: number | null;
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
  /** The 856 shipment (BSN02) it shipped under, when one. */
  shipmentId: string | null;
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
    shipmentId: row.shipmentId,
    requestHash: row.requestHash,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lines: lines.map((l) => ({
      lineNo: l.lineNo,
      sku: l.sku,
      quantity: l.quantity,
      orderedQuantity: l.orderedQuantity,
      expectedAt: l.expectedAt,
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

/** The statements that insert a draft with its lines (nothing if the id exists), for one batch. */
export function poInsert(db: D1Database, po: NewPurchaseOrder): D1Write[] {
  // ON CONFLICT DO NOTHING: a retry with the same id inserts nothing (every value is set, so no other constraint can fail).
  const d = drizzle(db);
  return [
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
  ];
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

/**
 * Units on order per SKU among `ids` in this database: lines of orders not yet shipped
 * (draft, submitted, confirmed). For the reorder planning, per read database of the SKUs' vendors.
 */
export async function unitsOnOrder(db: D1Database, ids: readonly string[]): Promise<Map<string, number>> {
  const l = purchaseOrderLines;
  const p = purchaseOrders;
  const results = await drizzle(db)
    .select({ sku: l.sku, units: sql<number>`SUM(${l.quantity})` })
    .from(l)
    .innerJoin(p, eq(p.id, l.purchaseOrderId))
    .where(and(inJson(p.status, ["draft", "submitted", "confirmed"]), inJson(l.sku, [...new Set(ids)])))
    .groupBy(l.sku)
    .all();
  return new Map(results.map((r) => [r.sku, r.units]));
}

/**
 * The earliest expected arrival per SKU and receiving location of shipped, not yet received
 * purchase-order lines (the line's own date from the vendor's 855/856, else the order's) of
 * one vendor's SKUs in (after, last], from the vendor's read database (its orders and its
 * SKUs' facts are both there). Lines without a date are left out. For the merchant feeds.
 */
export async function shippedArrivalsInRange(
  db: D1Database,
  range: { vendorId: string; after?: string | undefined; last: string },
): Promise<{ sku: string; locationId: string; expectedAt: number }[]> {
  const pl = purchaseOrderLines;
  const po = purchaseOrders;
  const f = readSkuFacts;
  const lineDate = sql<number>`coalesce(${pl.expectedAt}, ${po.expectedAt})`;
  const open = ["in_transit", "partially_received"] as const;
  return drizzle(db)
    .select({ sku: pl.sku, locationId: po.locationId, expectedAt: sql<number>`min(${lineDate})`.mapWith(Number) })
    .from(pl)
    .innerJoin(po, eq(po.id, pl.purchaseOrderId))
    .innerJoin(f, eq(f.sku, pl.sku))
    .where(
      and(
        eq(f.vendorId, range.vendorId),
        range.after === undefined ? undefined : gt(pl.sku, range.after),
        lte(pl.sku, range.last),
        inJson(po.status, ["shipped", "partially_received"]),
        inJson(pl.status, open),
        sql`${lineDate} IS NOT NULL`,
      ),
    )
    .groupBy(pl.sku, po.locationId)
    .all();
}

/** Ids of orders left `shipping` (or `confirming`) since before `staleBefore` (a crashed ship or confirm step). */
export async function staleShipping(db: D1Database, staleBefore: number, limit: number, status: "shipping" | "confirming" = "shipping"): Promise<string[]> {
  const results = await drizzle(db)
    .select({ id: purchaseOrders.id })
    .from(purchaseOrders)
    .where(and(eq(purchaseOrders.status, status), lt(purchaseOrders.updatedAt, staleBefore)))
    .orderBy(asc(purchaseOrders.updatedAt))
    .limit(limit)
    .all();
  return results.map((r) => r.id);
}

/** The order is in one of `statuses` (a guard for the statements of a step, checked in its batch). */
export function poInStatus(id: string, statuses: readonly PurchaseOrderRow["status"][]): SQL {
  return sql`EXISTS (SELECT 1 FROM ${purchaseOrders} WHERE ${purchaseOrders.id} = ${id} AND ${inJson(purchaseOrders.status, statuses)})`;
}

/** A line's quantity, first quantity, expected arrival and (cancelled) status as a vendor's document set them, only while the order is in one of `from`. */
export function poLineChange(
  db: D1Database,
  id: string,
  line: { lineNo: number; quantity: number; orderedQuantity: number | null; expectedAt: number | null; cancelled: boolean },
  from: readonly PurchaseOrderRow["status"][],
): D1Write {
  return drizzle(db)
    .update(purchaseOrderLines)
    .set({
      quantity: line.quantity,
      orderedQuantity: line.orderedQuantity,
      expectedAt: line.expectedAt,
      ...(line.cancelled ? { status: "cancelled" as const } : {}),
    })
    .where(and(eq(purchaseOrderLines.purchaseOrderId, id), eq(purchaseOrderLines.lineNo, line.lineNo), poInStatus(id, from)));
}

/** Records the shipment an order ships under, only while it is in one of `from`. */
export function poShipmentUpdate(db: D1Database, id: string, shipmentId: string, from: readonly PurchaseOrderRow["status"][]): D1Write {
  return drizzle(db)
    .update(purchaseOrders)
    .set({ shipmentId })
    .where(and(eq(purchaseOrders.id, id), inJson(purchaseOrders.status, from)));
}

/**
 * Orders of one vendor by the PO numbers a vendor's X12 names: full ids, or our 850's
 * 22-character numbers (a prefix of the id, read as an id range so the primary key serves it).
 */
export async function findPurchaseOrdersByNumber(
  db: D1Database,
  numbers: readonly { text: string; kind: "full" | "prefix" }[],
): Promise<Map<string, PurchaseOrder[]>> {
  const out = new Map<string, PurchaseOrder[]>();
  for (const n of numbers) {
    if (out.has(n.text)) continue;
    if (n.kind === "full") {
      const po = await findPurchaseOrder(db, n.text);
      out.set(n.text, po === null ? [] : [po]);
      continue;
    }
    const ids = await drizzle(db)
      .select({ id: purchaseOrders.id })
      .from(purchaseOrders)
      // Ids are lowercase letters and digits: every id starting with the number sorts below number + "~".
      .where(and(gte(purchaseOrders.id, n.text), lt(purchaseOrders.id, `${n.text}~`)))
      .limit(2)
      .all();
    const found: PurchaseOrder[] = [];
    for (const { id } of ids) {
      const po = await findPurchaseOrder(db, id);
      if (po !== null) found.push(po);
    }
    out.set(n.text, found);
  }
  return out;
}

/**
 * The 850 interchange of one version of an order (`contentHash`): the control number and
 * creation time recorded for it, or, the first time, the partner's next control number and
 * `now`, recorded. One batch: the counter moves only when the version is new, so numbers
 * increase per partner without gaps from re-downloads.
 */
export async function issue850(
  db: D1Database,
  v: { purchaseOrderId: string; contentHash: string; partner: string; now: number },
): Promise<{ controlNumber: number; createdAt: number }> {
  const d = drizzle(db);
  const c = x12ControlNumbers;
  const x = purchaseOrderX12;
  const known = and(eq(x.purchaseOrderId, v.purchaseOrderId), eq(x.contentHash, v.contentHash));
  const isNew = notExists(d.select({ one: sql`1` }).from(x).where(known));
  const [, , rows] = await d.batch([
    d
      .insert(c)
      .select(guardedRow(c, { partner: v.partner, last: 1 }, isNew))
      .onConflictDoUpdate({ target: c.partner, set: { last: sql`${c.last} + 1` } }),
    d
      .insert(x)
      .select(
        guardedRow(
          x,
          { purchaseOrderId: v.purchaseOrderId, contentHash: v.contentHash, controlNumber: sql`${c.last}`, createdAt: v.now },
          and(eq(c.partner, v.partner), isNew)!,
          c,
        ),
      )
      .onConflictDoNothing(),
    d.select({ controlNumber: x.controlNumber, createdAt: x.createdAt }).from(x).where(known),
  ]);
  const row = rows[0];
  if (row === undefined) throw new Error(`no 850 recorded for ${v.purchaseOrderId}`);
  return row;
}

/** The partner's next control number (for an interchange we send once, such as a 997). */
export async function nextControlNumber(db: D1Database, partner: string): Promise<number> {
  const c = x12ControlNumbers;
  const row = await drizzle(db)
    .insert(c)
    .values({ partner, last: 1 })
    .onConflictDoUpdate({ target: c.partner, set: { last: sql`${c.last} + 1` } })
    .returning({ last: c.last })
    .get();
  return row!.last;
}
