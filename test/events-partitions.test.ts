/**
 * Partitioned events (issue 19), producer and consumer:
 *
 * - the SKU object sends one message per SKU flush — all its due events, in order — to the
 *   SKU's partition (`partitionOf`), and over 1,200 SKUs the messages spread evenly over the
 *   N = 4 partitions (max/mean ≤ 1.2), counted through the recording sink;
 * - confirmation and resend stay per event: a lost flush's events are resent together as one
 *   flush, the applied ones are dropped, each row counts its own resends;
 * - the consumer applies a flush on every partition's queue, each event once (a redelivered
 *   flush, or one that repeats events already applied, changes nothing), and still accepts
 *   the older one-event body (in flight during a rollout), also mixed in one batch;
 * - a SKU's events arriving out of order — as when a change of N moves it to another
 *   partition with older events still queued on the old one — converge to the same read
 *   models as in order;
 * - a flush with an invalid event applies the valid ones and is retried; on its last attempt it
 *   is recorded under its partition's queue, and that partition's dead-letter queue records it;
 * - through the real local queues: changes of SKUs on all four partitions reach the projection.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { partitionOf } from "../domain/event-partitions";
import type { InventoryEvent } from "../domain/events";
import { CONFIRM_AFTER_MS, eventQueues } from "../durable-objects/sku-inventory/outbox";
import { createSku, seedBasics } from "./support/fixtures";
import {
  EVENTS_PARTITION_DLQS,
  EVENTS_PARTITION_QUEUES,
  eventually,
  flushBody,
  reservationEvent,
  runAcked,
  runQueue,
  tableRows,
  updatedEvent,
} from "./support/event-fixtures";
import { expectLogged } from "./support/log-capture";

const N = EVENTS_PARTITION_QUEUES.length;

beforeAll(async () => {
  await seedBasics();
});
const policy = { allowBackorder: false, softBufferPct: 10, reorderPoint: 5 };
const recording = (sku: string) => env.RECORDING_SKU.getByName(sku);
let n = 0;

/** A stock change on the SKU's recording object (events to the recorder) or its real one (events to the real queues). */
async function adjust(sku: string, delta: number, locationId = "L1", object: "recording" | "real" = "recording") {
  const input = {
    sku,
    actor: "operator:test",
    locationId,
    delta,
    reason: "restock" as const,
    idempotencyKey: `pt-${++n}`,
    requestHash: `h-${n}`,
    policy,
  };
  const res = object === "recording" ? await recording(sku).adjustStock(input) : await env.SKU_INVENTORY.getByName(sku).adjustStock(input);
  expect(res.ok).toBe(true);
}

/** The first SKU id with this prefix that lands on each partition. */
function skuPerPartition(prefix: string): string[] {
  const found: string[] = [];
  for (let i = 0; found.filter(Boolean).length < N; i++) {
    const sku = `${prefix}-${i}`;
    const p = partitionOf(sku, N);
    found[p] ??= sku;
  }
  return found;
}

const levels = async (sku: string) =>
  (await tableRows("inventory_levels", "sku, location_id")).filter((r) => r.sku === sku).map((r) => [r.location_id, r.on_hand, r.last_sequence]);

