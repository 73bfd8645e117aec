/**
 * EVENTS consumer, called directly (`createMessageBatch` → the Worker's `queue()` →
 * `getQueueResult`) with events built per `InventoryEventSchema`: the `inventory_levels`
 * projection (one row per SKU × location, newest sequence wins), daily sales from
 * fulfilled reservations, and idempotency (a redelivered batch changes no row of any read
 * model). No webhook subscriptions exist in this file.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createSku, seedBasics } from "./support/fixtures";
import { EVENTS_QUEUE, reservationEvent, runAcked, runQueue, tableRows, updatedEvent } from "./support/event-fixtures";
import { runAllReadDbs } from "./support/read-model";

beforeAll(async () => {
  await seedBasics();
  for (const sku of ["EP-1", "EP-2", "EP-3", "EP-4", "EP-S"]) await createSku(sku);
  await createSku("EP-BO", { allowBackorder: true });
  await runAllReadDbs("UPDATE skus SET reorder_point = 5");
});

const levels = async (sku: string) => (await tableRows("inventory_levels", "sku, location_id")).filter((r) => r.sku === sku);

/** Every read model the consumer writes, for before/after comparisons. */
async function readModels() {
  return {
    levels: await tableRows("inventory_levels", "sku, location_id"),
    sales: await tableRows("daily_sales", "sku, location_id, day"),
    alerts: await tableRows("alerts", "id"),
    cursors: await tableRows("alert_cursors", "sku"),
    processed: await tableRows("processed_events", "event_id"),
    deliveries: await tableRows("webhook_deliveries", "id"),
  };
}

describe("inventory_levels projection", () => {
  it("one inventory.updated event → exactly one projection row with its counts, status and sequence", async () => {
    const { result, ids } = await runQueue(EVENTS_QUEUE, [updatedEvent("EP-1", 1, "L1", { onHand: 12, reserved: 2, inTransit: 4 })]);
    expect(result.outcome).toBe("ok");
    expect(result.explicitAcks).toEqual(ids);
    expect(result.retryMessages).toEqual([]);
    const rows = await levels("EP-1");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual({
      sku: "EP-1",
      location_id: "L1",
      on_hand: 12,
      reserved: 2,
      soft_held: 0,
      committed: 0,
      in_transit: 4,
      damaged: 0,
      on_hold: 0,
      available: 10,
      status: "in_stock",
      last_sequence: 1,
      last_event_id: "evt:EP-1:1",
      updated_at: Date.parse("2026-11-20T10:00:01.000Z"),
      projected_at: expect.any(Number),
    });
    expect(await tableRows("processed_events", "event_id")).toContainEqual(
      expect.objectContaining({ event_id: "evt:EP-1:1", type: "inventory.updated", sku: "EP-1", sequence: 1 }),
    );
  });

  it("a newer event updates the same row (no second row); each location has its own row", async () => {
    await runAcked(EVENTS_QUEUE, [updatedEvent("EP-1", 2, "L1", { onHand: 5 }), updatedEvent("EP-1", 3, "L2", { onHand: 1 })]);
    const rows = await levels("EP-1");
    expect(rows.map((r) => [r.location_id, r.on_hand, r.available, r.status, r.last_sequence])).toEqual([
      ["L1", 5, 5, "low_stock", 2],
      ["L2", 1, 1, "low_stock", 3],
    ]);
  });

  it("status follows the SKU's reorder point and backorder policy", async () => {
    await runAcked(EVENTS_QUEUE, [
      updatedEvent("EP-2", 1, "L1", { onHand: 6 }),
      updatedEvent("EP-2", 2, "L2", { onHand: 0 }),
      updatedEvent("EP-BO", 1, "L1", { onHand: 0, reserved: 3, available: -3 }),
    ]);
    expect((await levels("EP-2")).map((r) => r.status)).toEqual(["in_stock", "out_of_stock"]);
    expect((await levels("EP-BO")).map((r) => [r.available, r.status])).toEqual([[-3, "backorder"]]);
  });

  it("an out-of-order older event is ignored (acked, recorded, the row keeps the newer counts)", async () => {
    await runAcked(EVENTS_QUEUE, [updatedEvent("EP-3", 10, "L1", { onHand: 40 })]);
    const { result, ids } = await runQueue(EVENTS_QUEUE, [updatedEvent("EP-3", 9, "L1", { onHand: 7 })]);
    expect(result.explicitAcks).toEqual(ids);
    expect((await levels("EP-3")).map((r) => [r.on_hand, r.last_sequence, r.last_event_id])).toEqual([[40, 10, "evt:EP-3:10"]]);
    // Within one batch too: the later message is older and loses.
    await runAcked(EVENTS_QUEUE, [updatedEvent("EP-3", 12, "L2", { onHand: 3 }), updatedEvent("EP-3", 11, "L2", { onHand: 99 })]);
    expect((await levels("EP-3")).find((r) => r.location_id === "L2")).toMatchObject({ on_hand: 3, last_sequence: 12 });
  });

  it("a redelivered batch (same events, next attempt) changes nothing in any read model", async () => {
    const batch = [
      updatedEvent("EP-4", 1, "L1", { onHand: 20 }),
      updatedEvent("EP-4", 2, "L1", { onHand: 18, reserved: 2 }),
      reservationEvent("reservation.fulfilled", "EP-4", 3, [{ locationId: "L1", quantity: 2 }]),
    ];
    await runAcked(EVENTS_QUEUE, batch);
    const before = await readModels();
    const { result, ids } = await runQueue(
      EVENTS_QUEUE,
      batch.map((body) => ({ body, attempts: 2 })),
    );
    expect(result.explicitAcks).toEqual(ids);
    expect(await readModels()).toEqual(before);
    expect(before.sales.filter((r) => r.sku === "EP-4")).toEqual([
      { sku: "EP-4", location_id: "L1", day: "2026-11-20", units: 2, fulfilments: 1, updated_at: expect.any(Number) },
    ]);
  });
});

describe("daily sales", () => {
  it("units of reservation.fulfilled events summed per location and UTC day; other reservation events count nothing", async () => {
    await runAcked(EVENTS_QUEUE, [
      reservationEvent(
        "reservation.fulfilled",
        "EP-S",
        1,
        [
          { locationId: "L1", quantity: 2 },
          { locationId: "L2", quantity: 1 },
        ],
        "2026-11-20T23:59:59.000Z",
      ),
      reservationEvent("reservation.fulfilled", "EP-S", 2, [{ locationId: "L1", quantity: 3 }], "2026-11-20T08:00:00.000Z"),
      reservationEvent("reservation.fulfilled", "EP-S", 3, [{ locationId: "L1", quantity: 4 }], "2026-11-21T00:00:00.000Z"),
      reservationEvent("reservation.created", "EP-S", 4, [{ locationId: "L1", quantity: 50 }], "2026-11-21T00:00:00.000Z"),
      reservationEvent("reservation.released", "EP-S", 5, [{ locationId: "L1", quantity: 50 }], "2026-11-21T00:00:00.000Z"),
    ]);
    const sales = (await tableRows("daily_sales", "sku, day, location_id")).filter((r) => r.sku === "EP-S");
    expect(sales.map((r) => [r.day, r.location_id, r.units, r.fulfilments])).toEqual([
      ["2026-11-20", "L1", 5, 2],
      ["2026-11-20", "L2", 1, 1],
      ["2026-11-21", "L1", 4, 1],
    ]);
    // Reservation events carry no counts: they leave the projection alone.
    expect(await levels("EP-S")).toEqual([]);
  });
});
