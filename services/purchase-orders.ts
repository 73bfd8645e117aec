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
 * **Events.** Every state change emits one `purchase_order.<state>` event (created,
 * submitted, confirmed, shipped, received per receipt, closed, cancelled) to the order's
 * vendor's and the operator-wide webhook subscriptions that asked for it. Its deliveries are
 * inserted in the D1 batch that makes the change, guarded by the step's precondition, with
 * an id fixed by the change (`evt:po:<id>:<state>`, a receipt's `…:received:<receipt>`), so
 * a retried request or a racing twin inserts nothing more; they are sent to WEBHOOKS after
 * the batch, and the sweeper sends any a lost send left behind (`repositories/purchase-order-events.ts`).
 */
import { isFailure, type Failure } from "../domain/failures";
import type { TransferResult } from "../durable-objects/sku-inbound.types";
import { actorOf, principalName, type Principal } from "./principal";
import { ApiError } from "./api-error";
import { type D1Write, runBatch } from "../repositories/d1-sql";
import { allLocations } from "../repositories/locations";
import {
  findPurchaseOrder,
  insertPurchaseOrder,
  poInStatus,
  poLineChange,
  poLineUpdate,
  poShipmentUpdate,
  poStatusUpdate,
  staleShipping,
  type PurchaseOrder,
} from "../repositories/purchase-orders";
import { poEventDeliveries, unsentPoDeliveries, type PoEventMessage, type UnsentPoDelivery } from "../repositories/purchase-order-events";
import { markEnqueued } from "../repositories/webhooks";
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

/** The order if it exists and the caller may see it (a vendor: its own only; others are not found). */
export async function purchaseOrderFor(env: Env, principal: Principal, id: string): Promise<PurchaseOrder> {
  const po = await findPurchaseOrder(env.DB, id);
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

/**
 * The event of a state change: its id is fixed by the change (`suffix` tells receipts
 * apart), its payload the order as it is after it, with `extra` facts of the step.
 */
function poEvent(after: PurchaseOrder, state: PoState, at: number, extra: Record<string, unknown> = {}, suffix?: string): PoEventMessage {
  const eventType = `purchase_order.${state}`;
  const eventId = `evt:po:${after.id}:${state}${suffix === undefined ? "" : `:${suffix}`}`;
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

/** Sends deliveries never sent (grouped by event) and marks them sent. */
async function sendUnsent(env: Env, rows: readonly UnsentPoDelivery[], now: number): Promise<number> {
  const byEvent = new Map<string, UnsentPoDelivery[]>();
  for (const r of rows) byEvent.set(r.eventId, [...(byEvent.get(r.eventId) ?? []), r]);
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
            env.DB,
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

/** After the batch that recorded an event: sends its deliveries. A failure is only logged (the sweeper sends them). */
async function sendEvent(env: Env, event: PoEventMessage | null, now: number): Promise<void> {
  if (event === null) return;
  try {
    for (;;) {
      const rows = await unsentPoDeliveries(env.DB, { eventId: event.eventId, limit: SEND_BATCH_MAX });
      if (rows.length === 0 || (await sendUnsent(env, rows, now)) === 0) return;
    }
  } catch (error) {
    console.error(JSON.stringify({ event: "purchase_order.event_send_failed", eventId: event.eventId, error: String(error) }));
  }
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
  /** Statements that go first in the batch (each guarded by `from` itself). */
  statements?: D1Write[];
  /** The order after the step, for the event (default: `po` with the new status). */
  after?: PurchaseOrder;
  /** The status the event shows, when the step stops short of it (`confirming` shows `confirmed`). */
  eventStatus?: Status;
  event?: { state: PoState; extra?: Record<string, unknown> };
}

/**
 * Moves the order from one of `from` to `to` in one batch with `statements` and the event's
 * deliveries (both only if the order is still in `from`), or 409 if another step got there first.
 */
async function moveStatus(env: Env, po: PurchaseOrder, s: Step): Promise<PurchaseOrder> {
  const now = Date.now();
  const after: PurchaseOrder = { ...(s.after ?? po), status: s.to, updatedAt: now, expectedAt: s.expectedAt ?? po.expectedAt };
  const event = s.event === undefined ? null : poEvent({ ...after, status: s.eventStatus ?? after.status }, s.event.state, now, s.event.extra);
  await runBatch(env.DB, [
    ...(s.statements ?? []),
    ...(event === null ? [] : [poEventDeliveries(env.DB, event, po.vendorId, now, poInStatus(po.id, s.from))]),
    poStatusUpdate(env.DB, po.id, s.to, s.from, now, s.expectedAt),
  ]);
  const current = (await findPurchaseOrder(env.DB, po.id))!;
  if (current.status !== s.to) refuse(current, s.step);
  await sendEvent(env, event, now);
  return current;
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
    env.DB,
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
  const existing = await findPurchaseOrder(env.DB, id);
  if (existing !== null) {
    if (existing.requestHash !== hash) throw new ApiError(422, "idempotency_conflict", "this Idempotency-Key was already used with a different request");
    return { po: existing, replayed: true };
  }
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
  await insertPurchaseOrder(
    env.DB,
    {
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
    },
    [poEventDeliveries(env.DB, event, draft.vendorId, now)],
  );
  await sendEvent(env, event, now);
  return { po: (await findPurchaseOrder(env.DB, id))!, replayed: false };
}

/** draft → submitted (operators). Repeating it answers the order as it is. */
export async function submitPurchaseOrder(env: Env, po: PurchaseOrder): Promise<PurchaseOrder> {
  if (po.status === "submitted") return po;
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
    env.DB,
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
  if (po.status === "confirmed") return po;
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
  const statements = plan.lines.map((l) =>
    poLineChange(
      env.DB,
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
      if (["shipped", "partially_received", "received", "closed"].includes(po.status)) return po;
      refuse(po, "shipped");
    }
    const statements =
      shipment === undefined
        ? []
        : [
            ...shipment.lines.map((l) =>
              poLineChange(
                env.DB,
                po.id,
                { lineNo: l.lineNo, quantity: l.quantity.after, orderedQuantity: l.orderedQuantity, expectedAt: l.expectedAt.after, cancelled: l.cancelled },
                ["confirmed"],
              ),
            ),
            poShipmentUpdate(env.DB, po.id, shipment.shipmentId, ["confirmed"]),
          ];
    po = await moveStatus(env, po, { to: "shipping", from: ["confirmed"], step: "shipped", statements });
  }
  const skus = await findSkus(
    env.DB,
    po.lines.map((l) => l.sku),
  );
  const updates: D1Write[] = [];
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
        if (updates.length > 0) await runBatch(env.DB, updates);
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
      if (updates.length > 0) await runBatch(env.DB, updates);
      throw ApiError.fromFailure(result);
    }
    updates.push(poLineUpdate(env.DB, po.id, line.lineNo, result.line));
    after = withLine(after, line.lineNo, result.line);
  }
  const now = Date.now();
  const event = poEvent({ ...after, status: "shipped", updatedAt: now }, "shipped", now, { shipmentId: po.shipmentId });
  await runBatch(env.DB, [
    ...updates,
    poEventDeliveries(env.DB, event, po.vendorId, now, poInStatus(po.id, ["shipping"])),
    poStatusUpdate(env.DB, po.id, "shipped", ["shipping"], now),
  ]);
  await sendEvent(env, event, now);
  return (await findPurchaseOrder(env.DB, po.id))!;
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
  const skus = await findSkus(
    env.DB,
    body.lines.map((l) => l.sku),
  );
  const receiptId = `${principalName(principal)}\n${idempotencyKey}`;
  const updates: D1Write[] = [];
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
      if (updates.length > 0) await runBatch(env.DB, updates);
      if (ended && result.code !== "retry_later") refuse(po, "received");
      throw ApiError.fromFailure({ ...result, details: { sku: l.sku, lineNo: line.lineNo, cause: result.details ?? null } });
    }
    updates.push(poLineUpdate(env.DB, po.id, line.lineNo, result.line));
    line.status = result.line.status;
    after = withLine(after, line.lineNo, result.line);
  }
  const now = Date.now();
  const status = receivedStatus(po.lines);
  // One event per receipt: its id is the receipt's, so a retry of the same receipt adds none.
  const receipt = (await sha256Hex(receiptId)).slice(0, 24);
  const event = poEvent({ ...after, status, updatedAt: now }, "received", now, { receipt: { id: receipt, lines: body.lines } }, receipt);
  updates.push(poEventDeliveries(env.DB, event, po.vendorId, now));
  updates.push(poStatusUpdate(env.DB, po.id, status, ["shipped", "partially_received"], now));
  await runBatch(env.DB, updates);
  await sendEvent(env, event, now);
  return (await findPurchaseOrder(env.DB, po.id))!;
}

