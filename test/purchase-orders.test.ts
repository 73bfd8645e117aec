/**
 * Purchase orders (issue 14): draft → submitted → confirmed by the vendor → shipped (each
 * line in transit at the receiving location, in its SKU's object) → partially received →
 * received, or closed short / cancelled; receipts move in transit to on hand (damaged ones
 * to damaged), idempotent per key, covering backorders first; vendors see and confirm/ship
 * their own orders only; a ship step a crash left `shipping` is finished by the sweeper.
 */
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { CRONS, handleScheduled } from "../workers/scheduled";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";
import { readDbOfVendor } from "./support/read-model";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  for (const sku of ["PO-1", "PO-2", "PO-3", "PO-4", "PO-5"]) await createSku(sku);
  await createSku("PO-BO", { allowBackorder: true });
  await createSku("PO-V2", { vendorId: "V2" });
});

const post = (path: string, key: string, body?: unknown, idempotencyKey?: string) =>
  api("POST", `/api/v2/purchase-orders${path}`, { key, ...(body !== undefined ? { body } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) });
const createPo = (lines: { sku: string; quantity: number }[], idempotencyKey: string, extra: object = {}) =>
  post("", keys.operator, { vendorId: "V1", locationId: "L2", lines, ...extra }, idempotencyKey);
const at = async (sku: string, locationId = "L2") => {
  const l = (await skuObject(sku).snapshot()).locations.find((x) => x.locationId === locationId);
  return l === undefined ? null : { onHand: l.onHand, inTransit: l.inTransit, damaged: l.damaged, available: l.available };
};
/** Creates, submits, confirms (vendor) and ships (vendor) an order. */
async function shipped(lines: { sku: string; quantity: number }[], key: string) {
  const po = await createPo(lines, key);
  expect(po.status).toBe(201);
  expect((await post(`/${po.body.id}/submit`, keys.operator)).status).toBe(200);
  expect((await post(`/${po.body.id}/confirm`, keys.vendor, { expectedAt: "2026-12-10T08:00:00Z" })).body.status).toBe("confirmed");
  const ship = await post(`/${po.body.id}/ship`, keys.vendor);
  expect(ship.status).toBe(200);
  return ship.body;
}

