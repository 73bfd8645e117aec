// The planning demo (issue 15): recent daily sales and per-SKU planning settings, as SQL the
// first `npm start` loads straight into D1 — both into the read database of each SKU's vendor
// (the features' tables split by vendor, issue 19 item 2).

import { join } from "node:path";
import { DEMO_SALES_END_DAY, categoryOf, dailySalesRows, demoSalesHistory } from "../demo-sales.mjs";
import { readDatabaseBindings, sqlString } from "./d1-local.mjs";
import { ROOT } from "./wrangler-cli.mjs";
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
 * A function from a vendor id to the read database binding (`READ_<p>`) that holds its read
 * model: its home partition over wrangler.toml's READ_<i> bindings. The placement rule (a
 * jump hash) exists only in TypeScript (domain/read-partitions.ts), so it is bundled with
 * esbuild (as bench/partition-balance.mjs does) and called, rather than copied here where it
 * could drift. A vendor pinned by `vendors.read_partition` is not a case here: the demo
 * vendors are created by the seed of the same first start, unpinned.
 */
export async function demoReadDatabases() {
  // esbuild comes with wrangler (as for the benchmark's scripts); loaded only on a first start.
  const { build } = await import("esbuild");
  const out = await build({
    entryPoints: [join(ROOT, "domain", "read-partitions.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    write: false,
    logLevel: "error",
  });
  const { homeReadPartition } = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);
  const m = readDatabaseBindings().length;
  return (vendorId) => `READ_${homeReadPartition(vendorId, m)}`;
}

/**
 * SQL for the planning demo (issue 15), per database binding: the last DEMO_PLANNING_DAYS days of the demo sales
 * history (scripts/demo-sales.mjs, split per location by `dailySalesRows`), moved so that its
 * last day is yesterday (so tonight's REORDER run forecasts from it), into `daily_sales` in the
 * read database of each SKU's vendor (`demoReadDatabases`); and each demo SKU's
 * planning settings — its category (the id's middle part, as the demo derives it), a unit
 * price per category with a per-SKU spread, and a unit cost of 55 % of the price — into
 * `sku_planning` in the same read database. Neither table references `skus`, so this runs
 * before the catalogue is seeded (the SKUs' `read_sku_facts` follow when the seed creates
 * them). ~400,000 rows; about 5 s of `wrangler d1 execute`.
 *
 * @param {{ days?: number, now?: number, skuCount?: number }} [options]
 * @returns {Promise<{database: string, sql: string}[]>} one step per read database (`READ_<p>`, in order): its sales, then its settings.
 */
export async function demoPlanningSql({ days = DEMO_PLANNING_DAYS, now = Date.now(), skuCount = DEMO_SKU_COUNT } = {}) {
  const DAY = 86_400_000;
  const dayNo = (iso) => Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY;
  const isoOf = (n) => new Date(n * DAY).toISOString().slice(0, 10);
  const end = dayNo(DEMO_SALES_END_DAY);
  const shift = Math.floor(now / DAY) - 1 - end;
  const catalogue = demoCatalogue(skuCount);
  const flush = (rows, head) => {
    const lines = [];
    for (let i = 0; i < rows.length; i += 500) lines.push(`${head} VALUES ${rows.slice(i, i + 500).join(",")};`);
    return `${lines.join("\n")}\n`;
  };
  const readDatabaseOf = await demoReadDatabases();
  const databaseOfSku = new Map(catalogue.skus.map((s) => [s.sku, readDatabaseOf(s.vendorId)]));
  /** Rows per read database. */
  const sales = new Map();
  for (const r of dailySalesRows(demoSalesHistory({ catalogue }), catalogue)) {
    const day = dayNo(r.day);
    if (day <= end - days) continue;
    const database = databaseOfSku.get(r.sku);
    if (!sales.has(database)) sales.set(database, []);
    sales.get(database).push(`(${sqlString(r.sku)},${sqlString(r.locationId)},'${isoOf(day + shift)}',${r.units},${r.units},${now})`);
  }
  const rnd = prng(20261129);
  /** Settings rows per read database (the same prices as before the split: one draw per SKU in catalogue order). */
  const settings = new Map();
  for (const s of catalogue.skus) {
    const category = categoryOf(s.sku);
    const price = Math.round((BASE_PRICE[category] ?? 50) * (0.7 + 0.6 * rnd.next()) * 100) / 100;
    const database = databaseOfSku.get(s.sku);
    if (!settings.has(database)) settings.set(database, []);
    settings.get(database).push(`(${sqlString(s.sku)},${sqlString(category)},${price},${Math.round(price * 55) / 100},${now})`);
  }
  return [...new Set([...sales.keys(), ...settings.keys()])].sort().map((database) => ({
    database,
    sql:
      flush(sales.get(database) ?? [], "INSERT OR IGNORE INTO daily_sales (sku, location_id, day, units, fulfilments, updated_at)") +
      flush(settings.get(database) ?? [], "INSERT OR IGNORE INTO sku_planning (sku, category, unit_price, unit_cost, updated_at)"),
  }));
}
