/**
 * Master data off the hot path (issue 19 item 3): each SKU object keeps its master facts
 * (exists, status, owner, policy; v7 `master`), pushed after every master-data write, newer
 * version winning; a push lost after the D1 write is repaired by the per-minute sweep; an
 * object with no facts fills them from D1 once; and reservations, stock changes, stock-state
 * moves and planned reservations read no SKU from D1 at all — proved by running them while
 * D1 has no `skus` table, and by counting the objects' fills over 50 reservations.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { SkuMasterFacts } from "../durable-objects/sku-inventory.types";
import { sweepSkuMasters } from "../services/sku-master";
import { CRONS, handleScheduled } from "../workers/scheduled";
import { api, createSku, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";
import { expectLogged } from "./support/log-capture";
import type { ClockedSkuInventory } from "./support/worker-under-test";
import { readDbOfSku, readDbOfVendor } from "./support/read-model";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
});

/** SKU_INVENTORY is bound to ClockedSkuInventory in the workerd suite: its test-only RPCs. */
const testObject = (sku: string) => (env.SKU_INVENTORY as unknown as DurableObjectNamespace<ClockedSkuInventory>).getByName(sku);
const put = (key: string, sku: string, body: Record<string, unknown>) => api("PUT", `/api/v2/skus/${sku}`, { key, body: { name: `SKU ${sku}`, ...body } });
const pushRow = async (sku: string) =>
  (await readDbOfSku(sku))
    .prepare("SELECT version, acked_version FROM sku_master_push WHERE sku = ?")
    .bind(sku)
    .first<{ version: number; acked_version: number }>();
let n = 0;
const reserve = (sku: string, quantity = 1, locationId: string | undefined = "L1") =>
  api("POST", "/api/v2/inventory/reserve", {
    key: keys.checkout,
    idempotencyKey: `mf-${++n}`,
    body: { type: "hard", reference: `o-${n}`, items: [{ sku, quantity, ...(locationId === undefined ? {} : { locationId }) }] },
  });
const adjust = (key: string, sku: string, delta: number) =>
  api("PATCH", `/api/v2/inventory/${sku}`, { key, idempotencyKey: `mf-${++n}`, body: { locationId: "L1", delta, reason: "correction" } });

