/**
 * Purchase orders (issue 14): a D1 document per order to one vendor for one receiving
 * location, and its lifecycle:
 *
 * | step | who | from → to | counts (in each line's SKU object) |
 * | --- | --- | --- | --- |
 * | create | operator | → draft | none |
 * | submit | operator | draft → submitted | none |
 * | confirm | the vendor, operator | submitted → confirming → confirmed | none; each line an *expected arrival* at the location (pre-orders count it when dated) |
 * | ship | the vendor, operator | confirmed → shipping → shipped | `inTransit += q` at the location |
 * | receive | operator | shipped / partially_received → partially_received / received | `inTransit −= q`, `onHand += q` (damaged: also `damaged += q`); covers backorders first |
 * | close | operator | shipped / partially_received → closed | what never came: `inTransit −= rest` (short) |
 * | cancel | operator | draft / submitted / confirming / confirmed → cancelled; shipped with nothing received → cancelled | expected arrivals withdrawn first; after shipping `inTransit −= rest` |
 *
 * A line's in-transit and receipts are the SKU object's inbound line `<po id>:<line no>`
 * (sku-inventory/transfers.ts, no origin), so every step is exact and safe to repeat. Ship
 * marks the order `shipping` before the per-SKU steps; a retry, or the sweeper for one left
 * so by a crash for over a minute, finishes it (forward: each line's step is idempotent).
 * Receipts are idempotent per Idempotency-Key.
 *
 * **Expected arrivals** (pre-orders against confirmed orders, issue 14 item 4). Confirm
 * marks the order `confirming` (with the vendor's quantities and dates, and the event) and
 * then tells each line's SKU object its expected arrival (`expectArrival`, id `<po
 * id>:<line no>`, idempotent), then → `confirmed`; a crash in between is finished like a
 * ship step (a retry, an 855 resent, a ship, or the sweeper after a minute). Ship turns each
 * line's expected arrival into its transfer line in the object's one transaction (never
 * counted twice); a line the 856 cancelled is withdrawn. Cancel withdraws the arrivals
 * *before* the D1 step, so a crash in between leaves fewer units expected, never more; the
 * pre-orders placed against them keep waiting for the next arrival (their date follows it).
 *
 * **Where orders live** (issue 19 item 2). An order's rows (`purchase_orders`, its lines, its
 * 850s) and its vendor's X12 control-number counter are in the vendor's read database
 * (`READ_<n>`, repositories/read-partitions.ts), so a vendor's list reads one database and
 * an operator's list merges every database's page by id under one cursor. An order's id
 * says nothing of its vendor: a lookup by id without the vendor reads every read database in
 * parallel (M small reads). Writes go to the vendor's database as `DB` says now, not as an
 * isolate cached it, and answer 503 while the vendor's rows are being moved (services/read-moves.ts).
 *
 * **Events.** Every state change emits one `purchase_order.<state>` event (created,
 * submitted, confirmed, shipped, received per receipt, closed, cancelled) to the order's
 * vendor's and the operator-wide webhook subscriptions that asked for it, with an id fixed
 * by the change (`evt:po:<id>:<state>`, a receipt's `…:received:<receipt>`), so a retried
 * request or a racing twin inserts no more deliveries (unique subscription × event id). The
 * deliveries are in the order's delivery store (the read database the order's id hashes to,
 * `deliveryStoreFor`, so they never move when the vendor's rows do), the order in its
 * vendor's read database: one D1 batch cannot be relied on to write both, so a change is
 * three steps, in this order:
 *
 * 1. the event's deliveries are inserted in the delivery store, unsent (the intent: from here
 *    the event cannot be lost);
 * 2. the change commits in the read database (guarded by the step's precondition);
 * 3. the order is read back; if it reached the event's state the deliveries are inserted
 *    again (nothing new, unless step 1's were dropped meanwhile) and sent to WEBHOOKS, else
 *    (the precondition failed: another step got there first) they are dropped.
 *
 * A crash between 1 and 2 leaves unsent deliveries of a change that did not happen; between
 * 2 and 3, unsent deliveries of one that did. A retry converges either way: it repeats 1
 * (nothing new), 2 (if still due) and 3, and a step that finds its order already in its
 * state sends its event's unsent deliveries. Without a retry the sweeper settles them after
 * a minute: it sends those whose order reached the event's state (statuses move forward
 * along one path, so an order at or past a status went through it; a receipt's event is
 * always due, the SKU objects took the receipt before step 1) and drops the others (a later
 * retry inserts them again). A cancelled order is the one status reached from several: a
 * cancel first settles its order's unsent events the same way against the order as it is
 * before the cancel, so what the sweeper later finds on a cancelled order is of a change
 * that lost its race with the cancel, and is dropped. Nothing is sent twice: a delivery is
 * one row per subscription and event, marked when sent. Deliveries of orders made before
 * deliveries were partitioned are in `DB`: the sweeper and a cancel settle those too.
 */
