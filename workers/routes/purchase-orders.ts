/**
 * `/api/v2/purchase-orders`: purchase orders (issue 14). Operators create, submit, receive,
 * close and cancel; a vendor sees its own orders and confirms and ships them (operators may
 * too). The counts move in the SKU objects (services/purchase-orders.ts).
 */
import { Hono, type Context } from "hono";
import type { z } from "zod";
import type { AppEnv } from "../app-env";
import { actorOf } from "../../services/principal";
import { authenticate } from "../auth/authenticate";
import { invalidateAvailability } from "../availability/availability-cache";
import { readJson, readParam, readQuery } from "../http/read-input";
import { listPurchaseOrders } from "../../repositories/purchase-orders";
import {
  ConfirmPurchaseOrderBody,
  CreatePurchaseOrderBody,
  EmptyBody,
  PurchaseOrderId,
  PurchaseOrderListQuery,
  ReceivePurchaseOrderBody,
} from "../../domain/schemas/purchase-orders";
import {
  cancelPurchaseOrder,
  closePurchaseOrder,
  confirmPurchaseOrder,
  createPurchaseOrder,
  purchaseOrderFor,
  purchaseOrderView,
  receivePurchaseOrder,
  shipPurchaseOrder,
  submitPurchaseOrder,
} from "../../services/purchase-orders";
import { idempotencyKeyOf } from "./idempotency";
import { BODY_LIMITS } from "./limits";

export const purchaseOrders = new Hono<AppEnv>();

const operator = authenticate("operator");
const operatorOrVendor = authenticate("operator", "vendor");

/** A step's body: none at all, or JSON valid against `schema`. */
async function stepBody<S extends typeof ConfirmPurchaseOrderBody | typeof EmptyBody>(c: Context<AppEnv>, schema: S): Promise<z.infer<S>> {
  return (c.req.raw.body === null ? schema.parse({}) : await readJson(c, schema, BODY_LIMITS.action)) as z.infer<S>;
}

const load = async (c: Context<AppEnv>) => purchaseOrderFor(c.env, c.get("principal"), readParam(c, "id", PurchaseOrderId));

purchaseOrders.post("/", operator, async (c) => {
  const key = idempotencyKeyOf(c, true);
  const body = await readJson(c, CreatePurchaseOrderBody, BODY_LIMITS.reserve);
  const { po, replayed } = await createPurchaseOrder(c.env, c.get("principal"), body, key);
  if (replayed) c.header("Idempotent-Replayed", "true");
  return c.json(purchaseOrderView(po), replayed ? 200 : 201);
});

purchaseOrders.get("/", operatorOrVendor, async (c) => {
  const query = readQuery(c, PurchaseOrderListQuery);
  const principal = c.get("principal");
  // A vendor sees its own orders only, whatever vendorId it asks for.
  const vendorId = principal.scope === "vendor" ? principal.vendorId! : query.vendorId;
  const items = await listPurchaseOrders(c.env.DB, { status: query.status, vendorId, after: query.cursor }, query.limit);
  c.header("Cache-Control", "private, no-store");
  return c.json({ items: items.map(purchaseOrderView), nextCursor: items.length === query.limit ? items[items.length - 1]!.id : null });
});

purchaseOrders.get("/:id", operatorOrVendor, async (c) => {
  c.header("Cache-Control", "private, no-store");
  return c.json(purchaseOrderView(await load(c)));
});

purchaseOrders.post("/:id/submit", operator, async (c) => {
  const po = await load(c);
  await stepBody(c, EmptyBody);
  return c.json(purchaseOrderView(await submitPurchaseOrder(c.env, po)));
});

purchaseOrders.post("/:id/confirm", operatorOrVendor, async (c) => {
  const po = await load(c);
  const body = await stepBody(c, ConfirmPurchaseOrderBody);
  return c.json(purchaseOrderView(await confirmPurchaseOrder(c.env, po, body.expectedAt)));
});

purchaseOrders.post("/:id/ship", operatorOrVendor, async (c) => {
  const po = await load(c);
  await stepBody(c, EmptyBody);
  const shipped = await shipPurchaseOrder(c.env, actorOf(c.get("principal")), po);
  await invalidateAvailability(
    new URL(c.req.url).origin,
    shipped.lines.map((l) => l.sku),
  );
  return c.json(purchaseOrderView(shipped));
});

purchaseOrders.post("/:id/receive", operator, async (c) => {
  const po = await load(c);
  const key = idempotencyKeyOf(c, true);
  const body = await readJson(c, ReceivePurchaseOrderBody, BODY_LIMITS.reserve);
  const received = await receivePurchaseOrder(c.env, c.get("principal"), po, body, key);
  await invalidateAvailability(
    new URL(c.req.url).origin,
    body.lines.map((l) => l.sku),
  );
  return c.json(purchaseOrderView(received));
});

purchaseOrders.post("/:id/close", operator, async (c) => {
  const po = await load(c);
  await stepBody(c, EmptyBody);
  return c.json(purchaseOrderView(await closePurchaseOrder(c.env, actorOf(c.get("principal")), po)));
});

purchaseOrders.post("/:id/cancel", operator, async (c) => {
  const po = await load(c);
  await stepBody(c, EmptyBody);
  return c.json(purchaseOrderView(await cancelPurchaseOrder(c.env, actorOf(c.get("principal")), po)));
});
