/**
 * `/api/v2/reorder-suggestions`: what the REORDER job suggests ordering (drafts until
 * purchase orders exist), listed by vendor and location, and their dismissal. Operators;
 * vendors list their own SKUs' suggestions.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { actorOf } from "../auth/principal";
import { ApiError } from "../http/api-error";
import { readParam, readQuery } from "../http/read-input";
import { dismissSuggestion, findSuggestion, listSuggestions, type SuggestionRow } from "../repositories/planning";
import { encodeCursor } from "../schemas/cursor";
import { SUGGESTIONS_CURSOR, SuggestionId, SuggestionListQuery } from "../schemas/planning";
import { listVendor } from "./planning-access";

export const reorderSuggestions = new Hono<AppEnv>();
reorderSuggestions.use("*", authenticate("operator", "vendor"));
reorderSuggestions.use("*", async (c, next) => {
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

reorderSuggestions.get("/", async (c) => {
  const q = readQuery(c, SuggestionListQuery);
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
});

reorderSuggestions.post("/:id/dismiss", authenticate("operator"), async (c) => {
  const id = readParam(c, "id", SuggestionId);
  const found = await findSuggestion(c.env.DB, id);
  if (found === null) throw new ApiError(404, "suggestion_not_found", `no reorder suggestion ${id}`, { id });
  if (found.status !== "open" && found.status !== "dismissed") {
    throw new ApiError(409, "suggestion_closed", `the suggestion is ${found.status}; only open ones can be dismissed`, { id, status: found.status });
  }
  // Dismissing a dismissed suggestion again is a no-op that answers the same.
  if (found.status === "open") await dismissSuggestion(c.env.DB, id, actorOf(c.get("principal")), Date.now());
  return c.json(suggestionJson((await findSuggestion(c.env.DB, id))!));
});
