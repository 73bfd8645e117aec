/**
 * The planning read APIs (issue 15) through the Worker: forecasts, reorder suggestions and
 * their dismissal, planning settings, analytics (ABC, turnover, health, stock movement),
 * alerts (list, acknowledge, snooze), daily sales and dead letters.
 *
 * Proves: vendor keys see their own SKUs only (another vendor's SKU is a 403, a list asked for
 * another vendor is a 403, their lists hold only their SKUs; positive controls beside);
 * operator-only actions refuse vendor keys; bad input is a 400 with field paths (never a 500);
 * unknown ids are 404s; a dismissed suggestion stays dismissed (and the next job opens no new
 * one for the SKU); alerts acknowledge and snooze change their status and filters; ABC and
 * turnover give the numbers worked out by hand for a tiny catalogue; the health score lists its
 * five components.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createSku, seedBasics, setOnHand, type Keys } from "./support/fixtures";
import { eventually, runAcked } from "./support/event-fixtures";
import { queryAllReadDbs, readDbOfSku } from "./support/read-model";
import { writeSales, writeSettings, yesterday } from "./support/planning-fixtures";

const REORDER = "edge-inventory-reorder";
let keys: Keys;

beforeAll(async () => {
  keys = await seedBasics();
  // V1: PA-A sells 10 a day at 5.00 (revenue 50/day), PA-B 1 a day at 5.00 (5/day); V2: PB-A.
  await createSku("PA-A");
  await createSku("PA-B");
  await createSku("PB-A", { vendorId: "V2" });
  await writeSettings("PA-A", { unitCost: 2, unitPrice: 5 });
  await writeSettings("PA-B", { unitCost: 2, unitPrice: 5 });
  await writeSettings("PB-A", { unitCost: 1, unitPrice: 1 });
  await writeSales("PA-A", "L1", 90, () => 10);
  await writeSales("PA-B", "L1", 90, () => 1);
  await writeSales("PB-A", "L2", 90, () => 3);
  await setOnHand(keys, "PA-A", "L1", 5);
  await setOnHand(keys, "PA-B", "L1", 90);
  await setOnHand(keys, "PB-A", "L2", 1);
  // The projection (analytics' on-hand) follows through the EVENTS queue.
  await eventually(async () => {
    const rows = await queryAllReadDbs<{ n: number }>("SELECT COUNT(*) AS n FROM inventory_levels WHERE sku IN ('PA-A', 'PA-B', 'PB-A')");
    return rows.reduce((n, r) => n + r.n, 0) === 3 ? true : undefined;
  }, "the projection of the three SKUs");
  await runAcked(REORDER, [{ v: 1, kind: "chunk", origin: yesterday(), skus: ["PA-A", "PA-B", "PB-A"] }]);
});

describe("forecasts", () => {
  it("shows the owner's forecast, refuses another vendor's, 404s an unknown SKU, 400s bad input", async () => {
    const own = await api("GET", "/api/v2/forecasts/PA-A?days=14", { key: keys.vendor });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ sku: "PA-A", vendorId: "V1", origin: yesterday() });
    expect(own.body.days).toHaveLength(14);
    expect(own.body.days[0].p80.lower).toBeLessThanOrEqual(own.body.days[0].p80.upper);
    expect((await api("GET", "/api/v2/forecasts/PB-A", { key: keys.vendor })).status).toBe(403);
    expect((await api("GET", "/api/v2/forecasts/PB-A", { key: keys.otherVendor })).status).toBe(200);
    expect((await api("GET", "/api/v2/forecasts/NOPE", { key: keys.operator })).body.error.code).toBe("sku_not_found");
    const bad = await api("GET", "/api/v2/forecasts/PA-A?days=0", { key: keys.operator });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toEqual(["query", "days"]);
    expect((await api("GET", "/api/v2/forecasts/PA-A", { key: keys.checkout })).status).toBe(403);
    expect((await api("GET", "/api/v2/forecasts/PA-A")).status).toBe(401);
  });

  it("404s a SKU that has no forecast yet", async () => {
    await createSku("PA-NEW");
    const res = await api("GET", "/api/v2/forecasts/PA-NEW", { key: keys.operator });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("forecast_not_found");
  });
});

describe("reorder suggestions", () => {
  it("lists by vendor and location with paging; vendors see their own; operators dismiss", async () => {
    const all = await api("GET", "/api/v2/reorder-suggestions", { key: keys.operator });
    expect(all.status).toBe(200);
    expect(all.body.items.map((s: { sku: string }) => s.sku)).toEqual(["PA-A", "PB-A"]);
    const page1 = await api("GET", "/api/v2/reorder-suggestions?limit=1", { key: keys.operator });
    expect(page1.body.items.map((s: { sku: string }) => s.sku)).toEqual(["PA-A"]);
    const page2 = await api("GET", `/api/v2/reorder-suggestions?limit=1&cursor=${page1.body.nextCursor}`, { key: keys.operator });
    expect(page2.body.items.map((s: { sku: string }) => s.sku)).toEqual(["PB-A"]);
    expect(page2.body.nextCursor).toBeNull();

    const mine = await api("GET", "/api/v2/reorder-suggestions", { key: keys.vendor });
    expect(mine.body.items.map((s: { sku: string }) => s.sku)).toEqual(["PA-A"]);
    expect((await api("GET", "/api/v2/reorder-suggestions?vendorId=V2", { key: keys.vendor })).status).toBe(403);
    expect((await api("GET", "/api/v2/reorder-suggestions?urgency=soon", { key: keys.operator })).status).toBe(400);
    expect((await api("GET", "/api/v2/reorder-suggestions?cursor=abc", { key: keys.operator })).status).toBe(400);

    const id = mine.body.items[0].id;
    expect(mine.body.items[0]).toMatchObject({ vendorId: "V1", locationId: "L1", status: "open", stockPosition: 5 });
    expect((await api("POST", `/api/v2/reorder-suggestions/${id}/dismiss`, { key: keys.vendor })).status).toBe(403);
    const dismissed = await api("POST", `/api/v2/reorder-suggestions/${id}/dismiss`, { key: keys.operator });
    expect(dismissed.status).toBe(200);
    expect(dismissed.body).toMatchObject({ id, status: "dismissed" });
    expect((await api("POST", `/api/v2/reorder-suggestions/${id}/dismiss`, { key: keys.operator })).body.status).toBe("dismissed");
    expect((await api("POST", "/api/v2/reorder-suggestions/rs_00000000000000000000000000000000/dismiss", { key: keys.operator })).status).toBe(404);
    expect((await api("POST", "/api/v2/reorder-suggestions/not-an-id/dismiss", { key: keys.operator })).status).toBe(400);

    // The job runs again: the dismissal holds, no new open suggestion for PA-A.
    await runAcked(REORDER, [{ v: 1, kind: "sku", origin: yesterday(), sku: "PA-A", reason: "manual" }]);
    const open = await api("GET", "/api/v2/reorder-suggestions?sku=PA-A", { key: keys.operator });
    expect(open.body.items).toEqual([]);
    const closed = await api("GET", "/api/v2/reorder-suggestions?sku=PA-A&status=dismissed", { key: keys.operator });
    expect(closed.body.items).toHaveLength(1);
  });
});

describe("drafting purchase orders", () => {
  it("drafts one PO from a vendor × location's open suggestions, marks them accepted, and the next job counts it as on order", async () => {
    const open = await api("GET", "/api/v2/reorder-suggestions?vendorId=V2", { key: keys.operator });
    expect(open.body.items.map((s: { sku: string; locationId: string }) => [s.sku, s.locationId])).toEqual([["PB-A", "L2"]]);
    const quantity = open.body.items[0].quantity;
    expect(
      (await api("POST", "/api/v2/reorder-suggestions/draft-purchase-order", { key: keys.otherVendor, body: { vendorId: "V2", locationId: "L2" } })).status,
    ).toBe(403);
    expect((await api("POST", "/api/v2/reorder-suggestions/draft-purchase-order", { key: keys.operator, body: { vendorId: "V2" } })).status).toBe(400);
    const drafted = await api("POST", "/api/v2/reorder-suggestions/draft-purchase-order", { key: keys.operator, body: { vendorId: "V2", locationId: "L2" } });
    expect(drafted.status).toBe(201);
    expect(drafted.body.purchaseOrder).toMatchObject({ vendorId: "V2", locationId: "L2", status: "draft" });
    expect(drafted.body.purchaseOrder.lines).toEqual([expect.objectContaining({ sku: "PB-A", quantity })]);
    expect(drafted.body.accepted).toEqual([open.body.items[0].id]);
    const po = await api("GET", `/api/v2/purchase-orders/${drafted.body.purchaseOrder.id}`, { key: keys.operator });
    expect(po.body.status).toBe("draft");
    const again = await api("POST", "/api/v2/reorder-suggestions/draft-purchase-order", { key: keys.operator, body: { vendorId: "V2", locationId: "L2" } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("nothing_to_order");
    expect((await api("GET", "/api/v2/reorder-suggestions?vendorId=V2&status=accepted", { key: keys.operator })).body.items).toHaveLength(1);

    // The job again: the drafted units are on order, so the position covers the need and no new suggestion opens.
    await runAcked(REORDER, [{ v: 1, kind: "sku", origin: yesterday(), sku: "PB-A", reason: "manual" }]);
    expect((await api("GET", "/api/v2/reorder-suggestions?vendorId=V2", { key: keys.operator })).body.items).toEqual([]);
    const f = await api("GET", "/api/v2/forecasts/PB-A", { key: keys.operator });
    expect(f.body.stockout.stockPosition).toBe(1 + quantity);
  });
});

describe("planning settings", () => {
  it("sets overrides, shows the policy in effect, validates", async () => {
    const put = await api("PUT", "/api/v2/planning-settings/PA-B", { key: keys.vendor, body: { serviceLevel: 0.99, packSize: 12, unitCost: null } });
    expect(put.status).toBe(200);
    expect(put.body.policy).toMatchObject({ serviceLevel: 0.99, packSize: 12, unitCost: 10, leadTimeDays: 7 });
    expect(put.body.settings).toMatchObject({ serviceLevel: 0.99, packSize: 12, unitCost: null, unitPrice: 5 });
    expect((await api("PUT", "/api/v2/planning-settings/PB-A", { key: keys.vendor, body: { packSize: 2 } })).status).toBe(403);
    const bad = await api("PUT", "/api/v2/planning-settings/PA-B", { key: keys.operator, body: { serviceLevel: 1.5, moq: 3 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string[] }) => d.path.join("."))).toEqual(expect.arrayContaining(["body.serviceLevel", "body.moq"]));
    expect((await api("GET", "/api/v2/planning-settings/NOPE", { key: keys.operator })).status).toBe(404);
    await api("PUT", "/api/v2/planning-settings/PA-B", { key: keys.operator, body: { serviceLevel: null, packSize: null, unitCost: 2 } });
  });
});

describe("analytics", () => {
  it("ABC by revenue and turnover, worked out by hand", async () => {
    // 90 days: PA-A 900 units × 5 = 4,500; PA-B 90 × 5 = 450; PB-A 270 × 1 = 270; PA-NEW nothing. Total 5,220:
    // Ranked, a SKU is A while the revenue above it is under 80 %, B under 95 %: PA-A (0 % above) A,
    // PA-B (86.2 % above) B, PB-A (94.8 % above: it crosses the boundary, so the higher class) B, PA-NEW (no revenue) C.
    const abc = await api("GET", "/api/v2/analytics/abc?days=90", { key: keys.operator });
    expect(abc.status).toBe(200);
    expect(abc.body.items.map((r: { sku: string; class: string; revenue: number }) => [r.sku, r.class, r.revenue])).toEqual([
      ["PA-A", "A", 4500],
      ["PA-B", "B", 450],
      ["PB-A", "B", 270],
      ["PA-NEW", "C", 0],
    ]);
    const mine = await api("GET", "/api/v2/analytics/abc?days=90", { key: keys.vendor });
    expect(mine.body.items.map((r: { sku: string }) => r.sku)).toEqual(["PA-A", "PA-B", "PA-NEW"]);
    expect((await api("GET", "/api/v2/analytics/abc?vendorId=V2", { key: keys.vendor })).status).toBe(403);
    expect((await api("GET", "/api/v2/analytics/abc?days=3", { key: keys.operator })).status).toBe(400);

    // V1, 90 days: COGS = 900×2 + 90×2 = 1,980; inventory at cost = (5 + 90) × 2 = 190 → 1,980/190 × 365/90.
    const t = await api("GET", "/api/v2/analytics/turnover?days=90&vendorId=V1", { key: keys.operator });
    expect(t.status).toBe(200);
    expect(t.body.costOfGoodsSold).toBe(1980);
    expect(t.body.inventoryValue).toBe(190);
    expect(t.body.turnover).toBeCloseTo((1980 / 190) * (365 / 90), 9);
    expect(t.body.daysOfInventory).toBeCloseTo((190 / 1980) * 90, 9);
  });

  it("the health score has its five components; stock movement lists overstock and slow movers", async () => {
    const h = await api("GET", "/api/v2/analytics/health", { key: keys.vendor });
    expect(h.status).toBe(200);
    expect(h.body.components.map((c: { name: string }) => c.name)).toEqual(["in_stock", "stockout", "overstock", "turnover", "forecast_accuracy"]);
    expect(h.body.score).toBeGreaterThanOrEqual(0);
    expect(h.body.score).toBeLessThanOrEqual(100);
    const m = await api("GET", "/api/v2/analytics/stock-movement", { key: keys.operator });
    expect(m.status).toBe(200);
    expect(m.body.counts.moving + m.body.counts.empty + m.body.counts.overstock + m.body.counts.slow_moving).toBe(m.body.skus);
  });
});

describe("alerts", () => {
  async function openAlert(sku: string, vendorSku = true): Promise<string> {
    const id = `alr_${sku.toLowerCase().replace(/[^a-z0-9]/g, "")}`;
    await (await readDbOfSku(sku))
      .prepare(
        `INSERT INTO alerts (id, sku, kind, status, available, reorder_point, opened_at, updated_at, opened_event_id, last_event_id, last_sequence)
       VALUES (?, ?, 'low_stock', 'open', 3, 10, ?, ?, 'e', 'e', 1)`,
      )
      .bind(id, sku, Date.now() - (vendorSku ? 1000 : 2000), Date.now())
      .run();
    return id;
  }

  it("lists with filters and paging, acknowledges and snoozes, per owner", async () => {
    const a = await openAlert("PA-B");
    const b = await openAlert("PB-A", false);
    const open = await api("GET", "/api/v2/alerts?status=open&kind=low_stock", { key: keys.operator });
    expect(open.body.items.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining([a, b]));
    const mine = await api("GET", "/api/v2/alerts", { key: keys.vendor });
    expect(mine.body.items.every((x: { vendorId: string }) => x.vendorId === "V1")).toBe(true);
    expect(mine.body.items.map((x: { id: string }) => x.id)).toContain(a);

    expect((await api("POST", `/api/v2/alerts/${b}/acknowledge`, { key: keys.vendor })).status).toBe(403);
    const ack = await api("POST", `/api/v2/alerts/${a}/acknowledge`, { key: keys.vendor });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ id: a, status: "acknowledged" });
    expect(ack.body.acknowledgedBy).toMatch(/^vendor:V1:key_/);
    const acked = await api("GET", "/api/v2/alerts?status=acknowledged", { key: keys.operator });
    expect(acked.body.items.map((x: { id: string }) => x.id)).toEqual([a]);

    const until = new Date(Date.now() + 3_600_000).toISOString();
    const snoozed = await api("POST", `/api/v2/alerts/${b}/snooze`, { key: keys.operator, body: { until } });
    expect(snoozed.status).toBe(200);
    expect(snoozed.body).toMatchObject({ status: "snoozed", snoozedUntil: until });
    expect((await api("GET", "/api/v2/alerts?status=open", { key: keys.operator })).body.items.map((x: { id: string }) => x.id)).not.toContain(b);
    expect((await api("GET", "/api/v2/alerts?status=snoozed", { key: keys.operator })).body.items.map((x: { id: string }) => x.id)).toEqual([b]);

    const page1 = await api("GET", "/api/v2/alerts?limit=1", { key: keys.operator });
    const page2 = await api("GET", `/api/v2/alerts?limit=1&cursor=${page1.body.nextCursor}`, { key: keys.operator });
    expect([page1.body.items[0].id, page2.body.items[0].id].sort()).toEqual([a, b].sort());

    const past = await api("POST", `/api/v2/alerts/${b}/snooze`, { key: keys.operator, body: { until: "2020-01-01T00:00:00Z" } });
    expect(past.status).toBe(400);
    expect(past.body.error.details[0].path).toEqual(["body", "until"]);
    expect((await api("POST", `/api/v2/alerts/${b}/snooze`, { key: keys.operator, body: { until: "tomorrow" } })).status).toBe(400);
    expect(
      (await api("POST", `/api/v2/alerts/${b}/snooze`, { key: keys.operator, rawBody: "{", headers: { "content-type": "application/json" } })).status,
    ).toBe(400);
    expect((await api("POST", "/api/v2/alerts/alr_nope/acknowledge", { key: keys.operator })).status).toBe(404);
    expect((await api("GET", "/api/v2/alerts?status=closed", { key: keys.operator })).status).toBe(400);
  });
});

describe("daily sales and dead letters", () => {
  it("daily sales per day and location for the owner; bad ranges are 400s", async () => {
    const res = await api("GET", `/api/v2/daily-sales?sku=PA-A&to=${yesterday()}`, { key: keys.vendor });
    expect(res.status).toBe(200);
    expect(res.body.days).toHaveLength(30);
    expect(res.body.totalUnits).toBe(300);
    expect(res.body.days[0].locations).toEqual([{ locationId: "L1", units: 10, fulfilments: 1 }]);
    expect((await api("GET", "/api/v2/daily-sales?sku=PB-A", { key: keys.vendor })).status).toBe(403);
    expect((await api("GET", "/api/v2/daily-sales", { key: keys.operator })).status).toBe(400);
    expect((await api("GET", "/api/v2/daily-sales?sku=PA-A&from=2026-02-01&to=2026-01-01", { key: keys.operator })).status).toBe(400);
    expect((await api("GET", "/api/v2/daily-sales?sku=PA-A&from=2020-01-01&to=2026-01-01", { key: keys.operator })).status).toBe(400);
    expect((await api("GET", "/api/v2/daily-sales?sku=PA-A&from=2026-13-01", { key: keys.operator })).status).toBe(400);
  });

  it("dead letters are listed to operators only", async () => {
    await env.DB.prepare(
      "INSERT INTO dead_letters (queue, message_id, dead_letter_queue, body, error, attempts) VALUES ('edge-inventory-reorder', 'm1', 'edge-inventory-reorder-dlq', '{}', 'TypeError: x', 4)",
    ).run();
    const res = await api("GET", "/api/v2/dead-letters?queue=edge-inventory-reorder", { key: keys.operator });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([expect.objectContaining({ queue: "edge-inventory-reorder", messageId: "m1", error: "TypeError: x", attempts: 4 })]);
    expect((await api("GET", "/api/v2/dead-letters", { key: keys.vendor })).status).toBe(403);
    expect((await api("GET", "/api/v2/dead-letters?limit=0", { key: keys.operator })).status).toBe(400);
  });
});