/** Takes what is still in transit off every line (closed short, or cancelled after shipping). */
async function dropInTransit(env: Env, actor: string, po: PurchaseOrder, reason: string): Promise<{ updates: D1Write[]; after: PurchaseOrder }> {
  const updates: D1Write[] = [];
  let after = po;
  for (const line of po.lines) {
    if (line.status === "received" || line.status === "cancelled" || line.status === "open") continue;
    const result = await call(() =>
      env.SKU_INVENTORY.getByName(line.sku).cancelTransfer({ sku: line.sku, actor, transferId: lineId(po.id, line.lineNo), reason }),
    );
    if (isFailure(result)) {
      if (updates.length > 0) await runBatch(env.DB, updates);
      throw ApiError.fromFailure(result);
    }
    updates.push(poLineUpdate(env.DB, po.id, line.lineNo, result.line));
    after = withLine(after, line.lineNo, result.line);
  }
  return { updates, after };
}

/** shipped / partially_received → closed: what never came is taken out of transit (short). */
export async function closePurchaseOrder(env: Env, actor: string, po: PurchaseOrder): Promise<PurchaseOrder> {
  if (po.status === "closed") return po;
  if (!["shipped", "partially_received", "received"].includes(po.status)) refuse(po, "closed");
  const { updates, after } = await dropInTransit(env, actor, po, "closed_short");
  const from: Status[] = ["shipped", "partially_received", "received"];
  const now = Date.now();
  const event = poEvent({ ...after, status: "closed", updatedAt: now }, "closed", now);
  await runBatch(env.DB, [
    ...updates,
    poEventDeliveries(env.DB, event, po.vendorId, now, poInStatus(po.id, from)),
    poStatusUpdate(env.DB, po.id, "closed", from, now),
  ]);
  await sendEvent(env, event, now);
  return (await findPurchaseOrder(env.DB, po.id))!;
}

