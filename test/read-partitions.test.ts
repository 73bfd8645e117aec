/**
 * The partitioned read model (issue 19 item 2; repositories/read-partitions.ts): M = 4 read
 * databases READ_0..READ_3, a vendor's SKUs all in one of them. Events of SKUs of vendors on
 * every partition go through the real EVENTS consumer; each row must be in its vendor's
 * database and in no other; a vendor's list reads only its database (the answer's
 * D1-Bookmark names the databases a request read); an operator's list merges all four in
 * key order under one cursor, every row once; alerts are found and acknowledged wherever
 * they live; each SKU's facts (`read_sku_facts`) are a view over its master row there.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { homeReadPartition, placedReadPartition, unownedReadPartition } from "../domain/read-partitions";
import { partitionBalance } from "../domain/event-partitions";
import { readDbs, readPartitionCount, skuReadHomes, vendorReadPartition } from "../repositories/read-partitions";
import { EVENTS_QUEUE, reservationEvent, runAcked, runQueue, thresholdEvent, updatedEvent } from "./support/event-fixtures";
import { api, createSku, seedBasics, type ApiResponse, type Keys } from "./support/fixtures";
import { queryAllReadDbs } from "./support/read-model";
import { runAllReadDbs } from "./support/read-model";

/** Vendors whose home partitions are 0, 1 (V1, from the fixtures), 2 and 3 under M = 4. */
const VENDORS = ["V4", "V1", "V3", "V6"] as const;
const SKUS_PER_VENDOR = 6;
const skuOf = (vendor: string, i: number) => `RP-${vendor}-${String(i).padStart(2, "0")}`;

let keys: Keys;
let vendorKeys: Map<string, string>;

beforeAll(async () => {
  keys = await seedBasics();
  vendorKeys = new Map([["V1", keys.vendor]]);
  for (const v of VENDORS) {
    if (v === "V1") continue;
    expect((await api("POST", "/api/v2/vendors", { key: keys.operator, body: { id: v, name: `Vendor ${v}` } })).status).toBe(201);
    const key = await api("POST", "/api/v2/api-keys", { key: keys.operator, body: { name: `key ${v}`, scope: "vendor", vendorId: v } });
    expect(key.status).toBe(201);
    vendorKeys.set(v, key.body.key);
  }
  for (const v of VENDORS) for (let i = 0; i < SKUS_PER_VENDOR; i++) await createSku(skuOf(v, i), { vendorId: v });
  await runAllReadDbs("UPDATE skus SET reorder_point = 5 WHERE sku LIKE 'RP-%'");
  // Two locations per SKU, through the real EVENTS consumer (one batch: it spans all four databases).
  const events = VENDORS.flatMap((v) =>
    Array.from({ length: SKUS_PER_VENDOR }, (_, i) => [
      updatedEvent(skuOf(v, i), 1, "L1", { onHand: 10 + i }),
      updatedEvent(skuOf(v, i), 2, "L2", { onHand: 3 }),
    ]).flat(),
  );
  const result = await runAcked(EVENTS_QUEUE, events);
  expect(result.retryMessages).toEqual([]);
});

