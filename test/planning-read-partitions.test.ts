/**
 * Planning over the partitioned read model (issue 19 item 2): the analytics and the REORDER
 * job read and write `daily_sales`, `inventory_levels` and `alerts` in the read database of
 * each SKU's vendor, never in `DB`.
 *
 * Proves, with three vendors in three different read databases (V1 → READ_1, V4 → READ_0,
 * V6 → READ_3 by the jump hash over M = 4; checked first):
 * - operator-wide analytics combine every read database, and give exactly the per-vendor
 *   numbers summed (revenue, COGS, inventory value, stockout SKU-days);
 * - a vendor's analytics read only its own database, and rows of a SKU lying in a database
 *   that is not its vendor's (a moved vendor's old copy, before it is deleted) count nowhere;
 * - the REORDER job writes a SKU's forecast and movement alert into its vendor's database, in
 *   one batch; when that database fails, the job fails (the message is retried) having written
 *   nothing there, the retry converges to what one clean run leaves, and a further run changes nothing.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { dayNumber, isoDay } from "../domain/forecasting/calendar";
import { homeReadPartition } from "../repositories/read-partitions";
import { planSkus } from "../services/reorder-planning";
import { eventually, withEnv } from "./support/event-fixtures";
import { api, createSku, seedBasics, setOnHand, type Keys } from "./support/fixtures";
import { writeSales, writeSettings, yesterday } from "./support/planning-fixtures";
import { allReadDbs, queryAllReadDbs, readDbOfSku } from "./support/read-model";

const DAY = 86_400_000;
let keys: Keys;

/** The 30-day window of `?days=30` (as services/planning-analytics.ts computes it). */
const windowStartMs = () => dayNumber(isoDay(dayNumber(yesterday()) - 29)) * DAY;

/** An `out_of_stock` alert of `sku`, `days` long from the second day of the window, in `db`. */
async function stockout(db: D1Database, sku: string, days: number): Promise<void> {
  const opened = windowStartMs() + DAY;
  await db
    .prepare(
      `INSERT INTO alerts (id, sku, kind, status, available, reorder_point, opened_at, updated_at, resolved_at, opened_event_id, last_event_id, last_sequence)
       VALUES (?, ?, 'out_of_stock', 'resolved', 0, 0, ?, ?, ?, 'e', 'e', 1)`,
    )
    .bind(`alr_${sku.toLowerCase().replace(/[^a-z0-9]/g, "")}_${days}`, sku, opened, opened + days * DAY, opened + days * DAY)
    .run();
}

const stockoutValue = (health: { components: { name: string; value: number | null }[] }) => health.components.find((c) => c.name === "stockout")!.value;

beforeAll(async () => {
  keys = await seedBasics();
  await env.DB.prepare("INSERT INTO vendors (id, name) VALUES ('V4', 'Vendor Four'), ('V6', 'Vendor Six')").run();
  // PR-1 (V1) sells 10 a day, PR-4 (V4) 2, PR-6 (V6) 4; all at cost 2, price 5.
  for (const [sku, vendorId, perDay] of [
    ["PR-1", "V1", 10],
    ["PR-4", "V4", 2],
    ["PR-6", "V6", 4],
  ] as const) {
    await createSku(sku, { vendorId });
    await writeSettings(sku, { unitCost: 2, unitPrice: 5 });
    await writeSales(sku, "L1", 30, () => perDay);
  }
  await setOnHand(keys, "PR-4", "L1", 7);
  await setOnHand(keys, "PR-6", "L1", 11);
  for (const [sku, onHand] of [
    ["PR-4", 7],
    ["PR-6", 11],
  ] as const) {
    await eventually(async () => {
      const r = await (await readDbOfSku(sku)).prepare("SELECT on_hand FROM inventory_levels WHERE sku = ?").bind(sku).first<{ on_hand: number }>();
      return r?.on_hand === onHand ? true : undefined;
    }, `${sku} projected`);
  }
  // Out of stock: PR-1 2 days, PR-4 1 day, PR-6 3 days, each in its vendor's database.
  await stockout(await readDbOfSku("PR-1"), "PR-1", 2);
  await stockout(await readDbOfSku("PR-4"), "PR-4", 1);
  await stockout(await readDbOfSku("PR-6"), "PR-6", 3);
  // READ_2 is nobody's here: copies of PR-4's and PR-6's rows left there (with their facts,
  // as a moved vendor's old database holds them until they are deleted) must count nowhere.
  const stray = allReadDbs()[2]!;
  await stray.batch([
    ...["PR-4", "PR-6"].map((sku, i) =>
      stray
        .prepare(
          `INSERT INTO skus (sku, vendor_id, product_id, name, status, reorder_point, safety_stock, lead_time_days, allow_backorder, updated_at)
           VALUES (?, ?, ?, ?, 'active', 0, 0, 7, 0, 0)`,
        )
        .bind(sku, i === 0 ? "V4" : "V6", `P-${sku}`, `SKU ${sku}`),
    ),
    stray.prepare("INSERT INTO daily_sales (sku, location_id, day, units, fulfilments, updated_at) VALUES ('PR-6', 'L1', ?, 100, 1, 0)").bind(yesterday()),
    stray.prepare(
      `INSERT INTO inventory_levels (sku, location_id, on_hand, reserved, soft_held, committed, in_transit, damaged, on_hold, available, status, last_sequence, last_event_id, updated_at, projected_at)
       VALUES ('PR-4', 'L1', 1000, 0, 0, 0, 0, 0, 0, 1000, 'in_stock', 1, 'e', 0, 0)`,
    ),
  ]);
  await stockout(stray, "PR-4", 5);
});

