/**
 * Google Merchant Center feeds (`GET /api/v2/feeds/merchant-center/local-inventory` and
 * `/products`, issue 16 Deliver 3) through the Worker, from the D1 read model the EVENTS
 * consumer (called directly) builds: the exact TSV of each feed — store codes (our location
 * ids: stores and pickup points only, an inactive one never), quantities and local
 * availability, pickup method and SLA from the location; product availability from our
 * status, `availability_date` from the earliest open arrival (a transfer in transit, a
 * shipped PO line) at a selling location, a backorder's from its lead time, a pre-order
 * without a date left out and counted; one store; keyset pages with `Link: rel="next"` that
 * together are the whole feed; JSON and CSV; who may read which vendor's feed.
 */
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { InventoryEvent } from "../domain/events";
import { EVENTS_QUEUE, runAcked, updatedEvent } from "./support/event-fixtures";
import { api, createSku, seedBasics, type Keys } from "./support/fixtures";
import { readDbOfVendor } from "./support/read-model";
import { runAllReadDbs } from "./support/read-model";

let keys: Keys;
const DAY = 86_400_000;
const dec = (d: number) => Date.parse(`2026-12-${String(d).padStart(2, "0")}T10:00:00Z`);

const sequences = new Map<string, number>();
function level(sku: string, locationId: string, after: { onHand?: number; reserved?: number; inTransit?: number }): InventoryEvent {
  const seq = (sequences.get(sku) ?? 0) + 1;
  sequences.set(sku, seq);
  return updatedEvent(sku, seq, locationId, after);
}

beforeAll(async () => {
  keys = await seedBasics();
  // L1, L2: fulfilment centres (sell, not stores); L4: a store without pickup (not sellable); L3: inactive.
  await env.DB.prepare(
    `INSERT INTO locations (id, name, type, country_code, city, latitude, longitude, can_ship, can_pickup, handling_hours, priority, active) VALUES
     ('MC-LYS', 'Lyon store', 'store', 'FR', 'Lyon', 45.76, 4.83, 0, 1, 4, 40, 1),
     ('MC-LIL', 'Lille pickup', 'warehouse', 'FR', 'Lille', 50.63, 3.06, 1, 1, 30, 50, 1),
     ('MC-OLD', 'Closed store', 'store', 'FR', 'Nice', 43.70, 7.26, 0, 1, 4, 60, 0)`,
  ).run();
  for (const sku of ["MC-A", "MC-B", "MC-D", "MC-G"]) await createSku(sku);
  await createSku("MC-C", { allowBackorder: true });
  await createSku("MC-E", { status: "discontinued" });
  await createSku("MC-Z", { vendorId: "V2" });
  await runAllReadDbs("UPDATE skus SET reorder_point = 5 WHERE sku = 'MC-B'");
  await runAllReadDbs("UPDATE skus SET lead_time_days = 10 WHERE sku = 'MC-C'");
  await env.DB.batch([
    // MC-D: in transit to L1 by a transfer (Dec 1) and a shipped PO (Dec 3 on the line); a received transfer (Nov 21) and one to the inactive L3 (Nov 25) do not count.
    env.DB.prepare(
      `INSERT INTO transfers (id, status, from_location_id, to_location_id, expected_at, principal, idempotency_key, request_hash, created_by, created_at, updated_at) VALUES
       ('trf_mc1', 'in_transit', 'L2', 'L1', ?1, 'operator', 'k1', 'h', 'operator', 0, 0),
       ('trf_mc2', 'received', 'L2', 'L1', ?2, 'operator', 'k2', 'h', 'operator', 0, 0),
       ('trf_mc3', 'in_transit', 'L2', 'L3', ?3, 'operator', 'k3', 'h', 'operator', 0, 0)`,
    ).bind(dec(1), dec(1) - 10 * DAY, dec(1) - 6 * DAY),
    env.DB.prepare(
      `INSERT INTO transfer_lines (transfer_id, line_no, sku, quantity, status) VALUES
       ('trf_mc1', 1, 'MC-D', 2, 'in_transit'), ('trf_mc2', 1, 'MC-D', 1, 'received'), ('trf_mc3', 1, 'MC-D', 1, 'in_transit')`,
    ),
  ]);
  // Purchase orders live in their vendor's read database.
  const v1 = await readDbOfVendor("V1");
  await v1.batch([
    v1
      .prepare(
        `INSERT INTO purchase_orders (id, vendor_id, location_id, status, expected_at, principal, idempotency_key, request_hash, created_by, created_at, updated_at) VALUES
       ('po_mc1', 'V1', 'L1', 'shipped', ?1, 'operator', 'k1', 'h', 'operator', 0, 0)`,
      )
      .bind(dec(9)),
    v1
      .prepare(
        `INSERT INTO purchase_order_lines (purchase_order_id, line_no, sku, quantity, expected_at, status) VALUES
       ('po_mc1', 1, 'MC-D', 4, ?1, 'in_transit'), ('po_mc1', 2, 'MC-G', 3, NULL, 'cancelled')`,
      )
      .bind(dec(3)),
  ]);
  await runAcked(EVENTS_QUEUE, [
    level("MC-A", "L1", { onHand: 10 }),
    level("MC-A", "MC-LYS", { onHand: 5 }),
    level("MC-A", "MC-LIL", { onHand: 2 }),
    level("MC-A", "L4", { onHand: 0 }),
    level("MC-A", "MC-OLD", { onHand: 7 }),
    level("MC-B", "L1", { onHand: 1 }),
    level("MC-B", "MC-LYS", { onHand: 3, reserved: 3 }),
    level("MC-C", "L1", { onHand: 0 }),
    level("MC-D", "L1", { onHand: 0, inTransit: 6 }),
    level("MC-E", "MC-LYS", { onHand: 4 }),
    level("MC-G", "L2", { onHand: 0, inTransit: 3 }),
    level("MC-Z", "MC-LYS", { onHand: 9 }),
  ]);
});