describe("placement", () => {
  it("M is the number of READ_<n> bindings; the test vendors' homes cover every partition", async () => {
    expect(readPartitionCount(env)).toBe(4);
    expect(VENDORS.map((v) => homeReadPartition(v, 4))).toEqual([0, 1, 2, 3]);
    expect(await Promise.all(VENDORS.map((v) => vendorReadPartition(env, v)))).toEqual([0, 1, 2, 3]);
    // The fixtures pin V2 to READ_2 (its home is READ_1): a stored partition wins over the hash.
    expect(homeReadPartition("V2", 4)).toBe(1);
    expect(await vendorReadPartition(env, "V2")).toBe(2);
    expect(placedReadPartition("V2", null, 4)).toBe(1);
    expect(() => placedReadPartition("V2", 7, 4)).toThrow(/pinned to read partition 7/);
  });

  it("vendors spread evenly: max/mean ≤ 1.2 over 10,000 vendor ids at M = 4 and M = 32", () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `vendor:V-${String(i).padStart(6, "0")}`);
    for (const m of [4, 32]) expect(partitionBalance(ids, m).maxOverMean).toBeLessThanOrEqual(1.2);
    // homeReadPartition is that same hash of `vendor:<id>`.
    expect(homeReadPartition("V-000123", 32)).toBe(partitionBalance(["vendor:V-000123"], 32).counts.indexOf(1));
  });

  it("every projection row and facts row is in its vendor's database and in no other", async () => {
    for (const [p, db] of readDbs(env).entries()) {
      const levels = (await db.prepare("SELECT sku FROM inventory_levels WHERE sku LIKE 'RP-%' ORDER BY sku, location_id").all<{ sku: string }>()).results;
      const facts = (await db.prepare("SELECT sku, vendor_id FROM read_sku_facts WHERE sku LIKE 'RP-%' ORDER BY sku").all<{ sku: string; vendor_id: string }>())
        .results;
      const processed = (await db.prepare("SELECT count(*) AS n FROM processed_events WHERE sku LIKE 'RP-%'").first<{ n: number }>())!.n;
      const vendor = VENDORS[p]!;
      const mine = Array.from({ length: SKUS_PER_VENDOR }, (_, i) => skuOf(vendor, i));
      expect(levels.map((r) => r.sku)).toEqual(mine.flatMap((s) => [s, s]));
      expect(facts).toEqual(mine.map((sku) => ({ sku, vendor_id: vendor })));
      expect(processed).toBe(SKUS_PER_VENDOR * 2);
    }
    // And skuReadHomes says the same; a SKU without master data goes by its own id's hash.
    const homes = await skuReadHomes(env, [skuOf("V3", 0), "RP-NOBODY"]);
    expect(homes.get(skuOf("V3", 0))).toEqual({ vendorId: "V3", partition: 2 });
    expect(homes.get("RP-NOBODY")).toEqual({ vendorId: null, partition: unownedReadPartition("RP-NOBODY", 4) });
  });
});

describe("lists", () => {
  const bookmarkedDatabases = (header: string | null): string[] => (header ?? "").split(",").map((p) => p.split("=")[0] ?? "");

  it("a vendor's stock list reads its one read database, and shows only its rows", async () => {
    for (const [p, v] of VENDORS.entries()) {
      const res = await api("GET", "/api/v2/inventory?skuPrefix=RP-&limit=200", { key: vendorKeys.get(v)! });
      expect(res.status).toBe(200);
      expect(res.body.items.map((r: { sku: string }) => r.sku)).toEqual(Array.from({ length: SKUS_PER_VENDOR }, (_, i) => [skuOf(v, i), skuOf(v, i)]).flat());
      expect(bookmarkedDatabases(res.headers.get("d1-bookmark")).filter((d) => d.startsWith("READ_"))).toEqual([`READ_${p}`]);
    }
  });

  it("an operator's list merges all four databases in (sku, location) order; paging by 5 sees every row once", async () => {
    const all = await queryAllReadDbs<{ sku: string; location_id: string }>("SELECT sku, location_id FROM inventory_levels WHERE sku LIKE 'RP-%'");
    const expected = all.map((r) => `${r.sku}/${r.location_id}`).sort();
    expect(expected).toHaveLength(VENDORS.length * SKUS_PER_VENDOR * 2);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: ApiResponse = await api("GET", `/api/v2/inventory?skuPrefix=RP-&limit=5${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`, {
        key: keys.operator,
      });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(5);
      seen.push(...res.body.items.map((r: { sku: string; locationId: string }) => `${r.sku}/${r.locationId}`));
      expect(new Set(bookmarkedDatabases(res.headers.get("d1-bookmark")).filter((d) => d.startsWith("READ_")))).toEqual(
        new Set(["READ_0", "READ_1", "READ_2", "READ_3"]),
      );
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 20);
    expect(seen).toEqual(expected);
    // A filter that needs the SKU's facts (owner, reorder point) works in every database.
    const low = await api("GET", "/api/v2/inventory?skuPrefix=RP-&lowStock=true&limit=200", { key: keys.operator });
    expect(low.body.items.map((r: { sku: string; locationId: string }) => `${r.sku}/${r.locationId}`)).toEqual(expected.filter((k) => k.endsWith("/L2")));
    const byVendor = await api("GET", "/api/v2/inventory?skuPrefix=RP-&vendorId=V6&limit=200", { key: keys.operator });
    expect(new Set(byVendor.body.items.map((r: { vendorId: string }) => r.vendorId))).toEqual(new Set(["V6"]));
  });
});

