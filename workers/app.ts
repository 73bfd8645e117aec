/**
 * The HTTP API: one Hono app, a sub-app per resource with its own auth, one error envelope.
 * Every route is defined once in its group (workers/http/route-table.ts); the groups are
 * mounted here through `routeTable`, which is what the OpenAPI document is built from.
 */
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./app-env";
import { dashboardCors } from "./http/cors";
import { docsPage, docsPagePolicy } from "./http/docs-page";
import { notFound, onError } from "./http/on-error";
import { RouteGroup, RouteTable } from "./http/route-table";
import { openApiDocument } from "./openapi";
import { allocations } from "./routes/allocations";
import { apiKeyRoutes } from "./routes/api-keys";
import { availability } from "./routes/availability";
import { inventory } from "./routes/inventory";
import { inventoryList } from "./routes/inventory-list";
import { locations } from "./routes/locations";
import { merchantFeeds } from "./routes/merchant-feeds";
import { me } from "./routes/me";
import { reservations } from "./routes/reservations";
import { skus } from "./routes/skus";
import { stockStates } from "./routes/stock-states";
import { transfers } from "./routes/transfers";
import { purchaseOrders } from "./routes/purchase-orders";
import { sync } from "./routes/sync";
import { syncIngest } from "./routes/sync-ingest";
import { vendors } from "./routes/vendors";
import { vendorSync } from "./routes/vendor-sync";
import { webhooks } from "./routes/webhooks";
import { alerts } from "./routes/alerts";
import { analytics } from "./routes/analytics";
import { dailySales } from "./routes/daily-sales";
import { readPartitions } from "./routes/read-partitions";
import { deadLetters } from "./routes/dead-letters";
import { diagnostics } from "./routes/diagnostics";
import { forecasts } from "./routes/forecasts";
import { planningSettings } from "./routes/planning-settings";
import { reorderSuggestions } from "./routes/reorder-suggestions";
import { vendorPlanningSettingsRoutes } from "./routes/vendor-planning-settings";

export const app = new Hono<AppEnv>();
/** Every mounted route group: the app's routes and the OpenAPI document's, from one place. */
export const routeTable = new RouteTable();

const OPENAPI_PATH = "/api/v2/openapi.json";

/** Liveness, the document and its reference page: public. */
const meta = new RouteGroup("meta");
meta.route(
  { method: "get", path: "/healthz", summary: "Liveness: the Worker answers", scopes: [], success: { status: 200, description: "{ok: true}" }, errors: [] },
  (c) => c.json({ ok: true }),
);
meta.route(
  { method: "get", path: OPENAPI_PATH, summary: "This OpenAPI 3.1 document", scopes: [], success: { status: 200, description: "the document" }, errors: [] },
  (c) => c.json(openApiDocument(routeTable)),
);
meta.route(
  {
    method: "get",
    path: "/api/v2/docs",
    summary: "Interactive reference to this document (a self-contained page: works offline)",
    scopes: [],
    success: { status: 200, description: "an HTML page", contentType: "text/html" },
    errors: [],
  },
  async (c) => c.html(docsPage(OPENAPI_PATH), 200, { "Content-Security-Policy": await docsPagePolicy() }),
);

app.use("*", requestId({ headerName: "X-Request-Id" }));
routeTable.mount(app, "/", meta);
// Public, key-less, `Access-Control-Allow-Origin: *`: mounted before the dashboard's CORS, so
// its handlers answer first and that middleware never touches them.
routeTable.mount(app, "/api/v2/availability", availability);
// Every other /api/v2 route (those still to come included) may be called from the dashboard's
// origins (DASHBOARD_ORIGINS); before the sub-apps, so a preflight is answered before any
// `authenticate`.
app.use("/api/v2/*", dashboardCors());
routeTable.mount(app, "/api/v2/me", me);
routeTable.mount(app, "/api/v2/inventory", inventoryList);
// Before `inventory`, whose `/:sku` routes would otherwise take "sync" as a SKU.
routeTable.mount(app, "/api/v2/inventory/sync", syncIngest);
routeTable.mount(app, "/api/v2/inventory", inventory);
routeTable.mount(app, "/api/v2/inventory", stockStates);
routeTable.mount(app, "/api/v2/transfers", transfers);
routeTable.mount(app, "/api/v2/purchase-orders", purchaseOrders);
routeTable.mount(app, "/api/v2/reservations", reservations);
routeTable.mount(app, "/api/v2/allocations", allocations);
routeTable.mount(app, "/api/v2/skus", skus);
routeTable.mount(app, "/api/v2/locations", locations);
// Before `vendors`, whose operators-only authenticate would refuse a vendor's own key.
routeTable.mount(app, "/api/v2/vendors", vendorSync);
routeTable.mount(app, "/api/v2/vendors", vendors);
routeTable.mount(app, "/api/v2/api-keys", apiKeyRoutes);
routeTable.mount(app, "/api/v2/webhooks", webhooks);
routeTable.mount(app, "/api/v2/sync", sync);
routeTable.mount(app, "/api/v2/feeds/merchant-center", merchantFeeds);
// Planning (issue 15).
routeTable.mount(app, "/api/v2/forecasts", forecasts);
routeTable.mount(app, "/api/v2/reorder-suggestions", reorderSuggestions);
routeTable.mount(app, "/api/v2/planning-settings", planningSettings);
routeTable.mount(app, "/api/v2/vendors", vendorPlanningSettingsRoutes);
routeTable.mount(app, "/api/v2/analytics", analytics);
routeTable.mount(app, "/api/v2/alerts", alerts);
routeTable.mount(app, "/api/v2/daily-sales", dailySales);
routeTable.mount(app, "/api/v2/dead-letters", deadLetters);
routeTable.mount(app, "/api/v2/read-partitions", readPartitions);
routeTable.mount(app, "/api/v2/diagnostics", diagnostics);
app.notFound(notFound);
app.onError(onError);
