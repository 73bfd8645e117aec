/**
 * Master data partitioned like the read model (issue 19 item 3): `DB` keeps `sku_directory`
 * (which vendor owns each SKU id) and `products`; a SKU's `skus` and `sku_master_push` rows
 * live in its vendor's read database (V1 → READ_1, V2 pinned to READ_2 by the fixtures).
 * Each step that spans two databases can be interrupted, and the same request again
 * completes it; rows left in `DB` from before the split are moved by the cron.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { moveLegacyMasterRows } from "../services/master-backfill";
import { api, createSku, seedBasics, type Keys } from "./support/fixtures";
import { readDbOfVendor } from "./support/read-model";
import { readDbs } from "../repositories/read-partitions";

let keys: Keys;

beforeAll(async () => {
  keys = await seedBasics();
});

/** Which databases hold a row of `table` for the SKU: "DB" and/or "READ_<n>". */
async function whereIs(table: "skus" | "sku_master_push", sku: string): Promise<string[]> {
  const dbs: [string, D1Database][] = [["DB", env.DB], ...readDbs(env).map((db, i) => [`READ_${i}`, db] as [string, D1Database])];
  const found: string[] = [];
  for (const [name, db] of dbs) {
    if ((await db.prepare(`SELECT 1 FROM ${table} WHERE sku = ?`).bind(sku).first()) !== null) found.push(name);
  }
  return found;
}

const directoryOwner = async (sku: string) =>
  (await env.DB.prepare("SELECT vendor_id FROM sku_directory WHERE sku = ?").bind(sku).first<{ vendor_id: string }>())?.vendor_id ?? null;

describe("where master data lives", () => {
  it("a SKU created through the API: its directory entry and product in DB, its row and push version in its vendor's read database only", async () => {
    const v1 = await api("PUT", "/api/v2/skus/MP-1", { key: keys.vendor, body: { productId: "P-MP-1", name: "One" } });
    expect(v1.status).toBe(201);
    const v2 = await api("PUT", "/api/v2/skus/MP-2", { key: keys.otherVendor, body: { productId: "P-MP-2", name: "Two" } });
    expect(v2.status).toBe(201);
    expect([await directoryOwner("MP-1"), await directoryOwner("MP-2")]).toEqual(["V1", "V2"]);
    expect(await whereIs("skus", "MP-1")).toEqual(["READ_1"]);
    expect(await whereIs("sku_master_push", "MP-1")).toEqual(["READ_1"]);
    expect(await whereIs("skus", "MP-2")).toEqual(["READ_2"]);
    expect(await env.DB.prepare("SELECT vendor_id FROM products WHERE id = 'P-MP-2'").first()).toEqual({ vendor_id: "V2" });
    // Read back through the API, and updated in place.
    expect((await api("GET", "/api/v2/skus/MP-2", { key: keys.operator })).body).toMatchObject({ sku: "MP-2", vendorId: "V2", name: "Two" });
    const renamed = await api("PUT", "/api/v2/skus/MP-2", { key: keys.otherVendor, body: { productId: "P-MP-2", name: "Two, renamed", reorderPoint: 4 } });
    expect(renamed.status).toBe(200);
    expect(await (await readDbOfVendor("V2")).prepare("SELECT name, reorder_point FROM skus WHERE sku = 'MP-2'").first()).toEqual({
      name: "Two, renamed",
      reorder_point: 4,
    });
    // The other vendor cannot take it: the directory says whose it is.
    expect((await api("PUT", "/api/v2/skus/MP-2", { key: keys.vendor, body: { productId: "P-MP-X", name: "Mine" } })).status).toBe(403);
  });

  it("a create interrupted after its directory claim: the SKU reads as absent, no one else can take it, and the owner's retry completes it", async () => {
    // Step 1 committed, step 2 never ran (as if the Worker died between them).
    await env.DB.batch([
      env.DB.prepare("INSERT INTO products (id, vendor_id, name) VALUES ('P-MP-TORN', 'V1', 'Torn')"),
      env.DB.prepare("INSERT INTO sku_directory (sku, vendor_id) VALUES ('MP-TORN', 'V1')"),
    ]);
    expect((await api("GET", "/api/v2/skus/MP-TORN", { key: keys.operator })).status).toBe(404);
    expect((await api("PUT", "/api/v2/skus/MP-TORN", { key: keys.otherVendor, body: { productId: "P-MP-TORN-2", name: "Theirs" } })).status).toBe(403);
    expect(await whereIs("skus", "MP-TORN")).toEqual([]);
    const retried = await api("PUT", "/api/v2/skus/MP-TORN", { key: keys.vendor, body: { productId: "P-MP-TORN", name: "Torn, completed" } });
    // Its id was claimed already, so the answer counts it as an update of the claimed SKU.
    expect(retried.status).toBe(200);
    expect(await whereIs("skus", "MP-TORN")).toEqual(["READ_1"]);
    expect((await api("GET", "/api/v2/skus/MP-TORN", { key: keys.operator })).body).toMatchObject({ vendorId: "V1", name: "Torn, completed" });
  });
});

