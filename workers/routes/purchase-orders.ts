/**
 * `/api/v2/purchase-orders`: purchase orders (issue 14). Operators create, submit, receive,
 * close and cancel; a vendor sees its own orders and confirms and ships them (operators may
 * too). The counts move in the SKU objects (services/purchase-orders.ts).
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { actorOf } from "../../services/principal";
import { invalidateAvailability } from "../availability/availability-cache";
import { RouteGroup } from "../http/route-table";
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
import { BODY_LIMITS } from "./limits";

export const purchaseOrders = new RouteGroup("purchase orders");

const operator = ["operator"] as const;
const operatorOrVendor = ["operator", "vendor"] as const;
const params = { id: PurchaseOrderId };

/** A step's body: none at all, or a small JSON object. */
const step = { params, body: EmptyBody, bodyPresence: "optional", maxBytes: BODY_LIMITS.action } as const;

/** The order named by the path, 404 if unknown, 403 if another vendor's. */
const load = async (c: Context<AppEnv>, id: string) => purchaseOrderFor(c.env, c.get("principal"), id);

purchaseOrders.route(
  {
    method: "post",
    path: "/",
    summary: "Create a draft purchase order to one vendor for one receiving location (every SKU the vendor's)",
    scopes: operator,
    body: CreatePurchaseOrderBody,
    maxBytes: BODY_LIMITS.reserve,
    idempotency: "required",
    success: { status: 201, description: "the purchase order (200 on a replay)" },
    errors: [400, 401, 403, 413, 415, 422],
  },
  async (c, input) => {
    const key = input.idempotencyKey();
    const body = await input.body();
    const { po, replayed } = await createPurchaseOrder(c.env, c.get("principal"), body, key);
    if (replayed) c.header("Idempotent-Replayed", "true");
    return c.json(purchaseOrderView(po), replayed ? 200 : 201);
  },
);

purchaseOrders.route(
  {
    method: "get",
    path: "/",
    summary: "Purchase orders by id, optionally of one status and vendor (vendors: their own)",
    scopes: operatorOrVendor,
    query: PurchaseOrderListQuery,
    success: { status: 200, description: "{items, nextCursor}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const query = input.query();
    const principal = c.get("principal");
    // A vendor sees its own orders only, whatever vendorId it asks for.
    const vendorId = principal.scope === "vendor" ? principal.vendorId! : query.vendorId;
    const items = await listPurchaseOrders(c.env.DB, { status: query.status, vendorId, after: query.cursor }, query.limit);
    c.header("Cache-Control", "private, no-store");
    return c.json({ items: items.map(purchaseOrderView), nextCursor: items.length === query.limit ? items[items.length - 1]!.id : null });
  },
);

purchaseOrders.route(
  {
    method: "get",
    path: "/:id",
    summary: "A purchase order and its lines (vendors: their own)",
    scopes: operatorOrVendor,
    params,
    success: { status: 200, description: "the purchase order" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    c.header("Cache-Control", "private, no-store");
    return c.json(purchaseOrderView(await load(c, input.param("id"))));
  },
);

purchaseOrders.route(
  {
    method: "post",
    path: "/:id/submit",
    summary: "Submit a draft to the vendor",
    scopes: operator,
    ...step,
    success: { status: 200, description: "the purchase order" },
    errors: [400, 401, 403, 404, 409, 413, 415],
  },
  async (c, input) => {
    const po = await load(c, input.param("id"));
    await input.body();
    return c.json(purchaseOrderView(await submitPurchaseOrder(c.env, po)));
  },
);

purchaseOrders.route(
  {
    method: "post",
    path: "/:id/confirm",
    summary: "Confirm a submitted order, optionally with the expected arrival (the vendor, or an operator)",
    scopes: operatorOrVendor,
    ...step,
    body: ConfirmPurchaseOrderBody,
    success: { status: 200, description: "the purchase order" },
    errors: [400, 401, 403, 404, 409, 413, 415],
  },
  async (c, input) => {
    const po = await load(c, input.param("id"));
    const body = await input.body();
    return c.json(purchaseOrderView(await confirmPurchaseOrder(c.env, po, body.expectedAt)));
  },
);

purchaseOrders.route(
  {
    method: "post",
    path: "/:id/ship",
    summary: "Ship a confirmed order: every line in transit at the receiving location",
    scopes: operatorOrVendor,
    ...step,
    success: { status: 200, description: "the purchase order" },
    errors: [400, 401, 403, 404, 409, 413, 415, 503],
  },
  async (c, input) => {
    const po = await load(c, input.param("id"));
    await input.body();
    const shipped = await shipPurchaseOrder(c.env, actorOf(c.get("principal")), po);
    await invalidateAvailability(
      new URL(c.req.url).origin,
      shipped.lines.map((l) => l.sku),
    );
    return c.json(purchaseOrderView(shipped));
  },
);

purchaseOrders.route(
  {
    method: "post",
    path: "/:id/receive",
    summary: "Receive part or all of some lines (good or damaged): in transit to on hand; covers backorders first",
    scopes: operator,
    params,
    body: ReceivePurchaseOrderBody,
    maxBytes: BODY_LIMITS.reserve,
    idempotency: "required",
    success: { status: 200, description: "the purchase order" },
    errors: [400, 401, 403, 404, 409, 413, 415, 422, 503],
  },
  async (c, input) => {
    const po = await load(c, input.param("id"));
    const key = input.idempotencyKey();
    const body = await input.body();
    const received = await receivePurchaseOrder(c.env, c.get("principal"), po, body, key);
    await invalidateAvailability(
      new URL(c.req.url).origin,
      body.lines.map((l) => l.sku),
    );
    return c.json(purchaseOrderView(received));
  },
);

purchaseOrders.route(
  {
    method: "post",
    path: "/:id/close",
    summary: "Close a shipped order: what never came leaves in transit (short)",
    scopes: operator,
    ...step,
    success: { status: 200, description: "the purchase order" },
    errors: [400, 401, 403, 404, 409, 413, 415, 503],
  },
  async (c, input) => {
    const po = await load(c, input.param("id"));
    await input.body();
    return c.json(purchaseOrderView(await closePurchaseOrder(c.env, actorOf(c.get("principal")), po)));
  },
);

purchaseOrders.route(
  {
    method: "post",
    path: "/:id/cancel",
    summary: "Cancel an order nothing was received from (after shipping its units leave in transit)",
    scopes: operator,
    ...step,
    success: { status: 200, description: "the purchase order" },
    errors: [400, 401, 403, 404, 409, 413, 415, 503],
  },
  async (c, input) => {
    const po = await load(c, input.param("id"));
    await input.body();
    return c.json(purchaseOrderView(await cancelPurchaseOrder(c.env, actorOf(c.get("principal")), po)));
  },
);
