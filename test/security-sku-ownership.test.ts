/**
 * SKU ownership is atomic (issue 12, finding A): two vendors creating the same new SKU (or
 * the same new product) at once end with exactly one owner, and the other gets a 403 that
 * does not name the winner; a batch that loses such a race writes nothing (all or none). A
 * SKU changes vendor only through the operators' explicit transfer
 * (`POST /api/v2/skus/{sku}/transfer`): an upsert naming another vendor is a 409, whoever
 * sends it.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createSku, seedBasics, type ApiResponse, type Keys } from "./support/fixtures";
import { expectLogged } from "./support/log-capture";
import { queryAllReadDbs } from "./support/read-model";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
});

/** The SKU's owner: its directory entry in `DB` and its row's (in the owner's read database) must agree. */
const ownerOf = async (sku: string) => {
  const entry = (await env.DB.prepare("SELECT vendor_id FROM sku_directory WHERE sku = ?").bind(sku).first<{ vendor_id: string }>())?.vendor_id ?? null;
  const rows = await queryAllReadDbs<{ vendor_id: string }>("SELECT vendor_id FROM skus WHERE sku = ?", sku);
  expect(rows.map((r) => r.vendor_id)).toEqual(entry === null ? [] : [entry]);
  return entry;
};
const productOwner = async (id: string) =>
  (await env.DB.prepare("SELECT vendor_id FROM products WHERE id = ?").bind(id).first<{ vendor_id: string }>())?.vendor_id ?? null;
const put = (key: string, sku: string, body: Record<string, unknown>) => api("PUT", `/api/v2/skus/${sku}`, { key, body: { name: `SKU ${sku}`, ...body } });

/** Neither the winner's vendor id nor its name appears anywhere in the loser's answer. */
function expectNoVendorNamed(res: ApiResponse, vendorId: string) {
  const text = JSON.stringify(res.body);
  expect(text).not.toContain(vendorId);
  expect(text).not.toContain(vendorId === "V1" ? "Vendor One" : "Vendor Two");
}

describe("concurrent creation", () => {
  it("two vendors PUT the same new SKU at once, 30 times: exactly one 201 and one 403 each time, the 201's vendor owns it", async () => {
    for (let round = 0; round < 30; round++) {
      const sku = `RACE-${round}`;
      const [a, b] = await Promise.all([put(keys.vendor, sku, { productId: `PA-${round}` }), put(keys.otherVendor, sku, { productId: `PB-${round}` })]);
      const statuses = [a.status, b.status].sort();
      expect(statuses, `round ${round}: ${JSON.stringify([a.body, b.body])}`).toEqual([201, 403]);
      const [winner, loser, winnerVendor] = a.status === 201 ? [a, b, "V1"] : [b, a, "V2"];
      expect(winner.body.vendorId).toBe(winnerVendor);
      expect(await ownerOf(sku)).toBe(winnerVendor);
      expect(loser.body.error).toMatchObject({ code: "forbidden", details: [{ path: ["body", "sku"], message: `SKU ${sku} belongs to another vendor` }] });
      expectNoVendorNamed(loser, winnerVendor);
      // The loser's new product was not created either.
      expect(await productOwner(a.status === 201 ? `PB-${round}` : `PA-${round}`)).toBeNull();
    }
  });

  it("two vendors create different SKUs under the same new product id at once: one owns the product, the other is refused", async () => {
    for (let round = 0; round < 15; round++) {
      const product = `PSHARED-${round}`;
      const [a, b] = await Promise.all([
        put(keys.vendor, `PRA-${round}`, { productId: product }),
        put(keys.otherVendor, `PRB-${round}`, { productId: product }),
      ]);
      expect([a.status, b.status].sort(), `round ${round}: ${JSON.stringify([a.body, b.body])}`).toEqual([201, 400]);
      const [loser, loserSku, winnerVendor] = a.status === 201 ? [b, `PRB-${round}`, "V1"] : [a, `PRA-${round}`, "V2"];
      expect(await productOwner(product)).toBe(winnerVendor);
      expect(await ownerOf(loserSku)).toBeNull();
      expect(loser.body.error.details).toEqual([expect.objectContaining({ path: ["body", "productId"], code: "product_vendor_mismatch" })]);
      expectNoVendorNamed(loser, winnerVendor);
    }
  });

  it("two vendors' batches racing for one new SKU: one batch is applied whole, the other writes nothing", async () => {
    for (let round = 0; round < 15; round++) {
      const item = (sku: string, productId: string) => ({ sku, productId, name: sku });
      const shared = `BR-${round}-shared`;
      const [a, b] = await Promise.all([
        api("POST", "/api/v2/skus/batch", { key: keys.vendor, body: { items: [item(`BR-${round}-a`, `BPA-${round}`), item(shared, `BPA-${round}`)] } }),
        api("POST", "/api/v2/skus/batch", { key: keys.otherVendor, body: { items: [item(`BR-${round}-b`, `BPB-${round}`), item(shared, `BPB-${round}`)] } }),
      ]);
      expect([a.status, b.status].sort(), `round ${round}: ${JSON.stringify([a.body, b.body])}`).toEqual([200, 403]);
      const [loser, winnerVendor, loserOwn] = a.status === 200 ? [b, "V1", `BR-${round}-b`] : [a, "V2", `BR-${round}-a`];
      expect(await ownerOf(shared)).toBe(winnerVendor);
      expect(await ownerOf(loserOwn)).toBeNull();
      expect(loser.body.error.details).toEqual([{ path: ["body", "items", 1, "sku"], message: `SKU ${shared} belongs to another vendor` }]);
      expectNoVendorNamed(loser, winnerVendor);
    }
  });
});