const feed = (path: string, key = keys.vendor) => api("GET", `/api/v2/feeds/merchant-center/${path}`, { key });
/** The raw text of a TSV/CSV answer (`api` parses JSON only). */
async function text(path: string, key = keys.vendor): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await exports.default.fetch(
    new Request(`http://inventory.test/api/v2/feeds/merchant-center/${path}`, { headers: { authorization: `Bearer ${key}` } }),
  );
  return { status: res.status, body: await res.text(), headers: res.headers };
}

const LOCAL_HEADER = "store_code\tid\tquantity\tavailability\tpickup_method\tpickup_sla";
const LOCAL_ROWS = [
  "L4\tMC-A\t0\tout_of_stock\tnot_supported\t",
  "MC-LIL\tMC-A\t2\tlimited_availability\tbuy\t2-day",
  "MC-LYS\tMC-A\t5\tin_stock\tbuy\tsame_day",
  "MC-LYS\tMC-B\t0\tout_of_stock\tbuy\tsame_day",
];

describe("local inventory feed", () => {
  it("is the exact TSV: stores and pickup points only, quantity and availability per store, pickup from the location", async () => {
    const res = await text("local-inventory");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/tab-separated-values; charset=utf-8");
    expect(res.headers.get("x-merchant-feed-left-out")).toBe("0");
    expect(res.headers.get("link")).toBeNull();
    expect(res.body).toBe(`${[LOCAL_HEADER, ...LOCAL_ROWS].join("\n")}\n`);
  });

  it("one store by its code; a location that is no store (or an inactive one) is a 400", async () => {
    expect((await text("local-inventory?storeCode=MC-LYS")).body).toBe(`${[LOCAL_HEADER, LOCAL_ROWS[2], LOCAL_ROWS[3]].join("\n")}\n`);
    for (const code of ["L1", "MC-OLD", "NOPE"]) {
      const res = await feed(`local-inventory?storeCode=${code}`);
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([expect.objectContaining({ path: ["query", "storeCode"], code: "unknown_store" })]);
    }
  });

  it("keyset pages with Link rel=next make up the whole feed; JSON gives the rows and nextCursor", async () => {
    // Pages of 1 and 2 end inside a SKU's stores (MC-A has three), a page of 3 at its last one.
    for (const [limit, expected] of [
      [3, 2],
      [2, 2],
      [1, 4],
    ] as const) {
      const rows: string[] = [];
      let path: string | null = `local-inventory?limit=${limit}`;
      let pages = 0;
      while (path !== null) {
        const res = await text(path);
        const [header, ...lines] = res.body.replace(/\n$/, "").split("\n"); // not trimEnd: a row may end in an empty field
        expect(header).toBe(LOCAL_HEADER);
        rows.push(...lines);
        pages += 1;
        const link = res.headers.get("link");
        path = link === null ? null : link.match(/^<\/api\/v2\/feeds\/merchant-center\/([^>]+)>; rel="next"$/)![1]!;
      }
      expect({ limit, pages, rows }).toEqual({ limit, pages: expected, rows: LOCAL_ROWS });
    }
    const json = await feed("local-inventory?format=json&limit=1&storeCode=MC-LIL");
    expect(json.body).toEqual({
      items: [{ store_code: "MC-LIL", id: "MC-A", quantity: 2, availability: "limited_availability", pickup_method: "buy", pickup_sla: "2-day" }],
      problems: [],
      nextCursor: null,
    });
  });
});

