/**
 * Committing (picking) a multi-SKU order is all-or-nothing too: when one SKU cannot commit
 * (its backordered units are not on hand yet), the coordinator undoes the commit on the
 * SKUs that did, so the order stays a plain hard reservation on every SKU. Found by
 * `npm run mutate`: without this compensation every test still passed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  await createSku("SC-1");
  await createSku("SC-2", { allowBackorder: true });
  await setOnHand(keys, "SC-1", "L1", 10);
  await setOnHand(keys, "SC-2", "L1", 2);
});

const totals = async (sku: string) => (await skuObject(sku).snapshot()).totals;

describe("commit compensation", () => {
  it("a commit refused by one SKU is undone on the others; once the stock arrives every line commits", async () => {
    const order = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "sc-order",
      body: {
        type: "hard",
        reference: "order-sc",
        items: [
          { sku: "SC-1", quantity: 3, locationId: "L1" },
          { sku: "SC-2", quantity: 5, locationId: "L1" },
        ],
      },
    });
    expect(order.status).toBe(201);
    expect(order.body.lines).toEqual([
      { sku: "SC-1", locationId: "L1", quantity: 3, backordered: 0 },
      { sku: "SC-2", locationId: "L1", quantity: 5, backordered: 3 },
    ]);

    // SC-2 has 2 of its 5 units on hand: it refuses, so SC-1's commit is taken back.
    const refused = await api("POST", "/api/v2/inventory/commit", { key: keys.checkout, body: { reservationId: order.body.id } });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "insufficient_stock", details: [{ sku: "SC-2", locationId: "L1", requested: 5, available: 2 }] });
    expect(await totals("SC-1")).toMatchObject({ reserved: 3, committed: 0, onHand: 10 });
    expect(await totals("SC-2")).toMatchObject({ reserved: 5, committed: 0, onHand: 2 });
    const ledger = await skuObject("SC-1").ledger(0, 100);
    expect(ledger.filter((r) => r.reservationId === order.body.id).map((r) => [r.op, r.reason])).toEqual([
      ["reserve", null],
      ["commit", null],
      ["uncommit", "compensation"],
    ]);
    expect((await api("GET", `/api/v2/reservations/${order.body.id}`, { key: keys.checkout })).body).toMatchObject({ status: "active" });
    await expectConsistent("SC-1");
    await expectConsistent("SC-2");

    // The backordered units arrive: now every line commits.
    expect((await api("PATCH", "/api/v2/inventory/SC-2", { key: keys.operator, body: { locationId: "L1", delta: 3, reason: "received" } })).status).toBe(200);
    const committed = await api("POST", "/api/v2/inventory/commit", { key: keys.checkout, body: { reservationId: order.body.id } });
    expect(committed.status).toBe(200);
    expect(committed.body.status).toBe("committed");
    expect(await totals("SC-1")).toMatchObject({ reserved: 0, committed: 3 });
    expect(await totals("SC-2")).toMatchObject({ reserved: 0, committed: 5 });
    await expectConsistent("SC-1");
    await expectConsistent("SC-2");
  });
});