describe("alerts", () => {
  it("operator lists merge newest first; an alert in any database is found, acknowledged, and refused to other vendors", async () => {
    // Out of stock for the first SKU of every vendor (threshold events at increasing times).
    const result = await runAcked(
      EVENTS_QUEUE,
      VENDORS.map((v, k) => thresholdEvent("inventory.out_of_stock", skuOf(v, 0), 3 + k, 5, 0)),
    );
    expect(result.retryMessages).toEqual([]);
    const list = await api("GET", "/api/v2/alerts?kind=out_of_stock&limit=100", { key: keys.operator });
    expect(list.status).toBe(200);
    const ours = list.body.items.filter((a: { sku: string }) => a.sku.startsWith("RP-"));
    // Newest first: the later sequence (and occurredAt) of each event in the order sent.
    expect(ours.map((a: { sku: string }) => a.sku)).toEqual([...VENDORS].reverse().map((v) => skuOf(v, 0)));
    expect(ours.map((a: { vendorId: string }) => a.vendorId)).toEqual([...VENDORS].reverse());
    // Paging one at a time gives the same order.
    const paged: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10 && (i === 0 || cursor !== null); i++) {
      const res: ApiResponse = await api("GET", `/api/v2/alerts?kind=out_of_stock&limit=1${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`, {
        key: keys.operator,
      });
      paged.push(...res.body.items.map((a: { sku: string }) => a.sku));
      cursor = res.body.nextCursor;
    }
    expect(paged.filter((s) => s.startsWith("RP-"))).toEqual(ours.map((a: { sku: string }) => a.sku));

    const v3 = ours.find((a: { vendorId: string }) => a.vendorId === "V3");
    const ack = await api("POST", `/api/v2/alerts/${v3.id}/acknowledge`, { key: vendorKeys.get("V3")! });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ id: v3.id, acknowledgedBy: expect.stringContaining("vendor:V3") });
    const row = await readDbs(env)[2]!.prepare("SELECT acknowledged_by FROM alerts WHERE id = ?").bind(v3.id).first<{ acknowledged_by: string }>();
    expect(row?.acknowledged_by).toContain("vendor:V3");
    // Another vendor's alert (in another database) is a 403, not a 404; an unknown id a 404.
    expect((await api("POST", `/api/v2/alerts/${v3.id}/acknowledge`, { key: vendorKeys.get("V6")! })).status).toBe(403);
    expect((await api("POST", "/api/v2/alerts/alr_000000000000000000000000/acknowledge", { key: keys.operator })).status).toBe(404);
  });
});

