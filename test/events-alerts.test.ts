/**
 * Alerts from inventory events (rules in `domain/alerts.ts`), through the EVENTS consumer
 * called directly: crossing the reorder point opens one low-stock alert, crossing zero one
 * out-of-stock alert, repeats update the open alert instead of duplicating it, restocking
 * (`inventory.back_in_stock`, or updates that lift the projected total above the reorder
 * point) resolves them; redeliveries and late, older events change nothing.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createSku, seedBasics } from "./support/fixtures";
import { EVENTS_QUEUE, reservationEvent, runAcked, tableRows, thresholdEvent, updatedEvent } from "./support/event-fixtures";
import { runAllReadDbs } from "./support/read-model";

beforeAll(async () => {
  await seedBasics();
  for (const sku of ["AL-1", "AL-2", "AL-3", "AL-4", "AL-5", "AL-6", "AL-7", "AL-8", "AL-9"]) await createSku(sku);
  await runAllReadDbs("UPDATE skus SET reorder_point = 5");
});

const alertsOf = async (sku: string) => (await tableRows("alerts", "opened_at, kind")).filter((r) => r.sku === sku);
/** Runs a batch through the consumer; fails unless every message was acked. */
const expectAcked = (items: unknown[]) => runAcked(EVENTS_QUEUE, items);
const open = async (sku: string) =>
  (await alertsOf(sku))
    .filter((a) => a.status === "open")
    .map((a) => a.kind)
    .sort();