describe("a write after the vendor's placement changed", () => {
  it("lands where DB places the vendor now, not where this isolate cached it", async () => {
    await env.DB.prepare("INSERT INTO vendors (id, name, read_partition) VALUES ('V9', 'Vendor Nine', 0)").run();
    // The first write caches V9 → READ_0 in the Worker's isolate.
    expect((await api("PUT", "/api/v2/skus/MP-V9-1", { key: keys.operator, body: { vendorId: "V9", productId: "P-MP-V9", name: "Nine" } })).status).toBe(201);
    expect(await whereIs("skus", "MP-V9-1")).toEqual(["READ_0"]);
    // The vendor's placement changes (as a move's switch writes it, with its rows copied there).
    await readDbs(env)[3]!
      .prepare(
        "INSERT INTO skus (sku, product_id, vendor_id, name) SELECT sku, product_id, vendor_id, name FROM (SELECT 'MP-V9-1' AS sku, 'P-MP-V9' AS product_id, 'V9' AS vendor_id, 'Nine' AS name)",
      )
      .run();
    await env.DB.prepare("UPDATE vendors SET read_partition = 3 WHERE id = 'V9'").run();
    // Within the isolate's 30 s cache: the next write still goes where the vendor lives now.
    expect((await api("PUT", "/api/v2/skus/MP-V9-2", { key: keys.operator, body: { vendorId: "V9", productId: "P-MP-V9", name: "Nine, two" } })).status).toBe(
      201,
    );
    expect(await whereIs("skus", "MP-V9-2")).toEqual(["READ_3"]);
    expect((await api("GET", "/api/v2/skus/MP-V9-2", { key: keys.operator })).body).toMatchObject({ vendorId: "V9", name: "Nine, two" });
  });
});

