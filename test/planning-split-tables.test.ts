/**
 * The planning tables split by vendor (issue 19 item 2): `forecasts`, `reorder_suggestions`,
 * `sku_planning` and `vendor_planning` live in the read database of the vendor they belong to
 * (V1 → READ_1 by its home, V2 → READ_2 pinned by the fixtures, V4 → READ_0 by its home: a
 * vendor sorting after the others in a database before theirs, so a list that concatenated
 * the databases instead of merging them would be out of order), never in `DB` nor in another
 * read database.
 *
 * Proves, through the Worker and the REORDER queue:
 * - settings written by the API (a SKU's, a vendor's) and the job's forecasts and suggestions
 *   are each in exactly their vendor's read database, and `DB`'s copies of the tables stay empty;
 * - the operator's suggestion list (no vendor) merges every read database in (vendor,
 *   location, id) order: paging by one, two or all gives the same rows, each once, exactly the
 *   rows of the databases sorted; a vendor's list and a SKU's read only theirs;
 * - a suggestion is found by id in whichever database holds it (dismissed from READ_2 by an
 *   operator who names no vendor); an unknown id is a 404;
 * - the forecast API reads the SKU's vendor's database, and the job uses the settings there
 *   (a unit cost set by the API is on the suggestion);
 * - a forecast is ONE row per SKU (the model's parameters and what the API shows, not a row per
 *   forecast day), of bounded size;
 * - while a vendor's rows are being copied to another database, writes to its planning tables
 *   wait: a settings PUT and a vendor settings PUT answer 503, the REORDER job throws (retried),
 *   and nothing is written anywhere.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { readPartitionCount, vendorReadPartition } from "../repositories/read-partitions";
import { planSkus } from "../services/reorder-planning";
import { eventually, runAcked } from "./support/event-fixtures";
import { api, createSku, seedBasics, setOnHand, type Keys } from "./support/fixtures";
import { writeSales, yesterday } from "./support/planning-fixtures";
import { allReadDbs, queryAllReadDbs } from "./support/read-model";

const REORDER = "edge-inventory-reorder";
const TABLES = ["forecasts", "reorder_suggestions", "sku_planning", "vendor_planning"] as const;
let keys: Keys;

/** V1's and V2's SKUs, each short of stock at the location it sells from (so each gets a suggestion). */
const SKUS = [
  ["SP-1A", "V1", "L1"],
  ["SP-1B", "V1", "L2"],
  ["SP-1C", "V1", "L1"],
  ["SP-2A", "V2", "L1"],
  ["SP-2B", "V2", "L2"],
  ["SP-2C", "V2", "L2"],
  ["SP-4A", "V4", "L1"],
] as const;
const N = SKUS.length;

/** Rows of `table` per read database (index = partition), and in `DB`. */
async function placement(table: string, where = "1"): Promise<{ read: number[]; db: number }> {
  const read = await Promise.all(
    allReadDbs().map(async (db) => (await db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).first<{ n: number }>())!.n),
  );
  const db = (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).first<{ n: number }>())!.n;
  return { read, db };
}

interface SuggestionJson {
  id: string;
  sku: string;
  vendorId: string;
  locationId: string | null;
  status: string;
  unitCost: number | null;
}

/** Every page of a suggestion list, followed by its cursor. */
async function allPages(query: string, key: string): Promise<{ items: SuggestionJson[]; pages: number }> {
  const items: SuggestionJson[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: { status: number; body: { items: SuggestionJson[]; nextCursor: string | null } } = await api(
      "GET",
      `/api/v2/reorder-suggestions?${query}${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`,
      { key },
    );
    expect(res.status).toBe(200);
    items.push(...(res.body.items as SuggestionJson[]));
    cursor = res.body.nextCursor;
    pages++;
    expect(pages).toBeLessThan(20);
  } while (cursor !== null);
  return { items, pages };
}

const listOrder = (a: SuggestionJson, b: SuggestionJson) => {
  const ka = [a.vendorId, a.locationId ?? "", a.id];
  const kb = [b.vendorId, b.locationId ?? "", b.id];
  for (let i = 0; i < 3; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]! ? -1 : 1;
  return 0;
};

beforeAll(async () => {
  keys = await seedBasics();
  await env.DB.prepare("INSERT INTO vendors (id, name) VALUES ('V4', 'Vendor Four')").run();
  for (const [sku, vendorId, location] of SKUS) {
    await createSku(sku, { vendorId });
    await writeSales(sku, location, 60, () => 10);
    await setOnHand(keys, sku, location, 3);
  }
  await eventually(async () => {
    const rows = await queryAllReadDbs<{ n: number }>(`SELECT COUNT(*) AS n FROM inventory_levels WHERE sku LIKE 'SP-%'`);
    return rows.reduce((n, r) => n + r.n, 0) === SKUS.length ? true : undefined;
  }, "the projection of the SKUs");
  // Settings through the API: a unit cost per SKU (V2's SKUs cost 7), and V2 auto-submits.
  for (const [sku, vendorId] of SKUS) {
    const put = await api("PUT", `/api/v2/planning-settings/${sku}`, { key: keys.operator, body: { unitCost: vendorId === "V2" ? 7 : 3, category: "SPLIT" } });
    expect(put.status).toBe(200);
  }
  expect((await api("PUT", "/api/v2/vendors/V2/planning-settings", { key: keys.operator, body: { autoSubmitPurchaseOrders: true } })).status).toBe(200);
  await runAcked(REORDER, [
    {
      v: 1,
      kind: "chunk",
      origin: yesterday(),
      skus: SKUS.map(([sku]) => sku),
    },
  ]);
});

