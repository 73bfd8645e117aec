/**
 * `/api/v2/analytics`: ABC classes, turnover, the stock health score and stock movement
 * (overstock, slow-moving), for the `days` up to yesterday. Operators (all SKUs or one
 * vendor's); vendor keys their own SKUs.
 */
import { RouteGroup } from "../http/route-table";
import { AnalyticsQuery } from "../../domain/schemas/planning";
import { abcAnalysis, healthAnalysis, stockMovementAnalysis, turnoverAnalysis } from "../../services/planning-analytics";
import { listVendor } from "./planning-access";

export const analytics = new RouteGroup("analytics", ["operator", "vendor"]);
analytics.app.use("*", async (c, next) => {
  c.header("Cache-Control", "private, no-store");
  await next();
});

const scopes = ["operator", "vendor"] as const;

analytics.route(
  {
    method: "get",
    path: "/abc",
    summary: "ABC classes by revenue over the period",
    scopes,
    query: AnalyticsQuery,
    success: { status: 200, description: "{summary, items}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const q = input.query();
    return c.json(await abcAnalysis(c.env.DB, { vendorId: listVendor(c.get("principal"), q.vendorId), days: q.days, now: Date.now() }, q.limit));
  },
);

analytics.route(
  {
    method: "get",
    path: "/turnover",
    summary: "Inventory turnover and days of inventory, and the slowest SKUs",
    scopes,
    query: AnalyticsQuery,
    success: { status: 200, description: "{turnover, daysOfInventory, slowest}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const q = input.query();
    return c.json(await turnoverAnalysis(c.env.DB, { vendorId: listVendor(c.get("principal"), q.vendorId), days: q.days, now: Date.now() }, q.limit));
  },
);

analytics.route(
  {
    method: "get",
    path: "/health",
    summary: "Stock health score (0–100) with its five components",
    scopes,
    query: AnalyticsQuery,
    success: { status: 200, description: "{score, grade, components}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const q = input.query();
    return c.json(await healthAnalysis(c.env.DB, { vendorId: listVendor(c.get("principal"), q.vendorId), days: q.days, now: Date.now() }));
  },
);

analytics.route(
  {
    method: "get",
    path: "/stock-movement",
    summary: "Overstock and slow-moving SKUs",
    scopes,
    query: AnalyticsQuery,
    success: { status: 200, description: "{counts, items}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const q = input.query();
    return c.json(await stockMovementAnalysis(c.env.DB, { vendorId: listVendor(c.get("principal"), q.vendorId), days: q.days, now: Date.now() }, q.limit));
  },
);
