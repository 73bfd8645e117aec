/**
 * A receipt retried after its purchase order was closed (or cancelled) replays its answer
 * instead of a 409, so a client whose answer was lost learns its receipt applied; a new
 * receipt on the closed order is still refused and moves nothing (found by the inbound crash
 * drill, bench/lib/inbound-drill.mjs).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, createSku, expectConsistent, seedBasics, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  await createSku("PO-RR-1");
});

const post = (path: string, key: string, body?: unknown, idempotencyKey?: string) =>
  api("POST", `/api/v2/purchase-orders${path}`, { key, ...(body !== undefined ? { body } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) });
const level = async () => {
  const l = (await skuObject("PO-RR-1").snapshot()).locations.find((x) => x.locationId === "L2")!;
  return { onHand: l.onHand, inTransit: l.inTransit };
};

describe("a receipt retried after the order closed", () => {
  it("replays (200, nothing moves); a new receipt is 409 and moves nothing", async () => {
    const po = await post("", keys.operator, { vendorId: "V1", locationId: "L2", lines: [{ sku: "PO-RR-1", quantity: 8 }] }, "po-rr");
    expect((await post(`/${po.body.id}/submit`, keys.operator)).status).toBe(200);
    expect((await post(`/${po.body.id}/confirm`, keys.vendor, { expectedAt: "2026-12-10T08:00:00Z" })).status).toBe(200);
    expect((await post(`/${po.body.id}/ship`, keys.vendor)).status).toBe(200);
    const receipt = { lines: [{ sku: "PO-RR-1", received: 5 }] };
    expect((await post(`/${po.body.id}/receive`, keys.operator, receipt, "po-rr-r1")).status).toBe(200);
    expect((await post(`/${po.body.id}/close`, keys.operator)).body).toMatchObject({ status: "closed", lines: [{ received: 5, short: 3, inTransit: 0 }] });
    const ledgerBefore = (await skuObject("PO-RR-1").ledger(0, 100)).length;
    expect(await level()).toEqual({ onHand: 5, inTransit: 0 });

    const retried = await post(`/${po.body.id}/receive`, keys.operator, receipt, "po-rr-r1");
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: "closed", lines: [{ received: 5, short: 3, inTransit: 0 }] });

    const fresh = await post(`/${po.body.id}/receive`, keys.operator, { lines: [{ sku: "PO-RR-1", received: 1 }] }, "po-rr-r2");
    expect(fresh.status).toBe(409);
    expect(fresh.body.error.code).toBe("invalid_state");

    expect(await level()).toEqual({ onHand: 5, inTransit: 0 });
    expect((await skuObject("PO-RR-1").ledger(0, 100)).length).toBe(ledgerBefore);
    await expectConsistent("PO-RR-1");
  });
});