describe("the facts the lists read", () => {
  it("are the master row's, in its vendor's database: a master-data write shows at once, with no copy to push or repair", async () => {
    const sku = skuOf("V6", 1);
    const facts = () =>
      readDbs(env)[3]!.prepare("SELECT name, reorder_point, version FROM read_sku_facts WHERE sku = ?").bind(sku).first<Record<string, unknown>>();
    const before = (await facts())!;
    const rename = await api("PUT", `/api/v2/skus/${sku}`, { key: keys.operator, body: { productId: `P-${sku}`, name: "Renamed", reorderPoint: 9 } });
    expect(rename.status).toBe(200);
    expect(await facts()).toEqual({ name: "Renamed", reorder_point: 9, version: (before.version as number) + 1 });
    // A write straight to the row (no push at all): the lists see it too.
    await readDbs(env)[3]!.prepare("UPDATE skus SET name = 'Straight' WHERE sku = ?").bind(sku).run();
    expect(await facts()).toMatchObject({ name: "Straight" });
    const listed = await api("GET", `/api/v2/inventory?skuPrefix=${sku}&limit=10`, { key: keys.operator });
    const levels = await readDbs(env)[3]!
      .prepare("SELECT location_id FROM inventory_levels WHERE sku = ? ORDER BY location_id")
      .bind(sku)
      .all<{ location_id: string }>();
    expect(levels.results).toHaveLength(2);
    expect(listed.body.items.map((r: { sku: string; locationId: string }) => `${r.sku}/${r.locationId}`)).toEqual(
      levels.results.map((l) => `${sku}/${l.location_id}`),
    );
    // No other database has it.
    for (const p of [0, 1, 2]) expect(await readDbs(env)[p]!.prepare("SELECT 1 FROM read_sku_facts WHERE sku = ?").bind(sku).first()).toBeNull();
  });
});

describe("a SKU that changes vendor", () => {
  it("takes its read-model rows to the new vendor's database: listed once, under its new owner", async () => {
    const sku = skuOf("V4", 4);
    const before = await readDbs(env)[0]!
      .prepare("SELECT location_id, on_hand, last_sequence FROM inventory_levels WHERE sku = ? ORDER BY location_id")
      .bind(sku)
      .all();
    expect(before.results).toHaveLength(2);
    const moved = await api("POST", `/api/v2/skus/${sku}/transfer`, { key: keys.operator, body: { vendorId: "V6", productId: "P-RP-V6-NEW" } });
    expect(moved.status).toBe(200);
    const count = async (p: number, table: string) =>
      (await readDbs(env)[p]!.prepare(`SELECT count(*) AS n FROM ${table} WHERE sku = ?`).bind(sku).first<{ n: number }>())!.n;
    expect(await count(0, "inventory_levels")).toBe(0);
    expect(await count(0, "read_sku_facts")).toBe(0);
    expect(await count(0, "processed_events")).toBe(0);
    const after = await readDbs(env)[3]!
      .prepare("SELECT location_id, on_hand, last_sequence FROM inventory_levels WHERE sku = ? ORDER BY location_id")
      .bind(sku)
      .all();
    expect(after.results).toEqual(before.results);
    expect(await count(3, "processed_events")).toBe(2);
    expect((await readDbs(env)[3]!.prepare("SELECT vendor_id FROM read_sku_facts WHERE sku = ?").bind(sku).first<{ vendor_id: string }>())!.vendor_id).toBe(
      "V6",
    );
    const everyone = await api("GET", `/api/v2/inventory?skuPrefix=${sku}&limit=10`, { key: keys.operator });
    expect(everyone.body.items.map((r: { vendorId: string }) => r.vendorId)).toEqual(["V6", "V6"]);
    expect((await api("GET", `/api/v2/inventory?skuPrefix=${sku}`, { key: vendorKeys.get("V4")! })).body.items).toEqual([]);
    expect((await api("GET", `/api/v2/inventory?skuPrefix=${sku}`, { key: vendorKeys.get("V6")! })).body.items).toHaveLength(2);
    // Its next event is applied in the new database, once.
    expect((await runAcked(EVENTS_QUEUE, [updatedEvent(sku, 3, "L1", { onHand: 5 })])).retryMessages).toEqual([]);
    expect(
      (await readDbs(env)[3]!.prepare("SELECT on_hand FROM inventory_levels WHERE sku = ? AND location_id = 'L1'").bind(sku).first<{ on_hand: number }>())!
        .on_hand,
    ).toBe(5);
    expect(await count(0, "inventory_levels")).toBe(0);
  });
});