import { isFailure, type Failure } from "../domain/failures";
import type { TransferResult } from "../durable-objects/sku-inbound.types";
import { actorOf, principalName, type Principal } from "./principal";
import { ApiError } from "./api-error";
import { type D1Write, runBatch } from "../repositories/d1-sql";
import { allLocations } from "../repositories/locations";
import {
  findPurchaseOrder,
  findPurchaseOrdersByNumber,
  poInsert,
  listPurchaseOrders,
  poLineChange,
  poLineUpdate,
  poShipmentUpdate,
  poStatusUpdate,
  staleShipping,
  type PurchaseOrder,
  unitsOnOrder,
} from "../repositories/purchase-orders";
import {
  dropUnsentPoDeliveries,
  insertPoEventDeliveries,
  unsentPoDeliveries,
  type PoEventMessage,
  type UnsentPoDelivery,
} from "../repositories/purchase-order-events";
import { vendorsMoving } from "../repositories/read-moves";
import { forgetReadPartitions, readDb, readDbs, vendorReadDb, vendorReadPartition, withoutMovedCopies } from "../repositories/read-partitions";
import { compareKeys, mergeSortedPages } from "../domain/keyset-merge";
import { deliveryStores, liveSubscriptionsFor, markEnqueued } from "../repositories/webhooks";
import { subscribersOf } from "../domain/webhook-store";
import { deliveryStoreFor } from "./webhook-fanout";
import type { ConfirmationPlan, PlannedLine } from "../domain/purchase-order-edi";
import type { WebhookMessage } from "../domain/webhooks";
import { sendWebhookMessages } from "./webhook-queue";
import { findSkus } from "../repositories/skus";
import { requestHash, sha256Hex } from "../domain/hashing";
import type { CreatePurchaseOrderBody, ReceivePurchaseOrderBody } from "../domain/schemas/purchase-orders";
import { policyOf } from "./sku-access";
import { receiptLot } from "../domain/lots";

/** An order left `shipping` this long (ms) is finished by the sweeper. */
export const PO_SHIP_LEASE_MS = 60_000;

const lineId = (poId: string, lineNo: number) => `${poId}:${lineNo}`;
type Status = PurchaseOrder["status"];

async function call<T>(fn: () => Promise<T | Failure>): Promise<T | Failure> {
  try {
    return await fn();
  } catch (error) {
    console.error(JSON.stringify({ event: "purchase_order.sku_call_failed", error: String(error) }));
    return { ok: false, code: "retry_later", message: "a SKU could not be reached; try again" };
  }
}

/**
 * The read partition an order's writes go to: its vendor's as `DB` says now, not as this
 * isolate cached it (a write into a database the vendor has left would be lost with its old
 * rows). 503 while the vendor's rows are being moved (services/read-moves.ts): a write then
 * could land in the database being left after its rows were copied.
 */
async function vendorWritePartition(env: Env, vendorId: string): Promise<number> {
  forgetReadPartitions(vendorId);
  const [partition, moving] = await Promise.all([vendorReadPartition(env, vendorId), vendorsMoving(env.DB, [vendorId])]);
  if (moving.size > 0) {
    throw new ApiError(503, "retry_later", "the vendor's purchase orders are being moved to another database; try again in a minute", { vendorId });
  }
  return partition;
}

/** The read database an order's (or its vendor's X12 counter's) writes go to (see `vendorWritePartition`). */
export async function vendorWriteDb(env: Env, vendorId: string): Promise<D1Database> {
  return readDb(env, await vendorWritePartition(env, vendorId));
}

/**
 * The order with this id: in `vendorId`'s read database if given, else looked for in every
 * read database at once (the id does not name its vendor).
 */
export async function locatePurchaseOrder(env: Env, id: string, vendorId?: string): Promise<PurchaseOrder | null> {
  if (vendorId !== undefined) return findPurchaseOrder(await vendorReadDb(env, vendorId), id);
  const found = await Promise.all(readDbs(env).map((db) => findPurchaseOrder(db, id)));
  const hits = found.flatMap((po, p) => (po === null ? [] : [{ po, p }]));
  if (hits.length <= 1) return hits[0]?.po ?? null;
  // Two copies: a moved vendor's, before its old rows are deleted. The one where the vendor lives now is the order.
  const home = await vendorReadPartition(env, hits[0]!.po.vendorId);
  return (hits.find((h) => h.p === home) ?? hits[0]!).po;
}

/**
 * Orders by id after `filter.after`: a vendor's from its read database; all vendors' from
 * every read database, each page asked with the same cursor and merged by id (one cursor
 * serves all: domain/keyset-merge.ts). A moved vendor's order may be in two databases until
 * the old copy is deleted: the copy where the vendor lives now is kept.
 */
export async function listPurchaseOrdersAcross(
  env: Env,
  filter: { status?: PurchaseOrder["status"]; vendorId?: string; after?: string },
  limit: number,
): Promise<PurchaseOrder[]> {
  if (filter.vendorId !== undefined) return listPurchaseOrders(await vendorReadDb(env, filter.vendorId), filter, limit);
  const pages = await withoutMovedCopies(
    env,
    await Promise.all(readDbs(env).map((db) => listPurchaseOrders(db, filter, limit))),
    (po) => po.id,
    (po) => po.vendorId,
  );
  return mergeSortedPages(pages, (a, b) => compareKeys([a.id], [b.id]), limit);
}

/** Orders by the PO numbers a vendor's X12 names, looked for in every read database (an order of another vendor must be seen to be refused). */
export async function findPurchaseOrdersByNumberAcross(
  env: Env,
  numbers: readonly { text: string; kind: "full" | "prefix" }[],
): Promise<Map<string, PurchaseOrder[]>> {
  const maps = await Promise.all(readDbs(env).map((db) => findPurchaseOrdersByNumber(db, numbers)));
  const out = new Map<string, PurchaseOrder[]>();
  for (const n of numbers) {
    const byId = new Map<string, PurchaseOrder>();
    for (const m of maps) for (const po of m.get(n.text) ?? []) if (!byId.has(po.id)) byId.set(po.id, po);
    out.set(n.text, [...byId.values()]);
  }
  return out;
}

/**
 * Units on order per SKU (lines of orders not yet shipped: draft, submitted, confirmed), for
 * the reorder planning. Every read database is asked (one indexed query each): a SKU's older
 * orders stay with the vendor they were made to, which need not be its vendor now.
 */
export async function unitsOnOrderBySku(env: Env, skuIds: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (skuIds.length === 0) return out;
  for (const m of await Promise.all(readDbs(env).map((db) => unitsOnOrder(db, skuIds)))) {
    for (const [sku, units] of m) out.set(sku, (out.get(sku) ?? 0) + units);
  }
  return out;
}

