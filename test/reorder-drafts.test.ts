/**
 * Purchase orders drafted by the nightly run (issue 15, "Done when"): the cron (`0 2 * * *`,
 * the Worker's `scheduled` handler) enqueues the chunk; the REORDER consumer plans it, counts
 * it planned and — the run's last chunk — sends one `draft` message per vendor × receiving
 * location with open suggestions; each draft message drafts one purchase order.
 *
 * Proves: exactly one purchase order per vendor × location, whose lines are exactly the SKUs
 * whose plan says reorder (quantities = their suggestions), none for the SKU above its reorder
 * point (positive control beside it); the suggestions are accepted and linked to their order;
 * the auto-submitting vendor's order is submitted, the others stay drafts; the vendor setting
 * is read and written by operators only (404, 400, 403 beside the 200s); a redelivered draft
 * message and a draft step that died between claiming and linking replay the same order;
 * a second nightly run drafts nothing new; a lost draft message is picked up by the
 * every-minute sweep once the group's suggestions are older than the settling window (and not
 * before: negative control); a run that lost a chunk still drafts after the window.
 */
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { ReorderMessage } from "../domain/reorder-messages";
import { DRAFT_SETTLE_MS } from "../services/reorder-drafts";
import { CRONS, handleScheduled } from "../workers/scheduled";
import { capturingQueue, reorderProducers, runAcked, withEnv } from "./support/event-fixtures";
import { api, createSku, seedBasics, setOnHand, type Keys } from "./support/fixtures";
import { expectLogged } from "./support/log-capture";
import { weekly, writeSales, writeSettings } from "./support/planning-fixtures";
import { queryAllReadDbs, readDbOfVendor } from "./support/read-model";

const REORDER = "edge-inventory-reorder";
const DAY = 86_400_000;
let keys: Keys;

/** SKU → [vendor, location with its stock, units on hand]: four below their reorder point, one far above. */
const CATALOGUE: Record<string, [string, string, number]> = {
  "RD-A1": ["V1", "L1", 30],
  "RD-A2": ["V1", "L1", 20],
  "RD-A3": ["V1", "L2", 25],
  "RD-B1": ["V2", "L1", 15],
  "RD-HIGH": ["V1", "L1", 5000],
};

beforeAll(async () => {
  keys = await seedBasics();
  for (const [sku, [vendorId, locationId, onHand]] of Object.entries(CATALOGUE)) {
    await createSku(sku, { vendorId });
    await writeSettings(sku, { category: "RD", unitCost: 8, unitPrice: 20 });
    await writeSales(sku, locationId, 120, weekly(10));
    await setOnHand(keys, sku, locationId, onHand);
  }
});

/** Runs a cron at `at` with a capturing REORDER producer; returns what it sent. */
async function cron(expression: string, at: number): Promise<ReorderMessage[]> {
  const reorder = capturingQueue();
  await handleScheduled(createScheduledController({ cron: expression, scheduledTime: at }), withEnv(reorderProducers(reorder.queue)), createExecutionContext());
  return reorder.sent as ReorderMessage[];
}

/** Hands messages to the REORDER consumer; returns what it sent in turn (captured, not queued). */
async function consume(messages: ReorderMessage[]): Promise<ReorderMessage[]> {
  const next = capturingQueue();
  if (messages.length > 0) await runAcked(REORDER, messages, reorderProducers(next.queue));
  return next.sent as ReorderMessage[];
}

