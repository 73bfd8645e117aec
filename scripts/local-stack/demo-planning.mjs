// The planning demo (issue 15): recent daily sales and per-SKU planning settings, as SQL the
// first `npm start` loads straight into D1.

import { DEMO_SALES_END_DAY, categoryOf, dailySalesRows, demoSalesHistory } from "../demo-sales.mjs";
import { sqlString } from "./d1-local.mjs";
import { DEMO_SKU_COUNT, demoCatalogue } from "./demo-catalogue.mjs";
import { prng } from "./prng.mjs";

/** Days of the demo's sales history the first start loads into daily_sales (not all three years: the first start stays fast). */
export const DEMO_PLANNING_DAYS = 120;

/** A typical unit price per demo category (each SKU's price spreads ±30 % around it). */
const BASE_PRICE = {
  TENT: 180,
  PACK: 90,
  BAG: 70,
  STOVE: 60,
  LAMP: 35,
  SKI: 350,
  JACKET: 160,
  GLOVE: 30,
  HELMET: 80,
  BIKE: 900,
  LIGHT: 25,
  LOCK: 40,
  TYRE: 35,
  RUG: 120,
  MUG: 12,
  CHAIR: 150,
  BLOCKS: 30,
  PUZZLE: 20,
  DOLL: 25,
  BOOK: 15,
};

/**
 * SQL for the planning demo (issue 15): the last DEMO_PLANNING_DAYS days of the demo sales
 * history (scripts/demo-sales.mjs, split per location by `dailySalesRows`), moved so that its
 * last day is yesterday (so tonight's REORDER run forecasts from it), into `daily_sales`; and
 * each demo SKU's planning settings — its category (the id's middle part, as the demo derives
 * it), a unit price per category with a per-SKU spread, and a unit cost of 55 % of the price —
 * into `sku_planning`. Neither table references `skus`, so this runs before the catalogue is
 * seeded. ~400,000 rows; about 5 s of `wrangler d1 execute`.
 *
 * @param {{ days?: number, now?: number, skuCount?: number }} [options]
 */
export async function demoPlanningSql({ days = DEMO_PLANNING_DAYS, now = Date.now(), skuCount = DEMO_SKU_COUNT } = {}) {
  const DAY = 86_400_000;
  const dayNo = (iso) => Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY;
  const isoOf = (n) => new Date(n * DAY).toISOString().slice(0, 10);
  const end = dayNo(DEMO_SALES_END_DAY);
  const shift = Math.floor(now / DAY) - 1 - end;
  const catalogue = demoCatalogue(skuCount);
  const lines = [];
  const flush = (rows, head) => {
    for (let i = 0; i < rows.length; i += 500) lines.push(`${head} VALUES ${rows.slice(i, i + 500).join(",")};`);
  };
  const sales = [];
  for (const r of dailySalesRows(demoSalesHistory({ catalogue }), catalogue)) {
    const day = dayNo(r.day);
    if (day <= end - days) continue;
    sales.push(`(${sqlString(r.sku)},${sqlString(r.locationId)},'${isoOf(day + shift)}',${r.units},${r.units},${now})`);
  }
  flush(sales, "INSERT OR IGNORE INTO daily_sales (sku, location_id, day, units, fulfilments, updated_at)");
  const rnd = prng(20261129);
  const settings = catalogue.skus.map((s) => {
    const category = categoryOf(s.sku);
    const price = Math.round((BASE_PRICE[category] ?? 50) * (0.7 + 0.6 * rnd.next()) * 100) / 100;
    return `(${sqlString(s.sku)},${sqlString(category)},${price},${Math.round(price * 55) / 100},${now})`;
  });
  flush(settings, "INSERT OR IGNORE INTO sku_planning (sku, category, unit_price, unit_cost, updated_at)");
  return lines.join("\n") + "\n";
}