describe("vendor changes only by transfer", () => {
  it("an operator's upsert naming another vendor is a 409 that changes nothing; a vendor's is a 403", async () => {
    await createSku("OWN-1", { vendorId: "V1" });
    const op = await put(keys.operator, "OWN-1", { productId: "P-OWN-1", vendorId: "V2" });
    expect(op.status).toBe(409);
    expect(op.body.error).toMatchObject({ code: "vendor_change_requires_transfer", details: [{ path: ["body", "vendorId"] }] });
    expect(op.body.error.details[0].message).toContain("/api/v2/skus/OWN-1/transfer");
    const batch = await api("POST", "/api/v2/skus/batch", {
      key: keys.operator,
      body: { items: [{ sku: "OWN-1", productId: "P-OWN-1", name: "x", vendorId: "V2" }] },
    });
    expect(batch.status).toBe(409);
    expect((await put(keys.otherVendor, "OWN-1", { productId: "P-OWN-1" })).status).toBe(403);
    expect(await ownerOf("OWN-1")).toBe("V1");
    // Positive control: the owner's (and an operator's) update without a vendor change works.
    expect((await put(keys.vendor, "OWN-1", { productId: "P-OWN-1", reorderPoint: 4 })).status).toBe(200);
    expect((await put(keys.operator, "OWN-1", { productId: "P-OWN-1", vendorId: "V1", reorderPoint: 5 })).status).toBe(200);
  });

  it("POST /api/v2/skus/{sku}/transfer: operators only; moves the SKU (and takes or creates the new vendor's product)", async () => {
    await createSku("OWN-2", { vendorId: "V1" });
    const body = { vendorId: "V2", productId: "P-V2-OWN-2" };
    expect((await api("POST", "/api/v2/skus/OWN-2/transfer", { key: keys.vendor, body })).status).toBe(403);
    expect((await api("POST", "/api/v2/skus/OWN-2/transfer", { key: keys.otherVendor, body })).status).toBe(403);
    expect((await api("POST", "/api/v2/skus/OWN-2/transfer", { key: keys.checkout, body })).status).toBe(403);
    expect(await ownerOf("OWN-2")).toBe("V1");

    const moved = await api("POST", "/api/v2/skus/OWN-2/transfer", { key: keys.operator, body });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ sku: "OWN-2", vendorId: "V2", productId: "P-V2-OWN-2", previousVendorId: "V1" });
    expectLogged({ event: "sku.transferred", sku: "OWN-2", from: "V1", to: "V2" }, { exactly: true });
    expect(await ownerOf("OWN-2")).toBe("V2");
    expect(await productOwner("P-V2-OWN-2")).toBe("V2");
    // The new owner manages it now; the old one is refused.
    expect((await api("GET", "/api/v2/skus/OWN-2", { key: keys.otherVendor })).status).toBe(200);
    expect((await api("GET", "/api/v2/skus/OWN-2", { key: keys.vendor })).status).toBe(403);

    // A product of another vendor, an unknown vendor or SKU, or a transfer to the owner itself are refused.
    expect(
      (await api("POST", "/api/v2/skus/OWN-2/transfer", { key: keys.operator, body: { vendorId: "V1", productId: "P-V2-OWN-2" } })).body.error.details[0].code,
    ).toBe("product_vendor_mismatch");
    expect((await api("POST", "/api/v2/skus/OWN-2/transfer", { key: keys.operator, body: { vendorId: "NOPE", productId: "P-X" } })).status).toBe(400);
    expect((await api("POST", "/api/v2/skus/NOPE-9/transfer", { key: keys.operator, body })).status).toBe(404);
    expect((await api("POST", "/api/v2/skus/OWN-2/transfer", { key: keys.operator, body })).status).toBe(409);
  });
});

describe("errors never name another vendor", () => {
  it("a vendor using another vendor's product id is told it belongs to another vendor, not which", async () => {
    await createSku("OWN-3", { vendorId: "V1" });
    const res = await put(keys.otherVendor, "OWN-3-B", { productId: "P-OWN-3" });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      { path: ["body", "productId"], message: "product P-OWN-3 belongs to another vendor", code: "product_vendor_mismatch" },
    ]);
    expectNoVendorNamed(res, "V1");
  });
});
