/**
 * `GET /api/v2/inventory` over `exports.default.fetch`, reading the projection the EVENTS
 * consumer (called directly) builds: keyset pagination is complete and stable while rows
 * are updated and inserted between pages (every row that existed throughout is seen exactly
 * once, in order); filters combine (each combination equals the full list filtered in the
 * test); vendors see only their SKUs; bad queries are 400s in the envelope; the list's
 * authentication does not leak onto the other `/api/v2/inventory/*` routes.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createSku, seedBasics, type Keys } from "./support/fixtures";
import { queryAllReadDbs } from "./support/read-model";
import { EVENTS_QUEUE, runAcked, updatedEvent } from "./support/event-fixtures";
import type { InventoryEvent } from "../domain/events";
import { runAllReadDbs } from "./support/read-model";

let keys: Keys;

interface Item {
  sku: string;
  vendorId: string | null;
  locationId: string;
  available: number;
  status: string;
  reorderPoint: number | null;
  sequence: number;
  updatedAt: string;
  onHand: number;
}

/** Each SKU's next event sequence. */
const sequences = new Map<string, number>();
function nextEvent(sku: string, locationId: string, onHand: number, reserved = 0): InventoryEvent {
  const seq = (sequences.get(sku) ?? 0) + 1;
  sequences.set(sku, seq);
  return updatedEvent(sku, seq, locationId, { onHand, reserved });
}

beforeAll(async () => {
  keys = await seedBasics();
  const events: InventoryEvent[] = [];
  for (let i = 0; i < 12; i++) {
    const sku = `LS-A-${String(i).padStart(2, "0")}`;
    await createSku(sku, { vendorId: "V1" });
    events.push(nextEvent(sku, "L1", i), nextEvent(sku, "L2", 12 - i));
    // Half of them change again later (sequence 3 → updated at 10:00:03).
    if (i >= 6) events.push(nextEvent(sku, "L2", 12 - i));
  }
  for (let i = 0; i < 6; i++) {
    const sku = `LS-B-${String(i).padStart(2, "0")}`;
    await createSku(sku, { vendorId: "V2" });
    events.push(nextEvent(sku, "L1", i * 2));
    if (i % 2 === 0) events.push(nextEvent(sku, "L4", 1));
  }
  await createSku("LX-BO", { vendorId: "V1", allowBackorder: true });
  events.push(nextEvent("LX-BO", "L1", 0, 2));
  await runAllReadDbs("UPDATE skus SET reorder_point = 5 WHERE vendor_id = 'V1'");
  await runAllReadDbs("UPDATE skus SET reorder_point = 3 WHERE vendor_id = 'V2'");
  await runAcked(EVENTS_QUEUE, events);
});

/** Pages through a query, returning every item in order, and the number of pages. */
async function pageAll(query: string, key = keys.operator, limit = 4, between?: (page: number) => Promise<void>): Promise<{ items: Item[]; pages: number }> {
  const items: Item[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: { status: number; body: { items: Item[]; nextCursor: string | null } } = await api(
      "GET",
      `/api/v2/inventory?limit=${limit}${query ? `&${query}` : ""}${cursor ? `&cursor=${cursor}` : ""}`,
      { key },
    );
    if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages += 1;
    if (between !== undefined && cursor !== null) await between(pages);
  } while (cursor !== null);
  return { items, pages };
}

const key = (i: Pick<Item, "sku" | "locationId">) => `${i.sku}@${i.locationId}`;

describe("pagination", () => {
  it("one page holds everything in (sku, location) order; the count matches the projection", async () => {
    const res = await api("GET", "/api/v2/inventory?limit=500", { key: keys.operator });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.body.nextCursor).toBeNull();
    const counts = await queryAllReadDbs<{ n: number }>("SELECT count(*) AS n FROM inventory_levels");
    const total = counts.reduce((n, r) => n + r.n, 0);
    expect(res.body.items).toHaveLength(total);
    const keys_ = res.body.items.map(key);
    expect(keys_).toEqual([...keys_].sort());
    expect(res.body.items[0]).toEqual({
      sku: "LS-A-00",
      vendorId: "V1",
      locationId: "L1",
      onHand: 0,
      reserved: 0,
      softHeld: 0,
      committed: 0,
      inTransit: 0,
      damaged: 0,
      onHold: 0,
      available: 0,
      status: "out_of_stock",
      reorderPoint: 5,
      sequence: 1,
      updatedAt: "2026-11-20T10:00:01.000Z",
      // V1 was created just now: its sync data is not stale (test/inventory-list-stale.test.ts).
      stale: false,
    });
    const defaultPage = await api("GET", "/api/v2/inventory", { key: keys.operator });
    expect(defaultPage.body.items).toHaveLength(Math.min(100, total));
  });

  it("is complete and stable under concurrent updates and inserts: every row seen once, in order", async () => {
    const before = (await pageAll("", keys.operator, 500)).items.map(key);
    await createSku("LZ-NEW", { vendorId: "V1" });
    await createSku("LA-NEW", { vendorId: "V1" });
    const { items, pages } = await pageAll("", keys.operator, 5, async (page) => {
      // Between pages: update rows already seen and rows still ahead, and insert rows
      // behind the cursor (LA-…) and ahead of it (LZ-…).
      await runAcked(EVENTS_QUEUE, [
        nextEvent("LS-A-00", "L1", 100 + page),
        nextEvent("LS-A-11", "L2", 200 + page),
        nextEvent("LS-B-03", "L1", 300 + page),
        ...(page === 2 ? [nextEvent("LA-NEW", "L1", 1), nextEvent("LZ-NEW", "L1", 1)] : []),
      ]);
    });
    expect(pages).toBeGreaterThan(5);
    const seen = items.map(key);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort());
    for (const k of before) expect(seen).toContain(k);
    expect(seen).toContain("LZ-NEW@L1");
    expect(seen).not.toContain("LA-NEW@L1");
    // Rows read after their update show it.
    expect(items.find((i) => key(i) === "LS-A-11@L2")!.onHand).toBeGreaterThanOrEqual(200);
  });
});

