/**
 * Rebalancing suggestions and the nightly overstock / slow-moving alerts (issue 15, items 5–6).
 *
 * Proves: `GET /api/v2/analytics/rebalancing` lists exactly the transfers the domain computes
 * (`suggestTransfers` over each SKU's forecast split by its locations' recent sales), with the
 * cost of one shipment at the origin's rates to the cent; a balanced SKU gets none (negative
 * control); vendor keys see their own SKUs only (and a 403 asking for another vendor's); the
 * one-click draft makes a `draft` transfer document of a cheap suggestion (a repeat answers the
 * same one), refuses one that is not cheap, one not suggested and a vendor key. The REORDER job
 * opens `slow_moving` (no sale in 60 days) and `overstock` (no sale in 90 days) alerts, one per
 * SKU, honours a per-SKU threshold from the planning settings (the same SKU is moving without
 * it), opens none for moving or empty stock, changes nothing when run again for the same day,
 * and resolves them when a sale comes (`moving`) or the stock is gone (`no_stock`).
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { roundedDistanceKm } from "../domain/allocation-geo";
import { locationPositions, suggestTransfers } from "../domain/analytics";
import { type ForecastModel, leadTimeDemand } from "../domain/forecasting";
import { eventually, runAcked } from "./support/event-fixtures";
import { api, createSku, seedBasics, setOnHand, type Keys } from "./support/fixtures";
import { writeSales, writeSettings, yesterday } from "./support/planning-fixtures";
import { queryAllReadDbs, readDbOfSku } from "./support/read-model";

const REORDER = "edge-inventory-reorder";
const PARIS = { latitude: 48.85, longitude: 2.35 };
const BERLIN = { latitude: 52.52, longitude: 13.4 };
/** One Berlin → Paris shipment of q units at the default rates (base 450 + 0.5/km + 50/unit, cents). */
const berlinToParis = (q: number) => 450 + Math.round(0.5 * roundedDistanceKm(BERLIN, PARIS)) + 50 * q;
let keys: Keys;

/** The projection shows `available` for each (sku, location). */
async function projected(rows: [string, string, number][]): Promise<void> {
  for (const [sku, locationId, available] of rows) {
    await eventually(async () => {
      const r = await (await readDbOfSku(sku))
        .prepare("SELECT available FROM inventory_levels WHERE sku = ? AND location_id = ?")
        .bind(sku, locationId)
        .first<{ available: number }>();
      return r?.available === available ? true : undefined;
    }, `${sku}@${locationId} = ${available}`);
  }
}

/** A SKU's demand over its 7-day lead time and safety stock, from its stored forecast and plan. */
async function targetOf(sku: string): Promise<{ demand: number; safetyStock: number }> {
  const f = await (await readDbOfSku(sku)).prepare("SELECT model, plan FROM forecasts WHERE sku = ?").bind(sku).first<{ model: string; plan: string }>();
  return { demand: leadTimeDemand(JSON.parse(f!.model) as ForecastModel, 7).mean, safetyStock: (JSON.parse(f!.plan) as { safetyStock: number }).safetyStock };
}

/** Every alert row of every read database, by id. */
const allAlerts = async () =>
  (await queryAllReadDbs<Record<string, unknown>>("SELECT * FROM alerts ORDER BY id")).sort((a, b) => String(a.id).localeCompare(String(b.id)));

const plan = (skus: string[]) => runAcked(REORDER, [{ v: 1, kind: "chunk", origin: yesterday(), skus }]);

beforeAll(async () => {
  keys = await seedBasics();
  // RB-1, RB-2 (V1) and RB-V2 (V2) sell at Paris only and sit in Berlin; RB-EVEN sells and sits at both.
  for (const [sku, vendorId, price] of [
    ["RB-1", "V1", 5],
    ["RB-2", "V1", 20],
    ["RB-V2", "V2", 5],
    ["RB-EVEN", "V1", 5],
  ] as const) {
    await createSku(sku, { vendorId });
    await writeSettings(sku, { unitCost: 2, unitPrice: price });
    await writeSales(sku, "L1", 60, () => 10);
    await setOnHand(keys, sku, "L1", sku === "RB-EVEN" ? 1000 : 5);
    await setOnHand(keys, sku, "L2", sku === "RB-EVEN" ? 1000 : 500);
  }
  await writeSales("RB-EVEN", "L2", 60, () => 10);
  await plan(["RB-1", "RB-2", "RB-V2", "RB-EVEN"]);
  // RB-2: three units short of its target at Paris, so its transfer is small and dear per unit.
  const t = await targetOf("RB-2");
  await setOnHand(keys, "RB-2", "L1", Math.ceil(t.demand + t.safetyStock) - 3);
  await projected([
    ["RB-1", "L1", 5],
    ["RB-1", "L2", 500],
    ["RB-2", "L1", Math.ceil(t.demand + t.safetyStock) - 3],
    ["RB-2", "L2", 500],
    ["RB-V2", "L2", 500],
    ["RB-EVEN", "L2", 1000],
  ]);
});