describe("producer: one message per SKU flush, on the SKU's partition", () => {
  it("the wrangler.toml bindings give N = 4 partitions, the queues the consumer is routed for", () => {
    expect(eventQueues(env)).toHaveLength(4);
    for (const q of eventQueues(env)) expect(typeof q.sendBatch).toBe("function");
  });

  it("a change's events (update + threshold crossing) go out as ONE message on partitionOf(sku), in sequence order", async () => {
    await recording("PT-A").takeRecordedMessages();
    await adjust("PT-A", 7);
    await adjust("PT-A", 1, "L2");
    expect(await runDurableObjectAlarm(recording("PT-A"))).toBe(true);
    const sent = (await recording("PT-A").takeRecordedMessages()).filter((m) => m.sku === "PT-A");
    expect(sent).toEqual([{ partition: partitionOf("PT-A", N), sku: "PT-A", eventIds: ["evt:PT-A:1", "evt:PT-A:2", "evt:PT-A:3"], bytes: expect.any(Number) }]);
    expect(sent[0]!.bytes).toBeLessThan(128_000);
    await recording("PT-A").takeRecordedEvents();
  });

  it("a hot SKU's 150 due events go out as two messages (100 per flush), not 150", async () => {
    for (let i = 0; i < 150; i++) await adjust("PT-HOT", 1);
    await recording("PT-HOT").takeRecordedMessages();
    await runDurableObjectAlarm(recording("PT-HOT"));
    const sent = (await recording("PT-HOT").takeRecordedMessages()).filter((m) => m.sku === "PT-HOT");
    // 150 updates + the first back-in-stock crossing = 151 events.
    expect(sent.map((m) => m.eventIds.length)).toEqual([100, 51]);
    expect(sent.flatMap((m) => m.eventIds)).toEqual(Array.from({ length: 151 }, (_, i) => `evt:PT-HOT:${i + 1}`));
    expect(new Set(sent.map((m) => m.partition))).toEqual(new Set([partitionOf("PT-HOT", N)]));
    expect(Math.max(...sent.map((m) => m.bytes))).toBeLessThan(128_000);
    expect(await recording("PT-HOT").outboxSize()).toBe(0);
    await recording("PT-HOT").takeRecordedEvents();
  });

  it("real changes over 1,200 SKUs: one message per SKU, each on its SKU's partition, max/mean per partition ≤ 1.2", async () => {
    const skus = Array.from({ length: 1_200 }, (_, i) => `PT-SPREAD-${String(i).padStart(5, "0")}`);
    await recording(skus[0]!).takeRecordedMessages();
    for (let i = 0; i < skus.length; i += 50) {
      await Promise.all(
        skus.slice(i, i + 50).map(async (sku) => {
          await adjust(sku, 5);
          await runDurableObjectAlarm(recording(sku));
        }),
      );
    }
    const sent = (await recording(skus[0]!).takeRecordedMessages()).filter((m) => m.sku.startsWith("PT-SPREAD-"));
    await recording(skus[0]!).takeRecordedEvents();
    expect(sent).toHaveLength(skus.length);
    for (const m of sent) expect(m.partition).toBe(partitionOf(m.sku, N));
    const perPartition = Array.from({ length: N }, (_, p) => sent.filter((m) => m.partition === p).length);
    const maxOverMean = Math.max(...perPartition) / (sent.length / N);
    console.log(JSON.stringify({ event: "test.partition_balance", skus: skus.length, messages: sent.length, perPartition, maxOverMean }));
    expectLogged({ event: "test.partition_balance" });
    expect(maxOverMean, perPartition.join(" / ")).toBeLessThanOrEqual(1.2);
  }, 180_000);
});

describe("per-event confirmation with flush messages", () => {
  it("a lost flush's events are resent together as one flush at the check; the applied event is dropped; resends count per event", async () => {
    await adjust("PT-C", 7);
    await recording("PT-C").setClockOffset(0);
    await runDurableObjectAlarm(recording("PT-C"));
    const lost = await recording("PT-C").takeRecordedMessages(); // events 1, 2: never delivered
    expect(lost.filter((m) => m.sku === "PT-C").map((m) => m.eventIds)).toEqual([["evt:PT-C:1", "evt:PT-C:2"]]);
    await recording("PT-C").takeRecordedEvents();
    await adjust("PT-C", 1);
    await runDurableObjectAlarm(recording("PT-C"));
    const delivered = await recording("PT-C").takeRecordedEvents();
    await recording("PT-C").takeRecordedMessages();
    // The newer flush (event 3) reaches the consumer, as a flush.
    await runAcked(EVENTS_PARTITION_QUEUES[partitionOf("PT-C", N)]!, [flushBody("PT-C", delivered)]);

    await recording("PT-C").setClockOffset(CONFIRM_AFTER_MS + 1_000);
    await runDurableObjectAlarm(recording("PT-C"));
    const resent = (await recording("PT-C").takeRecordedMessages()).filter((m) => m.sku === "PT-C");
    const resentEvents = await recording("PT-C").takeRecordedEvents();
    expect(resent.map((m) => m.eventIds)).toEqual([["evt:PT-C:1", "evt:PT-C:2"]]);
    expectLogged({ event: "outbox.resent", sku: "PT-C", count: 2 }, { exactly: true });
    expect(await recording("PT-C").health()).toMatchObject({ eventsAwaitingConfirmation: 2 });

    await runAcked(EVENTS_PARTITION_QUEUES[partitionOf("PT-C", N)]!, [flushBody("PT-C", resentEvents)]);
    await recording("PT-C").setClockOffset(CONFIRM_AFTER_MS + 1_000 + 2 * CONFIRM_AFTER_MS + 1_000);
    await runDurableObjectAlarm(recording("PT-C"));
    expect(await recording("PT-C").takeRecordedMessages()).toEqual([]);
    expect(await recording("PT-C").health()).toMatchObject({ eventsAwaitingConfirmation: 0 });
    expect(await levels("PT-C")).toEqual([["L1", 8, 3]]);
    await recording("PT-C").setClockOffset(0);
  });
});

