/**
 * End to end inside workerd, nothing called directly: changes made through the HTTP API
 * (`exports.default.fetch`) reach the read models through the SKU object's outbox, its
 * alarm, the real local EVENTS queue and its consumer; and a vendor's webhook through the
 * real local WEBHOOKS queue and its consumer. The test only polls D1 (bounded waits; local
 * queues deliver within about a second). Outbound webhook calls never leave the test:
 * `globalThis.fetch` is replaced, in this test file only, by a recording receiver
 * (`mockOutboundFetch`); the consumers run in the test's isolate, so they use it.
 */
import { createHmac } from "node:crypto";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { api, createSku, seedBasics, setOnHand, type Keys } from "./support/fixtures";
import { readDbOfSku } from "./support/read-model";
import { eventually, mockOutboundFetch, type Received } from "./support/event-fixtures";
import { runAllReadDbs } from "./support/read-model";

let keys: Keys;
let receiver: { received: Received[] };

beforeAll(async () => {
  keys = await seedBasics();
  receiver = mockOutboundFetch(() => 200);
});
afterAll(() => {
  vi.restoreAllMocks();
});

const level = async (sku: string, locationId: string) =>
  (await readDbOfSku(sku)).prepare("SELECT * FROM inventory_levels WHERE sku = ? AND location_id = ?").bind(sku, locationId).first<Record<string, unknown>>();
const processed = async (sku: string) =>
  (
    await (
      await readDbOfSku(sku)
    )
      .prepare("SELECT event_id, type FROM processed_events WHERE sku = ? ORDER BY sequence")
      .bind(sku)
      .all<{ event_id: string; type: string }>()
  ).results;
const alerts = async (sku: string) =>
  (await (await readDbOfSku(sku)).prepare("SELECT kind, status, resolution FROM alerts WHERE sku = ? ORDER BY opened_at, kind").bind(sku).all()).results;

async function adjust(sku: string, locationId: string, delta: number): Promise<void> {
  const res = await api("PATCH", `/api/v2/inventory/${sku}`, { key: keys.operator, body: { locationId, delta, reason: delta > 0 ? "restock" : "damage" } });
  expect(res.status).toBe(200);
}

describe("HTTP change → outbox → EVENTS queue → read models", () => {
  it("an adjustment lands as exactly one projection row with its event's sequence", async () => {
    await createSku("E2E-1");
    await setOnHand(keys, "E2E-1", "L1", 12);
    const row = await eventually(async () => (await level("E2E-1", "L1")) ?? undefined, "the projection row");
    expect(row).toMatchObject({ on_hand: 12, available: 12, status: "in_stock", last_sequence: 1, last_event_id: "evt:E2E-1:1" });
    expect((await (await readDbOfSku("E2E-1")).prepare("SELECT count(*) AS n FROM inventory_levels WHERE sku = 'E2E-1'").first())!.n).toBe(1);
    // The change also crossed zero upwards: the SKU object's second event.
    expect(await eventually(async () => ((await processed("E2E-1")).length === 2 ? processed("E2E-1") : undefined), "both events")).toEqual([
      { event_id: "evt:E2E-1:1", type: "inventory.updated" },
      { event_id: "evt:E2E-1:2", type: "inventory.back_in_stock" },
    ]);

    await adjust("E2E-1", "L1", -2);
    const updated = await eventually(async () => {
      const r = await level("E2E-1", "L1");
      return r?.on_hand === 10 ? r : undefined;
    }, "the second update");
    expect(updated).toMatchObject({ last_sequence: 3, last_event_id: "evt:E2E-1:3" });
    // And it shows in the list endpoint.
    const listed = await api("GET", "/api/v2/inventory?skuPrefix=E2E-1", { key: keys.operator });
    expect(listed.body.items).toEqual([expect.objectContaining({ sku: "E2E-1", locationId: "L1", onHand: 10, sequence: 3 })]);
  });

  it("crossing the reorder point and zero opens one alert each; restocking resolves them; the vendor's webhook is signed and delivered", async () => {
    await createSku("E2E-2", { vendorId: "V1" });
    await runAllReadDbs("UPDATE skus SET reorder_point = 5 WHERE sku = 'E2E-2'");
    const sub = await api("POST", "/api/v2/webhooks", {
      key: keys.vendor,
      body: { url: "http://127.0.0.1:9/e2e", eventTypes: ["inventory.low_stock", "inventory.out_of_stock"] },
    });
    expect(sub.status).toBe(201);

    await setOnHand(keys, "E2E-2", "L1", 8);
    await adjust("E2E-2", "L1", -5); // 3 ≤ 5: low stock
    expect(await eventually(async () => ((await alerts("E2E-2")).length > 0 ? alerts("E2E-2") : undefined), "the low-stock alert")).toEqual([
      { kind: "low_stock", status: "open", resolution: null },
    ]);
    await adjust("E2E-2", "L1", -3); // 0: out of stock
    await eventually(async () => ((await alerts("E2E-2")).length === 2 ? true : undefined), "the out-of-stock alert");
    await adjust("E2E-2", "L1", 20); // back above the reorder point
    expect(
      await eventually(async () => {
        const rows = await alerts("E2E-2");
        return rows.every((a) => a.status === "resolved") ? rows : undefined;
      }, "resolution"),
    ).toEqual([
      { kind: "low_stock", status: "resolved", resolution: "above_reorder_point" },
      { kind: "out_of_stock", status: "resolved", resolution: "back_in_stock" },
    ]);
    expect((await processed("E2E-2")).map((e) => e.type)).toContain("inventory.back_in_stock");

    // Two webhooks, low stock then out of stock, each signed with the subscription's secret.
    const hooks = await eventually(async () => {
      const got = receiver.received.filter((r) => r.url === "http://127.0.0.1:9/e2e");
      return got.length === 2 ? got : undefined;
    }, "the webhooks");
    expect(hooks.map((h) => h.headers.get("x-edgeinventory-event")).sort()).toEqual(["inventory.low_stock", "inventory.out_of_stock"]);
    for (const hook of hooks) {
      const ts = hook.headers.get("x-edgeinventory-timestamp")!;
      expect(hook.headers.get("x-edgeinventory-signature")).toBe(`v1=${createHmac("sha256", sub.body.secret).update(`${ts}.${hook.body}`).digest("hex")}`);
      expect(JSON.parse(hook.body)).toMatchObject({ sku: "E2E-2", locationId: null });
    }
  });

  it("a fulfilled reservation adds its units to today's daily sales", async () => {
    await createSku("E2E-3");
    await setOnHand(keys, "E2E-3", "L1", 10);
    const reserved = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "e2e-3",
      body: { type: "hard", reference: "order-e2e-3", items: [{ sku: "E2E-3", quantity: 3, locationId: "L1" }] },
    });
    expect(reserved.status).toBe(201);
    expect((await api("POST", "/api/v2/inventory/fulfil", { key: keys.checkout, body: { reservationId: reserved.body.id } })).status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    const sale = await eventually(
      async () => (await (await readDbOfSku("E2E-3")).prepare("SELECT * FROM daily_sales WHERE sku = 'E2E-3'").first<Record<string, unknown>>()) ?? undefined,
      "the daily sales row",
    );
    expect(sale).toMatchObject({ location_id: "L1", day: today, units: 3, fulfilments: 1 });
    const row = await eventually(async () => {
      const r = await level("E2E-3", "L1");
      return r?.on_hand === 7 ? r : undefined;
    }, "the projection after shipping");
    expect(row).toMatchObject({ reserved: 0, committed: 0, available: 7 });
  });
});