describe("analytics over the read databases", () => {
  it("the vendors live in three different read databases (the premise)", () => {
    const m = allReadDbs().length;
    expect(m).toBe(4);
    expect(["V1", "V4", "V6"].map((v) => homeReadPartition(v, m))).toEqual([1, 0, 3]);
  });

  it("operator-wide numbers combine every database and equal the vendors' summed; stray copies count nowhere", async () => {
    const abc = await api("GET", "/api/v2/analytics/abc?days=30", { key: keys.operator });
    expect(abc.status).toBe(200);
    expect(abc.body.items.map((r: { sku: string; revenue: number }) => [r.sku, r.revenue])).toEqual([
      ["PR-1", 1500],
      ["PR-6", 600],
      ["PR-4", 300],
    ]);

    const turnover = async (vendor: string) => (await api("GET", `/api/v2/analytics/turnover?days=30${vendor}`, { key: keys.operator })).body;
    const [all, v1, v4, v6] = await Promise.all(["", "&vendorId=V1", "&vendorId=V4", "&vendorId=V6"].map(turnover));
    expect([v1.costOfGoodsSold, v4.costOfGoodsSold, v6.costOfGoodsSold]).toEqual([600, 120, 240]);
    expect([v1.inventoryValue, v4.inventoryValue, v6.inventoryValue]).toEqual([0, 14, 22]);
    expect(all).toMatchObject({ skus: 3, costOfGoodsSold: 960, inventoryValue: 36 });

    const health = async (vendor: string) => stockoutValue((await api("GET", `/api/v2/analytics/health?days=30${vendor}`, { key: keys.operator })).body);
    expect(await health("&vendorId=V4")).toBeCloseTo(1 / 30, 12);
    expect(await health("&vendorId=V6")).toBeCloseTo(3 / 30, 12);
    expect(await health("")).toBeCloseTo((2 + 1 + 3) / (3 * 30), 12);

    const sales = await api("GET", `/api/v2/daily-sales?sku=PR-6&to=${yesterday()}`, { key: keys.operator });
    expect(sales.body.totalUnits).toBe(120);
  });
});

describe("the REORDER job's movement alerts", () => {
  it("go to the vendor's database with its forecast, in one batch; a failure there is retried to the same end state", async () => {
    await createSku("PR-6S", { vendorId: "V6" });
    await writeSales("PR-6S", "L1", 70, (i) => (i === 0 ? 5 : 0));
    await setOnHand(keys, "PR-6S", "L1", 50);
    const home = allReadDbs()[3]!;
    // READ_3 answers reads but fails every batch: the job's writes there (all of PR-6S's) fail.
    const failing = {
      prepare: (query: string) => home.prepare(query),
      batch: async () => {
        throw new Error("READ_3 unavailable");
      },
      exec: (query: string) => home.exec(query),
    } as unknown as D1Database;
    const alertsOf = () => queryAllReadDbs<Record<string, unknown>>("SELECT * FROM alerts WHERE sku = 'PR-6S' ORDER BY id");
    const forecastOf = () => home.prepare("SELECT * FROM forecasts WHERE sku = 'PR-6S'").first();
    const forecastsAnywhere = () => queryAllReadDbs("SELECT sku FROM forecasts WHERE sku = 'PR-6S'");

    await expect(planSkus(withEnv({ READ_3: failing }), ["PR-6S"], yesterday(), Date.now())).rejects.toThrow("READ_3 unavailable");
    expect(await forecastsAnywhere()).toEqual([]);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM forecasts WHERE sku = 'PR-6S'").first<{ n: number }>()).toEqual({ n: 0 });
    expect(await alertsOf()).toEqual([]);

    const retried = await planSkus(env, ["PR-6S"], yesterday(), Date.now());
    expect(retried).toMatchObject({ skus: 1, refitted: 1, movementAlerts: 1 });
    expect(await forecastOf()).toMatchObject({ origin: yesterday(), vendor_id: "V6" });
    expect(await forecastsAnywhere()).toHaveLength(1);
    const alerts = await alertsOf();
    expect(alerts).toEqual([expect.objectContaining({ kind: "slow_moving", status: "open", occurrences: 1, available: 50 })]);
    expect((await home.prepare("SELECT COUNT(*) AS n FROM alerts WHERE sku = 'PR-6S'").first<{ n: number }>())!.n).toBe(1);
    const forecast = await forecastOf();

    await planSkus(env, ["PR-6S"], yesterday(), Date.now());
    expect(await alertsOf()).toEqual(alerts);
    expect(await forecastOf()).toEqual(forecast);
  });
});