/** The order if it exists and the caller may see it (a vendor: its own only; others are not found). */
export async function purchaseOrderFor(env: Env, principal: Principal, id: string): Promise<PurchaseOrder> {
  const po = await locatePurchaseOrder(env, id, principal.scope === "vendor" && principal.vendorId !== null ? principal.vendorId : undefined);
  if (po === null || (principal.scope === "vendor" && po.vendorId !== principal.vendorId)) {
    throw new ApiError(404, "purchase_order_not_found", `no purchase order ${id}`);
  }
  return po;
}

function refuse(po: PurchaseOrder, step: string): never {
  throw new ApiError(409, "invalid_state", `purchase order ${po.id} is ${po.status}; it cannot be ${step}`, { status: po.status });
}

type PoState = "created" | "submitted" | "confirmed" | "shipped" | "received" | "closed" | "cancelled";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The id of an order's event: fixed by the change. */
const eventIdOf = (poId: string, state: PoState, suffix?: string) => `evt:po:${poId}:${state}${suffix === undefined ? "" : `:${suffix}`}`;

/** Where each status is on the one forward path (a cancelled order left it). */
const STATUS_RANK: Record<Status, number> = {
  draft: 0,
  submitted: 1,
  confirming: 2,
  confirmed: 3,
  shipping: 4,
  shipped: 5,
  partially_received: 6,
  received: 7,
  closed: 8,
  cancelled: -1,
};

/** The first status at which an event's change has happened (`confirmed` is emitted by the step to `confirming`). */
const EVENT_RANK: Record<Exclude<PoState, "received" | "cancelled">, number> = { created: 0, submitted: 1, confirmed: 2, shipped: 5, closed: 8 };

/**
 * Whether the order as stored went through the change of an event of `state`: it exists (a
 * receipt's event: always, the objects took the receipt first), it is cancelled (a cancel's
 * event), or it is at or past the event's status on the forward path. On a cancelled order
 * any other event counts as not reached (see the module comment).
 */
function reached(state: PoState, po: PurchaseOrder | null): boolean {
  if (po === null) return false;
  if (state === "received") return true;
  if (state === "cancelled") return po.status === "cancelled";
  return po.status !== "cancelled" && STATUS_RANK[po.status] >= EVENT_RANK[state];
}

/** The state an event id or type names. */
const stateOfType = (eventType: string) => eventType.slice("purchase_order.".length) as PoState;

/**
 * The event of a state change: its id is fixed by the change (`suffix` tells receipts
 * apart), its payload the order as it is after it, with `extra` facts of the step.
 */
function poEvent(after: PurchaseOrder, state: PoState, at: number, extra: Record<string, unknown> = {}, suffix?: string): PoEventMessage {
  const eventType = `purchase_order.${state}`;
  const eventId = eventIdOf(after.id, state, suffix);
  return {
    eventId,
    eventType,
    payload: {
      id: eventId,
      type: eventType,
      occurredAt: iso(at),
      vendorId: after.vendorId,
      purchaseOrderId: after.id,
      ...extra,
      purchaseOrder: purchaseOrderView(after),
    },
  };
}

/** The WEBHOOKS queue accepts at most this many messages per sendBatch. */
const SEND_BATCH_MAX = 100;

/** Sends deliveries never sent (grouped by event) and marks them sent in `db`, the store they are in. */
async function sendUnsent(env: Env, db: D1Database, rows: readonly UnsentPoDelivery[], now: number): Promise<number> {
  const byEvent = new Map<string, UnsentPoDelivery[]>();
  for (const r of rows) {
    const list = byEvent.get(r.eventId);
    if (list === undefined) byEvent.set(r.eventId, [r]);
    else list.push(r);
  }
  let sent = 0;
  for (const [, group] of byEvent) {
    const text = group[0]!.payload;
    if (text === null) continue;
    const event = JSON.parse(text) as PoEventMessage;
    for (let i = 0; i < group.length; i += SEND_BATCH_MAX) {
      const chunk = group.slice(i, i + SEND_BATCH_MAX);
      // Each to its partition (services/webhook-queue.ts), marked sent per queue send.
      await sendWebhookMessages(
        env,
        chunk.map((d) => ({ v: 1, deliveryId: d.id, subscriptionId: d.subscriptionId, ...event }) satisfies WebhookMessage),
        (sentGroup) =>
          markEnqueued(
            db,
            sentGroup.map((m) => m.deliveryId),
            now,
            text,
          ),
      );
      sent += chunk.length;
    }
  }
  return sent;
}

/** Step 1 of a change (module comment): the event's deliveries, unsent, in the order's delivery store. */
async function insertEventDeliveries(env: Env, poId: string, event: PoEventMessage, vendorId: string, now: number): Promise<void> {
  const store = deliveryStoreFor(env, poId);
  const subscribers = subscribersOf({ type: event.eventType, vendorId }, await liveSubscriptionsFor(env.DB, [vendorId]));
  await insertPoEventDeliveries(store.db, store.partition, event, subscribers, now);
}

/**
 * Step 3 of a change (module comment), once it committed: with `ensure`, inserts the event's
 * deliveries again (nothing new unless the sweeper dropped step 1's meanwhile); sends those
 * never sent. A failure is only logged (a retry or the sweeper sends them).
 */
async function sendEvent(env: Env, poId: string, eventId: string, now: number, ensure?: { event: PoEventMessage; vendorId: string }): Promise<void> {
  try {
    if (ensure !== undefined) await insertEventDeliveries(env, poId, ensure.event, ensure.vendorId, now);
    const { db } = deliveryStoreFor(env, poId);
    for (;;) {
      const rows = await unsentPoDeliveries(db, { eventId, limit: SEND_BATCH_MAX });
      if (rows.length === 0 || (await sendUnsent(env, db, rows, now)) === 0) return;
    }
  } catch (error) {
    console.error(JSON.stringify({ event: "purchase_order.event_send_failed", eventId, error: String(error) }));
  }
}

