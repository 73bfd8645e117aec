/**
 * Purchase orders (issue 14): a D1 document per order to one vendor for one receiving
 * location, and its lifecycle:
 *
 * | step | who | from → to | counts (in each line's SKU object) |
 * | --- | --- | --- | --- |
 * | create | operator | → draft | none |
 * | submit | operator | draft → submitted | none |
 * | confirm | the vendor, operator | submitted → confirmed | none (may set `expectedAt`) |
 * | ship | the vendor, operator | confirmed → shipping → shipped | `inTransit += q` at the location |
 * | receive | operator | shipped / partially_received → partially_received / received | `inTransit −= q`, `onHand += q` (damaged: also `damaged += q`); covers backorders first |
 * | close | operator | shipped / partially_received → closed | what never came: `inTransit −= rest` (short) |
 * | cancel | operator | draft / submitted / confirmed → cancelled; shipped with nothing received → cancelled | `inTransit −= rest` |
 *
 * A line's in-transit and receipts are the SKU object's inbound line `<po id>:<line no>`
 * (sku-inventory/transfers.ts, no origin), so every step is exact and safe to repeat. Ship
 * marks the order `shipping` before the per-SKU steps; a retry, or the sweeper for one left
 * so by a crash for over a minute, finishes it (forward: each line's step is idempotent).
 * Receipts are idempotent per Idempotency-Key.
 */
import { isFailure, type Failure } from "../domain/failures";
import type { TransferResult } from "../durable-objects/sku-inbound.types";
import { actorOf, principalName, type Principal } from "./principal";
import { ApiError } from "./api-error";
import { type D1Write, runBatch } from "../repositories/d1-sql";
import { allLocations } from "../repositories/locations";
import { findPurchaseOrder, insertPurchaseOrder, poLineUpdate, poStatusUpdate, staleShipping, type PurchaseOrder } from "../repositories/purchase-orders";
import { findSkus } from "../repositories/skus";
import { requestHash } from "../domain/hashing";
import type { CreatePurchaseOrderBody, ReceivePurchaseOrderBody } from "../domain/schemas/purchase-orders";
import { policyOf } from "./sku-access";

/** An order left `shipping` this long (ms) is finished by the sweeper. */
export const PO_SHIP_LEASE_MS = 60_000;

const lineId = (poId: string, lineNo: number) => `${poId}:${lineNo}`;
type Status = PurchaseOrder["status"];