describe("rebalancing", () => {
  it("lists exactly the domain's transfers with their cost; a balanced SKU gets none", async () => {
    const res = await api("GET", "/api/v2/analytics/rebalancing", { key: keys.operator });
    expect(res.status).toBe(200);
    const expected = [];
    for (const sku of ["RB-1", "RB-2", "RB-V2"]) {
      const { demand, safetyStock } = await targetOf(sku);
      const available = sku === "RB-2" ? Math.ceil(demand + safetyStock) - 3 : 5;
      const [t, ...rest] = suggestTransfers(
        locationPositions({
          demand,
          safetyStock,
          locations: [
            { locationId: "L1", available, recentUnits: 600 },
            { locationId: "L2", available: 500, recentUnits: 0 },
          ],
        }),
        { transferCost: (_from, _to, q) => berlinToParis(q) },
      );
      expect(rest).toEqual([]);
      expect(t).toMatchObject({ fromLocationId: "L2", toLocationId: "L1", quantity: Math.ceil(demand + safetyStock - available), excess: 500 });
      const cost = berlinToParis(t!.quantity);
      expected.push({ sku, vendorId: sku === "RB-V2" ? "V2" : "V1", ...t, cost, costPerUnit: cost / t!.quantity, cheap: cost / t!.quantity <= 250 });
    }
    expect(res.body.items).toEqual(expected);
    expect(res.body.items[1]).toMatchObject({ sku: "RB-2", quantity: 3, cheap: false });
    expect(res.body.items[0].cheap).toBe(true);
    expect(res.body).toMatchObject({ asOf: yesterday(), skus: 4 });
  });

  it("vendor keys see their own SKUs only", async () => {
    const own = await api("GET", "/api/v2/analytics/rebalancing", { key: keys.vendor });
    expect(own.body.items.map((s: { sku: string }) => s.sku)).toEqual(["RB-1", "RB-2"]);
    expect((await api("GET", "/api/v2/analytics/rebalancing", { key: keys.otherVendor })).body.items.map((s: { sku: string }) => s.sku)).toEqual(["RB-V2"]);
    expect((await api("GET", "/api/v2/analytics/rebalancing?vendorId=V2", { key: keys.vendor })).status).toBe(403);
    expect((await api("GET", "/api/v2/analytics/rebalancing?days=3", { key: keys.operator })).status).toBe(400);
  });

  it("drafts a cheap suggestion as a draft transfer in one click (a repeat answers the same); refuses dear, unsuggested and vendor calls", async () => {
    const body = { sku: "RB-1", fromLocationId: "L2", toLocationId: "L1" };
    const [suggestion] = (await api("GET", "/api/v2/analytics/rebalancing?sku=RB-1", { key: keys.operator })).body.items;
    const drafted = await api("POST", "/api/v2/analytics/rebalancing/draft-transfer", { key: keys.operator, body });
    expect(drafted.status).toBe(201);
    expect(drafted.body.transfer).toMatchObject({ status: "draft", fromLocationId: "L2", toLocationId: "L1", reference: "rebalancing" });
    expect(drafted.body.transfer.lines).toEqual([expect.objectContaining({ sku: "RB-1", quantity: suggestion.quantity })]);
    expect(drafted.body).toMatchObject({ suggestion, replayed: false });
    const again = await api("POST", "/api/v2/analytics/rebalancing/draft-transfer", { key: keys.operator, body });
    expect(again.body).toMatchObject({ replayed: true, transfer: { id: drafted.body.transfer.id } });
    // Nothing moved: the draft waits to be shipped.
    expect(
      (await api("GET", "/api/v2/inventory/RB-1", { key: keys.operator })).body.locations.find((l: { locationId: string }) => l.locationId === "L2").onHand,
    ).toBe(500);

    const dear = await api("POST", "/api/v2/analytics/rebalancing/draft-transfer", { key: keys.operator, body: { ...body, sku: "RB-2" } });
    expect(dear.status).toBe(409);
    expect(dear.body.error.code).toBe("transfer_not_cheap");
    const none = await api("POST", "/api/v2/analytics/rebalancing/draft-transfer", { key: keys.operator, body: { ...body, sku: "RB-EVEN" } });
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe("no_rebalancing_suggestion");
    expect((await api("POST", "/api/v2/analytics/rebalancing/draft-transfer", { key: keys.vendor, body })).status).toBe(403);
  });
});