describe("lifecycle", () => {
  it("draft → submitted → confirmed → shipped (in transit) → partially received → received, exact counts and ledger", async () => {
    const po = await createPo(
      [
        { sku: "PO-1", quantity: 10 },
        { sku: "PO-2", quantity: 4 },
      ],
      "po-a",
      { reference: "PO-2026-001" },
    );
    expect(po.body).toMatchObject({ status: "draft", vendorId: "V1", locationId: "L2", reference: "PO-2026-001" });
    expect(po.body.id).toMatch(/^po_[0-9a-z]{26}$/);
    expect(
      (
        await createPo(
          [
            { sku: "PO-1", quantity: 10 },
            { sku: "PO-2", quantity: 4 },
          ],
          "po-a",
          { reference: "PO-2026-001" },
        )
      ).status,
    ).toBe(200);
    expect((await post(`/${po.body.id}/ship`, keys.vendor)).status).toBe(409); // not confirmed yet
    expect(await at("PO-1")).toBeNull();

    expect((await post(`/${po.body.id}/submit`, keys.operator)).body.status).toBe("submitted");
    const confirmed = await post(`/${po.body.id}/confirm`, keys.vendor, { expectedAt: "2026-12-10T08:00:00Z" });
    expect(confirmed.body).toMatchObject({ status: "confirmed", expectedAt: "2026-12-10T08:00:00.000Z" });
    const ship = await post(`/${po.body.id}/ship`, keys.vendor);
    expect(ship.body.status).toBe("shipped");
    expect(ship.body.lines.map((l: { status: string; inTransit: number }) => `${l.status}:${l.inTransit}`)).toEqual(["in_transit:10", "in_transit:4"]);
    expect(await at("PO-1")).toEqual({ onHand: 0, inTransit: 10, damaged: 0, available: 0 });
    expect((await post(`/${po.body.id}/ship`, keys.vendor)).status).toBe(200);
    expect(await at("PO-1")).toEqual({ onHand: 0, inTransit: 10, damaged: 0, available: 0 });

    const part = await post(`/${po.body.id}/receive`, keys.operator, { lines: [{ sku: "PO-1", received: 6, damaged: 1 }] }, "po-a-r1");
    expect(part.body.status).toBe("partially_received");
    expect(await at("PO-1")).toEqual({ onHand: 7, inTransit: 3, damaged: 1, available: 6 });
    // The same receipt again changes nothing.
    expect((await post(`/${po.body.id}/receive`, keys.operator, { lines: [{ sku: "PO-1", received: 6, damaged: 1 }] }, "po-a-r1")).status).toBe(200);
    expect(await at("PO-1")).toEqual({ onHand: 7, inTransit: 3, damaged: 1, available: 6 });
    expect((await post(`/${po.body.id}/receive`, keys.operator, { lines: [{ sku: "PO-1", received: 4 }] }, "po-a-over")).status).toBe(409);

    const rest = await post(
      `/${po.body.id}/receive`,
      keys.operator,
      {
        lines: [
          { sku: "PO-1", received: 3 },
          { sku: "PO-2", received: 4 },
        ],
      },
      "po-a-r2",
    );
    expect(rest.body.status).toBe("received");
    expect(await at("PO-1")).toEqual({ onHand: 10, inTransit: 0, damaged: 1, available: 9 });
    expect(await at("PO-2")).toEqual({ onHand: 4, inTransit: 0, damaged: 0, available: 4 });
    const ledger = (await skuObject("PO-1").ledger(0, 100)).map((e) => `${e.op}:${e.reason}:${e.delta.onHand}/${e.delta.inTransit}/${e.delta.damaged}`);
    expect(ledger).toEqual(["po_in_transit:purchase_order:0/10/0", "po_receive:received:6/-6/0", "po_receive:damaged:1/-1/1", "po_receive:received:3/-3/0"]);
    expect((await post(`/${po.body.id}/close`, keys.operator)).body.status).toBe("closed");
    await expectConsistent("PO-1");
    await expectConsistent("PO-2");
  });

  it("close after a partial receipt takes what never came out of transit; cancel before shipping moves nothing, after shipping empties transit", async () => {
    const a = await shipped([{ sku: "PO-3", quantity: 8 }], "po-b");
    await post(`/${a.id}/receive`, keys.operator, { lines: [{ sku: "PO-3", received: 5 }] }, "po-b-r1");
    const closed = await post(`/${a.id}/close`, keys.operator);
    expect(closed.body).toMatchObject({ status: "closed", lines: [{ received: 5, short: 3, inTransit: 0 }] });
    expect(await at("PO-3")).toEqual({ onHand: 5, inTransit: 0, damaged: 0, available: 5 });
    expect((await post(`/${a.id}/receive`, keys.operator, { lines: [{ sku: "PO-3", received: 1 }] }, "po-b-r2")).status).toBe(409);

    const draft = await createPo([{ sku: "PO-4", quantity: 2 }], "po-c");
    expect((await post(`/${draft.body.id}/cancel`, keys.operator)).body.status).toBe("cancelled");
    expect(await at("PO-4")).toBeNull();
    const b = await shipped([{ sku: "PO-4", quantity: 6 }], "po-d");
    expect(await at("PO-4")).toMatchObject({ inTransit: 6 });
    expect((await post(`/${b.id}/cancel`, keys.operator)).body.status).toBe("cancelled");
    expect(await at("PO-4")).toEqual({ onHand: 0, inTransit: 0, damaged: 0, available: 0 });
    await expectConsistent("PO-3");
    await expectConsistent("PO-4");
  });

  it("received units cover backorders at the location first", async () => {
    const order = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "po-bo-order",
      body: { type: "hard", reference: "o-pobo", items: [{ sku: "PO-BO", quantity: 2, locationId: "L2" }] },
    });
    expect(order.body.lines[0].backordered).toBe(2);
    const po = await shipped([{ sku: "PO-BO", quantity: 5 }], "po-bo");
    await post(`/${po.id}/receive`, keys.operator, { lines: [{ sku: "PO-BO", received: 5 }] }, "po-bo-r");
    const r = await skuObject("PO-BO").getReservation(order.body.id);
    expect("reservation" in r && r.reservation.lines[0]!.backordered).toBe(0);
    expect(await at("PO-BO")).toMatchObject({ onHand: 5, available: 3 });
    await expectConsistent("PO-BO");
  });

  it("the sweeper finishes a ship step a crash left 'shipping'; within the lease it waits", async () => {
    const po = await createPo([{ sku: "PO-5", quantity: 3 }], "po-crash");
    await post(`/${po.body.id}/submit`, keys.operator);
    await post(`/${po.body.id}/confirm`, keys.vendor);
    const now = Date.now();
    // The order is in its vendor's read database.
    await (await readDbOfVendor(po.body.vendorId))
      .prepare("UPDATE purchase_orders SET status = 'shipping', updated_at = ? WHERE id = ?")
      .bind(now, po.body.id)
      .run();
    await handleScheduled(createScheduledController({ cron: CRONS.sweep, scheduledTime: now + 30_000 }), env, createExecutionContext());
    expect(await at("PO-5")).toBeNull();
    await handleScheduled(createScheduledController({ cron: CRONS.sweep, scheduledTime: now + 120_000 }), env, createExecutionContext());
    expect((await api("GET", `/api/v2/purchase-orders/${po.body.id}`, { key: keys.operator })).body.status).toBe("shipped");
    expect(await at("PO-5")).toEqual({ onHand: 0, inTransit: 3, damaged: 0, available: 0 });
    await expectConsistent("PO-5");
  });
});