describe("re-partitioning: moving a vendor's rows online", () => {
  const snapshot = async (db: D1Database, vendor: string) => {
    const of = async (table: string, order: string) =>
      (await db.prepare(`SELECT * FROM ${table} WHERE sku LIKE ? ORDER BY ${order}`).bind(`RP-${vendor}-%`).all<Record<string, unknown>>()).results;
    return {
      // Master data (issue 19 item 3): the SKUs' rows and push versions.
      skus: await of("skus", "sku"),
      masterPush: await of("sku_master_push", "sku"),
      facts: await of("read_sku_facts", "sku"),
      levels: await of("inventory_levels", "sku, location_id"),
      alerts: await of("alerts", "id"),
      cursors: await of("alert_cursors", "sku"),
      sales: await of("daily_sales", "sku, location_id, day"),
      processed: await of("processed_events", "event_id"),
      skuPlanning: await of("sku_planning", "sku"),
      vendorPlanning: (await db.prepare("SELECT * FROM vendor_planning WHERE vendor_id = ?").bind(vendor).all<Record<string, unknown>>()).results,
      orders: (await db.prepare("SELECT * FROM purchase_orders WHERE vendor_id = ? ORDER BY id").bind(vendor).all<Record<string, unknown>>()).results,
      orderLines: (
        await db
          .prepare(
            "SELECT * FROM purchase_order_lines WHERE purchase_order_id IN (SELECT id FROM purchase_orders WHERE vendor_id = ?) ORDER BY purchase_order_id, line_no",
          )
          .bind(vendor)
          .all<Record<string, unknown>>()
      ).results,
    };
  };

  it("drains (events wait, alert actions 503), copies, switches, then deletes the old rows; nothing lost or doubled", async () => {
    const { advanceMove, MOVE_TIMING } = await import("../services/read-moves");
    const [from, to] = [readDbs(env)[2]!, readDbs(env)[0]!];
    // A sale, so daily sales move too; planning settings of a SKU and of the vendor (the features' tables).
    expect((await runAcked(EVENTS_QUEUE, [reservationSale(skuOf("V3", 2), 9)])).retryMessages).toEqual([]);
    expect((await api("PUT", `/api/v2/planning-settings/${skuOf("V3", 1)}`, { key: keys.operator, body: { unitCost: 4.5, category: "tents" } })).status).toBe(
      200,
    );
    expect((await api("PUT", "/api/v2/vendors/V3/planning-settings", { key: keys.operator, body: { autoSubmitPurchaseOrders: true } })).status).toBe(200);
    // And a purchase order of the vendor (with its lines).
    const order = await api("POST", "/api/v2/purchase-orders", {
      key: keys.operator,
      idempotencyKey: "rp-move-po",
      body: {
        vendorId: "V3",
        locationId: "L2",
        lines: [
          { sku: skuOf("V3", 4), quantity: 3 },
          { sku: skuOf("V3", 5), quantity: 2 },
        ],
      },
    });
    expect(order.status).toBe(201);
    const before = await snapshot(from, "V3");
    expect([before.skuPlanning.length, before.vendorPlanning.length, before.orders.length, before.orderLines.length]).toEqual([1, 1, 1, 2]);
    expect(before.levels).toHaveLength(SKUS_PER_VENDOR * 2);
    expect([before.skus.length, before.masterPush.length]).toEqual([SKUS_PER_VENDOR, SKUS_PER_VENDOR]);
    expect(before.sales).toHaveLength(1);
    expect(before.alerts.length).toBeGreaterThan(0);
    const listBefore = (await api("GET", "/api/v2/inventory?skuPrefix=RP-&limit=200", { key: keys.operator })).body.items;

    const started = await api("POST", "/api/v2/read-partitions/moves", { key: keys.operator, body: { vendorId: "V3", to: 0 } });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ vendorId: "V3", from: 2, to: 0, state: "draining" });
    const id: string = started.body.id;
    // A second move of the same vendor, a move to where it is, an unknown vendor, a database that does not exist.
    expect((await api("POST", "/api/v2/read-partitions/moves", { key: keys.operator, body: { vendorId: "V3", to: 1 } })).body.error.code).toBe(
      "move_in_progress",
    );
    expect((await api("POST", "/api/v2/read-partitions/moves", { key: keys.operator, body: { vendorId: "V6", to: 3 } })).body.error.code).toBe("already_there");
    expect((await api("POST", "/api/v2/read-partitions/moves", { key: keys.operator, body: { vendorId: "NOPE", to: 1 } })).status).toBe(404);
    expect((await api("POST", "/api/v2/read-partitions/moves", { key: keys.operator, body: { vendorId: "V6", to: 4 } })).status).toBe(400);
    expect((await api("POST", "/api/v2/read-partitions/moves", { key: vendorKeys.get("V3")!, body: { vendorId: "V3", to: 1 } })).status).toBe(403);

    // Draining: the vendor's events are retried, not applied; another vendor's are applied.
    const waiting = updatedEvent(skuOf("V3", 3), 3, "L1", { onHand: 77 });
    const drained = await runQueue(EVENTS_QUEUE, [waiting, updatedEvent(skuOf("V6", 3), 3, "L1", { onHand: 66 })]);
    expect(drained.result.retryMessages.map((m) => m.msgId)).toEqual([drained.ids[0]]);
    expect(drained.result.explicitAcks).toEqual([drained.ids[1]]);
    expect(await snapshot(from, "V3")).toEqual(before);
    const alertId = before.alerts[0]!.id as string;
    const refused = await api("POST", `/api/v2/alerts/${alertId}/acknowledge`, { key: keys.operator });
    expect([refused.status, refused.body.error.code]).toEqual([503, "retry_later"]);
    // Nothing happens before the drain time has passed.
    expect((await advanceMove(env, id))!.state).toBe("draining");

    // Copy and switch: the target holds exactly the old rows; the old ones are still there.
    const t0 = Date.now() + MOVE_TIMING.drainMs + 1;
    expect((await advanceMove(env, id, t0))!.state).toBe("switched");
    expect(await snapshot(to, "V3")).toEqual(before);
    expect(await snapshot(from, "V3")).toEqual(before);
    expect(await vendorReadPartition(env, "V3")).toBe(0);
    // The waiting event is applied where the vendor lives now; the vendor's list reads READ_0.
    expect((await runAcked(EVENTS_QUEUE, [waiting])).retryMessages).toEqual([]);
    const row = await to.prepare("SELECT on_hand FROM inventory_levels WHERE sku = ? AND location_id = 'L1'").bind(skuOf("V3", 3)).first<{ on_hand: number }>();
    expect(row!.on_hand).toBe(77);
    const mine = await api("GET", "/api/v2/inventory?skuPrefix=RP-&limit=200", { key: vendorKeys.get("V3")! });
    expect(
      (mine.headers.get("d1-bookmark") ?? "")
        .split(",")
        .filter((p) => p.startsWith("READ_"))
        .map((p) => p.split("=")[0]),
    ).toEqual(["READ_0"]);
    // Alert actions work again, on the new copy.
    expect((await api("POST", `/api/v2/alerts/${alertId}/acknowledge`, { key: keys.operator })).status).toBe(200);
    expect(
      (await to.prepare("SELECT acknowledged_at FROM alerts WHERE id = ?").bind(alertId).first<{ acknowledged_at: number | null }>())!.acknowledged_at,
    ).not.toBeNull();

    // Until the cleanup both databases hold the vendor's rows: the operator's lists show each
    // row once (the copy where the vendor lives now), in one page and page by page.
    const key = (r: { sku: string; locationId: string }) => `${r.sku}/${r.locationId}`;
    const whole = (await api("GET", "/api/v2/inventory?skuPrefix=RP-&limit=200", { key: keys.operator })).body.items;
    expect(whole.map(key)).toEqual(listBefore.map(key));
    expect(whole.find((r: { sku: string; locationId: string }) => key(r) === `${skuOf("V3", 3)}/L1`).onHand).toBe(77);
    const paged: { sku: string; locationId: string }[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 40; pages++) {
      const res: ApiResponse = await api("GET", `/api/v2/inventory?skuPrefix=RP-&limit=7${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`, {
        key: keys.operator,
      });
      paged.push(...res.body.items);
      cursor = res.body.nextCursor;
      if (cursor === null) break;
    }
    expect(paged.map(key)).toEqual(listBefore.map(key));
    const alertsNow = (await api("GET", "/api/v2/alerts?limit=200", { key: keys.operator })).body.items as { id: string; acknowledgedAt: string | null }[];
    expect(new Set(alertsNow.map((a) => a.id)).size).toBe(alertsNow.length);
    expect(alertsNow.filter((a) => before.alerts.some((b) => b.id === a.id))).toHaveLength(before.alerts.length);
    expect(alertsNow.find((a) => a.id === alertId)!.acknowledgedAt).not.toBeNull();
    const ordersNow = (await api("GET", "/api/v2/purchase-orders?limit=100", { key: keys.operator })).body.items as { id: string }[];
    expect(ordersNow.filter((o) => o.id === order.body.id)).toHaveLength(1);

    // Cleanup after the caches' bound: the old rows are gone; the operator's list is the one from before, with the new event.
    expect((await advanceMove(env, id, t0 + 1000))!.state).toBe("switched");
    const done = await advanceMove(env, id, t0 + MOVE_TIMING.cleanupAfterMs + 1);
    // Every table's rows but the facts (a view over `skus`: they move with the master rows).
    const { facts: _view, ...tables } = before;
    expect(done).toMatchObject({ state: "done", rowsCopied: Object.values(tables).reduce((n, rows) => n + rows.length, 0) });
    expect(done!.rowsDeleted).toBe(done!.rowsCopied);
    const gone = await snapshot(from, "V3");
    expect(Object.values(gone).every((rows) => rows.length === 0)).toBe(true);
    const listAfter = (await api("GET", "/api/v2/inventory?skuPrefix=RP-&limit=200", { key: keys.operator })).body.items;
    expect(listAfter.map(key)).toEqual(listBefore.map(key));
    expect(listAfter.find((r: { sku: string; locationId: string }) => key(r) === `${skuOf("V3", 3)}/L1`).onHand).toBe(77);
    expect((await api("GET", `/api/v2/read-partitions/moves/${id}`, { key: keys.operator })).body.state).toBe("done");
    // The order is found (by id and in the vendor's list) where the vendor lives now.
    const found = await api("GET", `/api/v2/purchase-orders/${order.body.id}`, { key: vendorKeys.get("V3")! });
    expect([found.status, found.body.id, found.body.lines.length]).toEqual([200, order.body.id, 2]);
    expect((await api("GET", "/api/v2/read-partitions/moves?vendorId=V3", { key: keys.operator })).body.items.map((m: { id: string }) => m.id)).toEqual([id]);
  });

  it("pinning stores every vendor's current database (the first step of changing M) and moves nobody", async () => {
    const vendorsNow = (await env.DB.prepare("SELECT id FROM vendors ORDER BY id").all<{ id: string }>()).results.map((r) => r.id);
    const placed = await Promise.all(vendorsNow.map((v) => vendorReadPartition(env, v)));
    const unpinned = (await env.DB.prepare("SELECT count(*) AS n FROM vendors WHERE read_partition IS NULL").first<{ n: number }>())!.n;
    expect(unpinned).toBeGreaterThan(0);
    const res = await api("POST", "/api/v2/read-partitions/pin", { key: keys.operator });
    expect(res.body).toEqual({ pinned: unpinned });
    expect((await api("POST", "/api/v2/read-partitions/pin", { key: keys.operator })).body).toEqual({ pinned: 0 });
    const stored = (await env.DB.prepare("SELECT id, read_partition FROM vendors ORDER BY id").all<{ id: string; read_partition: number }>()).results;
    expect(stored.map((r) => r.read_partition)).toEqual(placed);
    expect((await api("GET", "/api/v2/read-partitions", { key: keys.operator })).body).toEqual({ partitions: 4 });
  });
});

/** A fulfilled reservation of `units` at L1 (a sale). */
function reservationSale(sku: string, sequence: number) {
  return reservationEvent("reservation.fulfilled", sku, sequence, [{ locationId: "L1", quantity: 2 }]);
}