describe("product availability feed", () => {
  const backorderDates = () => [0, 1].map((d) => new Date(Date.now() + (10 + d) * DAY).toISOString().slice(0, 10));

  it("is the exact TSV: our status as Merchant Center's, availability_date from the earliest open arrival or the lead time", async () => {
    const before = new Date(Date.now() + 10 * DAY).toISOString().slice(0, 10);
    const res = await text("products");
    expect(res.status).toBe(200);
    const lines = res.body.split("\n");
    const backorder = lines[3]!.split("\t")[2]!;
    // Around midnight UTC the lead-time date may have moved on by a day during the call.
    expect([`${before}T00:00Z`, ...backorderDates().map((d) => `${d}T00:00Z`)]).toContain(backorder);
    expect(res.body).toBe(
      [
        "id\tavailability\tavailability_date",
        "MC-A\tin_stock\t", // 10 + 2 + 5 at selling locations
        "MC-B\tin_stock\t", // low_stock (1 ≤ reorder point 5) is in_stock to Google
        `MC-C\tbackorder\t${backorder}`, // none anywhere, backorders allowed: today + 10 days' lead time
        "MC-D\tpreorder\t2026-12-01T00:00Z", // the transfer's Dec 1 before the PO line's Dec 3 (Nov 21 received, Nov 25 to an inactive location)
        "",
      ].join("\n"),
    );
    // MC-G is in transit with no dated arrival: Google refuses a preorder without a date, so it is left out.
    expect(res.headers.get("x-merchant-feed-left-out")).toBe("1");
    const json = await feed("products?format=json");
    expect(json.body.problems).toEqual([
      { offerId: "MC-G", locationId: null, field: "availability_date", message: "a preorder product needs an availability date (ISO 8601)" },
    ]);
    expect(json.body.items.map((i: { id: string }) => i.id)).toEqual(["MC-A", "MC-B", "MC-C", "MC-D"]);
  });

  it("keyset pages by SKU: every product once, the left-out one on its own page", async () => {
    const seen: string[][] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string }[]; problems: { offerId: string }[]; nextCursor: string | null } } = await feed(
        `products?format=json&limit=2${cursor === null ? "" : `&cursor=${cursor}`}`,
      );
      seen.push([...res.body.items.map((i) => i.id), ...res.body.problems.map((p) => `(${p.offerId})`)]);
      cursor = res.body.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual([["MC-A", "MC-B"], ["MC-C", "MC-D"], ["(MC-G)"]]);
  });

  it("CSV on request", async () => {
    const res = await text("products?format=csv&limit=1");
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.body).toBe("id,availability,availability_date\nMC-A,in_stock,\n");
    expect(res.headers.get("link")).toMatch(/^<\/api\/v2\/feeds\/merchant-center\/products\?format=csv&limit=1&cursor=[A-Za-z0-9_-]+>; rel="next"$/);
  });
});

describe("who reads which feed", () => {
  it("a vendor its own (another vendor's SKUs never show); operators name the vendor; others are refused", async () => {
    expect((await text("local-inventory", keys.otherVendor)).body).toBe(`${LOCAL_HEADER}\nMC-LYS\tMC-Z\t9\tin_stock\tbuy\tsame_day\n`);
    expect((await text("local-inventory?vendorId=V1", keys.operator)).body).toBe(`${[LOCAL_HEADER, ...LOCAL_ROWS].join("\n")}\n`);
    expect((await feed("products?vendorId=V1", keys.otherVendor)).status).toBe(403);
    expect((await feed("products", keys.operator)).body.error.details).toEqual([expect.objectContaining({ path: ["query", "vendorId"], code: "required" })]);
    expect((await feed("products?vendorId=V9", keys.operator)).body.error.details).toEqual([
      expect.objectContaining({ path: ["query", "vendorId"], code: "unknown_vendor" }),
    ]);
    expect((await feed("products", keys.checkout)).status).toBe(403);
    expect((await api("GET", "/api/v2/feeds/merchant-center/products")).status).toBe(401);
    expect((await feed("products?limit=5001")).status).toBe(400);
    expect((await feed("local-inventory?cursor=bogus")).status).toBe(400);
  });
});
