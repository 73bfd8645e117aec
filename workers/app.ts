/**
 * The HTTP API: one Hono app, a sub-app per resource with its own auth, one error envelope.
 */
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./app-env";
import { dashboardCors } from "./http/cors";
import { notFound, onError } from "./http/on-error";
import { openApiDocument } from "./openapi";
import { allocations } from "./routes/allocations";
import { apiKeyRoutes } from "./routes/api-keys";
import { availability } from "./routes/availability";
import { inventory } from "./routes/inventory";
import { inventoryList } from "./routes/inventory-list";
import { locations } from "./routes/locations";
import { me } from "./routes/me";
import { reservations } from "./routes/reservations";
import { skus } from "./routes/skus";
import { stockStates } from "./routes/stock-states";
import { transfers } from "./routes/transfers";
import { purchaseOrders } from "./routes/purchase-orders";
import { sync } from "./routes/sync";
import { syncIngest } from "./routes/sync-ingest";
import { vendors } from "./routes/vendors";
import { webhooks } from "./routes/webhooks";
import { alerts } from "./routes/alerts";
import { analytics } from "./routes/analytics";
import { dailySales } from "./routes/daily-sales";
import { deadLetters } from "./routes/dead-letters";
import { forecasts } from "./routes/forecasts";
import { planningSettings } from "./routes/planning-settings";
import { reorderSuggestions } from "./routes/reorder-suggestions";

export const app = new Hono<AppEnv>();

app.use("*", requestId({ headerName: "X-Request-Id" }));
app.get("/healthz", (c) => c.json({ ok: true }));
app.get("/api/v2/openapi.json", (c) => c.json(openApiDocument()));
// Public, key-less, `Access-Control-Allow-Origin: *`: mounted before the dashboard's CORS, so
// its handlers answer first and that middleware never touches them.
app.route("/api/v2/availability", availability);
// Every other /api/v2 route (those still to come included) may be called from the dashboard's
// origins (DASHBOARD_ORIGINS); before the sub-apps, so a preflight is answered before any
// `authenticate`.
app.use("/api/v2/*", dashboardCors());
app.route("/api/v2/me", me);
app.route("/api/v2/inventory", inventoryList);
// Before `inventory`, whose `/:sku` routes would otherwise take "sync" as a SKU.
app.route("/api/v2/inventory/sync", syncIngest);
app.route("/api/v2/inventory", inventory);
app.route("/api/v2/inventory", stockStates);
app.route("/api/v2/transfers", transfers);
app.route("/api/v2/purchase-orders", purchaseOrders);
app.route("/api/v2/reservations", reservations);
app.route("/api/v2/allocations", allocations);
app.route("/api/v2/skus", skus);
app.route("/api/v2/locations", locations);
app.route("/api/v2/vendors", vendors);
app.route("/api/v2/api-keys", apiKeyRoutes);
app.route("/api/v2/webhooks", webhooks);
app.route("/api/v2/sync", sync);
// Planning (issue 15).
app.route("/api/v2/forecasts", forecasts);
app.route("/api/v2/reorder-suggestions", reorderSuggestions);
app.route("/api/v2/planning-settings", planningSettings);
app.route("/api/v2/analytics", analytics);
app.route("/api/v2/alerts", alerts);
app.route("/api/v2/daily-sales", dailySales);
app.route("/api/v2/dead-letters", deadLetters);
app.notFound(notFound);
app.onError(onError);