/**
 * A change with its event, in the three steps of the module comment: the deliveries in `DB`,
 * then `writes` in the order's read database `db`, then (read back) the send if the order
 * reached the event's state, else the deliveries dropped. Returns the order as stored after.
 */
async function commitWithEvent(
  env: Env,
  db: D1Database,
  po: PurchaseOrder,
  writes: readonly D1Write[],
  event: PoEventMessage,
  now: number,
): Promise<PurchaseOrder> {
  await insertEventDeliveries(env, po.id, event, po.vendorId, now);
  await runBatch(db, writes);
  const current = await findPurchaseOrder(db, po.id);
  if (reached(stateOfType(event.eventType), current)) {
    await sendEvent(env, po.id, event.eventId, now, { event, vendorId: po.vendorId });
  } else {
    // Another step got there first: no such change, so no event (a retry inserts it again if it comes due).
    await dropUnsentPoDeliveries(deliveryStoreFor(env, po.id).db, event.eventId).catch((error: unknown) =>
      console.error(JSON.stringify({ event: "purchase_order.event_drop_failed", eventId: event.eventId, error: String(error) })),
    );
  }
  return current!;
}

/**
 * Settles the never-sent deliveries of events (created before `before`, or all of one order
 * with `poId`), found in store `db`: those whose order reached the event's state are sent, the
 * others dropped. An order being moved is left for later. Returns how many deliveries it sent.
 */
async function settleUnsent(env: Env, db: D1Database, rows: readonly UnsentPoDelivery[], now: number, known?: PurchaseOrder): Promise<number> {
  const due: UnsentPoDelivery[] = [];
  const byEvent = new Map<string, UnsentPoDelivery[]>();
  for (const r of rows) {
    const list = byEvent.get(r.eventId);
    if (list === undefined) byEvent.set(r.eventId, [r]);
    else list.push(r);
  }
  const orders = new Map<string, PurchaseOrder | null>();
  for (const [eventId, group] of byEvent) {
    const text = group[0]!.payload;
    if (text === null) continue;
    const event = JSON.parse(text) as PoEventMessage;
    const poId = String(event.payload.purchaseOrderId);
    const vendorId = String(event.payload.vendorId);
    try {
      if (!orders.has(poId)) {
        orders.set(poId, known?.id === poId ? known : await findPurchaseOrder(readDb(env, await vendorWritePartition(env, vendorId)), poId));
      }
      if (reached(stateOfType(event.eventType), orders.get(poId)!)) due.push(...group);
      else await dropUnsentPoDeliveries(db, eventId);
    } catch (error) {
      console.error(JSON.stringify({ event: "purchase_order.event_settle_failed", eventId, error: String(error) }));
    }
  }
  return sendUnsent(env, db, due, now);
}

/** The order with a line's figures as a SKU object answered them (as `poLineUpdate` writes them). */
function withLine(po: PurchaseOrder, lineNo: number, line: TransferResult["line"]): PurchaseOrder {
  return {
    ...po,
    lines: po.lines.map((l) =>
      l.lineNo === lineNo ? { ...l, received: line.received, damaged: line.damaged, short: line.short + line.returned, status: line.status } : l,
    ),
  };
}

/** A line's figures as its SKU object answered them, to be written with the step's commit. */
interface Answered {
  lineNo: number;
  line: TransferResult["line"];
}

/**
 * The read database to commit a step's object answers in, looked up again when the step is
 * about to commit: its object calls may have outlasted the placement read at its start.
 */
async function commitDb(env: Env, po: PurchaseOrder): Promise<D1Database> {
  return vendorWriteDb(env, po.vendorId);
}

const lineWrites = (db: D1Database, poId: string, answered: readonly Answered[]): D1Write[] => answered.map((a) => poLineUpdate(db, poId, a.lineNo, a.line));

/** Keeps what the objects answered before a step failed part way (a retry repeats the rest). */
async function keepAnswered(env: Env, po: PurchaseOrder, answered: readonly Answered[]): Promise<void> {
  if (answered.length === 0) return;
  const db = await commitDb(env, po);
  await runBatch(db, lineWrites(db, po.id, answered));
}

/** The order with the lines a vendor's document planned. */
function withPlan(po: PurchaseOrder, lines: readonly PlannedLine[]): PurchaseOrder {
  const byNo = new Map(lines.map((l) => [l.lineNo, l]));
  return {
    ...po,
    lines: po.lines.map((l) => {
      const p = byNo.get(l.lineNo);
      return p === undefined
        ? l
        : {
            ...l,
            quantity: p.quantity.after,
            orderedQuantity: p.orderedQuantity,
            expectedAt: p.expectedAt.after,
            status: p.cancelled ? "cancelled" : l.status,
          };
    }),
  };
}

/** The changes of a vendor's document, as events carry them. */
function changesOf(lines: readonly PlannedLine[]) {
  return lines
    .filter((l) => l.quantity.before !== l.quantity.after || l.expectedAt.before !== l.expectedAt.after)
    .map((l) => ({
      lineNo: l.lineNo,
      sku: l.sku,
      quantity: l.quantity,
      expectedAt: { before: iso(l.expectedAt.before), after: iso(l.expectedAt.after) },
      cancelled: l.cancelled,
    }));
}

interface Step {
  to: Status;
  from: Status[];
  /** How the refusal names the step ("submitted", …). */
  step: string;
  expectedAt?: number;
  /** Statements that go first in the batch (each guarded by `from` itself), built for the order's read database. */
  statements?: (db: D1Database) => D1Write[];
  /** The order after the step, for the event (default: `po` with the new status). */
  after?: PurchaseOrder;
  /** The status the event shows, when the step stops short of it (`confirming` shows `confirmed`). */
  eventStatus?: Status;
  event?: { state: PoState; extra?: Record<string, unknown> };
}