describe("filters", () => {
  let all: Item[];
  beforeAll(async () => {
    all = (await pageAll("", keys.operator, 500)).items;
  });

  const midpoint = "2026-11-20T10:00:03.000Z";
  const cases: [string, (i: Item) => boolean][] = [
    ["vendorId=V1", (i) => i.vendorId === "V1"],
    ["locationId=L2", (i) => i.locationId === "L2"],
    ["status=low_stock", (i) => i.status === "low_stock"],
    ["status=backorder", (i) => i.status === "backorder"],
    ["lowStock=true", (i) => i.available <= (i.reorderPoint ?? 0)],
    ["lowStock=false&vendorId=V2", (i) => i.available > (i.reorderPoint ?? 0) && i.vendorId === "V2"],
    ["vendorId=V1&locationId=L1&status=in_stock", (i) => i.vendorId === "V1" && i.locationId === "L1" && i.status === "in_stock"],
    ["skuPrefix=LS-A-0", (i) => i.sku.startsWith("LS-A-0")],
    [`updatedSince=${midpoint}`, (i) => i.updatedAt >= midpoint],
    [
      `vendorId=V1&lowStock=true&skuPrefix=LS-A&updatedSince=${midpoint}&locationId=L2`,
      (i) => i.vendorId === "V1" && i.available <= 5 && i.sku.startsWith("LS-A") && i.updatedAt >= midpoint && i.locationId === "L2",
    ],
    ["locationId=L4&status=low_stock&skuPrefix=LS-B", (i) => i.locationId === "L4" && i.status === "low_stock" && i.sku.startsWith("LS-B")],
  ];

  it.each(cases)("%s equals the full list filtered", async (query, predicate) => {
    const expected = all.filter(predicate).map(key);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all.length);
    expect((await pageAll(query, keys.operator, 3)).items.map(key)).toEqual(expected);
  });
});

describe("scoping and errors", () => {
  it("a vendor sees only its own SKUs, and may not ask for another vendor's", async () => {
    const operatorView = (await pageAll("vendorId=V1", keys.operator, 500)).items.map(key);
    expect((await pageAll("", keys.vendor, 7)).items.map(key)).toEqual(operatorView);
    expect((await pageAll("vendorId=V1", keys.vendor, 500)).items.map(key)).toEqual(operatorView);
    const v2 = (await pageAll("", keys.otherVendor, 500)).items;
    expect(v2.length).toBeGreaterThan(0);
    expect(v2.every((i) => i.vendorId === "V2")).toBe(true);
    const denied = await api("GET", "/api/v2/inventory?vendorId=V2", { key: keys.vendor });
    expect([denied.status, denied.body.error.code]).toEqual([403, "forbidden"]);
    expect((await api("GET", "/api/v2/inventory", { key: keys.checkout })).status).toBe(403);
    expect((await api("GET", "/api/v2/inventory")).status).toBe(401);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=501", "limit"],
    ["limit=2.5", "limit"],
    ["status=bogus", "status"],
    ["lowStock=yes", "lowStock"],
    ["updatedSince=yesterday", "updatedSince"],
    ["skuPrefix=bad%20prefix", "skuPrefix"],
    ["vendorId=%2Fx", "vendorId"],
    ["cursor=garbage", "cursor"],
    ["cursor=WyJ3bDEiLCJ3aF8wMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAiXQ", "cursor"],
    ["sort=sku", "sort"],
  ])("?%s → 400 at query.%s", async (query, field) => {
    const res = await api("GET", `/api/v2/inventory?${query}`, { key: keys.operator });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    expect(res.body.error.details[0].path).toEqual(["query", field]);
  });

  it("the list's authentication applies to the list only: checkout still reaches the reservation routes", async () => {
    const res = await api("POST", "/api/v2/inventory/reserve", { key: keys.checkout, idempotencyKey: "ls-1", body: { type: "hard" } });
    expect([res.status, res.body.error.code]).toEqual([400, "invalid_request"]);
  });
});