describe("planning tables in the vendor's read database", () => {
  it("the premise: four read databases, V1 in READ_1, V2 in READ_2, V4 in READ_0", async () => {
    expect(readPartitionCount(env)).toBe(4);
    expect(await vendorReadPartition(env, "V1")).toBe(1);
    expect(await vendorReadPartition(env, "V2")).toBe(2);
    expect(await vendorReadPartition(env, "V4")).toBe(0);
  });

  it("settings, forecasts and suggestions are each in exactly their vendor's database; DB holds none", async () => {
    for (const table of ["forecasts", "reorder_suggestions", "sku_planning"] as const) {
      expect(await placement(table, "sku LIKE 'SP-1%'")).toEqual({ read: [0, 3, 0, 0], db: 0 });
      expect(await placement(table, "sku LIKE 'SP-2%'")).toEqual({ read: [0, 0, 3, 0], db: 0 });
      expect(await placement(table, "sku LIKE 'SP-4%'")).toEqual({ read: [1, 0, 0, 0], db: 0 });
    }
    expect(await placement("vendor_planning")).toEqual({ read: [0, 0, 1, 0], db: 0 });
    for (const table of TABLES) expect((await placement(table)).db).toBe(0);
    // The rows carry their vendor (what a move of the vendor copies by).
    expect(await allReadDbs()[2]!.prepare("SELECT DISTINCT vendor_id FROM forecasts").all()).toMatchObject({ results: [{ vendor_id: "V2" }] });
  });

  it("the job planned with the settings in the vendor's database; the forecast API reads it there", async () => {
    const { items } = await allPages("limit=100", keys.operator);
    expect(items.filter((s) => s.sku.startsWith("SP-")).map((s) => [s.sku, s.unitCost])).toEqual(
      expect.arrayContaining(SKUS.map(([sku, vendorId]) => [sku, vendorId === "V2" ? 7 : 3])),
    );
    const settings = await api("GET", "/api/v2/planning-settings/SP-2B", { key: keys.otherVendor });
    expect(settings.status).toBe(200);
    expect(settings.body.settings).toMatchObject({ unitCost: 7, category: "SPLIT" });
    const forecast = await api("GET", "/api/v2/forecasts/SP-2B", { key: keys.operator });
    expect(forecast.status).toBe(200);
    expect(forecast.body).toMatchObject({ sku: "SP-2B", vendorId: "V2", origin: yesterday() });
    expect(forecast.body.plan).toMatchObject({ shouldReorder: true, locationId: "L2" });
    const vendorSettings = await api("GET", "/api/v2/vendors/V2/planning-settings", { key: keys.operator });
    expect(vendorSettings.body).toMatchObject({ vendorId: "V2", autoSubmitPurchaseOrders: true });
    expect((await api("GET", "/api/v2/vendors/V1/planning-settings", { key: keys.operator })).body).toMatchObject({ autoSubmitPurchaseOrders: false });
  });

  it("the operator's list merges every database in (vendor, location, id) order under one cursor, whatever the page size", async () => {
    const stored = (await queryAllReadDbs<{ id: string; sku: string; vendor_id: string; location_id: string | null }>("SELECT * FROM reorder_suggestions"))
      .map((r) => ({ id: r.id, vendorId: r.vendor_id, locationId: r.location_id }))
      .sort((a, b) => listOrder(a as SuggestionJson, b as SuggestionJson));
    expect(stored).toHaveLength(N);
    expect(stored.map((s) => s.vendorId)).toEqual(["V1", "V1", "V1", "V2", "V2", "V2", "V4"]);
    for (const limit of [1, 2, 4, 100]) {
      const { items, pages } = await allPages(`limit=${limit}`, keys.operator);
      expect(items.map((s) => [s.vendorId, s.locationId, s.id])).toEqual(stored.map((s) => [s.vendorId, s.locationId, s.id]));
      expect(pages).toBe(Math.ceil(N / limit));
    }
    // Filters still apply across the databases: L2's are V1's one and V2's two.
    const l2 = await allPages("limit=1&locationId=L2", keys.operator);
    expect(l2.items.map((s) => s.id)).toEqual(stored.filter((s) => s.locationId === "L2").map((s) => s.id));
    expect(l2.items.map((s) => s.vendorId)).toEqual(["V1", "V2", "V2"]);
    // A vendor's list and one SKU's: only theirs.
    const v2 = await allPages("limit=2", keys.otherVendor);
    expect(v2.items.map((s) => s.sku).sort()).toEqual(["SP-2A", "SP-2B", "SP-2C"]);
    const one = await allPages("limit=5&sku=SP-1C", keys.operator);
    expect(one.items.map((s) => s.sku)).toEqual(["SP-1C"]);
  });

  it("a suggestion is dismissed by id from whichever database holds it; an unknown id is a 404", async () => {
    const target = (await allReadDbs()[2]!.prepare("SELECT id FROM reorder_suggestions WHERE sku = 'SP-2C'").first<{ id: string }>())!.id;
    const dismissed = await api("POST", `/api/v2/reorder-suggestions/${target}/dismiss`, { key: keys.operator });
    expect(dismissed.status).toBe(200);
    expect(dismissed.body).toMatchObject({ id: target, sku: "SP-2C", status: "dismissed" });
    expect(await placement("reorder_suggestions", `id = '${target}' AND status = 'dismissed'`)).toEqual({ read: [0, 0, 1, 0], db: 0 });
    // Again: the same answer.
    expect((await api("POST", `/api/v2/reorder-suggestions/${target}/dismiss`, { key: keys.operator })).body).toMatchObject({ status: "dismissed" });
    expect((await api("POST", "/api/v2/reorder-suggestions/rs_00000000000000000000000000000000/dismiss", { key: keys.operator })).status).toBe(404);
  });
});