describe("master facts are pushed after each write", () => {
  it("create, update and transfer push their facts; the newer version wins and an older push changes nothing", async () => {
    expect((await put(keys.operator, "MF-1", { productId: "P-MF-1", vendorId: "V1" })).status).toBe(201);
    expect(await skuObject("MF-1").masterFacts()).toMatchObject({ sku: "MF-1", vendorId: "V1", status: "active", allowBackorder: false, version: 1 });
    expect(await pushRow("MF-1")).toEqual({ version: 1, acked_version: 1 });

    // An update that changes a fact raises the version; one that changes none does not (max
    // stock is in neither the object's facts nor the read model's copy, which also holds the
    // name, product and safety stock: test/read-partitions.test.ts).
    expect((await put(keys.operator, "MF-1", { productId: "P-MF-1", vendorId: "V1", reorderPoint: 7, allowBackorder: true })).status).toBe(200);
    expect(await skuObject("MF-1").masterFacts()).toMatchObject({ reorderPoint: 7, allowBackorder: true, version: 2 });
    expect((await put(keys.operator, "MF-1", { productId: "P-MF-1", vendorId: "V1", maxStock: 50 })).status).toBe(200);
    expect(await pushRow("MF-1")).toEqual({ version: 2, acked_version: 2 });

    // A late push of version 1 is ignored; the same version again too.
    const old = { ...((await skuObject("MF-1").masterFacts()) as SkuMasterFacts), reorderPoint: 0, allowBackorder: false, version: 1 };
    expect(await skuObject("MF-1").pushMaster(old)).toEqual({ ok: true, outcome: "stale", version: 2 });
    expect(await skuObject("MF-1").pushMaster({ ...old, version: 2 })).toMatchObject({ outcome: "stale" });
    expect(await skuObject("MF-1").masterFacts()).toMatchObject({ reorderPoint: 7, allowBackorder: true, version: 2 });

    // The owner moves: the object refuses the old vendor and admits the new one at once.
    expect((await adjust(keys.vendor, "MF-1", 5)).status).toBe(200);
    const moved = await api("POST", "/api/v2/skus/MF-1/transfer", { key: keys.operator, body: { vendorId: "V2", productId: "P-V2-MF-1" } });
    expect(moved.status).toBe(200);
    expectLogged({ event: "sku.transferred", sku: "MF-1" });
    expect(await skuObject("MF-1").masterFacts()).toMatchObject({ vendorId: "V2", version: 3 });
    const refused = await adjust(keys.vendor, "MF-1", 1);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({ code: "forbidden", message: "SKU MF-1 belongs to another vendor", details: { sku: "MF-1" } });
    expect((await adjust(keys.otherVendor, "MF-1", 1)).status).toBe(200);
  });

  it("discontinuing a SKU reaches its object: reservations get today's 409 sku_unavailable, stock changes still work", async () => {
    expect((await put(keys.operator, "MF-2", { productId: "P-MF-2", vendorId: "V1" })).status).toBe(201);
    await setOnHand(keys, "MF-2", "L1", 10);
    expect((await reserve("MF-2")).status).toBe(201);
    expect((await put(keys.operator, "MF-2", { productId: "P-MF-2", vendorId: "V1", status: "discontinued" })).status).toBe(200);
    for (const locationId of ["L1", undefined]) {
      const res = await reserve("MF-2", 1, locationId);
      expect(res.status).toBe(409);
      expect(res.body.error).toEqual({
        code: "sku_unavailable",
        message: "some SKUs cannot be reserved",
        details: [{ path: ["body", "items", 0, "sku"], message: "SKU MF-2 is discontinued", code: "sku_unavailable" }],
      });
    }
    expect((await adjust(keys.operator, "MF-2", 1)).status).toBe(200);
    // Reactivated: the refusal was not stored, so the same order goes through now.
    expect((await put(keys.operator, "MF-2", { productId: "P-MF-2", vendorId: "V1", status: "active" })).status).toBe(200);
    expect((await reserve("MF-2")).status).toBe(201);
  });
});

describe("a push lost after the D1 write", () => {
  it("is repaired by the per-minute sweep, with no operator: the object ends with the facts D1 has", async () => {
    expect((await put(keys.operator, "MF-3", { productId: "P-MF-3", vendorId: "V1" })).status).toBe(201);
    await setOnHand(keys, "MF-3", "L1", 10);

    await testObject("MF-3").failMasterPushes(true);
    try {
      // The write commits and answers 200; only the push is lost.
      expect((await put(keys.operator, "MF-3", { productId: "P-MF-3", vendorId: "V1", status: "discontinued" })).status).toBe(200);
      expectLogged({ event: "sku.master_push_failed", sku: "MF-3", version: 2 });
      expect(await pushRow("MF-3")).toEqual({ version: 2, acked_version: 1 });
      // Until the repair the object runs on the facts it has (version 1, active).
      expect(await skuObject("MF-3").masterFacts()).toMatchObject({ status: "active", version: 1 });
      // A sweep while pushes still fail changes nothing and keeps the row behind.
      expect(await sweepSkuMasters(env, Date.now())).toMatchObject({ behind: 1, acknowledged: 0, failed: ["MF-3"] });
      expectLogged({ event: "sku.master_push_failed", sku: "MF-3" });
      expectLogged({ event: "sku.master_sweep" });
    } finally {
      await testObject("MF-3").failMasterPushes(false);
    }

    // The cron's sweep (the real scheduled handler) brings the object up to date.
    await handleScheduled(createScheduledController({ cron: CRONS.sweep, scheduledTime: Date.now() }), env, createExecutionContext());
    expectLogged({ event: "sku.master_sweep", behind: 1, acknowledged: 1, failed: 0 });
    expect(await skuObject("MF-3").masterFacts()).toMatchObject({ status: "discontinued", version: 2 });
    expect(await pushRow("MF-3")).toEqual({ version: 2, acked_version: 2 });
    expect((await reserve("MF-3")).status).toBe(409);
    // Nothing is behind any more: the next sweep finds nothing.
    expect(await sweepSkuMasters(env, Date.now())).toEqual({ behind: 0, acknowledged: 0, failed: [] });
  });
});

