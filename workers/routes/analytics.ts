/**
 * `/api/v2/analytics`: ABC classes, turnover, the stock health score and stock movement
 * (overstock, slow-moving), for the `days` up to yesterday. Operators (all SKUs or one
 * vendor's); vendor keys their own SKUs.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { readQuery } from "../http/read-input";
import { AnalyticsQuery } from "../../domain/schemas/planning";
import { abcAnalysis, healthAnalysis, stockMovementAnalysis, turnoverAnalysis } from "../../services/planning-analytics";
import { listVendor } from "./planning-access";

export const analytics = new Hono<AppEnv>();
analytics.use("*", authenticate("operator", "vendor"));
analytics.use("*", async (c, next) => {
  c.header("Cache-Control", "private, no-store");
  await next();
});

analytics.get("/abc", async (c) => {
  const q = readQuery(c, AnalyticsQuery);
  return c.json(await abcAnalysis(c.env.DB, { vendorId: listVendor(c.get("principal"), q.vendorId), days: q.days, now: Date.now() }, q.limit));
});

analytics.get("/turnover", async (c) => {
  const q = readQuery(c, AnalyticsQuery);
  return c.json(await turnoverAnalysis(c.env.DB, { vendorId: listVendor(c.get("principal"), q.vendorId), days: q.days, now: Date.now() }, q.limit));
});

analytics.get("/health", async (c) => {
  const q = readQuery(c, AnalyticsQuery);
  return c.json(await healthAnalysis(c.env.DB, { vendorId: listVendor(c.get("principal"), q.vendorId), days: q.days, now: Date.now() }));
});

analytics.get("/stock-movement", async (c) => {
  const q = readQuery(c, AnalyticsQuery);
  return c.json(await stockMovementAnalysis(c.env.DB, { vendorId: listVendor(c.get("principal"), q.vendorId), days: q.days, now: Date.now() }, q.limit));
});
