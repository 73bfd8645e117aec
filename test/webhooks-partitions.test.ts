/**
 * Partitioned webhook deliveries (issue 19), WEBHOOKS_0…WEBHOOKS_3:
 *
 * - the partition of a delivery is the EVENTS partition function over (subscription, subject):
 *   the SKU for inventory and reservation events, the order for purchase order events, else the
 *   event; one subscription's deliveries about 10,000 SKUs spread over every partition
 *   (max/mean ≤ 1.2), so an operator-wide subscription does not funnel into one queue;
 * - fan-out through the EVENTS consumer (per-partition capturing producers): every message is
 *   on its key's partition, every partition gets deliveries, and each subscription's
 *   deliveries about one SKU — whatever the event — stay on one partition;
 * - sends are per partition, 100 per sendBatch, each marked after its own send: a failed send
 *   on one partition leaves the others' deliveries marked sent;
 * - the sweeper re-drives a lost delivery to the partition of its first send;
 * - on a partition other than 0: a failed attempt is retried with the webhook backoff and the
 *   next one delivers; a last failed attempt is recorded under that partition's queue and its
 *   own dead-letter queue's consumer records it and cancels the delivery;
 * - a replay from the dead-letter API reopens the delivery and sends it to its partition (also
 *   one recorded under partition 0's name, the single queue before partitioning), and that
 *   partition's consumer delivers it;
 * - through the real local queues: deliveries on all four partitions reach the receiver
 *   through their partition's queue and consumer.
 */
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { partitionBalance, partitionOf } from "../domain/event-partitions";
import { webhookPartitionKey, webhookPartitionOf, webhookSubject } from "../domain/webhook-partitions";
import type { WebhookMessage } from "../domain/webhooks";
import { WEBHOOK_SWEEP } from "../services/webhook-sweeper";
import { sendWebhookMessages, webhookQueues } from "../services/webhook-queue";
import { app } from "../workers/app";
import { CRONS, handleScheduled } from "../workers/scheduled";
import {
  EVENTS_QUEUE,
  WEBHOOKS_PARTITION_DLQS,
  WEBHOOKS_PARTITION_QUEUES,
  capturingWebhookPartitions,
  eventually,
  mockOutboundFetch,
  reservationEvent,
  runAcked,
  runQueue,
  tableRows,
  updatedEvent,
  withEnv,
  type Received,
} from "./support/event-fixtures";
import { api, createSku, seedBasics, type Keys } from "./support/fixtures";
import { allowLogged, expectLogged } from "./support/log-capture";
import { deliveryRow, runAllDeliveryStores } from "./support/read-model";

const N = WEBHOOKS_PARTITION_QUEUES.length;

/** A delivery message of `subscriptionId` about an inventory event of `sku`. */
function skuMessage(subscriptionId: string, sku: string, sequence = 1): WebhookMessage {
  const event = updatedEvent(sku, sequence, "L1", { onHand: sequence });
  return { v: 1, deliveryId: `whd_${sku}_${sequence}`, subscriptionId, eventId: event.id, eventType: event.type, payload: event };
}

/** For each partition, the first SKU with this prefix whose deliveries to `subscriptionId` land there. */
function skuPerPartition(subscriptionId: string, prefix: string): string[] {
  const found: string[] = [];
  for (let i = 0; found.filter(Boolean).length < N; i++) {
    if (i === 10_000) throw new Error(`no SKU ${prefix}-* lands on every partition for ${subscriptionId}: ${JSON.stringify(found)}`);
    const sku = `${prefix}-${i}`;
    found[webhookPartitionOf(skuMessage(subscriptionId, sku), N)] ??= sku;
  }
  return found;
}

