/**
 * `/api/v2/purchase-orders`: purchase orders (issue 14). Operators create, submit, receive,
 * close and cancel; a vendor sees its own orders and confirms and ships them (operators may
 * too). The counts move in the SKU objects (services/purchase-orders.ts). Over X12 (issue 16):
 * an order as an 850, and a vendor's 855/856 file answered with a 997
 * (services/purchase-order-edi.ts). Orders live in their vendor's read database; a write
 * answers 503 `retry_later` while that vendor's rows are being moved to another one.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { actorOf } from "../../services/principal";
import { invalidateAvailability } from "../availability/availability-cache";
import { RouteGroup } from "../http/route-table";
import { readText, tooLarge } from "../http/read-input";
import { ApiError } from "../../services/api-error";
import { findVendor } from "../../repositories/vendors";
import { PO_EDI_LIMITS, purchaseOrder850, receivePurchaseOrderEdi } from "../../services/purchase-order-edi";
import {
  ConfirmPurchaseOrderBody,
  CreatePurchaseOrderBody,
  EmptyBody,
  PurchaseOrderEdiQuery,
  PurchaseOrderId,
  PurchaseOrderListQuery,
  ReceivePurchaseOrderBody,
} from "../../domain/schemas/purchase-orders";
import {
  cancelPurchaseOrder,
  closePurchaseOrder,
  confirmPurchaseOrder,
  createPurchaseOrder,
  listPurchaseOrdersAcross,
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
    errors: [400, 401, 403, 413, 415, 422, 503],
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
    reads: "replica",
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
    // A vendor's orders are in its read database; all vendors' are merged from every one.
    const items = await listPurchaseOrdersAcross(c.env, { status: query.status, vendorId, after: query.cursor }, query.limit);
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
    errors: [400, 401, 403, 404, 409, 413, 415, 503],
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
    errors: [400, 401, 403, 404, 409, 413, 415, 503],
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

/** The media types an X12 file may be sent as. */
const X12_TYPES = ["application/edi-x12", "text/plain"] as const;

purchaseOrders.route(
  {
    method: "get",
    path: "/:id/x12-850",
    summary: "The order as an X12 850 interchange (the same order version: the same control number); not for drafts (vendors: their own)",
    scopes: operatorOrVendor,
    params,
    success: { status: 200, description: "the 850 interchange", contentType: "application/edi-x12" },
    errors: [400, 401, 403, 404, 409, 422, 503],
  },
  async (c, input) => {
    const po = await load(c, input.param("id"));
    const { text, poNumber } = await purchaseOrder850(c.env, po);
    c.header("Cache-Control", "private, no-store");
    c.header("Content-Disposition", `attachment; filename="${poNumber}-850.edi"`);
    return c.body(text, 200, { "Content-Type": "application/edi-x12" });
  },
);

purchaseOrders.route(
  {
    method: "post",
    path: "/edi",
    summary:
      "A vendor's X12 file of 855 acknowledgments (confirm with changes) and 856 ship notices (ship): each sound set applied whole, answered per set with a 997",
    scopes: operatorOrVendor,
    query: PurchaseOrderEdiQuery,
    textBody: {
      contentTypes: X12_TYPES,
      description: `one X12 interchange (ISA…IEA; separators from the ISA; BOM, newline-only terminators and indentation are fine), at most ${PO_EDI_LIMITS.maxSets} transaction sets of 855 and 856`,
    },
    maxBytes: PO_EDI_LIMITS.maxBytes,
    success: {
      status: 200,
      description:
        "{interchange, accepted, rejected, sets: [{transactionSetId, setControlNumber, accepted, purchaseOrders, errors}], functionalAcknowledgment: {controlNumber, x12}}; with Accept: application/edi-x12 the 997 itself",
    },
    errors: [400, 401, 403, 413, 415, 503],
  },
  async (c, input) => {
    const max = input.spec.maxBytes;
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > max) throw tooLarge(max);
    const type = c.req.header("content-type") ?? "";
    if (!(X12_TYPES as readonly string[]).includes(type.split(";")[0]!.trim().toLowerCase())) {
      throw new ApiError(415, "unsupported_media_type", "send the X12 file as application/edi-x12 or text/plain", { contentType: type || null });
    }
    const principal = c.get("principal");
    const query = input.query();
    if (principal.scope === "vendor" && query.vendorId !== undefined && query.vendorId !== principal.vendorId) {
      throw new ApiError(403, "forbidden", "a vendor key sends its own files only", [
        { path: ["query", "vendorId"], message: "omit vendorId, or give your own" },
      ]);
    }
    const vendorId = principal.scope === "vendor" ? principal.vendorId! : query.vendorId;
    if (vendorId === undefined) {
      throw ApiError.invalid("name the vendor whose file this is", [
        { path: ["query", "vendorId"], message: "operators give the vendorId the file is from", code: "required" },
      ]);
    }
    if ((await findVendor(c.env.DB, vendorId)) === undefined) {
      throw ApiError.invalid("unknown vendor", [{ path: ["query", "vendorId"], message: `no vendor ${vendorId}`, code: "unknown_vendor" }]);
    }
    const text = await readText(c.req.raw, max, "malformed_x12");
    const receipt = await receivePurchaseOrderEdi(c.env, principal, vendorId, text);
    const touched = receipt.sets.flatMap((s) => s.purchaseOrders.filter((p) => p.outcome === "shipped"));
    if (touched.length > 0) {
      // Shipped lines are in transit now: the public availability of their SKUs changed.
      const skus = new Set<string>();
      for (const p of touched) for (const l of (await load(c, p.id)).lines) skus.add(l.sku);
      await invalidateAvailability(new URL(c.req.url).origin, [...skus]);
    }
    c.header("Cache-Control", "private, no-store");
    if (/application\/edi-x12/i.test(c.req.header("accept") ?? "") && receipt.functionalAcknowledgment !== null) {
      return c.body(receipt.functionalAcknowledgment.x12, 200, { "Content-Type": "application/edi-x12" });
    }
    return c.json(receipt);
  },
);