/**
 * Moves the order from one of `from` to `to` in one batch with `statements` (only if the order
 * is still in `from`), with its event (`commitWithEvent`), or 409 if another step got there first.
 */
async function moveStatus(env: Env, po: PurchaseOrder, s: Step): Promise<PurchaseOrder> {
  const db = await vendorWriteDb(env, po.vendorId);
  const now = Date.now();
  const after: PurchaseOrder = { ...(s.after ?? po), status: s.to, updatedAt: now, expectedAt: s.expectedAt ?? po.expectedAt };
  const event = s.event === undefined ? null : poEvent({ ...after, status: s.eventStatus ?? after.status }, s.event.state, now, s.event.extra);
  const writes = [...(s.statements?.(db) ?? []), poStatusUpdate(db, po.id, s.to, s.from, now, s.expectedAt)];
  let current: PurchaseOrder;
  if (event === null) {
    await runBatch(db, writes);
    current = (await findPurchaseOrder(db, po.id))!;
  } else {
    current = await commitWithEvent(env, db, po, writes, event, now);
  }
  if (current.status !== s.to) refuse(current, s.step);
  return current;
}

/** A repeated step that finds its order already in its state: sends what a crash after its commit left unsent (module comment). */
async function resendEvent(env: Env, po: PurchaseOrder, state: PoState): Promise<PurchaseOrder> {
  await sendEvent(env, po.id, eventIdOf(po.id, state), Date.now());
  return po;
}

/** The order's id for a principal's Idempotency-Key: a retry finds the same order. */
export async function purchaseOrderIdFor(principal: string, idempotencyKey: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`po\n${principal}\n${idempotencyKey}`)));
  return `po_${[...digest]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .slice(0, 26)}`;
}

/** Creates a draft. Every SKU must belong to the vendor; the location must exist. */
export async function createPurchaseOrder(
  env: Env,
  principal: Principal,
  body: CreatePurchaseOrderBody,
  idempotencyKey: string,
): Promise<{ po: PurchaseOrder; replayed: boolean }> {
  const { byId } = await allLocations(env.DB);
  if (!byId.has(body.locationId)) {
    throw ApiError.invalid("unknown location", [{ path: ["body", "locationId"], message: `no location ${body.locationId}`, code: "unknown_location" }]);
  }
  const skus = await findSkus(
    env,
    body.lines.map((l) => l.sku),
  );
  const problems = body.lines.flatMap((l, i) => {
    const row = skus.get(l.sku);
    if (row === undefined) return [{ path: ["body", "lines", i, "sku"], message: `no SKU ${l.sku}`, code: "unknown_sku" }];
    if (row.vendorId !== body.vendorId)
      return [{ path: ["body", "lines", i, "sku"], message: `${l.sku} belongs to vendor ${row.vendorId}, not ${body.vendorId}`, code: "other_vendor" }];
    return [];
  });
  if (problems.length > 0) throw ApiError.invalid("every SKU of a purchase order must be the vendor's", problems);
  const owner = principalName(principal);
  const id = await purchaseOrderIdFor(owner, idempotencyKey);
  const hash = await requestHash(body);
  // Looked for everywhere: a replay naming another vendor must find the order (and be refused).
  const existing = await locatePurchaseOrder(env, id);
  if (existing !== null) {
    if (existing.requestHash !== hash) throw new ApiError(422, "idempotency_conflict", "this Idempotency-Key was already used with a different request");
    return { po: await resendEvent(env, existing, "created"), replayed: true };
  }
  const db = await vendorWriteDb(env, body.vendorId);
  const now = Date.now();
  const draft: PurchaseOrder = {
    id,
    vendorId: body.vendorId,
    locationId: body.locationId,
    status: "draft",
    expectedAt: body.expectedAt === undefined ? null : Date.parse(body.expectedAt),
    reference: body.reference ?? null,
    shipmentId: null,
    requestHash: hash,
    createdBy: actorOf(principal),
    createdAt: now,
    updatedAt: now,
    lines: body.lines.map((l, i) => ({
      lineNo: i,
      sku: l.sku,
      quantity: l.quantity,
      orderedQuantity: null,
      expectedAt: null,
      received: 0,
      damaged: 0,
      short: 0,
      status: "open",
    })),
  };
  const event = poEvent(draft, "created", now);
  const insert = poInsert(db, {
    id,
    vendorId: draft.vendorId,
    locationId: draft.locationId,
    expectedAt: draft.expectedAt,
    reference: draft.reference,
    principal: owner,
    idempotencyKey,
    requestHash: hash,
    createdBy: draft.createdBy,
    lines: body.lines,
    now,
  });
  return { po: await commitWithEvent(env, db, draft, insert, event, now), replayed: false };
}

/** draft → submitted (operators). Repeating it answers the order as it is. */
export async function submitPurchaseOrder(env: Env, po: PurchaseOrder): Promise<PurchaseOrder> {
  if (po.status === "submitted") return resendEvent(env, po, "submitted");
  if (po.status !== "draft") refuse(po, "submitted");
  return moveStatus(env, po, { to: "submitted", from: ["draft"], step: "submitted", event: { state: "submitted" } });
}

/** The actor of the object calls a step makes on its own (expected arrivals move no count). */
const PO_ACTOR = "system:purchase-orders";

/**
 * confirming → confirmed: tells each open line's SKU object its expected arrival (idempotent,
 * so a retry or the sweeper may run it again), then moves the order on. Left `confirming`
 * (and answered 503) when a SKU cannot be reached.
 */