describe("the partition of a delivery (domain/webhook-partitions.ts)", () => {
  const sub = "wh_000000000000000000000001";

  it("the key is (subscription, subject): the SKU, else the purchase order, else the event; hashed by the EVENTS partition function", () => {
    const inventory = skuMessage(sub, "ACME-TENT-0001");
    const reservation = reservationEvent("reservation.created", "ACME-TENT-0001", 7, [{ locationId: "L1", quantity: 1 }]);
    const po = { eventId: "evt:po:po_1:submitted", payload: { id: "evt:po:po_1:submitted", type: "purchase_order.submitted", purchaseOrderId: "po_1" } };
    const sync = { eventId: "evt:sync:sync_9:completed", payload: { id: "evt:sync:sync_9:completed", type: "sync.completed", vendorId: "V1" } };
    const test = { eventId: "evt_test_1", payload: { id: "evt_test_1", type: "webhook.test", subscriptionId: sub } };
    expect(webhookSubject(inventory)).toBe("sku:ACME-TENT-0001");
    expect(webhookSubject({ eventId: reservation.id, payload: reservation })).toBe("sku:ACME-TENT-0001");
    expect(webhookSubject(po)).toBe("po:po_1");
    expect(webhookSubject(sync)).toBe("event:evt:sync:sync_9:completed");
    expect(webhookSubject(test)).toBe("event:evt_test_1");
    expect(webhookSubject({ eventId: "e", payload: { sku: 42 } })).toBe("event:e");
    expect(webhookPartitionKey(inventory)).toBe(`${sub}\nsku:ACME-TENT-0001`);
    for (let n = 1; n <= 64; n++) {
      const p = webhookPartitionOf(inventory, n);
      expect(p).toBe(partitionOf(`${sub}\nsku:ACME-TENT-0001`, n));
      expect(p >= 0 && p < n).toBe(true);
    }
  });

  it("is pinned: the same delivery gives the same partition on every run and release", () => {
    const subs = ["wh_000000000000000000000001", "wh_0123456789abcdef01234567", "wh_ffffffffffffffffffffffff"];
    expect(subs.map((s) => webhookPartitionOf(skuMessage(s, "ACME-TENT-0001"), 4))).toEqual([1, 0, 3]);
    expect(subs.map((s) => webhookPartitionOf(skuMessage(s, "SPREAD-00000"), 4))).toEqual([0, 2, 1]);
  });

  it("a subscription's deliveries about one SKU share a partition whatever the event; about another SKU or to another subscription they may not", () => {
    const sku = "ACME-BOOT-0042";
    const partitions = new Set<number>();
    for (let sequence = 1; sequence <= 50; sequence++) partitions.add(webhookPartitionOf(skuMessage(sub, sku, sequence), N));
    const reservation = reservationEvent("reservation.fulfilled", sku, 51, [{ locationId: "L2", quantity: 3 }]);
    partitions.add(webhookPartitionOf({ subscriptionId: sub, eventId: reservation.id, payload: reservation }, N));
    expect(partitions.size).toBe(1);
    // The subscription is part of the key: over 100 subscriptions the same SKU lands on every partition.
    const bySubscription = new Set(Array.from({ length: 100 }, (_, i) => webhookPartitionOf(skuMessage(`wh_sub_${i}`, sku), N)));
    expect(bySubscription.size).toBe(N);
  });

  it("one subscription's deliveries about 10,000 SKUs spread over every partition, max/mean ≤ 1.2 (an operator-wide subscription is not one queue)", () => {
    for (const s of ["wh_000000000000000000000001", "wh_0123456789abcdef01234567", "wh_ffffffffffffffffffffffff"]) {
      const keys = Array.from({ length: 10_000 }, (_, i) => webhookPartitionKey(skuMessage(s, `SPREAD-${String(i).padStart(5, "0")}`)));
      const { counts, maxOverMean } = partitionBalance(keys, N);
      expect(Math.min(...counts), `${s}: ${counts.join(" / ")}`).toBeGreaterThan(0);
      expect(maxOverMean, `${s}: ${counts.join(" / ")}`).toBeLessThanOrEqual(1.2);
    }
    // 20 vendor-style subscriptions × 500 SKUs each, and one test event per subscription for 10,000 subscriptions.
    const vendorKeys = Array.from({ length: 20 }, (_, v) =>
      Array.from({ length: 500 }, (_, i) => webhookPartitionKey(skuMessage(`wh_vendor_${v}`, `V${v}-SKU-${i}`))),
    ).flat();
    expect(partitionBalance(vendorKeys, N).maxOverMean).toBeLessThanOrEqual(1.2);
    const testKeys = Array.from({ length: 10_000 }, (_, i) => webhookPartitionKey({ subscriptionId: `wh_${i}`, eventId: `evt_test_${i}`, payload: {} }));
    expect(partitionBalance(testKeys, N).maxOverMean).toBeLessThanOrEqual(1.2);
  });

  it("growing N by one moves only ~1/(N+1) of the keys, each to the new partition (jump hashing)", () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => webhookPartitionKey(skuMessage(sub, `SPREAD-${i}`)));
    const moved = keys.filter((k) => partitionOf(k, 4) !== partitionOf(k, 5));
    expect(moved.length / keys.length).toBeGreaterThan(0.15);
    expect(moved.length / keys.length).toBeLessThan(0.25);
    for (const k of moved) expect(partitionOf(k, 5)).toBe(4);
  });
});

