/**
 * `/api/v2/analytics`: ABC classes, turnover, the stock health score and stock movement
 * (overstock, slow-moving), for the `days` up to yesterday, and rebalancing transfers between
 * locations (with a one-click draft of a cheap one). Operators (all SKUs or one vendor's);
 * vendor keys their own SKUs.
 */
import { RouteGroup } from "../http/route-table";
import { AnalyticsQuery, RebalancingDraftBody, RebalancingQuery } from "../../domain/schemas/planning";
import {
  abcAnalysis,
  draftRebalancingTransfer,
  healthAnalysis,
  rebalancingAnalysis,
  stockMovementAnalysis,
  turnoverAnalysis,
} from "../../services/planning-analytics";
import { transferView } from "../../services/transfers";
import { BODY_LIMITS } from "./limits";
import { listVendor } from "./planning-access";

export const analytics = new RouteGroup("analytics", ["operator", "vendor"]);
analytics.app.use("*", async (c, next) => {
  c.header("Cache-Control", "private, no-store");
  await next();
});

const scopes = ["operator", "vendor"] as const;

/** The period analyses: the same query (vendor, days, limit), one service call each. */
const PERIOD_ANALYSES = [
  { path: "/abc", summary: "ABC classes by revenue over the period", description: "{summary, items}", run: abcAnalysis },
  {
    path: "/turnover",
    summary: "Inventory turnover and days of inventory, and the slowest SKUs",
    description: "{turnover, daysOfInventory, slowest}",
    run: turnoverAnalysis,
  },
  {
    path: "/health",
    summary: "Stock health score (0–100) with its five components",
    description: "{score, grade, components}",
    run: (env: Env, period: Parameters<typeof healthAnalysis>[1]) => healthAnalysis(env, period),
  },
  { path: "/stock-movement", summary: "Overstock and slow-moving SKUs", description: "{counts, items}", run: stockMovementAnalysis },
] as const;

for (const analysis of PERIOD_ANALYSES) {
  analytics.route(
    {
      method: "get",
      path: analysis.path,
      reads: "replica",
      summary: analysis.summary,
      scopes,
      query: AnalyticsQuery,
      success: { status: 200, description: analysis.description },
      errors: [400, 401, 403],
    },
    async (c, input) => {
      const q = input.query();
      return c.json(await analysis.run(c.env, { vendorId: listVendor(c.get("principal"), q.vendorId), days: q.days, now: Date.now() }, q.limit));
    },
  );
}

analytics.route(
  {
    method: "get",
    path: "/rebalancing",
    summary: "Suggested transfers: a location short against its share of the forecast while another holds excess, with the transfer's cost",
    scopes,
    query: RebalancingQuery,
    success: { status: 200, description: "{asOf, skus, items}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const q = input.query();
    const result = await rebalancingAnalysis(c.env, { vendorId: listVendor(c.get("principal"), q.vendorId), sku: q.sku, days: q.days, now: Date.now() });
    return c.json({ ...result, items: result.items.slice(0, q.limit) });
  },
);

analytics.route(
  {
    method: "post",
    path: "/rebalancing/draft-transfer",
    summary: "Draft the suggested transfer of a SKU between two locations, if it is suggested now and cheap (nothing moves until it is shipped)",
    scopes: ["operator"],
    body: RebalancingDraftBody,
    maxBytes: BODY_LIMITS.action,
    success: { status: 201, description: "{transfer, suggestion, replayed} (a repeat the same day answers the same draft, replayed: true)" },
    errors: [400, 401, 403, 409, 413, 415],
  },
  async (c, input) => {
    const { transfer, suggestion, replayed } = await draftRebalancingTransfer(c.env, c.get("principal"), await input.body(), Date.now());
    return c.json({ transfer: transferView(transfer), suggestion, replayed }, 201);
  },
);