async function call(fn: () => Promise<TransferResult | Failure>): Promise<TransferResult | Failure> {
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

/** Moves the order from one of `from` to `to`, or 409 if another step got there first. */
async function moveStatus(env: Env, po: PurchaseOrder, to: Status, from: Status[], step: string, expectedAt?: number): Promise<PurchaseOrder> {
  const result = await poStatusUpdate(env.DB, po.id, to, from, Date.now(), expectedAt).run();
  const now = (await findPurchaseOrder(env.DB, po.id))!;
  if (result.meta.changes === 0 && now.status !== to) refuse(now, step);
  return now;
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
  await insertPurchaseOrder(env.DB, {
    id,
    vendorId: body.vendorId,
    locationId: body.locationId,
    expectedAt: body.expectedAt === undefined ? null : Date.parse(body.expectedAt),
    reference: body.reference ?? null,
    principal: owner,
    idempotencyKey,
    requestHash: hash,
    createdBy: actorOf(principal),
    lines: body.lines,
    now: Date.now(),
  });
  return { po: (await findPurchaseOrder(env.DB, id))!, replayed: false };
}

/** draft → submitted (operators). Repeating it answers the order as it is. */
export async function submitPurchaseOrder(env: Env, po: PurchaseOrder): Promise<PurchaseOrder> {
  if (po.status === "submitted") return po;
  if (po.status !== "draft") refuse(po, "submitted");
  return moveStatus(env, po, "submitted", ["draft"], "submitted");
}

/** submitted → confirmed (the vendor or an operator), optionally with the vendor's arrival date. */
export async function confirmPurchaseOrder(env: Env, po: PurchaseOrder, expectedAt: string | undefined): Promise<PurchaseOrder> {
  if (po.status === "confirmed") return po;
  if (po.status !== "submitted") refuse(po, "confirmed");
  return moveStatus(env, po, "confirmed", ["submitted"], "confirmed", expectedAt === undefined ? undefined : Date.parse(expectedAt));
}

/** confirmed → shipping → shipped: each line in transit at the location. A repeat, or a `shipping` order, is driven to the end. */
export async function shipPurchaseOrder(env: Env, actor: string, po: PurchaseOrder): Promise<PurchaseOrder> {
  if (po.status !== "shipping") {
    if (po.status !== "confirmed") {
      if (["shipped", "partially_received", "received", "closed"].includes(po.status)) return po;
      refuse(po, "shipped");
    }
    po = await moveStatus(env, po, "shipping", ["confirmed"], "shipped");
  }
  const skus = await findSkus(
    env.DB,
    po.lines.map((l) => l.sku),
  );
  const updates: D1Write[] = [];
  for (const line of po.lines) {
    const row = skus.get(line.sku);
    if (row === undefined) continue; // a SKU deleted since the order was made (not possible today) ships nothing
    const result = await call(() =>
      env.SKU_INVENTORY.getByName(line.sku).createTransfer({
        sku: line.sku,
        actor,
        transferId: lineId(po.id, line.lineNo),
        fromLocationId: null,
        toLocationId: po.locationId,
        quantity: line.quantity,
        expectedAt: po.expectedAt,
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
  }
  await runBatch(env.DB, [...updates, poStatusUpdate(env.DB, po.id, "shipped", ["shipping"], Date.now())]);
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
  if (!["shipped", "partially_received", "received"].includes(po.status)) refuse(po, "received");
  const skus = await findSkus(
    env.DB,
    body.lines.map((l) => l.sku),
  );
  const receiptId = `${principalName(principal)}\n${idempotencyKey}`;
  const updates: D1Write[] = [];
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
        policy: policyOf(skus.get(l.sku)!),
      }),
    );
    if (isFailure(result)) {
      if (updates.length > 0) await runBatch(env.DB, updates);
      throw ApiError.fromFailure({ ...result, details: { sku: l.sku, lineNo: line.lineNo, cause: result.details ?? null } });
    }
    updates.push(poLineUpdate(env.DB, po.id, line.lineNo, result.line));
    line.status = result.line.status;
  }
  updates.push(poStatusUpdate(env.DB, po.id, receivedStatus(po.lines), ["shipped", "partially_received"], Date.now()));
  await runBatch(env.DB, updates);
  return (await findPurchaseOrder(env.DB, po.id))!;
}

/** Takes what is still in transit off every line (closed short, or cancelled after shipping). */
async function dropInTransit(env: Env, actor: string, po: PurchaseOrder, reason: string): Promise<D1Write[]> {
  const updates: D1Write[] = [];
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
  }
  return updates;
}

/** shipped / partially_received → closed: what never came is taken out of transit (short). */
export async function closePurchaseOrder(env: Env, actor: string, po: PurchaseOrder): Promise<PurchaseOrder> {
  if (po.status === "closed") return po;
  if (!["shipped", "partially_received", "received"].includes(po.status)) refuse(po, "closed");
  const updates = await dropInTransit(env, actor, po, "closed_short");
  await runBatch(env.DB, [...updates, poStatusUpdate(env.DB, po.id, "closed", ["shipped", "partially_received", "received"], Date.now())]);
  return (await findPurchaseOrder(env.DB, po.id))!;
}

/** Cancels an order not yet received from: before shipping nothing moves; after, its units leave transit. */
export async function cancelPurchaseOrder(env: Env, actor: string, po: PurchaseOrder): Promise<PurchaseOrder> {
  if (po.status === "cancelled") return po;
  if (["draft", "submitted", "confirmed"].includes(po.status)) return moveStatus(env, po, "cancelled", ["draft", "submitted", "confirmed"], "cancelled");
  if (po.status !== "shipped") refuse(po, "cancelled");
  const updates = await dropInTransit(env, actor, po, "po_cancelled");
  await runBatch(env.DB, [...updates, poStatusUpdate(env.DB, po.id, "cancelled", ["shipped"], Date.now())]);
  return (await findPurchaseOrder(env.DB, po.id))!;
}

/** The sweeper (cron, every minute): finishes ship steps a crash left `shipping`. Returns how many. */
export async function sweepPurchaseOrders(env: Env, now: number): Promise<number> {
  let finished = 0;
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
    createdBy: po.createdBy,
    createdAt: new Date(po.createdAt).toISOString(),
    updatedAt: new Date(po.updatedAt).toISOString(),
    lines: po.lines.map((l) => ({
      ...l,
      inTransit: l.status === "in_transit" || l.status === "partially_received" ? l.quantity - l.received - l.damaged - l.short : 0,
    })),
  };
}
