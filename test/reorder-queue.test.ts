/**
 * The REORDER job end to end (issue 15): the nightly cron (`0 2 * * *`, run through the
 * Worker's `scheduled` handler with createScheduledController) enqueues the active SKUs in
 * keyset chunks; the REORDER consumer (the Worker's `queue` handler with createMessageBatch,
 * and the real local queue) fits each SKU's forecast from `daily_sales`, plans it against its
 * object's stock, and drafts a reorder suggestion when the position is at or below the
 * reorder point.
 *
 * Proves: the numbers on the suggestion and behind the forecast API are the domain's
 * (`planReplenishment` over the same fit, to the last digit) and satisfy the formulas
 * (SS = z·σ, ROP = μ + SS, EOQ = √(2DS/H)); a SKU above its reorder point gets none
 * (positive control beside it); running the job twice leaves one suggestion, unchanged; a
 * redelivered chunk changes no row; the run is chunked (keyset, N per message) and bounded per
 * tick, finished by the every-minute tick; stock arriving resolves the open suggestion; a
 * low-stock event plans its SKU at once through the real queues; a malformed message is
 * retried, not acked.
 */
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { dailyMeans, fitForecastModels, leadTimeDemand } from "../domain/forecasting";
import { poolsOf } from "../domain/planning-defaults";
import { REORDER_CHUNK_SKUS, type ReorderMessage } from "../domain/reorder-messages";
import { planReplenishment, serviceLevelZ } from "../domain/replenishment";
import { CRONS, handleScheduled } from "../workers/scheduled";
import { continueRun, startNightlyRun } from "../services/reorder-runs";
import { capturingQueue, eventually, reorderProducers, runAcked, runQueue, tableRows, withEnv } from "./support/event-fixtures";
import { api, createSku, seedBasics, setOnHand, type Keys } from "./support/fixtures";
import { expectLogged } from "./support/log-capture";
import { weekly, writeSales, writeSettings, yesterday } from "./support/planning-fixtures";
import { queryAllReadDbs, readDbOfSku, runAllReadDbs } from "./support/read-model";

const REORDER = "edge-inventory-reorder";
let keys: Keys;
let lowSeries: number[];

beforeAll(async () => {
  keys = await seedBasics();
  for (const sku of ["RQ-LOW", "RQ-HIGH"]) {
    await createSku(sku);
    await writeSettings(sku, { category: "TENT", unitCost: 8, unitPrice: 20, orderingCost: 50, holdingRate: 0.25, serviceLevel: 0.95 });
  }
  lowSeries = await writeSales("RQ-LOW", "L1", 120, weekly(10));
  await writeSales("RQ-HIGH", "L1", 120, weekly(10));
  await setOnHand(keys, "RQ-LOW", "L1", 40);
  await setOnHand(keys, "RQ-HIGH", "L1", 2000);
});

/** Runs the nightly cron at `at` with a capturing REORDER producer; returns the chunk messages. */
async function nightlyCron(at = Date.now()): Promise<ReorderMessage[]> {
  const reorder = capturingQueue();
  await handleScheduled(
    createScheduledController({ cron: CRONS.reorder, scheduledTime: at }),
    withEnv(reorderProducers(reorder.queue)),
    createExecutionContext(),
  );
  return reorder.sent as ReorderMessage[];
}

/** A SKU's suggestions (in its vendor's read database: issue 19 item 2). */
const suggestions = async (sku: string) =>
  (await readDbOfSku(sku))
    .prepare("SELECT * FROM reorder_suggestions WHERE sku = ? ORDER BY created_at")
    .bind(sku)
    .all<Record<string, any>>()
    .then((r) => r.results);

/** Every row of a planning table in every read database, by key. */
const readTableRows = (table: string, key: string) => queryAllReadDbs<Record<string, unknown>>(`SELECT * FROM ${table} ORDER BY ${key}`);

