/**
 * `GET /api/v2/forecasts/{sku}`: a SKU's demand forecast from its stored model (fitted by the
 * REORDER job): daily values with 80 %/95 % intervals, 7/30/90-day totals, the expected
 * stockout day, the method and why, and the last replenishment plan (safety stock, reorder
 * point, EOQ, order quantity). Operators; vendors for their own SKUs.
 */
import { RouteGroup } from "../http/route-table";
import { forecastDemand, type ForecastModel } from "../../domain/forecasting";
import { ApiError } from "../../services/api-error";
import { findForecasts, planningSkus } from "../../repositories/planning";
import { vendorReadDb } from "../../repositories/read-partitions";
import { SkuId } from "../../domain/schemas/common";
import { ForecastQuery } from "../../domain/schemas/planning";
import { assertOwns } from "./planning-access";

export const forecasts = new RouteGroup("planning", ["operator", "vendor"]);

forecasts.route(
  {
    method: "get",
    path: "/:sku",
    summary:
      "A SKU's demand forecast: daily values with 80/95 % intervals, 7/30/90-day totals, expected stockout, method and reason, and the last replenishment plan (safety stock, reorder point, EOQ)",
    scopes: ["operator", "vendor"],
    params: { sku: SkuId },
    query: ForecastQuery,
    success: { status: 200, description: "the forecast" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const sku = input.param("sku");
    const query = input.query();
    const master = (await planningSkus(c.env, [sku])).get(sku);
    if (master === undefined) throw new ApiError(404, "sku_not_found", `no SKU ${sku}`, { sku });
    assertOwns(c.get("principal"), master.vendorId, sku);
    // The forecast is in the read database of the SKU's vendor (issue 19 item 2).
    const stored = (await findForecasts(await vendorReadDb(c.env, master.vendorId), [sku])).get(sku);
    if (stored === undefined)
      throw new ApiError(404, "forecast_not_found", `no forecast for ${sku} yet: the nightly REORDER run (or a low-stock event) makes one`, { sku });
    const model = JSON.parse(stored.model) as ForecastModel;
    const forecast = forecastDemand(model, query.days);
    c.header("Cache-Control", "private, no-store");
    return c.json({
      sku,
      vendorId: stored.vendorId,
      origin: stored.origin,
      fittedAt: new Date(stored.fittedAt).toISOString(),
      method: stored.method,
      reason: stored.reason,
      demandClass: stored.demandClass,
      pool: model.pool,
      horizons: JSON.parse(stored.horizons) as unknown,
      days: forecast.days,
      stockout: { day: stored.stockoutDay, daysUntil: stored.daysUntilStockout, stockPosition: stored.stockPosition },
      plan: stored.plan === null ? null : (JSON.parse(stored.plan) as unknown),
      plannedAt: stored.plannedAt === null ? null : new Date(stored.plannedAt).toISOString(),
    });
  },
);