/** Cancels an order not yet received from: before shipping nothing moves; after, its units leave transit. */
export async function cancelPurchaseOrder(env: Env, actor: string, po: PurchaseOrder): Promise<PurchaseOrder> {
  if (po.status === "cancelled") return po;
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
  const { updates, after } = await dropInTransit(env, actor, po, "po_cancelled");
  const now = Date.now();
  const event = poEvent({ ...after, status: "cancelled", updatedAt: now }, "cancelled", now, { source: "api" });
  await runBatch(env.DB, [
    ...updates,
    poEventDeliveries(env.DB, event, po.vendorId, now, poInStatus(po.id, ["shipped"])),
    poStatusUpdate(env.DB, po.id, "cancelled", ["shipped"], now),
  ]);
  await sendEvent(env, event, now);
  return (await findPurchaseOrder(env.DB, po.id))!;
}

/** Event deliveries left unsent this long (ms) after their batch are sent by the sweeper. */
export const PO_EVENT_SEND_GRACE_MS = 60_000;

/**
 * The sweeper (cron, every minute): finishes confirm and ship steps a crash left `confirming` or `shipping`, and sends
 * the `purchase_order.*` deliveries whose send was lost after their batch committed (then
 * the webhook sweeper watches them like any other). Returns how many orders it finished.
 */
export async function sweepPurchaseOrders(env: Env, now: number): Promise<number> {
  try {
    const unsent = await unsentPoDeliveries(env.DB, { before: now - PO_EVENT_SEND_GRACE_MS, limit: 500 });
    const sent = await sendUnsent(env, unsent, now);
    if (sent > 0) console.log(JSON.stringify({ event: "purchase_order.events_resent", deliveries: sent }));
  } catch (error) {
    console.error(JSON.stringify({ event: "purchase_order.event_sweep_failed", error: String(error) }));
  }
  let finished = 0;
  for (const id of await staleShipping(env.DB, now - PO_SHIP_LEASE_MS, 20, "confirming")) {
    const po = await findPurchaseOrder(env.DB, id);
    if (po === null || po.status !== "confirming") continue;
    try {
      await finishConfirm(env, po);
      finished++;
    } catch (error) {
      console.error(JSON.stringify({ event: "purchase_order.confirm_redrive_failed", id, error: String(error) }));
    }
  }
  for (const id of await staleShipping(env.DB, now - PO_SHIP_LEASE_MS, 20)) {
    const po = await findPurchaseOrder(env.DB, id);
    if (po === null || po.status !== "shipping") continue;
    try {
      await shipPurchaseOrder(env, "system:po-sweeper", po);
      finished++;
    } catch (error) {
      console.error(JSON.stringify({ event: "purchase_order.ship_redrive_failed", id, error: String(error) }));
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