describe("overstock and slow-moving alerts", () => {
  const MV = ["MV-SLOW", "MV-OVER", "MV-MOVE", "MV-THRESH", "MV-EMPTY"];
  const open = async (kind: string) =>
    (await api("GET", `/api/v2/alerts?kind=${kind}&status=open`, { key: keys.operator })).body.items.map((a: { sku: string }) => a.sku).sort();

  it("the job opens one per SKU by its last sale and thresholds, and a second run for the day changes nothing", async () => {
    const lastSaleDaysAgo: Record<string, number> = { "MV-SLOW": 70, "MV-OVER": 100, "MV-THRESH": 40, "MV-EMPTY": 100 };
    for (const sku of MV) {
      await createSku(sku);
      if (sku === "MV-MOVE") await writeSales(sku, "L1", 30, () => 3);
      else await writeSales(sku, "L1", lastSaleDaysAgo[sku]!, (i) => (i === 0 ? 5 : 0));
      await setOnHand(keys, sku, "L1", sku === "MV-EMPTY" ? 0 : 50);
    }
    const put = await api("PUT", "/api/v2/planning-settings/MV-THRESH", { key: keys.vendor, body: { slowMovingNoSaleDays: 30 } });
    expect(put.status).toBe(200);
    expect(put.body.alertThresholds).toMatchObject({ slowNoSaleDays: 30, overstockNoSaleDays: 90 });
    expect((await api("PUT", "/api/v2/planning-settings/MV-THRESH", { key: keys.vendor, body: { overstockNoSaleDays: 0 } })).status).toBe(400);

    await plan(MV);
    // 69 days since MV-SLOW's sale (≥ 60, < 90), 99 for MV-OVER, 39 for MV-THRESH (its own threshold: 30).
    expect(await open("slow_moving")).toEqual(["MV-SLOW", "MV-THRESH"]);
    expect(await open("overstock")).toEqual(["MV-OVER"]);
    const slow = (await api("GET", "/api/v2/alerts?kind=slow_moving&sku=MV-SLOW", { key: keys.vendor })).body.items;
    expect(slow).toEqual([expect.objectContaining({ sku: "MV-SLOW", vendorId: "V1", locationId: null, status: "open", available: 50, occurrences: 1 })]);

    const before = await allAlerts();
    expect(before.length).toBeGreaterThanOrEqual(3);
    await plan(MV);
    expect(await allAlerts()).toEqual(before);

    // Control: without its threshold MV-THRESH would be moving (39 < 60) — the classification the default gives.
    await api("PUT", "/api/v2/planning-settings/MV-THRESH", { key: keys.operator, body: { slowMovingNoSaleDays: null } });
    await plan(["MV-THRESH"]);
    expect(await open("slow_moving")).toEqual(["MV-SLOW"]);
  });

  it("resolves them when the SKU sells again or its stock is gone", async () => {
    await writeSales("MV-SLOW", "L2", 1, () => 2);
    await setOnHand(keys, "MV-OVER", "L1", 0);
    await plan(["MV-SLOW", "MV-OVER"]);
    expect(await open("slow_moving")).toEqual([]);
    expect(await open("overstock")).toEqual([]);
    const resolved = (await api("GET", "/api/v2/alerts?status=resolved", { key: keys.operator })).body.items
      .filter((a: { kind: string }) => a.kind === "slow_moving" || a.kind === "overstock")
      .map((a: { sku: string; kind: string; resolution: string }) => [a.sku, a.kind, a.resolution])
      .sort();
    expect(resolved).toEqual([
      ["MV-OVER", "overstock", "no_stock"],
      ["MV-SLOW", "slow_moving", "moving"],
      ["MV-THRESH", "slow_moving", "moving"],
    ]);
  });
});
