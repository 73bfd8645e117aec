/**
 * `GET /api/v2/daily-sales?sku=&from=&to=`: a SKU's units shipped per UTC day and location
 * (the `daily_sales` read model; default the last 30 days up to yesterday, at most 400 days).
 * Operators; vendors for their own SKUs.
 */
import { RouteGroup } from "../http/route-table";
import { dayNumber, isoDay } from "../../domain/forecasting/calendar";
import { ApiError } from "../../services/api-error";
import { planningSkus } from "../../repositories/planning";
import { dailySalesOf } from "../../repositories/planning-analytics";
import { vendorReadDb } from "../../repositories/read-partitions";
import { DailySalesQuery } from "../../domain/schemas/planning";
import { originBefore } from "../../services/reorder-planning";
import { assertOwns } from "./planning-access";

/** Longest range one request may ask for, in days. */
export const DAILY_SALES_MAX_DAYS = 400;

export const dailySales = new RouteGroup("planning", ["operator", "vendor"]);

dailySales.route(
  {
    method: "get",
    path: "/",
    reads: "replica",
    summary: "A SKU's units shipped per day and location (default the last 30 days, at most 400)",
    scopes: ["operator", "vendor"],
    query: DailySalesQuery,
    success: { status: 200, description: "{sku, from, to, totalUnits, days}" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const q = input.query();
    const to = q.to ?? (q.from !== undefined ? isoDay(dayNumber(q.from) + 29) : originBefore(Date.now()));
    const from = q.from ?? isoDay(dayNumber(to) - 29);
    if (dayNumber(to) - dayNumber(from) + 1 > DAILY_SALES_MAX_DAYS) {
      throw ApiError.invalid("invalid query string", [
        { path: ["query", "to"], message: `at most ${DAILY_SALES_MAX_DAYS} days from from to to`, code: "too_big" },
      ]);
    }
    const master = (await planningSkus(c.env, [q.sku])).get(q.sku);
    if (master === undefined) throw new ApiError(404, "sku_not_found", `no SKU ${q.sku}`, { sku: q.sku });
    assertOwns(c.get("principal"), master.vendorId, q.sku);
    // daily_sales is in the read database of the SKU's vendor (issue 19 item 2).
    const rows = await dailySalesOf(await vendorReadDb(c.env, master.vendorId), q.sku, from, to);
    const days = new Map<string, { day: string; units: number; locations: { locationId: string; units: number; fulfilments: number }[] }>();
    for (const r of rows) {
      let d = days.get(r.day);
      if (d === undefined) days.set(r.day, (d = { day: r.day, units: 0, locations: [] }));
      d.units += r.units;
      d.locations.push({ locationId: r.locationId, units: r.units, fulfilments: r.fulfilments });
    }
    c.header("Cache-Control", "private, no-store");
    return c.json({ sku: q.sku, from, to, totalUnits: rows.reduce((s, r) => s + r.units, 0), days: [...days.values()] });
  },
);