async function finishConfirm(env: Env, po: PurchaseOrder): Promise<PurchaseOrder> {
  const skus = await findSkus(
    env,
    po.lines.map((l) => l.sku),
  );
  for (const line of po.lines) {
    const row = skus.get(line.sku);
    if (row === undefined || line.status === "cancelled" || line.quantity === 0) continue; // rejected by the vendor: nothing expected
    const result = await call(() =>
      env.SKU_INVENTORY.getByName(line.sku).expectArrival({
        sku: line.sku,
        actor: PO_ACTOR,
        arrivalId: lineId(po.id, line.lineNo),
        locationId: po.locationId,
        quantity: line.quantity,
        expectedAt: line.expectedAt ?? po.expectedAt,
        reference: po.reference ?? po.id,
        policy: policyOf(row),
      }),
    );
    if (isFailure(result)) throw ApiError.fromFailure(result);
  }
  return moveStatus(env, po, { to: "confirmed", from: ["confirming"], step: "confirmed" });
}

/** Withdraws the expected arrival of each of the order's lines (before the order is cancelled). */
async function withdrawArrivals(env: Env, po: PurchaseOrder, reason: string): Promise<void> {
  for (const line of po.lines) {
    const result = await call(() =>
      env.SKU_INVENTORY.getByName(line.sku).cancelExpectedArrival({ sku: line.sku, actor: PO_ACTOR, arrivalId: lineId(po.id, line.lineNo), reason }),
    );
    if (isFailure(result)) throw ApiError.fromFailure(result);
  }
}

/** submitted → confirming → confirmed (the vendor or an operator), optionally with the vendor's arrival date. */
export async function confirmPurchaseOrder(env: Env, po: PurchaseOrder, expectedAt: string | undefined): Promise<PurchaseOrder> {
  if (po.status === "confirmed") return resendEvent(env, po, "confirmed");
  if (po.status === "confirming") return finishConfirm(env, po);
  if (po.status !== "submitted") refuse(po, "confirmed");
  const at = expectedAt === undefined ? undefined : Date.parse(expectedAt);
  const confirming = await moveStatus(env, po, {
    to: "confirming",
    from: ["submitted"],
    step: "confirmed",
    ...(at === undefined ? {} : { expectedAt: at }),
    eventStatus: "confirmed",
    event: { state: "confirmed", extra: { source: "api", changes: [] } },
  });
  return finishConfirm(env, confirming);
}

/**
 * The confirm step of a vendor's 855 (`domain/purchase-order-edi.ts`): submitted →
 * confirmed with its lines' quantities and dates, or → cancelled when it rejected every
 * line; the lines change in the batch that moves the status, only if it moves.
 */
export async function applyConfirmation(env: Env, po: PurchaseOrder, plan: ConfirmationPlan): Promise<PurchaseOrder> {
  if (po.status === "confirming") return finishConfirm(env, po);
  if (plan.action === "unchanged") return po;
  const statements = (db: D1Database) =>
    plan.lines.map((l) =>
      poLineChange(
        db,
        po.id,
        { lineNo: l.lineNo, quantity: l.quantity.after, orderedQuantity: l.orderedQuantity, expectedAt: l.expectedAt.after, cancelled: l.cancelled },
        ["submitted"],
      ),
    );
  const changes = changesOf(plan.lines);
  const cancel = plan.action === "cancel";
  const moved = await moveStatus(env, po, {
    to: cancel ? "cancelled" : "confirming",
    from: ["submitted"],
    step: cancel ? "cancelled" : "confirmed",
    ...(plan.expectedAt === null ? {} : { expectedAt: plan.expectedAt }),
    statements,
    after: withPlan(po, plan.lines),
    ...(cancel ? {} : { eventStatus: "confirmed" as const }),
    event: cancel
      ? { state: "cancelled", extra: { source: "x12_855", reason: "rejected_by_vendor", changes } }
      : { state: "confirmed", extra: { source: "x12_855", changes } },
  });
  // The 855's quantities and dates (a cut line, a later date) are what each SKU is told.
  return cancel ? moved : finishConfirm(env, moved);
}

/** What a vendor's 856 ships: per line the units (0: cancelled) and expected arrival. */
export interface ShipmentInput {
  shipmentId: string;
  lines: PlannedLine[];
}

/**
 * confirmed → shipping → shipped: each line in transit at the location. A repeat, or a
 * `shipping` order, is driven to the end. With `shipment` (a vendor's 856) the lines first
 * take what shipped, in the batch that marks the order `shipping`; cancelled lines ship nothing.
 */