describe("REORDER job", () => {
  it("drafts one suggestion for the SKU below its reorder point, none for the one above, with the domain's exact numbers", async () => {
    const sent = await nightlyCron();
    expect(sent).toEqual([{ v: 1, kind: "chunk", origin: yesterday(), skus: ["RQ-HIGH", "RQ-LOW"], seq: 0 }]);
    // The run's only chunk planned: the run sends its draft messages (captured here; test/reorder-drafts.test.ts drafts them).
    const drafts = capturingQueue();
    await runAcked(REORDER, sent, reorderProducers(drafts.queue));
    expect(drafts.sent).toEqual([{ v: 1, kind: "draft", vendorId: "V1", locationId: "L1", reason: "run" }]);

    const [low] = await suggestions("RQ-LOW");
    expect(await suggestions("RQ-HIGH")).toEqual([]);
    expect(low).toMatchObject({ status: "open", vendor_id: "V1", location_id: "L1", stock_position: 40 });

    // The same fit the job made (the chunk's SKUs together, pools from category and vendor), planned by hand.
    const { models } = fitForecastModels(["RQ-HIGH", "RQ-LOW"].map((sku) => ({ sku, pools: poolsOf("V1", "TENT"), origin: yesterday(), units: lowSeries })));
    const model = models[1]!;
    const lt = leadTimeDemand(model, 7);
    const annual = dailyMeans(model, 365).reduce((a, b) => a + b, 0);
    const z = serviceLevelZ(0.95);
    expect(z).toBeCloseTo(1.6448536, 6);
    const expected = planReplenishment({
      stock: { onHand: 40, inTransit: 0, onOrder: 0, reserved: 0, committed: 0, backorders: 0, unsellable: 0 },
      demand: { meanDailyDemand: lt.mean / 7, dailyDemandSd: lt.sd / Math.sqrt(7), leadTimeDemand: lt, annualDemand: annual, daysUntilStockout: null },
      policy: {
        serviceLevel: 0.95,
        leadTimeDays: 7,
        leadTimeSdDays: 0,
        orderingCost: 50,
        unitCost: 8,
        holdingRate: 0.25,
        packSize: 1,
        minimumOrderQuantity: 1,
        maxStock: null,
      },
    });
    expect(low!.safety_stock).toBe(expected.safetyStock);
    expect(low!.reorder_point).toBe(expected.reorderPoint);
    expect(low!.economic_order_quantity).toBe(expected.economicOrderQuantity);
    expect(low!.quantity).toBe(expected.orderQuantity);
    // …and they are the textbook formulas: SS = z·σ_L, ROP = μ_L + SS, EOQ = √(2·D·S/H), order = max(EOQ, ROP − position).
    expect(low!.safety_stock).toBeCloseTo(z * lt.sd, 9);
    expect(low!.reorder_point).toBeCloseTo(lt.mean + z * lt.sd, 9);
    expect(low!.economic_order_quantity).toBeCloseTo(Math.sqrt((2 * annual * 50) / (8 * 0.25)), 9);
    expect(low!.quantity).toBe(Math.max(Math.round(expected.economicOrderQuantity), Math.ceil(expected.reorderPoint - 40)));
    // A demand of ~10 a day over 7 days: the reorder point is above 70 units, so 40 on hand is below it.
    expect(lt.mean).toBeGreaterThan(55);
    expect(lt.mean).toBeLessThan(85);

    // The forecast API shows the same plan.
    const res = await api("GET", "/api/v2/forecasts/RQ-LOW", { key: keys.operator });
    expect(res.status).toBe(200);
    expect(res.body.plan).toMatchObject({
      safetyStock: expected.safetyStock,
      reorderPoint: expected.reorderPoint,
      economicOrderQuantity: expected.economicOrderQuantity,
      shouldReorder: true,
    });
    expect(res.body.days).toHaveLength(90);
    expect(res.body.horizons.map((h: { days: number }) => h.days)).toEqual([7, 30, 90]);
    expect(res.body.horizons[0].p95.lower).toBeLessThanOrEqual(res.body.horizons[0].p80.lower);
    expect(res.body.stockout.stockPosition).toBe(40);
    expect(res.body.stockout.daysUntil).toBeGreaterThan(0);
    expect(typeof res.body.reason).toBe("string");
    const high = await api("GET", "/api/v2/forecasts/RQ-HIGH", { key: keys.operator });
    expect(high.body.plan.shouldReorder).toBe(false);
  });

  it("is idempotent: the job run twice, or its chunk redelivered, leaves one suggestion and changes no row", async () => {
    const before = await readTableRows("reorder_suggestions", "id");
    const forecastsBefore = await readTableRows("forecasts", "sku");
    const sent = await nightlyCron();
    // The run of this origin finished: the cron starts nothing new.
    expect(sent).toEqual([]);
    await runAcked(REORDER, [{ body: { v: 1, kind: "chunk", origin: yesterday(), skus: ["RQ-HIGH", "RQ-LOW"] }, attempts: 2 }]);
    await runAcked(REORDER, [{ v: 1, kind: "chunk", origin: yesterday(), skus: ["RQ-LOW"] }]);
    expect(await readTableRows("reorder_suggestions", "id")).toEqual(before);
    expect(await readTableRows("forecasts", "sku")).toEqual(forecastsBefore);
    expect(await suggestions("RQ-LOW")).toHaveLength(1);
  });

  it("resolves the open suggestion once stock brings the position above the reorder point", async () => {
    await createSku("RQ-BACK");
    await writeSales("RQ-BACK", "L1", 90, weekly(6));
    await setOnHand(keys, "RQ-BACK", "L1", 5);
    await runAcked(REORDER, [{ v: 1, kind: "sku", origin: yesterday(), sku: "RQ-BACK", reason: "manual" }]);
    expect((await suggestions("RQ-BACK")).map((s) => s.status)).toEqual(["open"]);
    await setOnHand(keys, "RQ-BACK", "L1", 5000);
    await runAcked(REORDER, [{ v: 1, kind: "sku", origin: yesterday(), sku: "RQ-BACK", reason: "manual" }]);
    expect((await suggestions("RQ-BACK")).map((s) => s.status)).toEqual(["resolved"]);
  });

  it("chunks the run by keyset, N SKUs per message, bounded per tick; the every-minute tick finishes it", async () => {
    const origin = "2030-01-01";
    const at = Date.UTC(2030, 0, 2, 2, 0, 0);
    const skus = Array.from({ length: 2 * REORDER_CHUNK_SKUS + 5 }, (_, i) => `RQ-K${String(i).padStart(4, "0")}`);
    for (const sku of skus) await createSku(sku);
    const reorder = capturingQueue();
    await startNightlyRun(withEnv(reorderProducers(reorder.queue)), at, 1);
    expect(reorder.sent).toHaveLength(1);
    let tick = 0;
    while ((await env.DB.prepare("SELECT status FROM reorder_runs WHERE origin = ?").bind(origin).first<{ status: string }>())?.status === "running") {
      await continueRun(withEnv(reorderProducers(reorder.queue)), at + ++tick * 60_000, 1);
      expect(tick).toBeLessThan(20);
    }
    const chunks = reorder.sent as ReorderMessage[];
    const all = chunks.flatMap((m) => (m.kind === "chunk" ? m.skus : []));
    // Every active SKU once, in id order, at most REORDER_CHUNK_SKUS per message.
    const active = (await queryAllReadDbs<{ sku: string }>("SELECT sku FROM skus WHERE status = 'active'")).map((r) => r.sku).sort();
    expect(all).toEqual(active);
    expect(chunks.every((m) => m.kind === "chunk" && m.origin === origin && m.skus.length <= REORDER_CHUNK_SKUS)).toBe(true);
    // Numbered in the run, so the consumer can count each one planned once.
    expect(chunks.map((m) => (m.kind === "chunk" ? m.seq : null))).toEqual(chunks.map((_, i) => i));
    expect(await env.DB.prepare("SELECT chunks, skus, status FROM reorder_runs WHERE origin = ?").bind(origin).first()).toEqual({
      chunks: chunks.length,
      skus: active.length,
      status: "done",
    });
    expectLogged({ event: "reorder.run_tick" }, { count: tick + 1 });
  });

  it("a low-stock event plans its SKU at once, through the real EVENTS and REORDER queues", async () => {
    await createSku("RQ-EVT");
    await runAllReadDbs("UPDATE skus SET reorder_point = 20 WHERE sku = 'RQ-EVT'");
    await writeSales("RQ-EVT", "L1", 90, weekly(8));
    await setOnHand(keys, "RQ-EVT", "L1", 100);
    expect(await suggestions("RQ-EVT")).toEqual([]);
    // Down to 10 (≤ the SKU's threshold of 20): the object emits inventory.low_stock.
    await setOnHand(keys, "RQ-EVT", "L1", 10);
    const [s] = await eventually(async () => {
      const rows = await suggestions("RQ-EVT");
      return rows.length > 0 ? rows : undefined;
    }, "a suggestion for RQ-EVT");
    expect(s).toMatchObject({ status: "open", stock_position: 10 });
  });

  it("retries a malformed message instead of acking it", async () => {
    const { result } = await runQueue(REORDER, [{ v: 1, kind: "chunk", origin: "yesterday", skus: [] }]);
    expect(result.retryMessages).toHaveLength(1);
    expectLogged({ event: "queue.message_failed", queue: REORDER });
  });
});