describe("consumer: flushes on every partition, the older body, any order", () => {
  it("a flush on each partition's queue is applied, each event once; a redelivery or an overlapping flush changes nothing twice", async () => {
    for (const [p, sku] of skuPerPartition("PT-F").entries()) {
      await createSku(sku);
      const events: InventoryEvent[] = [
        updatedEvent(sku, 1, "L1", { onHand: 4 }),
        updatedEvent(sku, 2, "L2", { onHand: 9 }),
        reservationEvent("reservation.fulfilled", sku, 3, [{ locationId: "L1", quantity: 2 }]),
        updatedEvent(sku, 4, "L1", { onHand: 2 }, { onHand: 4 }),
      ];
      await runAcked(EVENTS_PARTITION_QUEUES[p]!, [flushBody(sku, events)]);
      expect(await levels(sku)).toEqual([
        ["L1", 2, 4],
        ["L2", 9, 2],
      ]);
      const processed = (await tableRows("processed_events", "event_id")).filter((r) => r.sku === sku).map((r) => r.sequence);
      expect(processed.sort()).toEqual([1, 2, 3, 4]);
      const before = await Promise.all(["inventory_levels", "daily_sales", "processed_events"].map((t) => tableRows(t, "1, 2, 3")));
      // The same flush again, and a flush repeating events 3–4 with a new 5th.
      await runAcked(EVENTS_PARTITION_QUEUES[p]!, [{ body: flushBody(sku, events), attempts: 2 }]);
      expect(await Promise.all(["inventory_levels", "daily_sales", "processed_events"].map((t) => tableRows(t, "1, 2, 3")))).toEqual(before);
      await runAcked(EVENTS_PARTITION_QUEUES[p]!, [flushBody(sku, [...events.slice(2), updatedEvent(sku, 5, "L2", { onHand: 1 })])]);
      expect(await levels(sku)).toEqual([
        ["L1", 2, 4],
        ["L2", 1, 5],
      ]);
      const sales = (await tableRows("daily_sales", "sku, location_id, day")).filter((r) => r.sku === sku);
      expect(sales.map((r) => [r.location_id, r.units, r.fulfilments])).toEqual([["L1", 2, 1]]);
    }
  });

  it("the older one-event body is still accepted on every partition (in flight during a rollout), also in one batch with flushes", async () => {
    for (const [p, sku] of skuPerPartition("PT-OLD").entries()) {
      await runAcked(EVENTS_PARTITION_QUEUES[p]!, [
        updatedEvent(sku, 1, "L1", { onHand: 3 }),
        flushBody(sku, [updatedEvent(sku, 2, "L1", { onHand: 6 }), updatedEvent(sku, 3, "L2", { onHand: 1 })]),
        updatedEvent(sku, 4, "L2", { onHand: 8 }),
      ]);
      expect(await levels(sku)).toEqual([
        ["L1", 6, 2],
        ["L2", 8, 4],
      ]);
    }
  });

  it("out of order across partitions (a SKU moved by a change of N) converges to the in-order result", async () => {
    const events = (sku: string) => [
      updatedEvent(sku, 1, "L1", { onHand: 10 }),
      reservationEvent("reservation.fulfilled", sku, 2, [{ locationId: "L1", quantity: 3 }], "2026-11-20T10:00:02.000Z"),
      updatedEvent(sku, 3, "L1", { onHand: 7 }, { onHand: 10 }),
      updatedEvent(sku, 4, "L2", { onHand: 5 }),
      updatedEvent(sku, 5, "L1", { onHand: 6 }, { onHand: 7 }),
    ];
    const inOrder = events("PT-ORD-A");
    await runAcked(EVENTS_PARTITION_QUEUES[0], [flushBody("PT-ORD-A", inOrder.slice(0, 3))]);
    await runAcked(EVENTS_PARTITION_QUEUES[0], [flushBody("PT-ORD-A", inOrder.slice(3))]);
    // The same history for another SKU: the newer flush on its new partition first, the older
    // one still queued on its old partition arrives afterwards.
    const moved = events("PT-ORD-B");
    await runAcked(EVENTS_PARTITION_QUEUES[1], [flushBody("PT-ORD-B", moved.slice(3))]);
    await runAcked(EVENTS_PARTITION_QUEUES[0], [flushBody("PT-ORD-B", moved.slice(0, 3))]);
    expect(await levels("PT-ORD-B")).toEqual(await levels("PT-ORD-A"));
    expect(await levels("PT-ORD-B")).toEqual([
      ["L1", 6, 5],
      ["L2", 5, 4],
    ]);
    const sales = async (sku: string) =>
      (await tableRows("daily_sales", "sku, location_id, day")).filter((r) => r.sku === sku).map((r) => [r.location_id, r.day, r.units]);
    expect(await sales("PT-ORD-B")).toEqual(await sales("PT-ORD-A"));
    expect(await sales("PT-ORD-B")).toHaveLength(1);
  });

  it("a flush with an invalid event applies the valid ones and is retried; an invalid envelope is retried; the last attempt is recorded under the partition", async () => {
    const p = 2;
    const queue = EVENTS_PARTITION_QUEUES[p];
    const sku = "PT-BAD";
    const good = updatedEvent(sku, 1, "L1", { onHand: 5 });
    const broken = { ...updatedEvent(sku, 2, "L1", { onHand: 1 }), type: "inventory.exploded" };
    const otherSku = updatedEvent("PT-OTHER", 1, "L1", { onHand: 1 });
    const { result, ids } = await runQueue(queue, [
      { body: { kind: "inventory.events", v: 1, sku, events: [good, broken] }, id: "pt-partly" },
      { body: { kind: "inventory.events", v: 1, sku, events: [] }, id: "pt-empty" },
      { body: { kind: "inventory.events", v: 1, sku, events: [otherSku] }, id: "pt-wrong-sku" },
      { body: flushBody("PT-GOOD", [updatedEvent("PT-GOOD", 1, "L1", { onHand: 2 })]), id: "pt-good" },
    ]);
    expect(result.explicitAcks).toEqual([ids[3]]);
    expect(result.retryMessages.map((r) => r.msgId).sort()).toEqual(["pt-empty", "pt-partly", "pt-wrong-sku"]);
    expect(await levels(sku)).toEqual([["L1", 5, 1]]);
    expect(await levels("PT-OTHER")).toEqual([]);
    expect(await levels("PT-GOOD")).toEqual([["L1", 2, 1]]);
    const failed = expectLogged({ event: "queue.message_failed", queue }, { count: 3, exactly: true });
    expect(failed.find((f) => f.messageId === "pt-partly")!.error).toMatch(/^InvalidEventError: invalid events in flush \(1 valid applied\): events\.1: /);
    expect(failed.find((f) => f.messageId === "pt-empty")!.error).toMatch(/^InvalidEventError: invalid event flush: events/);
    expect(failed.find((f) => f.messageId === "pt-wrong-sku")!.error).toMatch(/event of SKU PT-OTHER in a flush of PT-BAD/);

    // The last attempt: recorded under the partition's queue; its own dead-letter queue records it received.
    const body = { kind: "inventory.events", v: 1, sku, events: [good, broken] };
    await runQueue(queue, [{ body, attempts: 6, id: "pt-poison" }]);
    expectLogged({ event: "queue.message_failed", messageId: "pt-poison", last: true }, { exactly: true });
    const row = () => env.DB.prepare("SELECT * FROM dead_letters WHERE queue = ? AND message_id = 'pt-poison'").bind(queue).first<Record<string, unknown>>();
    expect(await row()).toMatchObject({ dead_letter_queue: EVENTS_PARTITION_DLQS[p], attempts: 6, received_at: null });
    const dlq = await runQueue(EVENTS_PARTITION_DLQS[p]!, [{ body, id: "pt-poison" }]);
    expect(dlq.result.explicitAcks).toEqual(["pt-poison"]);
    expect(await row()).toMatchObject({ received_at: expect.any(Number) });
    expectLogged({ event: "queue.dead_letter", queue, messageId: "pt-poison" }, { exactly: true });
  });
});

describe("through the real local queues", () => {
  it("changes of SKUs on all four partitions reach the projection through their partition's queue and consumer", async () => {
    const skus = skuPerPartition("PT-REAL");
    for (const sku of skus) {
      await adjust(sku, 3, "L1", "real");
      await adjust(sku, 4, "L2", "real");
      await runDurableObjectAlarm(env.SKU_INVENTORY.getByName(sku));
    }
    for (const sku of skus) {
      await eventually(async () => ((await levels(sku)).length === 2 ? true : undefined), `the projection of ${sku}`, 20_000);
      expect(await levels(sku)).toEqual([
        ["L1", 3, 1],
        ["L2", 4, 3],
      ]);
    }
  });
});
