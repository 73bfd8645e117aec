/**
 * A purchase order's receipt records lot and expiry in the SKU object (issue 14, items 3 and
 * 6): the receive body's `lot` and `expiresOn` reach `receiveTransfer`, so the received good
 * units form the lot (and fulfilment then picks first-expiry-first-out, test/preorders-lots).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, createSku, expectConsistent, seedBasics, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  await createSku("PO-LOT-1");
  await createSku("PO-LOT-2");
});

const post = (path: string, key: string, body?: unknown, idempotencyKey?: string) =>
  api("POST", `/api/v2/purchase-orders${path}`, { key, ...(body !== undefined ? { body } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) });

describe("purchase order receipts with lots", () => {
  it("received units with a lot and expiry become that lot; a line without them stays unlotted", async () => {
    const po = await post(
      "",
      keys.operator,
      {
        vendorId: "V1",
        locationId: "L2",
        lines: [
          { sku: "PO-LOT-1", quantity: 12 },
          { sku: "PO-LOT-2", quantity: 5 },
        ],
      },
      "po-lot-a",
    );
    expect(po.status).toBe(201);
    expect((await post(`/${po.body.id}/submit`, keys.operator)).status).toBe(200);
    expect((await post(`/${po.body.id}/confirm`, keys.vendor, { expectedAt: "2026-12-10T08:00:00Z" })).status).toBe(200);
    expect((await post(`/${po.body.id}/ship`, keys.vendor)).status).toBe(200);

    const receipt = {
      lines: [
        { sku: "PO-LOT-1", received: 10, damaged: 2, lot: "L-2026-11-A", expiresOn: "2027-03-01" },
        { sku: "PO-LOT-2", received: 5 },
      ],
    };
    const received = await post(`/${po.body.id}/receive`, keys.operator, receipt, "po-lot-rcpt-1");
    expect(received.status).toBe(200);
    // A retry of the same receipt changes nothing.
    expect((await post(`/${po.body.id}/receive`, keys.operator, receipt, "po-lot-rcpt-1")).status).toBe(200);

    const lots = await skuObject("PO-LOT-1").lots("L2");
    expect(lots.lots.map((l) => ({ lot: l.lot, expiresOn: l.expiresOn, units: l.units, locationId: l.locationId }))).toEqual([
      { lot: "L-2026-11-A", expiresOn: "2027-03-01", units: 10, locationId: "L2" },
    ]);
    // The line received without lot fields leaves its SKU unlotted (the call above is this one's positive control).
    expect((await skuObject("PO-LOT-2").lots("L2")).lots).toEqual([]);
    const level = (await skuObject("PO-LOT-1").snapshot()).locations.find((l) => l.locationId === "L2")!;
    expect({ onHand: level.onHand, damaged: level.damaged, inTransit: level.inTransit }).toEqual({ onHand: 12, damaged: 2, inTransit: 0 }); // on hand counts every unit in the building, damaged ones too
    await expectConsistent("PO-LOT-1");
    await expectConsistent("PO-LOT-2");
  });
});