describe("a transfer between vendors in two databases", () => {
  it("moves the row to the new vendor's database; interrupted after the directory changed, the same request completes it", async () => {
    await createSku("MP-T1", { vendorId: "V1" });
    // Its planning rows: a forecast, an open suggestion and a dismissed one (in V1's database).
    const suggestion = (id: string, status: string) => `('${id}', 'MP-T1', 'V1', 'L1', '${status}', 'high', 10, 2, 5, 2, 10, '2026-11-29', 1, 1)`;
    const v1 = await readDbOfVendor("V1");
    await v1.batch([
      v1.prepare(
        "INSERT INTO forecasts (sku, vendor_id, origin, method, reason, demand_class, model, horizons, fitted_at) VALUES ('MP-T1', 'V1', '2026-11-29', 'ses', 'test', 'smooth', '{}', '[]', 1)",
      ),
      v1.prepare(
        `INSERT INTO reorder_suggestions (id, sku, vendor_id, location_id, status, urgency, quantity, stock_position, reorder_point, safety_stock, economic_order_quantity, origin, created_at, updated_at) VALUES ${suggestion("rs-open", "open")}, ${suggestion("rs-old", "dismissed")}`,
      ),
    ]);
    const moved = await api("POST", "/api/v2/skus/MP-T1/transfer", { key: keys.operator, body: { vendorId: "V2", productId: "P-MP-T1-V2" } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ sku: "MP-T1", vendorId: "V2", productId: "P-MP-T1-V2", previousVendorId: "V1" });
    expect(await whereIs("skus", "MP-T1")).toEqual(["READ_2"]);
    expect(await whereIs("sku_master_push", "MP-T1")).toEqual(["READ_2"]);
    expect(await directoryOwner("MP-T1")).toBe("V2");
    // Its forecast and open suggestion followed it and name the new vendor; the dismissed one keeps the vendor it was decided for.
    const v2 = await readDbOfVendor("V2");
    expect(await v2.prepare("SELECT vendor_id FROM forecasts WHERE sku = 'MP-T1'").all()).toMatchObject({ results: [{ vendor_id: "V2" }] });
    expect((await v2.prepare("SELECT id, vendor_id FROM reorder_suggestions WHERE sku = 'MP-T1' ORDER BY id").all()).results).toEqual([
      { id: "rs-old", vendor_id: "V1" },
      { id: "rs-open", vendor_id: "V2" },
    ]);

    // Interrupted: the directory (and the new product) changed, the row never moved.
    await createSku("MP-T2", { vendorId: "V1" });
    await env.DB.batch([
      env.DB.prepare("INSERT INTO products (id, vendor_id, name) VALUES ('P-MP-T2-V2', 'V2', 'Moved')"),
      env.DB.prepare("UPDATE sku_directory SET vendor_id = 'V2' WHERE sku = 'MP-T2'"),
    ]);
    expect((await api("GET", "/api/v2/skus/MP-T2", { key: keys.operator })).status).toBe(404);
    // The same request again, but to a product that is not the new owner's: refused, nothing moves.
    const wrong = await api("POST", "/api/v2/skus/MP-T2/transfer", { key: keys.operator, body: { vendorId: "V2", productId: "P-MP-T2" } });
    expect(wrong.status).toBe(409);
    expect(await whereIs("skus", "MP-T2")).toEqual(["READ_1"]);
    const completed = await api("POST", "/api/v2/skus/MP-T2/transfer", { key: keys.operator, body: { vendorId: "V2", productId: "P-MP-T2-V2" } });
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ sku: "MP-T2", vendorId: "V2", productId: "P-MP-T2-V2", previousVendorId: "V1" });
    expect(await whereIs("skus", "MP-T2")).toEqual(["READ_2"]);
    expect((await api("GET", "/api/v2/skus/MP-T2", { key: keys.otherVendor })).body).toMatchObject({ vendorId: "V2" });
    // Done: a third time is the usual answer for a SKU the vendor already has.
    expect((await api("POST", "/api/v2/skus/MP-T2/transfer", { key: keys.operator, body: { vendorId: "V2", productId: "P-MP-T2-V2" } })).status).toBe(409);
    // An unknown SKU is still a 404.
    expect((await api("POST", "/api/v2/skus/MP-NONE/transfer", { key: keys.operator, body: { vendorId: "V2", productId: "P-X" } })).status).toBe(404);
  });
});

describe("rows left in DB from before the split (migration 0020)", () => {
  it("the cron moves them to their vendors' read databases, keeping their push versions; a second run finds nothing", async () => {
    // As an upgraded database has them: rows in DB, directory entries written by the migration.
    await env.DB.batch([
      env.DB.prepare("INSERT INTO products (id, vendor_id, name) VALUES ('P-MP-OLD', 'V2', 'Old')"),
      env.DB.prepare("INSERT INTO sku_directory (sku, vendor_id) VALUES ('MP-OLD-1', 'V2'), ('MP-OLD-2', 'V2')"),
      env.DB.prepare(
        "INSERT INTO skus (sku, product_id, vendor_id, name, reorder_point) VALUES ('MP-OLD-1', 'P-MP-OLD', 'V2', 'Old one', 3), ('MP-OLD-2', 'P-MP-OLD', 'V2', 'Old two', 0)",
      ),
      env.DB.prepare("UPDATE sku_master_push SET version = 7, acked_version = 7 WHERE sku = 'MP-OLD-1'"),
    ]);
    expect((await api("GET", "/api/v2/skus/MP-OLD-1", { key: keys.operator })).status).toBe(404);
    const run = await moveLegacyMasterRows(env);
    expect(run).toMatchObject({ vendors: 1, copied: 4, deleted: 4 });
    expect(await whereIs("skus", "MP-OLD-1")).toEqual(["READ_2"]);
    expect(await whereIs("sku_master_push", "MP-OLD-2")).toEqual(["READ_2"]);
    const push = await (await readDbOfVendor("V2")).prepare("SELECT version, acked_version FROM sku_master_push WHERE sku = 'MP-OLD-1'").first();
    expect(push).toEqual({ version: 7, acked_version: 7 });
    expect((await api("GET", "/api/v2/skus/MP-OLD-1", { key: keys.operator })).body).toMatchObject({ vendorId: "V2", name: "Old one", reorderPoint: 3 });
    expect(await moveLegacyMasterRows(env)).toEqual({ vendors: 0, copied: 0, deleted: 0 });
  });
});
