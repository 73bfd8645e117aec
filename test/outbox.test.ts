/**
 * The SKU object's transactional outbox: every change writes its events in the same
 * transaction; the alarm sends them and deletes them only after the send succeeded; a
 * crash or a queue outage between commit and send loses nothing and sends nothing twice.
 * The objects here are RecordingSkuInventory (test-only subclass): their events go to an
 * in-memory recorder instead of the EVENTS queue, and sends can be made to fail. Tests that
 * need time to pass (an expiry, a send's backoff) move the objects' clock
 * (support/test-clock.ts), set a day ahead before the object's first change so that only the
 * test runs its alarm.
 */
import { abortAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { InventoryEvent } from "../domain/events";
import { expectLogged } from "./support/log-capture";
import { clockNow, resetClock, setClockOffset } from "./support/test-clock";

const DAY = 24 * 60 * 60 * 1000;
afterEach(resetClock);

const policy = { allowBackorder: false, softBufferPct: 10, reorderPoint: 5 };
const object = (sku: string) => env.RECORDING_SKU.getByName(sku);
let n = 0;

async function adjust(sku: string, locationId: string, fields: { delta?: number; onHand?: number }) {
  const res = await object(sku).adjustStock({
    sku,
    actor: "operator:test",
    locationId,
    ...fields,
    reason: "restock",
    idempotencyKey: `adj-${++n}`,
    requestHash: `h-${n}`,
    policy,
  });
  expect(res.ok).toBe(true);
  return res;
}

async function reserve(sku: string, id: string, quantity: number, type: "soft" | "hard" = "hard", expiresAt?: number) {
  expiresAt ??= (await clockNow()) + 3_600_000;
  const res = await object(sku).applyReservation({
    sku,
    actor: "checkout:test",
    reservationId: id,
    attempt: 1,
    type,
    lines: [{ locationId: "L1", quantity }],
    expiresAt,
    reference: `ref-${id}`,
    policy,
  });
  expect(res.ok).toBe(true);
}

/** Runs the alarm until the outbox is empty, then returns what this SKU sent (the recorder is shared). */
async function flushed(sku: string): Promise<InventoryEvent[]> {
  for (let i = 0; i < 5 && (await object(sku).outboxSize()) > 0; i++) await runDurableObjectAlarm(object(sku));
  return (await object(sku).takeRecordedEvents()).filter((e) => e.sku === sku);
}

describe("outbox", () => {
  it("an adjustment produces exactly one inventory.updated event with before/after, cause and sequence", async () => {
    await object("OB-1").takeRecordedEvents();
    const res = await adjust("OB-1", "L1", { delta: 3 });
    const events = (await flushed("OB-1")).filter((e) => e.type === "inventory.updated");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      id: "evt:OB-1:1",
      sku: "OB-1",
      sequence: 1,
      locationId: "L1",
      cause: { ledgerSeq: (res as { ledgerSeq: number }).ledgerSeq, op: "adjust", reason: "restock", actor: "operator:test" },
      before: { onHand: 0, available: 0 },
      after: { onHand: 3, available: 3 },
    });
    expect(await object("OB-1").outboxSize()).toBe(0);
  });

  it("threshold events: low stock at the reorder point, out of stock at zero, back in stock after", async () => {
    await adjust("OB-2", "L1", { onHand: 10 });
    await flushed("OB-2");
    await reserve("OB-2", "r-low", 5); // 10 → 5 available: at the reorder point
    await reserve("OB-2", "r-out", 5); // 5 → 0
    await object("OB-2").release({ sku: "OB-2", actor: "checkout:test", reservationId: "r-out", attempt: 1, reason: "release", type: "hard" });
    const types = (await flushed("OB-2")).map((e) => e.type);
    // Per transaction: the location's update, the reservation event, then the SKU-level crossing.
    expect(types).toEqual([
      "inventory.updated",
      "reservation.created",
      "inventory.low_stock",
      "inventory.updated",
      "reservation.created",
      "inventory.out_of_stock",
      "inventory.updated",
      "reservation.released",
      "inventory.back_in_stock",
    ]);
  });

  it("threshold events carry the totals of every location, exact after a refused order and across many changes", async () => {
    const sku = "OB-TOTALS";
    await adjust(sku, "L1", { onHand: 6 });
    await adjust(sku, "L2", { onHand: 4 });
    await flushed(sku);
    // Refused: L1's line is taken inside the transaction, then L2 is short and all of it rolls back.
    const refused = await object(sku).applyReservation({
      sku,
      actor: "checkout:test",
      reservationId: "r-refused",
      attempt: 1,
      type: "hard",
      lines: [
        { locationId: "L1", quantity: 3 },
        { locationId: "L2", quantity: 50 },
      ],
      expiresAt: (await clockNow()) + 3_600_000,
      reference: "ref-refused",
      policy,
    });
    expect(refused).toMatchObject({ ok: false, code: "insufficient_stock" });
    await reserve(sku, "r-1", 5); // 10 → 5 available in all: at the reorder point
    await adjust(sku, "L2", { delta: -3 }); // 5 → 2
    await reserve(sku, "r-2", 1); // 2 → 1
    await adjust(sku, "L2", { delta: -1 }); // 1 → 0
    const thresholds = (await flushed(sku)).filter((e) => e.type === "inventory.low_stock" || e.type === "inventory.out_of_stock");
    expect(thresholds.map((e) => [e.type, e.before, e.after])).toEqual([
      [
        "inventory.low_stock",
        expect.objectContaining({ onHand: 10, reserved: 0, available: 10 }),
        expect.objectContaining({ onHand: 10, reserved: 5, available: 5 }),
      ],
      [
        "inventory.out_of_stock",
        expect.objectContaining({ onHand: 7, reserved: 6, available: 1 }),
        expect.objectContaining({ onHand: 6, reserved: 6, available: 0 }),
      ],
    ]);
  });

  it("sequences are per SKU, gap-free and increasing across flushes", async () => {
    await adjust("OB-3", "L1", { delta: 1 });
    await adjust("OB-3", "L2", { delta: 1 });
    const first = await flushed("OB-3");
    await adjust("OB-3", "L1", { delta: 1 });
    const second = await flushed("OB-3");
    const sequences = [...first, ...second].map((e) => e.sequence);
    expect(sequences).toEqual(Array.from({ length: sequences.length }, (_, i) => i + 1));
    expect(new Set([...first, ...second].map((e) => e.id)).size).toBe(sequences.length);
  });

  it("reservation events: created, fulfilled, expired", async () => {
    await setClockOffset(DAY);
    await adjust("OB-4", "L1", { onHand: 50 });
    await reserve("OB-4", "r-ship", 2);
    await object("OB-4").commit({ sku: "OB-4", actor: "checkout:test", reservationId: "r-ship", attempt: 1 });
    await object("OB-4").fulfil({ sku: "OB-4", actor: "checkout:test", reservationId: "r-ship", attempt: 1 });
    await reserve("OB-4", "r-exp", 1, "soft", (await clockNow()) + 20);
    // The hold falls due (the sent events' delivery check, a minute after, does not).
    await setClockOffset(DAY + 1_000);
    const events = await flushed("OB-4");
    const reservations = events.filter((e) => e.type.startsWith("reservation."));
    expect(reservations.map((e) => [e.type, e.reservation?.id])).toEqual([
      ["reservation.created", "r-ship"],
      ["reservation.fulfilled", "r-ship"],
      ["reservation.created", "r-exp"],
      ["reservation.expired", "r-exp"],
    ]);
    expect(reservations[1]!.reservation).toMatchObject({ status: "fulfilled", lines: [{ locationId: "L1", quantity: 2 }] });
  });

  it("a failed send keeps the events; a crash between commit and send loses nothing; nothing is sent twice", async () => {
    await setClockOffset(DAY);
    await object("OB-5").failEventSends(true);
    await adjust("OB-5", "L1", { delta: 7 });
    await runDurableObjectAlarm(object("OB-5"));
    // The update and the SKU's first back-in-stock crossing (0 → 7), both still unsent.
    expect(await object("OB-5").outboxSize()).toBe(2);
    expect(await object("OB-5").takeRecordedEvents()).toEqual([]);
    expectLogged({ event: "outbox.send_failed", sku: "OB-5", count: 2 });

    // The process dies with the event committed but unsent.
    await abortAllDurableObjects();
    await object("OB-5").failEventSends(false);
    // The retry is backed off (1 s): an alarm run before then sends nothing...
    await runDurableObjectAlarm(object("OB-5"));
    expect(await object("OB-5").outboxSize()).toBe(2);
    // ...and once it is due (the delivery check, a minute after a send, is not), the alarm sends both.
    await setClockOffset(DAY + 2_000);
    expect(await runDurableObjectAlarm(object("OB-5"))).toBe(true);
    const sent = await object("OB-5").takeRecordedEvents();
    expect(sent.map((e) => [e.id, e.type])).toEqual([
      ["evt:OB-5:1", "inventory.updated"],
      ["evt:OB-5:2", "inventory.back_in_stock"],
    ]);
    expect(await object("OB-5").outboxSize()).toBe(0);
    await runDurableObjectAlarm(object("OB-5"));
    expect(await object("OB-5").takeRecordedEvents()).toEqual([]);
    // Positive control: a new change, and the same alarm run sends exactly its one event.
    await adjust("OB-5", "L1", { delta: 1 });
    expect(await runDurableObjectAlarm(object("OB-5"))).toBe(true);
    expect((await object("OB-5").takeRecordedEvents()).map((e) => [e.id, e.type])).toEqual([["evt:OB-5:3", "inventory.updated"]]);
  });

  it("a rolled-back change writes no event", async () => {
    await object("OB-6").failEventSends(false);
    await adjust("OB-6", "L1", { onHand: 1 });
    await flushed("OB-6");
    const res = await object("OB-6").adjustStock({
      sku: "OB-6",
      actor: "operator:test",
      locationId: "L1",
      delta: -5,
      reason: "theft",
      idempotencyKey: "neg",
      requestHash: "neg",
      policy,
    });
    expect(res).toMatchObject({ ok: false, code: "would_go_negative" });
    expect(await object("OB-6").outboxSize()).toBe(0);
    // Positive control: a change within stock writes its events (the update and the out-of-stock crossing).
    await adjust("OB-6", "L1", { delta: -1 });
    expect(await object("OB-6").outboxSize()).toBe(2);
  });
});