export async function shipPurchaseOrder(env: Env, actor: string, po: PurchaseOrder, shipment?: ShipmentInput): Promise<PurchaseOrder> {
  if (po.status === "confirming") po = await finishConfirm(env, po);
  if (po.status !== "shipping") {
    if (po.status !== "confirmed") {
      if (["shipped", "partially_received", "received", "closed"].includes(po.status)) return resendEvent(env, po, "shipped");
      refuse(po, "shipped");
    }
    const statements = (db: D1Database) =>
      shipment === undefined
        ? []
        : [
            ...shipment.lines.map((l) =>
              poLineChange(
                db,
                po.id,
                { lineNo: l.lineNo, quantity: l.quantity.after, orderedQuantity: l.orderedQuantity, expectedAt: l.expectedAt.after, cancelled: l.cancelled },
                ["confirmed"],
              ),
            ),
            poShipmentUpdate(db, po.id, shipment.shipmentId, ["confirmed"]),
          ];
    po = await moveStatus(env, po, { to: "shipping", from: ["confirmed"], step: "shipped", statements });
  }
  await vendorWriteDb(env, po.vendorId); // 503 before any object is told, while the vendor's rows move
  const skus = await findSkus(
    env,
    po.lines.map((l) => l.sku),
  );
  const answered: Answered[] = [];
  let after = po;
  for (const line of po.lines) {
    const row = skus.get(line.sku);
    if (row === undefined) continue; // a SKU deleted since the order was made (not possible today) ships nothing
    if (line.status === "cancelled" || line.quantity === 0) {
      // Rejected by the vendor, or not shipped: nothing comes, so nothing is expected any more.
      const withdrawn = await call(() =>
        env.SKU_INVENTORY.getByName(line.sku).cancelExpectedArrival({ sku: line.sku, actor, arrivalId: lineId(po.id, line.lineNo), reason: "not_shipped" }),
      );
      if (isFailure(withdrawn)) {
        await keepAnswered(env, po, answered);
        throw ApiError.fromFailure(withdrawn);
      }
      continue;
    }
    const result = await call(() =>
      env.SKU_INVENTORY.getByName(line.sku).createTransfer({
        sku: line.sku,
        actor,
        transferId: lineId(po.id, line.lineNo),
        fromLocationId: null,
        toLocationId: po.locationId,
        quantity: line.quantity,
        expectedAt: line.expectedAt ?? po.expectedAt,
        reference: po.reference ?? po.id,
        policy: policyOf(row),
      }),
    );
    if (isFailure(result)) {
      // Left `shipping`: a retry or the sweeper finishes it.
      await keepAnswered(env, po, answered);
      throw ApiError.fromFailure(result);
    }
    answered.push({ lineNo: line.lineNo, line: result.line });
    after = withLine(after, line.lineNo, result.line);
  }
  const now = Date.now();
  const event = poEvent({ ...after, status: "shipped", updatedAt: now }, "shipped", now, { shipmentId: po.shipmentId });
  const db = await commitDb(env, po);
  return commitWithEvent(env, db, po, [...lineWrites(db, po.id, answered), poStatusUpdate(db, po.id, "shipped", ["shipping"], now)], event, now);
}

/** The order's status from its lines once goods have arrived. */
function receivedStatus(lines: PurchaseOrder["lines"]): Status {
  return lines.every((l) => l.status === "received" || l.status === "cancelled") ? "received" : "partially_received";
}

/** Receives part or all of some lines; idempotent per Idempotency-Key. */
export async function receivePurchaseOrder(
  env: Env,
  principal: Principal,
  po: PurchaseOrder,
  body: ReceivePurchaseOrderBody,
  idempotencyKey: string,
): Promise<PurchaseOrder> {
  const bySku = new Map(po.lines.map((l) => [l.sku, l]));
  const problems = body.lines.flatMap((l, i) =>
    bySku.has(l.sku) ? [] : [{ path: ["body", "lines", i, "sku"], message: `${l.sku} is not on purchase order ${po.id}`, code: "not_on_order" }],
  );
  if (problems.length > 0) throw ApiError.invalid("SKU not on this purchase order", problems);
  // On a closed or cancelled order only a retry of a receipt already applied gets through (the
  // objects replay it by receipt id, and the guarded status update leaves the order as it is);
  // a new receipt is refused as before the close (the inbound crash drill found the retry refused).
  const ended = po.status === "closed" || po.status === "cancelled";
  if (!["shipped", "partially_received", "received"].includes(po.status) && !ended) refuse(po, "received");
  await vendorWriteDb(env, po.vendorId); // 503 before any object is told, while the vendor's rows move
  const skus = await findSkus(
    env,
    body.lines.map((l) => l.sku),
  );
  const receiptId = `${principalName(principal)}\n${idempotencyKey}`;
  const answered: Answered[] = [];
  let after = po;
  for (const l of body.lines) {
    const line = bySku.get(l.sku)!;
    const result = await call(() =>
      env.SKU_INVENTORY.getByName(l.sku).receiveTransfer({
        sku: l.sku,
        actor: actorOf(principal),
        transferId: lineId(po.id, line.lineNo),
        receiptId,
        received: l.received,
        damaged: l.damaged,
        short: 0,
        ...receiptLot(l),
        policy: policyOf(skus.get(l.sku)!),
      }),
    );
    if (isFailure(result)) {
      await keepAnswered(env, po, answered);
      if (ended && result.code !== "retry_later") refuse(po, "received");
      throw ApiError.fromFailure({ ...result, details: { sku: l.sku, lineNo: line.lineNo, cause: result.details ?? null } });
    }
    answered.push({ lineNo: line.lineNo, line: result.line });
    line.status = result.line.status;
    after = withLine(after, line.lineNo, result.line);
  }
  const now = Date.now();
  const status = receivedStatus(po.lines);
  // One event per receipt: its id is the receipt's, so a retry of the same receipt adds none.
  const receipt = (await sha256Hex(receiptId)).slice(0, 24);
  const event = poEvent({ ...after, status, updatedAt: now }, "received", now, { receipt: { id: receipt, lines: body.lines } }, receipt);
  const db = await commitDb(env, po);
  return commitWithEvent(
    env,
    db,
    po,
    [...lineWrites(db, po.id, answered), poStatusUpdate(db, po.id, status, ["shipped", "partially_received"], now)],
    event,
    now,
  );
}

/** Takes what is still in transit off every line (closed short, or cancelled after shipping). */
async function dropInTransit(env: Env, actor: string, po: PurchaseOrder, reason: string): Promise<{ answered: Answered[]; after: PurchaseOrder }> {
  const answered: Answered[] = [];
  let after = po;
  for (const line of po.lines) {
    if (line.status === "received" || line.status === "cancelled" || line.status === "open") continue;
    const result = await call(() =>
      env.SKU_INVENTORY.getByName(line.sku).cancelTransfer({ sku: line.sku, actor, transferId: lineId(po.id, line.lineNo), reason }),
    );
    if (isFailure(result)) {
      await keepAnswered(env, po, answered);
      throw ApiError.fromFailure(result);
    }
    answered.push({ lineNo: line.lineNo, line: result.line });
    after = withLine(after, line.lineNo, result.line);
  }
  return { answered, after };
}

