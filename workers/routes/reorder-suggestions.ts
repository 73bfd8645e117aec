/**
 * `/api/v2/reorder-suggestions`: what the REORDER job suggests ordering, listed by vendor and
 * location, their dismissal, and a vendor × location group's open suggestions drafted into one
 * purchase order by hand (issue 14's `draft`; an operator submits it; the nightly run drafts
 * them by itself, services/reorder-drafts.ts). Operators; vendors list their own SKUs' suggestions.
 */
import { RouteGroup } from "../http/route-table";
import { actorOf } from "../../services/principal";
import { ApiError } from "../../services/api-error";
import type { SuggestionRow } from "../../repositories/planning";
import { purchaseOrderView } from "../../services/purchase-orders";
import { dismissLocated, draftForOperator, listSuggestionsAcross, locateSuggestion } from "../../services/reorder-drafts";
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
    reads: "replica",
    summary: "Reorder suggestions (drafts) by vendor and location, filtered, cursor-paginated",
    scopes: ["operator", "vendor"],
    query: SuggestionListQuery,
    success: { status: 200, description: "{items, nextCursor}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const q = input.query();
    // A vendor's suggestions are in its read database; everyone's are merged from all of them.
    const rows = await listSuggestionsAcross(c.env, {
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
    // No vendor is named: the suggestion is looked for in every read database.
    const located = await locateSuggestion(c.env, id);
    if (located === null) throw new ApiError(404, "suggestion_not_found", `no reorder suggestion ${id}`, { id });
    const found = located.suggestion;
    if (found.status !== "open" && found.status !== "dismissed") {
      throw new ApiError(409, "suggestion_closed", `the suggestion is ${found.status}; only open ones can be dismissed`, { id, status: found.status });
    }
    // Dismissing a dismissed suggestion again is a no-op that answers the same.
    if (found.status === "dismissed") return c.json(suggestionJson(found));
    return c.json(suggestionJson(await dismissLocated(c.env, located, actorOf(c.get("principal")), Date.now())));
  },
);

/**
 * Drafts one purchase order from the open suggestions of a vendor and receiving location
 * (services/reorder-drafts.ts: up to PO_LINES_MAX, most urgent first, claimed then linked, a
 * retry replays the same order); it stays a draft for an operator to submit. Nothing open: 409.
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
    const outcome = await draftForOperator(c.env, c.get("principal"), { vendorId: body.vendorId, locationId: body.locationId });
    return c.json({ purchaseOrder: purchaseOrderView(outcome.purchaseOrder), accepted: outcome.accepted, left: outcome.left }, 201);
  },
);
