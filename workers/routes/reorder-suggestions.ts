/**
 * `/api/v2/reorder-suggestions`: what the REORDER job suggests ordering, listed by vendor and
 * location, their dismissal, and a vendor × location group's open suggestions drafted into one
 * purchase order (issue 14's `draft`; an operator submits it). Operators; vendors list their
 * own SKUs' suggestions.
 */
import { RouteGroup } from "../http/route-table";
import { actorOf } from "../../services/principal";
import { ApiError } from "../../services/api-error";
import { acceptSuggestions, dismissSuggestion, findSuggestion, listSuggestions, type SuggestionRow } from "../../repositories/planning";
import { PO_LINES_MAX } from "../../domain/schemas/purchase-orders";
import { createPurchaseOrder, purchaseOrderView } from "../../services/purchase-orders";
import { encodeCursor } from "../../domain/schemas/cursor";
import { DraftPurchaseOrderBody, SUGGESTIONS_CURSOR, SuggestionId, SuggestionListQuery } from "../../domain/schemas/planning";
import { BODY_LIMITS } from "./limits";
import { listVendor } from "./planning-access";

export const reorderSuggestions = new RouteGroup("planning", ["operator", "vendor"]);
reorderSuggestions.app.use("*", async (c, next) => {
  c.header("Cache-Control", "private, no-store");
  await next();
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function suggestionJson(r: SuggestionRow) {
  return {
    id: r.id,
    sku: r.sku,
    vendorId: r.vendorId,
    locationId: r.locationId,
    status: r.status,
    urgency: r.urgency,
    quantity: r.quantity,
    stockPosition: r.stockPosition,
    reorderPoint: r.reorderPoint,
    safetyStock: r.safetyStock,
    economicOrderQuantity: r.economicOrderQuantity,
    stockoutDay: r.stockoutDay,
    daysUntilStockout: r.daysUntilStockout,
    origin: r.origin,
    unitCost: r.unitCost,
    estimatedCost: r.unitCost === null ? null : r.unitCost * r.quantity,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    closedAt: iso(r.closedAt),
    closedBy: r.closedBy,
  };
}

reorderSuggestions.route(
  {
    method: "get",
    path: "/",
    summary: "Reorder suggestions (drafts) by vendor and location, filtered, cursor-paginated",
    scopes: ["operator", "vendor"],
    query: SuggestionListQuery,
    success: { status: 200, description: "{items, nextCursor}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const q = input.query();
    const rows = await listSuggestions(c.env.DB, {
      status: q.status,
      vendorId: listVendor(c.get("principal"), q.vendorId),
      locationId: q.locationId,
      urgency: q.urgency,
      sku: q.sku,
      after: q.cursor,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return c.json({
      items: page.map(suggestionJson),
      nextCursor: rows.length > q.limit && last !== undefined ? encodeCursor(SUGGESTIONS_CURSOR, [last.vendorId, last.locationId ?? "", last.id]) : null,
    });
  },
);

reorderSuggestions.route(
  {
    method: "post",
    path: "/:id/dismiss",
    summary: "Dismiss an open reorder suggestion (no new one for the SKU for 7 days)",
    scopes: ["operator"],
    params: { id: SuggestionId },
    success: { status: 200, description: "the suggestion" },
    errors: [400, 401, 403, 404, 409],
  },
  async (c, input) => {
    const id = input.param("id");
    const found = await findSuggestion(c.env.DB, id);
    if (found === null) throw new ApiError(404, "suggestion_not_found", `no reorder suggestion ${id}`, { id });
    if (found.status !== "open" && found.status !== "dismissed") {
      throw new ApiError(409, "suggestion_closed", `the suggestion is ${found.status}; only open ones can be dismissed`, { id, status: found.status });
    }
    // Dismissing a dismissed suggestion again is a no-op that answers the same.
    if (found.status === "open") await dismissSuggestion(c.env.DB, id, actorOf(c.get("principal")), Date.now());
    return c.json(suggestionJson((await findSuggestion(c.env.DB, id))!));
  },
);

/**
 * Drafts one purchase order from the open suggestions of a vendor and receiving location
 * (up to PO_LINES_MAX, most urgent first) and marks them accepted. Idempotent: the PO's
 * Idempotency-Key is derived from the suggestions it takes, so a retry after a failure between
 * the two writes replays the same draft and finishes the marking; with nothing open, 409.
 */
reorderSuggestions.route(
  {
    method: "post",
    path: "/draft-purchase-order",
    summary: "Draft one purchase order from a vendor × location's open suggestions (most urgent first) and mark them accepted",
    scopes: ["operator"],
    body: DraftPurchaseOrderBody,
    maxBytes: BODY_LIMITS.action,
    success: { status: 201, description: "{purchaseOrder, accepted, left}" },
    errors: [400, 401, 403, 409, 413, 415],
  },
  async (c, input) => {
    const body = await input.body();
    const open = await listSuggestions(c.env.DB, { status: "open", vendorId: body.vendorId, locationId: body.locationId, limit: 10_000 });
    const rank = { critical: 0, high: 1, medium: 2, low: 3, none: 4 } as Record<string, number>;
    const take = open.sort((a, b) => (rank[a.urgency] ?? 9) - (rank[b.urgency] ?? 9) || (a.sku < b.sku ? -1 : 1)).slice(0, PO_LINES_MAX);
    if (take.length === 0) {
      throw new ApiError(409, "nothing_to_order", `no open reorder suggestions for vendor ${body.vendorId} at ${body.locationId}`, body);
    }
    const key = `reorder:${take
      .map((s) => s.id)
      .sort()
      .join(",")}`;
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
    const idempotencyKey = `reorder-${[...digest]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("")
      .slice(0, 40)}`;
    const { po } = await createPurchaseOrder(
      c.env,
      c.get("principal"),
      {
        vendorId: body.vendorId,
        locationId: body.locationId,
        reference: "reorder suggestions",
        lines: take.map((s) => ({ sku: s.sku, quantity: s.quantity })),
      },
      idempotencyKey,
    );
    await acceptSuggestions(
      c.env.DB,
      take.map((s) => s.id),
      po.id,
      Date.now(),
    );
    return c.json({ purchaseOrder: purchaseOrderView(po), accepted: take.map((s) => s.id), left: open.length - take.length }, 201);
  },
);
