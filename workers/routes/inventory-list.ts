/**
 * `GET /api/v2/inventory`: the stock list, read from the `inventory_levels` projection
 * (fed by the EVENTS consumer, so it trails the SKU objects by the queue's delay). Vendors
 * see their own SKUs; operators see all, optionally one vendor's. Mounted before the
 * `inventory` sub-app; its middleware is per route so it never runs for the other
 * `/api/v2/inventory/*` endpoints. Each row says `stale` when its vendor's sync health does
 * (services/inventory-list.ts: one lookup of the page's vendors, not one per row).
 */
import { RouteGroup } from "../http/route-table";
import { ApiError } from "../../services/api-error";
import type { LevelListRow } from "../../repositories/inventory-levels";
import { listLevelsWithStale } from "../../services/inventory-list";
import { encodeCursor } from "../../domain/schemas/cursor";
import { INVENTORY_LIST_CURSOR, InventoryListQuery } from "../../domain/schemas/inventory-list";

export const inventoryList = new RouteGroup("inventory");

function levelJson(row: LevelListRow & { stale: boolean }) {
  return {
    sku: row.sku,
    vendorId: row.vendorId,
    locationId: row.locationId,
    onHand: row.onHand,
    reserved: row.reserved,
    softHeld: row.softHeld,
    committed: row.committed,
    inTransit: row.inTransit,
    damaged: row.damaged,
    onHold: row.onHold,
    available: row.available,
    status: row.status,
    reorderPoint: row.reorderPoint,
    sequence: row.lastSequence,
    updatedAt: new Date(row.updatedAt).toISOString(),
    stale: row.stale,
  };
}

inventoryList.route(
  {
    method: "get",
    path: "/",
    reads: "replica",
    summary: "Stock list from the inventory_levels projection, cursor-paginated and filtered",
    scopes: ["operator", "vendor"],
    query: InventoryListQuery,
    success: { status: 200, description: "{items, nextCursor}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const query = input.query();
    const principal = c.get("principal");
    if (principal.scope === "vendor" && query.vendorId !== undefined && query.vendorId !== principal.vendorId) {
      throw new ApiError(403, "forbidden", "vendor keys list their own SKUs only", [
        { path: ["query", "vendorId"], message: "omit vendorId, or give your own" },
      ]);
    }
    const rows = await listLevelsWithStale(
      c.env,
      {
        vendorId: principal.scope === "vendor" ? principal.vendorId! : query.vendorId,
        locationId: query.locationId,
        status: query.status,
        lowStock: query.lowStock,
        updatedSince: query.updatedSince,
        skuPrefix: query.skuPrefix,
        after: query.cursor,
        limit: query.limit + 1,
      },
      Date.now(),
    );
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    c.header("Cache-Control", "private, no-store");
    return c.json({
      items: page.map(levelJson),
      nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(INVENTORY_LIST_CURSOR, [last.sku, last.locationId]) : null,
    });
  },
);