describe("spec scale and moves", () => {
  it("a forecast is one row per SKU holding the model and what the API shows, a few KB at most", async () => {
    const rows = await queryAllReadDbs<{ sku: string; n: number; bytes: number; model: number; horizons: number; plan: number }>(
      `SELECT sku, COUNT(*) AS n,
              SUM(length(sku) + length(vendor_id) + length(origin) + length(method) + length(reason) + length(demand_class)
                  + length(model) + length(horizons) + coalesce(length(plan), 0) + coalesce(length(stockout_day), 0) + 8 * 7) AS bytes,
              SUM(length(model)) AS model, SUM(length(horizons)) AS horizons, SUM(coalesce(length(plan), 0)) AS plan
       FROM forecasts WHERE sku LIKE 'SP-%' GROUP BY sku ORDER BY sku`,
    );
    expect(rows.map((r) => [r.sku, r.n]).sort()).toEqual(SKUS.map(([sku]) => [sku, 1]).sort());
    for (const r of rows) expect(r.bytes).toBeLessThan(4096);
    console.log(
      JSON.stringify({ event: "test.forecast_row_bytes", rows: rows.map(({ sku, bytes, model, horizons, plan }) => ({ sku, bytes, model, horizons, plan })) }),
    );
  });

  it("while a vendor's rows are being moved, its planning writes wait (503 / the job throws) and nothing is written", async () => {
    const now = Date.now();
    await env.DB.prepare(
      `INSERT INTO read_moves (id, vendor_id, from_partition, to_partition, state, requested_by, state_at, created_at, updated_at)
       VALUES ('mv_split', 'V2', 2, 3, 'copying', 'test', ?, ?, ?)`,
    )
      .bind(now, now, now)
      .run();
    try {
      const before = await Promise.all(TABLES.map((t) => queryAllReadDbs(`SELECT * FROM ${t} ORDER BY rowid`)));
      const put = await api("PUT", "/api/v2/planning-settings/SP-2A", { key: keys.operator, body: { unitCost: 99 } });
      expect(put.status).toBe(503);
      expect((await api("PUT", "/api/v2/vendors/V2/planning-settings", { key: keys.operator, body: { autoSubmitPurchaseOrders: false } })).status).toBe(503);
      const open = (await allReadDbs()[2]!.prepare("SELECT id FROM reorder_suggestions WHERE sku = 'SP-2A' AND status = 'open'").first<{ id: string }>())!.id;
      expect((await api("POST", `/api/v2/reorder-suggestions/${open}/dismiss`, { key: keys.operator })).status).toBe(503);
      await expect(planSkus(env, ["SP-2A", "SP-1A"], yesterday(), Date.now() + 86_400_000)).rejects.toThrow("being moved");
      expect(await Promise.all(TABLES.map((t) => queryAllReadDbs(`SELECT * FROM ${t} ORDER BY rowid`)))).toEqual(before);
      // Positive control: another vendor's settings are written meanwhile.
      expect((await api("PUT", "/api/v2/planning-settings/SP-1A", { key: keys.operator, body: { unitCost: 4 } })).status).toBe(200);
    } finally {
      await env.DB.prepare("DELETE FROM read_moves WHERE id = 'mv_split'").run();
    }
    expect((await api("PUT", "/api/v2/planning-settings/SP-2A", { key: keys.operator, body: { unitCost: 99 } })).status).toBe(200);
  });
});