let keys: Keys;
let ops: string;
let v1: string;
let receiver: { received: Received[] };
const statuses: number[] = [];

async function subscribe(key: string, url: string, eventTypes: string[]): Promise<string> {
  const res = await api("POST", "/api/v2/webhooks", { key, body: { url, eventTypes } });
  expect(res.status).toBe(201);
  return res.body.id;
}

beforeAll(async () => {
  keys = await seedBasics();
  ops = await subscribe(keys.operator, "https://ops.example.test/wp", ["inventory.updated", "reservation.created"]);
  v1 = await subscribe(keys.vendor, "http://127.0.0.1:9/wp-v1", ["inventory.updated"]);
  for (let i = 0; i < 8; i++) await createSku(`WP-V1-${i}`, { vendorId: "V1" });
  receiver = mockOutboundFetch(async () => statuses.shift() ?? 200);
});
afterAll(() => {
  vi.restoreAllMocks();
});
beforeEach(() => {
  receiver.received.length = 0;
  statuses.length = 0;
});

const delivery = (id: string) =>
  deliveryRow<{ status: string; attempts: number; sends: number; updated_at: number; last_status_code: number | null; last_failure: string | null }>(
    id,
    "status, attempts, sends, updated_at, last_status_code, last_failure",
  );

/** The partition each captured message was sent to, by delivery id. */
function sentPartitions(capture: ReturnType<typeof capturingWebhookPartitions>): Map<string, number> {
  const out = new Map<string, number>();
  capture.partitions.forEach((c, p) => {
    for (const m of c.sent as WebhookMessage[]) out.set(m.deliveryId, p);
  });
  return out;
}