describe("access and bad input", () => {
  it("vendors see and confirm their own orders only; operators alone create, receive, close and cancel; bad input is 4xx", async () => {
    const mine = await createPo([{ sku: "PO-1", quantity: 1 }], "po-acc");
    expect((await api("GET", `/api/v2/purchase-orders/${mine.body.id}`, { key: keys.vendor })).status).toBe(200);
    expect((await api("GET", `/api/v2/purchase-orders/${mine.body.id}`, { key: keys.otherVendor })).status).toBe(404);
    expect((await post(`/${mine.body.id}/confirm`, keys.otherVendor)).status).toBe(404);
    const list = await api("GET", "/api/v2/purchase-orders?vendorId=V1", { key: keys.otherVendor });
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
    expect((await api("GET", "/api/v2/purchase-orders", { key: keys.vendor })).body.items.length).toBeGreaterThan(0);
    expect((await post("", keys.vendor, { vendorId: "V1", locationId: "L2", lines: [{ sku: "PO-1", quantity: 1 }] }, "v-create")).status).toBe(403);
    expect((await post(`/${mine.body.id}/submit`, keys.vendor)).status).toBe(403);
    expect((await post(`/${mine.body.id}/submit`, keys.checkout)).status).toBe(403);

    const bad: unknown[] = [
      { vendorId: "V1", locationId: "L2", lines: [{ sku: "PO-V2", quantity: 1 }] },
      { vendorId: "V1", locationId: "NOPE", lines: [{ sku: "PO-1", quantity: 1 }] },
      { vendorId: "V1", locationId: "L2", lines: [{ sku: "NO-SUCH", quantity: 1 }] },
      { vendorId: "V1", locationId: "L2", lines: [] },
      { vendorId: "V1", locationId: "L2", lines: [{ sku: "PO-1", quantity: -1 }] },
      {
        vendorId: "V1",
        locationId: "L2",
        lines: [
          { sku: "PO-1", quantity: 1 },
          { sku: "PO-1", quantity: 1 },
        ],
      },
    ];
    for (const [i, body] of bad.entries()) expect((await post("", keys.operator, body, `bad-${i}`)).status, JSON.stringify(body)).toBe(400);
    expect((await api("GET", "/api/v2/purchase-orders/nope", { key: keys.operator })).status).toBe(400);
    expect((await api("GET", `/api/v2/purchase-orders/po_${"0".repeat(26)}`, { key: keys.operator })).status).toBe(404);
    expect((await post(`/${mine.body.id}/confirm`, keys.vendor, { expectedAt: "soon" })).status).toBe(400);
    expect((await post(`/${mine.body.id}/receive`, keys.operator, { lines: [{ sku: "PO-1", received: 1 }] }, "early")).status).toBe(409);
  });
});