/** shipped / partially_received → closed: what never came is taken out of transit (short). */
export async function closePurchaseOrder(env: Env, actor: string, po: PurchaseOrder): Promise<PurchaseOrder> {
  if (po.status === "closed") return resendEvent(env, po, "closed");
  if (!["shipped", "partially_received", "received"].includes(po.status)) refuse(po, "closed");
  await vendorWriteDb(env, po.vendorId); // 503 before any object is told, while the vendor's rows move
  const { answered, after } = await dropInTransit(env, actor, po, "closed_short");
  const from: Status[] = ["shipped", "partially_received", "received"];
  const now = Date.now();
  const event = poEvent({ ...after, status: "closed", updatedAt: now }, "closed", now);
  const db = await commitDb(env, po);
  return commitWithEvent(env, db, po, [...lineWrites(db, po.id, answered), poStatusUpdate(db, po.id, "closed", from, now)], event, now);
}

/** Cancels an order not yet received from: before shipping nothing moves; after, its units leave transit. */
export async function cancelPurchaseOrder(env: Env, actor: string, po: PurchaseOrder): Promise<PurchaseOrder> {
  if (po.status === "cancelled") return resendEvent(env, po, "cancelled");
  const db = await vendorWriteDb(env, po.vendorId);
  // The order's events a crash left unsent are settled against the order as it is before the
  // cancel, the last moment their state can be told (module comment).
  const before = await findPurchaseOrder(db, po.id);
  if (before !== null) {
    // Its delivery store, and `DB` for events of the order made before deliveries were partitioned.
    for (const store of [deliveryStoreFor(env, po.id).db, env.DB]) {
      await settleUnsent(env, store, await unsentPoDeliveries(store, { eventIdPrefix: `evt:po:${po.id}:`, limit: 100 }), Date.now(), before);
    }
  }
  if (["draft", "submitted", "confirming", "confirmed"].includes(po.status)) {
    // Withdrawn before the order is cancelled: a crash in between expects fewer units, never more.
    if (po.status === "confirming" || po.status === "confirmed") await withdrawArrivals(env, po, "po_cancelled");
    return moveStatus(env, po, {
      to: "cancelled",
      from: ["draft", "submitted", "confirming", "confirmed"],
      step: "cancelled",
      event: { state: "cancelled", extra: { source: "api" } },
    });
  }
  if (po.status !== "shipped") refuse(po, "cancelled");
  const { answered, after } = await dropInTransit(env, actor, po, "po_cancelled");
  const now = Date.now();
  const event = poEvent({ ...after, status: "cancelled", updatedAt: now }, "cancelled", now, { source: "api" });
  const commit = await commitDb(env, po);
  return commitWithEvent(env, commit, po, [...lineWrites(commit, po.id, answered), poStatusUpdate(commit, po.id, "cancelled", ["shipped"], now)], event, now);
}

/** Event deliveries left unsent this long (ms) after their batch are sent by the sweeper. */
export const PO_EVENT_SEND_GRACE_MS = 60_000;

/**
 * The sweeper (cron, every minute): finishes confirm and ship steps a crash left `confirming`
 * or `shipping` (in every read database), and settles the `purchase_order.*` deliveries left
 * unsent by a crash or a lost send (module comment: sent if their change committed, then the
 * webhook sweeper watches them like any other; dropped if not). Returns how many orders it finished.
 */
export async function sweepPurchaseOrders(env: Env, now: number): Promise<number> {
  try {
    let sent = 0;
    for (const { db } of deliveryStores(env)) {
      sent += await settleUnsent(env, db, await unsentPoDeliveries(db, { before: now - PO_EVENT_SEND_GRACE_MS, limit: 500 }), now);
    }
    if (sent > 0) console.log(JSON.stringify({ event: "purchase_order.events_resent", deliveries: sent }));
  } catch (error) {
    console.error(JSON.stringify({ event: "purchase_order.event_sweep_failed", error: String(error) }));
  }
  let finished = 0;
  const steps = [
    { status: "confirming", finish: (po: PurchaseOrder) => finishConfirm(env, po) },
    { status: "shipping", finish: (po: PurchaseOrder) => shipPurchaseOrder(env, "system:po-sweeper", po) },
  ] as const;
  for (const step of steps) {
    for (const [p, db] of readDbs(env).entries()) {
      for (const id of await staleShipping(db, now - PO_SHIP_LEASE_MS, 20, step.status)) {
        try {
          const po = await findPurchaseOrder(db, id);
          if (po === null || po.status !== step.status) continue;
          // A moved vendor's old copy (until it is deleted) is not the order.
          if ((await vendorWritePartition(env, po.vendorId)) !== p) continue;
          await step.finish(po);
          finished++;
        } catch (error) {
          const event = step.status === "confirming" ? "purchase_order.confirm_redrive_failed" : "purchase_order.ship_redrive_failed";
          console.error(JSON.stringify({ event, id, error: String(error) }));
        }
      }
    }
  }
  return finished;
}

/** The order as the API shows it. */
export function purchaseOrderView(po: PurchaseOrder) {
  return {
    id: po.id,
    vendorId: po.vendorId,
    locationId: po.locationId,
    status: po.status,
    expectedAt: po.expectedAt === null ? null : new Date(po.expectedAt).toISOString(),
    reference: po.reference,
    shipmentId: po.shipmentId,
    createdBy: po.createdBy,
    createdAt: new Date(po.createdAt).toISOString(),
    updatedAt: new Date(po.updatedAt).toISOString(),
    lines: po.lines.map((l) => ({
      ...l,
      expectedAt: iso(l.expectedAt),
      inTransit: l.status === "in_transit" || l.status === "partially_received" ? l.quantity - l.received - l.damaged - l.short : 0,
    })),
  };
}