describe("the producers", () => {
  it("wrangler.toml gives N = 4 WEBHOOKS_<i> producers, the queues the consumer is routed for", () => {
    expect(webhookQueues(env)).toHaveLength(4);
    for (const q of webhookQueues(env)) expect(typeof q.sendBatch).toBe("function");
  });

  it("the sweeper re-drives each lost delivery to the partition of its first send", async () => {
    const skus = skuPerPartition(ops, "WP-SWEEP");
    const first = capturingWebhookPartitions();
    await runAcked(
      EVENTS_QUEUE,
      skus.map((sku) => updatedEvent(sku, 1, "L1", { onHand: 1 })),
      first.overrides,
    );
    const firstPartition = sentPartitions(first);
    expect([...firstPartition.values()].sort()).toEqual([0, 1, 2, 3]);
    const at = Math.max(...(await Promise.all([...firstPartition.keys()].map(async (id) => (await delivery(id))!.updated_at))));

    const resent = capturingWebhookPartitions();
    await handleScheduled(
      createScheduledController({ cron: CRONS.sweep, scheduledTime: at + WEBHOOK_SWEEP.stalledAfterMs + 1 }),
      withEnv(resent.overrides),
      createExecutionContext(),
    );
    expectLogged({ event: "webhooks.sweep", resent: 4, failed: 0 }, { exactly: true });
    allowLogged({ event: "sku.master_sweep" }); // the same cron's other sweeper
    const resentPartition = sentPartitions(resent);
    expect(resentPartition).toEqual(firstPartition);
    for (const id of firstPartition.keys()) expect(await delivery(id)).toMatchObject({ status: "pending", sends: 2 });

    // Each partition's consumer delivers its re-driven message.
    for (const [p, c] of resent.partitions.entries()) await runAcked(WEBHOOKS_PARTITION_QUEUES[p]!, c.sent);
    expect(receiver.received).toHaveLength(4);
    for (const id of firstPartition.keys()) expect(await delivery(id)).toMatchObject({ status: "delivered", attempts: 1 });
  });

  it("fan-out through the EVENTS consumer: each message on its key's partition, all partitions used, a subscription's deliveries about a SKU on one partition", async () => {
    const events = [];
    for (let i = 0; i < 400; i++) {
      const sku = `WP-FAN-${String(i).padStart(4, "0")}`; // not in D1: the operator-wide subscription only
      events.push(updatedEvent(sku, 1, "L1", { onHand: 3 }), updatedEvent(sku, 2, "L2", { onHand: 4 }));
    }
    for (let i = 0; i < 8; i++) {
      const sku = `WP-V1-${i}`; // V1's: both subscriptions (reservation.created: the operator-wide one only)
      events.push(
        updatedEvent(sku, 1, "L1", { onHand: 5 }),
        updatedEvent(sku, 2, "L2", { onHand: 6 }),
        reservationEvent("reservation.created", sku, 3, [{ locationId: "L1", quantity: 1 }]),
      );
    }
    const capture = capturingWebhookPartitions();
    for (let i = 0; i < events.length; i += 100) await runAcked(EVENTS_QUEUE, events.slice(i, i + 100), capture.overrides);

    const all = capture.partitions.flatMap((c, p) => (c.sent as WebhookMessage[]).map((m) => ({ m, p })));
    expect(all.filter(({ m }) => m.subscriptionId === ops)).toHaveLength(400 * 2 + 8 * 3);
    expect(all.filter(({ m }) => m.subscriptionId === v1)).toHaveLength(8 * 2);
    for (const { m, p } of all) expect(p, m.deliveryId).toBe(webhookPartitionOf(m, N));

    const bySubjectOfSubscription = new Map<string, Set<number>>();
    for (const { m, p } of all) {
      const key = `${m.subscriptionId} ${(m.payload as { sku: string }).sku}`;
      bySubjectOfSubscription.set(key, (bySubjectOfSubscription.get(key) ?? new Set()).add(p));
    }
    expect(bySubjectOfSubscription.size).toBe(400 + 8 + 8);
    for (const [key, partitions] of bySubjectOfSubscription) expect([...partitions], key).toHaveLength(1);

    // The operator-wide subscription's 824 deliveries spread over every partition.
    const perPartition = capture.partitions.map((c) => (c.sent as WebhookMessage[]).filter((m) => m.subscriptionId === ops).length);
    const maxOverMean = Math.max(...perPartition) / (perPartition.reduce((a, b) => a + b, 0) / N);
    console.log(JSON.stringify({ event: "test.webhook_partition_balance", deliveries: 824, perPartition, maxOverMean }));
    expectLogged({ event: "test.webhook_partition_balance" });
    expect(Math.min(...perPartition), perPartition.join(" / ")).toBeGreaterThan(0);
    // 408 SKUs of a random subscription id: a loose bound (the tight one is on 10,000 keys above).
    expect(maxOverMean, perPartition.join(" / ")).toBeLessThanOrEqual(1.5);

    // Settled, so the sweeper in later tests sees none of these.
    await runAllDeliveryStores("UPDATE webhook_deliveries SET status = 'delivered' WHERE status = 'pending' AND (sku LIKE 'WP-FAN-%' OR sku LIKE 'WP-V1-%')");
  });

  it("per partition, 100 per sendBatch, each send marked on its own: a failed send on one partition leaves the others' marked", async () => {
    const sub = "wh_send_test";
    const skus = skuPerPartition(sub, "WP-SEND");
    const capture = capturingWebhookPartitions();
    const batches: string[][] = [];
    const afterSend = async (sent: readonly WebhookMessage[]) => void batches.push(sent.map((m) => m.deliveryId));
    // 250 messages on partition 1, then one on partition 2 whose send fails.
    const many = Array.from({ length: 250 }, (_, i) => skuMessage(sub, skus[1]!, i + 1));
    const other = skuMessage(sub, skus[2]!);
    capture.partitions[2]!.failSends = 1;
    await expect(sendWebhookMessages(withEnv(capture.overrides), [...many.slice(0, 120), other, ...many.slice(120)], afterSend)).rejects.toThrow(
      "queue unavailable (test)",
    );
    expect(capture.partitions[1]!.sent).toEqual(many);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(batches.flat()).toEqual(many.map((m) => m.deliveryId));
    expect(capture.partitions.map((c) => c.sent.length)).toEqual([0, 250, 0, 0]);
  });
});