describe("alerts", () => {
  it("low stock opens once; a repeat updates it; out of stock opens its own; back in stock resolves both", async () => {
    await expectAcked([updatedEvent("AL-1", 1, "L1", { onHand: 4 }, { onHand: 8 }), thresholdEvent("inventory.low_stock", "AL-1", 2, 8, 4)]);
    expect(await alertsOf("AL-1")).toEqual([
      expect.objectContaining({
        kind: "low_stock",
        status: "open",
        location_id: null,
        available: 4,
        reorder_point: 5,
        occurrences: 1,
        opened_event_id: "evt:AL-1:2",
      }),
    ]);

    // Another crossing while it is open (stock went up to 6 and down again): same alert, updated.
    await expectAcked([thresholdEvent("inventory.low_stock", "AL-1", 3, 6, 2)]);
    expect(await alertsOf("AL-1")).toEqual([
      expect.objectContaining({ kind: "low_stock", status: "open", available: 2, occurrences: 2, last_event_id: "evt:AL-1:3" }),
    ]);

    await expectAcked([updatedEvent("AL-1", 4, "L1", { onHand: 0 }), thresholdEvent("inventory.out_of_stock", "AL-1", 5, 2, 0)]);
    expect(await open("AL-1")).toEqual(["low_stock", "out_of_stock"]);

    // Restock: the update (seq 6) already shows 30 > 5 and resolves both; back_in_stock (seq 7) finds nothing open.
    await expectAcked([updatedEvent("AL-1", 6, "L1", { onHand: 30 }), thresholdEvent("inventory.back_in_stock", "AL-1", 7, 0, 30)]);
    expect((await alertsOf("AL-1")).map((a) => [a.kind, a.status, a.resolution, a.resolved_event_id])).toEqual([
      ["low_stock", "resolved", "above_reorder_point", "evt:AL-1:6"],
      ["out_of_stock", "resolved", "back_in_stock", "evt:AL-1:6"],
    ]);

    // A new crossing after resolution opens a new alert (the resolved one stays as history).
    await expectAcked([thresholdEvent("inventory.low_stock", "AL-1", 8, 30, 3)]);
    expect(await open("AL-1")).toEqual(["low_stock"]);
    expect(await alertsOf("AL-1")).toHaveLength(3);
  });

  it("back in stock (on its own) above the reorder point resolves both kinds", async () => {
    await expectAcked([thresholdEvent("inventory.low_stock", "AL-6", 1, 9, 4), thresholdEvent("inventory.out_of_stock", "AL-6", 2, 4, 0)]);
    expect(await open("AL-6")).toEqual(["low_stock", "out_of_stock"]);
    await expectAcked([thresholdEvent("inventory.back_in_stock", "AL-6", 3, 0, 12)]);
    expect((await alertsOf("AL-6")).map((a) => [a.kind, a.status, a.resolution, a.resolved_event_id])).toEqual([
      ["low_stock", "resolved", "back_in_stock", "evt:AL-6:3"],
      ["out_of_stock", "resolved", "back_in_stock", "evt:AL-6:3"],
    ]);
  });

  it("back in stock at or below the reorder point resolves out of stock and keeps low stock open", async () => {
    await expectAcked([thresholdEvent("inventory.out_of_stock", "AL-2", 1, 4, 0), thresholdEvent("inventory.back_in_stock", "AL-2", 2, 0, 3)]);
    const alerts = await alertsOf("AL-2");
    expect(alerts.map((a) => [a.kind, a.status, a.resolution])).toEqual([
      ["out_of_stock", "resolved", "back_in_stock"],
      ["low_stock", "open", null],
    ]);
  });

  it("updates that lift the projected total (all locations) above the reorder point resolve low stock", async () => {
    await expectAcked([updatedEvent("AL-3", 1, "L1", { onHand: 3 }), thresholdEvent("inventory.low_stock", "AL-3", 2, 9, 3)]);
    // L2 gets 2: total 5, still at the reorder point.
    await expectAcked([updatedEvent("AL-3", 3, "L2", { onHand: 2 })]);
    expect(await open("AL-3")).toEqual(["low_stock"]);
    // L2 gets 4: total 7 > 5.
    await expectAcked([updatedEvent("AL-3", 4, "L2", { onHand: 4 })]);
    expect(await alertsOf("AL-3")).toEqual([
      expect.objectContaining({ kind: "low_stock", status: "resolved", resolution: "above_reorder_point", resolved_event_id: "evt:AL-3:4" }),
    ]);
  });

  it("a redelivered threshold event does not count twice; a late, older one cannot reopen a resolved alert", async () => {
    const low = thresholdEvent("inventory.low_stock", "AL-4", 1, 9, 2);
    await expectAcked([low]);
    await expectAcked([{ body: low, attempts: 2 }]);
    expect(await alertsOf("AL-4")).toEqual([expect.objectContaining({ status: "open", occurrences: 1 })]);

    // Newer back-in-stock (seq 5) arrives before the older out-of-stock (seq 4).
    await expectAcked([thresholdEvent("inventory.back_in_stock", "AL-4", 5, 0, 20)]);
    await expectAcked([thresholdEvent("inventory.out_of_stock", "AL-4", 4, 2, 0)]);
    expect(await open("AL-4")).toEqual([]);
    expect(await alertsOf("AL-4")).toHaveLength(1);
  });

  it("one batch mixing a SKU whose events open alerts (applied event by event) with plain updates of another (multi-row) applies both, once", async () => {
    const batch = [
      updatedEvent("AL-7", 1, "L1", { onHand: 2 }, { onHand: 9 }),
      updatedEvent("AL-8", 1, "L1", { onHand: 40 }),
      thresholdEvent("inventory.low_stock", "AL-7", 2, 9, 2),
      updatedEvent("AL-8", 2, "L1", { onHand: 35 }),
      updatedEvent("AL-8", 3, "L2", { onHand: 1 }),
    ];
    await expectAcked(batch);
    const levels = async () =>
      (await tableRows("inventory_levels", "sku, location_id"))
        .filter((r) => r.sku === "AL-7" || r.sku === "AL-8")
        .map((r) => [r.sku, r.location_id, r.on_hand, r.last_sequence]);
    const expected = [
      ["AL-7", "L1", 2, 1],
      ["AL-8", "L1", 35, 2],
      ["AL-8", "L2", 1, 3],
    ];
    expect(await levels()).toEqual(expected);
    expect(await open("AL-7")).toEqual(["low_stock"]);
    expect(await open("AL-8")).toEqual([]);
    const processed = async () => (await tableRows("processed_events", "event_id")).filter((r) => /^evt:AL-[78]:/.test(String(r.event_id))).length;
    expect(await processed()).toBe(5);
    const cursors = async () => (await tableRows("alert_cursors", "sku")).filter((r) => r.sku === "AL-7" || r.sku === "AL-8");
    expect((await cursors()).map((r) => [r.sku, r.last_sequence])).toEqual([
      ["AL-7", 2],
      ["AL-8", 3],
    ]);

    // Redelivered: nothing changes.
    const before = { alerts: await alertsOf("AL-7"), cursors: await cursors() };
    await expectAcked(batch.map((body) => ({ body, attempts: 2 })));
    expect(await levels()).toEqual(expected);
    expect(await processed()).toBe(5);
    expect({ alerts: await alertsOf("AL-7"), cursors: await cursors() }).toEqual(before);

    // A later update of AL-7 (a plain batch now) lifts it above the reorder point and resolves its alert.
    await expectAcked([updatedEvent("AL-7", 3, "L1", { onHand: 30 })]);
    expect((await alertsOf("AL-7")).map((a) => [a.kind, a.status, a.resolution, a.resolved_event_id])).toEqual([
      ["low_stock", "resolved", "above_reorder_point", "evt:AL-7:3"],
    ]);
  });

  it("a SKU applied event by event records all of its writes once: level, alert opened and resolved, cursor, sales and the location's load", async () => {
    // AL-9's first event opens an alert, so each of its events gets its own statements (each
    // statement kind of the per-event path, bound from its template, runs here).
    const batch = [
      thresholdEvent("inventory.low_stock", "AL-9", 1, 8, 4),
      reservationEvent("reservation.fulfilled", "AL-9", 2, [{ locationId: "L1", quantity: 3 }], "2026-11-20T08:00:00.000Z"),
      updatedEvent("AL-9", 3, "L1", { onHand: 1 }, { onHand: 4 }),
      thresholdEvent("inventory.back_in_stock", "AL-9", 4, 1, 9),
    ];
    await expectAcked(batch);
    const state = async () => ({
      alerts: (await alertsOf("AL-9")).map((a) => [a.kind, a.status, a.occurrences, a.opened_event_id, a.resolution, a.resolved_event_id, a.last_sequence]),
      levels: (await tableRows("inventory_levels", "sku, location_id"))
        .filter((r) => r.sku === "AL-9")
        .map((r) => [r.location_id, r.on_hand, r.last_sequence, r.last_event_id]),
      cursor: (await tableRows("alert_cursors", "sku")).filter((r) => r.sku === "AL-9").map((r) => r.last_sequence),
      sales: (await tableRows("daily_sales", "sku, location_id, day"))
        .filter((r) => r.sku === "AL-9")
        .map((r) => [r.location_id, r.day, r.units, r.fulfilments]),
      load: (await tableRows("location_daily_load", "day, location_id")).map((r) => [r.location_id, r.day, r.units]),
      processed: (await tableRows("processed_events", "event_id"))
        .filter((r) => String(r.event_id).startsWith("evt:AL-9:"))
        .map((r) => [r.event_id, r.sequence]),
    });
    const expected = {
      alerts: [["low_stock", "resolved", 1, "evt:AL-9:1", "back_in_stock", "evt:AL-9:4", 4]],
      levels: [["L1", 1, 3, "evt:AL-9:3"]],
      cursor: [4],
      sales: [["L1", "2026-11-20", 3, 1]],
      load: [["L1", "2026-11-20", 3]],
      processed: [1, 2, 3, 4].map((n) => [`evt:AL-9:${n}`, n]),
    };
    expect(await state()).toEqual(expected);
    // Redelivered: nothing changes, not even the sums.
    await expectAcked(batch.map((body) => ({ body, attempts: 2 })));
    expect(await state()).toEqual(expected);
  });

  it("many threshold events for one SKU in one batch leave at most one open alert per kind", async () => {
    const events = [];
    for (let seq = 1; seq <= 20; seq++)
      events.push(thresholdEvent(seq % 2 ? "inventory.low_stock" : "inventory.out_of_stock", "AL-5", seq, 3, seq % 2 ? 3 : 0));
    await expectAcked(events);
    const alerts = await alertsOf("AL-5");
    expect(alerts.map((a) => [a.kind, a.status, a.occurrences])).toEqual([
      ["low_stock", "open", 10],
      ["out_of_stock", "open", 10],
    ]);
  });
});