/** The nightly run at `at`, its chunks consumed; returns the draft messages the run sent. */
async function nightlyRun(at: number): Promise<ReorderMessage[]> {
  const chunks = await cron(CRONS.reorder, at);
  return consume(chunks);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
// Purchase orders live in their vendor's read database: every one is read, then ordered as one list.
const purchaseOrders = async () =>
  (
    await queryAllReadDbs<{ id: string; vendor_id: string; location_id: string; status: string; created_by: string; created_at: number; lines: string }>(
      `SELECT p.id, p.vendor_id, p.location_id, p.status, p.created_by, p.created_at, json_group_array(json_object('sku', l.sku, 'quantity', l.quantity)) AS lines
       FROM purchase_orders p JOIN purchase_order_lines l ON l.purchase_order_id = p.id GROUP BY p.id`,
    )
  )
    .sort((a, b) => cmp(a.vendor_id, b.vendor_id) || cmp(a.location_id, b.location_id) || a.created_at - b.created_at)
    .map(({ created_at: _, ...r }) => ({ ...r, lines: (JSON.parse(r.lines) as { sku: string; quantity: number }[]).sort((a, b) => (a.sku < b.sku ? -1 : 1)) }));

/** Every suggestion of every read database (each in its vendor's: issue 19 item 2), by SKU, oldest first. */
const suggestionsBySku = async () =>
  new Map(
    (await queryAllReadDbs<Record<string, any>>("SELECT * FROM reorder_suggestions"))
      .sort((a, b) => a.created_at - b.created_at || String(a.id).localeCompare(String(b.id)))
      .map((r) => [r.sku as string, r]),
  );

describe("vendor planning settings", () => {
  it("operators read and set autoSubmitPurchaseOrders (default false); vendors may not; unknown vendor 404; bad body 400", async () => {
    const before = await api("GET", "/api/v2/vendors/V2/planning-settings", { key: keys.operator });
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ vendorId: "V2", autoSubmitPurchaseOrders: false, updatedBy: null, updatedAt: null });
    const put = await api("PUT", "/api/v2/vendors/V2/planning-settings", { key: keys.operator, body: { autoSubmitPurchaseOrders: true } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ vendorId: "V2", autoSubmitPurchaseOrders: true, updatedBy: expect.stringMatching(/^operator:key_/) });
    expect((await api("GET", "/api/v2/vendors/V2/planning-settings", { key: keys.operator })).body.autoSubmitPurchaseOrders).toBe(true);
    // An empty PUT keeps the value.
    expect((await api("PUT", "/api/v2/vendors/V2/planning-settings", { key: keys.operator, body: {} })).body.autoSubmitPurchaseOrders).toBe(true);
    expect((await api("GET", "/api/v2/vendors/V1/planning-settings", { key: keys.operator })).body.autoSubmitPurchaseOrders).toBe(false);
    expect((await api("GET", "/api/v2/vendors/V2/planning-settings", { key: keys.otherVendor })).status).toBe(403);
    expect((await api("PUT", "/api/v2/vendors/V2/planning-settings", { key: keys.otherVendor, body: { autoSubmitPurchaseOrders: false } })).status).toBe(403);
    const unknown = await api("PUT", "/api/v2/vendors/V9/planning-settings", { key: keys.operator, body: { autoSubmitPurchaseOrders: true } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("vendor_not_found");
    const bad = await api("PUT", "/api/v2/vendors/V2/planning-settings", { key: keys.operator, body: { autoSubmitPurchaseOrders: "yes" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toEqual(["body", "autoSubmitPurchaseOrders"]);
  });
});

describe("the nightly run drafts purchase orders", () => {
  it("one per vendor × location for exactly the SKUs below their reorder point; the auto-submit vendor's is submitted", async () => {
    const drafts = await nightlyRun(Date.now());
    expect(drafts).toEqual([
      { v: 1, kind: "draft", vendorId: "V1", locationId: "L1", reason: "run" },
      { v: 1, kind: "draft", vendorId: "V1", locationId: "L2", reason: "run" },
      { v: 1, kind: "draft", vendorId: "V2", locationId: "L1", reason: "run" },
    ]);
    // Each group fits in one order: nothing more is sent.
    expect(await consume(drafts)).toEqual([]);

    // Which SKUs the plans say to reorder (the forecast API), and what was suggested.
    const reorder = new Set<string>();
    for (const sku of Object.keys(CATALOGUE)) {
      const f = await api("GET", `/api/v2/forecasts/${sku}`, { key: keys.operator });
      if (f.body.plan.shouldReorder) reorder.add(sku);
    }
    expect([...reorder].sort()).toEqual(["RD-A1", "RD-A2", "RD-A3", "RD-B1"]);
    const suggestions = await suggestionsBySku();
    expect(suggestions.has("RD-HIGH")).toBe(false);

    const pos = await purchaseOrders();
    const q = (sku: string) => ({ sku, quantity: suggestions.get(sku)!.quantity as number });
    expect(pos.map(({ vendor_id, location_id, status, lines }) => ({ vendor_id, location_id, status, lines }))).toEqual([
      { vendor_id: "V1", location_id: "L1", status: "draft", lines: [q("RD-A1"), q("RD-A2")] },
      { vendor_id: "V1", location_id: "L2", status: "draft", lines: [q("RD-A3")] },
      { vendor_id: "V2", location_id: "L1", status: "submitted", lines: [q("RD-B1")] },
    ]);
    expect(pos.every((p) => p.created_by === "operator:key_system-reorder")).toBe(true);
    // Every suggestion accepted and linked to its order.
    const byGroup = new Map(pos.map((p) => [`${p.vendor_id}/${p.location_id}`, p.id]));
    for (const sku of reorder) {
      const s = suggestions.get(sku)!;
      expect(s).toMatchObject({ status: "accepted", closed_by: `po:${byGroup.get(`${s.vendor_id}/${s.location_id}`)}` });
    }
    expectLogged({ event: "reorder.drafted", vendorId: "V2", locationId: "L1", submitted: true, lines: 1 });
    // The run's drafting phase is over.
    expect(await env.DB.prepare("SELECT planned_chunks, chunks, draft_status, drafts FROM reorder_runs").all()).toMatchObject({
      results: [{ planned_chunks: 1, chunks: 1, draft_status: "done", drafts: 3 }],
    });
  });

  it("a redelivered draft message, or a draft step that died between claiming and linking, replays the same order", async () => {
    const before = await purchaseOrders();
    expect(await consume([{ v: 1, kind: "draft", vendorId: "V1", locationId: "L1", reason: "run" }])).toEqual([]);
    expect(await purchaseOrders()).toEqual(before);

    // As if the order had been created but the suggestions never linked: they hold a claim.
    const v1l1 = before.find((p) => p.vendor_id === "V1" && p.location_id === "L1")!;
    await (await readDbOfVendor("V1")).prepare("UPDATE reorder_suggestions SET closed_by = 'draft:crashed' WHERE closed_by = ?").bind(`po:${v1l1.id}`).run();
    await consume([{ v: 1, kind: "draft", vendorId: "V1", locationId: "L1", reason: "sweep" }]);
    expect(await purchaseOrders()).toEqual(before);
    const relinked = await queryAllReadDbs("SELECT sku, closed_by FROM reorder_suggestions WHERE sku IN ('RD-A1', 'RD-A2') ORDER BY sku");
    expect(relinked).toEqual([
      { sku: "RD-A1", closed_by: `po:${v1l1.id}` },
      { sku: "RD-A2", closed_by: `po:${v1l1.id}` },
    ]);
  });

  it("the next night's run drafts nothing new: the ordered units are on order", async () => {
    const before = await purchaseOrders();
    const drafts = await nightlyRun(Date.now() + DAY);
    expect(drafts).toEqual([]);
    expect(await purchaseOrders()).toEqual(before);
    expect([...(await suggestionsBySku()).values()].filter((s) => s.status === "open")).toEqual([]);
    const f = await api("GET", "/api/v2/forecasts/RD-A3", { key: keys.operator });
    expect(f.body.stockout.stockPosition).toBe(25 + (await suggestionsBySku()).get("RD-A3")!.quantity);
  });

  it("a lost draft message is picked up by the every-minute sweep once the group's suggestions settled", async () => {
    await createSku("RD-LOST", { vendorId: "V2" });
    await writeSales("RD-LOST", "L2", 120, weekly(10));
    await setOnHand(keys, "RD-LOST", "L2", 10);
    const at = Date.now() + 2 * DAY;
    const lost = await nightlyRun(at);
    expect(lost).toEqual([{ v: 1, kind: "draft", vendorId: "V2", locationId: "L2", reason: "run" }]);
    // …and dropped. Not yet settled: the sweep sends nothing.
    expect((await cron(CRONS.sweep, Date.now())).filter((m) => m.kind === "draft")).toEqual([]);
    expect((await purchaseOrders()).filter((p) => p.location_id === "L2" && p.vendor_id === "V2")).toEqual([]);

    const swept = await cron(CRONS.sweep, Date.now() + DRAFT_SETTLE_MS + 60_000);
    expect(swept).toEqual([{ v: 1, kind: "draft", vendorId: "V2", locationId: "L2", reason: "sweep" }]);
    await consume(swept);
    const drafted = (await purchaseOrders()).filter((p) => p.location_id === "L2" && p.vendor_id === "V2");
    expect(drafted).toHaveLength(1);
    expect(drafted[0]).toMatchObject({ status: "submitted", lines: [{ sku: "RD-LOST", quantity: (await suggestionsBySku()).get("RD-LOST")!.quantity }] });
    // Nothing left waiting: the next sweep sends nothing.
    expect((await cron(CRONS.sweep, Date.now() + DRAFT_SETTLE_MS + 120_000)).filter((m) => m.kind === "draft")).toEqual([]);
  });

  it("a run that lost a chunk message still drafts what was planned, once nothing moved for the settling window", async () => {
    await createSku("RD-STALL", { vendorId: "V1" });
    await writeSales("RD-STALL", "L2", 120, weekly(10));
    await setOnHand(keys, "RD-STALL", "L2", 10);
    const at = Date.now() + 3 * DAY;
    const chunks = await cron(CRONS.reorder, at);
    expect(chunks).toHaveLength(1);
    // The chunk is planned but its count is lost (as a chunk whose message vanished would never count).
    const { seq: _, ...unnumbered } = chunks[0] as Extract<ReorderMessage, { kind: "chunk" }>;
    expect(await consume([unnumbered])).toEqual([]);
    expect((await cron(CRONS.sweep, at + 60_000)).filter((m) => m.kind === "draft")).toEqual([]);
    const swept = await cron(CRONS.sweep, at + DRAFT_SETTLE_MS + 60_000);
    expect(swept).toEqual([{ v: 1, kind: "draft", vendorId: "V1", locationId: "L2", reason: "run" }]);
    await consume(swept);
    const v1l2 = (await purchaseOrders()).filter((p) => p.vendor_id === "V1" && p.location_id === "L2");
    expect(v1l2.map((p) => p.lines.map((l) => l.sku))).toEqual([["RD-A3"], ["RD-STALL"]]);
    expectLogged({ event: "reorder.run_drafting", stalled: true });
  });
});