describe("objects without master facts", () => {
  it("a SKU written to D1 without a push (before v7) is filled once, then 50 reservations read D1 no more", async () => {
    await testObject("MF-OLD").takeMasterFills();
    await createSku("MF-OLD", { vendorId: "V1" });
    await setOnHand(keys, "MF-OLD", "L1", 100);
    for (let i = 0; i < 50; i++) expect((await reserve("MF-OLD")).status).toBe(201);
    expect((await adjust(keys.vendor, "MF-OLD", 1)).status).toBe(200);
    expect((await adjust(keys.otherVendor, "MF-OLD", 1)).status).toBe(403);
    const fills = (await testObject("MF-OLD").takeMasterFills()).filter((s) => s === "MF-OLD");
    expect(fills).toEqual(["MF-OLD"]);
    expect(await skuObject("MF-OLD").masterFacts()).toMatchObject({ vendorId: "V1", status: "active", version: 1 });
  });

  it("an unknown SKU is answered 404 as before, after one fill; bad input still never reaches an object", async () => {
    const res = await adjust(keys.operator, "MF-NOPE", 1);
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: "sku_not_found", message: "no SKU MF-NOPE", details: { sku: "MF-NOPE" } });
    const order = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "mf-unknown",
      body: { type: "hard", reference: "o", items: [{ sku: "MF-NOPE", quantity: 1, locationId: "L1" }] },
    });
    expect(order.status).toBe(404);
    expect(order.body.error).toEqual({
      code: "sku_not_found",
      message: "some SKUs do not exist",
      details: [{ path: ["body", "items", 0, "sku"], message: "no SKU MF-NOPE", code: "sku_not_found" }],
    });
    // Created afterwards: the same key is decided afresh (the 404 was not stored), and the push made the absence moot.
    expect((await put(keys.operator, "MF-NOPE", { productId: "P-MF-NOPE", vendorId: "V1" })).status).toBe(201);
    await setOnHand(keys, "MF-NOPE", "L1", 3);
    const again = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "mf-unknown",
      body: { type: "hard", reference: "o", items: [{ sku: "MF-NOPE", quantity: 1, locationId: "L1" }] },
    });
    expect(again.status).toBe(201);
  });
});

describe("the request path reads no SKU from D1", () => {
  it("with D1's SKU directory and V1's skus table gone, reservations (direct and planned), stock changes and state moves still work", async () => {
    for (const sku of ["MF-HOT", "MF-HOT-2"]) {
      expect((await put(keys.operator, sku, { productId: `P-${sku}`, vendorId: "V1" })).status).toBe(201);
      await setOnHand(keys, sku, "L1", 200);
    }
    // Master-data reads now fail: any request that read a SKU from D1 would answer 500.
    const v1 = await readDbOfVendor("V1");
    await env.DB.prepare("ALTER TABLE sku_directory RENAME TO sku_directory_hidden").run();
    await v1.prepare("ALTER TABLE skus RENAME TO skus_hidden").run();
    try {
      for (let i = 0; i < 50; i++) expect((await reserve("MF-HOT")).status).toBe(201);
      const planned = await reserve("MF-HOT-2", 2, undefined);
      expect(planned.status).toBe(201);
      expect((await adjust(keys.vendor, "MF-HOT", 3)).status).toBe(200);
      expect((await adjust(keys.otherVendor, "MF-HOT", 3)).status).toBe(403);
      const state = await api("POST", "/api/v2/inventory/MF-HOT/states", {
        key: keys.vendor,
        idempotencyKey: "mf-state",
        body: { locationId: "L1", from: "sellable", to: "damaged", quantity: 1, reason: "broken" },
      });
      expect(state.status).toBe(200);
      // Positive control: a master-data read does fail while the table is gone.
      expect((await api("GET", "/api/v2/skus/MF-HOT-3", { key: keys.operator })).status).toBe(500);
      expectLogged({ error: "Error" });
    } finally {
      await env.DB.prepare("ALTER TABLE sku_directory_hidden RENAME TO sku_directory").run();
      await v1.prepare("ALTER TABLE skus_hidden RENAME TO skus").run();
    }
    expect((await skuObject("MF-HOT").snapshot()).reservations.activeHard).toEqual({ count: 50, units: 50 });
  });
});