describe("retries and dead letters on a partition other than 0", () => {
  it("a failed attempt is retried with the webhook backoff on the partition's queue; the next attempt delivers", async () => {
    const sku = skuPerPartition(ops, "WP-RETRY")[2]!;
    const capture = capturingWebhookPartitions();
    await runAcked(EVENTS_QUEUE, [updatedEvent(sku, 1, "L1", { onHand: 2 })], capture.overrides);
    const [message] = capture.partitions[2]!.sent as WebhookMessage[];
    expect(capture.partitions.map((c) => c.sent.length)).toEqual([0, 0, 1, 0]);

    statuses.push(500);
    const first = await runQueue(WEBHOOKS_PARTITION_QUEUES[2]!, [{ body: message, attempts: 1 }]);
    expect(first.result.retryMessages).toEqual([{ msgId: first.ids[0], delaySeconds: 10 }]);
    expect(await delivery(message!.deliveryId)).toMatchObject({ status: "pending", attempts: 1, last_status_code: 500 });
    await runAcked(WEBHOOKS_PARTITION_QUEUES[2]!, [{ body: message, attempts: 2 }]);
    expect(await delivery(message!.deliveryId)).toMatchObject({ status: "delivered", attempts: 2 });
    expect(receiver.received).toHaveLength(2);
  });

  it("a last failed attempt is recorded under the partition's queue; its own dead-letter queue records it and cancels the delivery", async () => {
    const sku = skuPerPartition(ops, "WP-DEAD")[3]!;
    const capture = capturingWebhookPartitions();
    await runAcked(EVENTS_QUEUE, [updatedEvent(sku, 1, "L1", { onHand: 2 })], capture.overrides);
    const [message] = capture.partitions[3]!.sent as WebhookMessage[];
    const queue = WEBHOOKS_PARTITION_QUEUES[3]!;

    // A handler that throws on the last (9th) attempt: e.g. the body no longer validates.
    const broken = { ...message, v: 2 };
    const { result } = await runQueue(queue, [{ body: broken, attempts: 9, id: "wp-poison" }]);
    expect(result.retryMessages.map((r) => r.msgId)).toEqual(["wp-poison"]);
    expectLogged({ event: "queue.message_failed", queue, messageId: "wp-poison", attempts: 9, last: true }, { exactly: true });
    const row = (id: string) =>
      env.DB.prepare("SELECT * FROM dead_letters WHERE queue = ? AND message_id = ?").bind(queue, id).first<Record<string, unknown>>();
    expect(await row("wp-poison")).toMatchObject({ dead_letter_queue: WEBHOOKS_PARTITION_DLQS[3], attempts: 9, received_at: null });
    const dlq = await runQueue(WEBHOOKS_PARTITION_DLQS[3]!, [{ body: broken, id: "wp-poison" }]);
    expect(dlq.result.explicitAcks).toEqual(["wp-poison"]);
    expect(await row("wp-poison")).toMatchObject({ received_at: expect.any(Number) });
    expectLogged({ event: "queue.dead_letter", queue, messageId: "wp-poison" }, { exactly: true });

    // The delivery's own message, dead-lettered on that partition: recorded there, the delivery cancelled.
    await runAcked(WEBHOOKS_PARTITION_DLQS[3]!, [{ body: message, id: "wp-dead" }]);
    expectLogged({ event: "queue.dead_letter", queue, messageId: "wp-dead" }, { exactly: true });
    expect(await row("wp-dead")).toMatchObject({ dead_letter_queue: WEBHOOKS_PARTITION_DLQS[3], received_at: expect.any(Number) });
    expect(await delivery(message!.deliveryId)).toMatchObject({ status: "failed", last_failure: "cancelled" });
    expect(await tableRows("dead_letters", "queue, message_id")).not.toContainEqual(expect.objectContaining({ queue: WEBHOOKS_PARTITION_QUEUES[0] }));
  });
});

/** `POST /api/v2/dead-letters/{queue:id}/replay` as an operator, with the WEBHOOKS producers replaced. */
async function replay(overrides: Partial<Env>, queue: string, messageId: string) {
  const response = await app.fetch(
    new Request(`http://inventory.test/api/v2/dead-letters/${encodeURIComponent(`${queue}:${messageId}`)}/replay`, {
      method: "POST",
      headers: { authorization: `Bearer ${keys.operator}` },
    }),
    withEnv(overrides),
    createExecutionContext(),
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("dead-letter replay", () => {
  it("reopens the cancelled delivery and sends it to its partition, whichever partition's queue recorded it; that partition's consumer delivers it", async () => {
    const skus = skuPerPartition(ops, "WP-REPLAY");
    const first = capturingWebhookPartitions();
    await runAcked(EVENTS_QUEUE, [updatedEvent(skus[3]!, 1, "L1", { onHand: 1 }), updatedEvent(skus[1]!, 1, "L1", { onHand: 1 })], first.overrides);
    const on3 = first.partitions[3]!.sent[0] as WebhookMessage;
    const on1 = first.partitions[1]!.sent[0] as WebhookMessage;
    // Dead-lettered on its own partition, and one recorded under partition 0's name (as before partitioning).
    await runAcked(WEBHOOKS_PARTITION_DLQS[3]!, [{ body: on3, id: "wp-rp-3" }]);
    await runAcked(WEBHOOKS_PARTITION_DLQS[0]!, [{ body: on1, id: "wp-rp-old" }]);
    expectLogged({ event: "queue.dead_letter" }, { count: 2, exactly: true });
    for (const m of [on3, on1]) expect(await delivery(m.deliveryId)).toMatchObject({ status: "failed", last_failure: "cancelled" });

    const sent = capturingWebhookPartitions();
    for (const [queue, id] of [
      [WEBHOOKS_PARTITION_QUEUES[3]!, "wp-rp-3"],
      [WEBHOOKS_PARTITION_QUEUES[0]!, "wp-rp-old"],
    ] as const) {
      const res = await replay(sent.overrides, queue, id);
      expect(res.status, id).toBe(200);
      expect(res.body.reopened, id).toBe("webhook_delivery");
    }
    expectLogged({ event: "dead_letter.replayed", reopened: "webhook_delivery" }, { count: 2, exactly: true });
    expect(sent.partitions.map((c) => c.sent)).toEqual([[], [on1], [], [on3]]);
    for (const m of [on3, on1]) expect(await delivery(m.deliveryId)).toMatchObject({ status: "pending" });
    await runAcked(WEBHOOKS_PARTITION_QUEUES[3]!, sent.partitions[3]!.sent);
    await runAcked(WEBHOOKS_PARTITION_QUEUES[1]!, sent.partitions[1]!.sent);
    for (const m of [on3, on1]) expect(await delivery(m.deliveryId)).toMatchObject({ status: "delivered" });
    expect(receiver.received).toHaveLength(2);
  });
});

describe("through the real local queues", () => {
  it("deliveries on all four partitions reach the receiver through their partition's queue and consumer", async () => {
    const skus = skuPerPartition(ops, "WP-REAL");
    await runAcked(
      EVENTS_QUEUE,
      skus.map((sku) => updatedEvent(sku, 1, "L1", { onHand: 9 })),
    );
    const rows = (await tableRows("webhook_deliveries", "id")).filter((r) => skus.includes(r.sku as string));
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      await eventually(async () => ((await delivery(r.id as string))!.status === "delivered" ? true : undefined), `the delivery of ${r.sku}`, 20_000);
    }
    expect(receiver.received.map((r) => r.headers.get("x-edgeinventory-delivery")).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(new Set(rows.map((r) => webhookPartitionOf({ subscriptionId: ops, eventId: r.event_id as string, payload: { sku: r.sku } }, N)))).toEqual(
      new Set([0, 1, 2, 3]),
    );
  });
});
