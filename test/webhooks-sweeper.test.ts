/**
 * The webhook sweeper (the every-minute cron, `workers/scheduled.ts` → `webhook-sweeper.ts`):
 * no delivery stays `pending` because its WEBHOOKS message was lost. Events go through the
 * EVENTS consumer with a capturing WEBHOOKS producer, so their delivery messages are "lost"
 * until the test hands them over; outbound `fetch` is a recording receiver (this file only).
 * The cron runs through the Worker's `scheduled` handler with a chosen `scheduledTime`.
 *
 * Proves: an idle pending delivery is not re-sent before the bound (negative next to the
 * positive); past it, the same message goes out again and, delivered, the delivery is
 * `delivered` with one POST; a delivery whose message is lost on every send fails as `lost`
 * after the fourth send without counting against the subscriber; the delivery's own attempt
 * count keeps bounding HTTP attempts across re-sends.
 */
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { WebhookMessage } from "../domain/webhooks";
import { CRONS, handleScheduled } from "../workers/scheduled";
import { WEBHOOK_SWEEP } from "../services/webhook-sweeper";
import {
  EVENTS_QUEUE,
  WEBHOOKS_QUEUE,
  capturingQueue,
  mockOutboundFetch,
  runAcked,
  runQueue,
  tableRows,
  updatedEvent,
  webhookProducers,
  withEnv,
  type Received,
} from "./support/event-fixtures";
import { api, createSku, seedBasics, type Keys } from "./support/fixtures";
import { expectLogged } from "./support/log-capture";
import { deliveryRow, queryAllDeliveryStores } from "./support/read-model";

let keys: Keys;
let subscriptionId: string;
let receiver: { received: Received[] };
const statuses: number[] = [];

beforeAll(async () => {
  keys = await seedBasics();
  await createSku("WS-A", { vendorId: "V1" });
  const res = await api("POST", "/api/v2/webhooks", { key: keys.vendor, body: { url: "http://127.0.0.1:9/ws", eventTypes: ["inventory.updated"] } });
  expect(res.status).toBe(201);
  subscriptionId = res.body.id;
  receiver = mockOutboundFetch(async () => statuses.shift() ?? 200);
});
afterAll(() => {
  vi.restoreAllMocks();
});
beforeEach(() => {
  receiver.received.length = 0;
  statuses.length = 0;
});

/** One event through the EVENTS consumer; its delivery message is captured ("lost"). */
async function lostDelivery(sequence: number): Promise<WebhookMessage> {
  const capture = capturingQueue();
  await runAcked(EVENTS_QUEUE, [updatedEvent("WS-A", sequence, "L1", { onHand: sequence })], webhookProducers(capture.queue));
  expect(capture.sent).toHaveLength(1);
  return capture.sent[0] as WebhookMessage;
}

async function cron(at: number, webhooks: Queue): Promise<void> {
  await handleScheduled(createScheduledController({ cron: CRONS.sweep, scheduledTime: at }), withEnv(webhookProducers(webhooks)), createExecutionContext());
}

const row = (id: string) =>
  deliveryRow<{ status: string; attempts: number; sends: number; updated_at: number; has_payload: number; last_failure: string | null }>(
    id,
    "status, attempts, sends, updated_at, payload IS NOT NULL AS has_payload, last_failure",
  );

const bound = WEBHOOK_SWEEP.stalledAfterMs;

describe("the webhook sweeper", () => {
  it("re-sends an idle pending delivery only past the bound; delivered, it is done with one POST", async () => {
    const lost = await lostDelivery(1);
    const sentAt = (await row(lost.deliveryId))!.updated_at;
    expect(await row(lost.deliveryId)).toMatchObject({ status: "pending", attempts: 0, sends: 1, has_payload: 1 });

    const early = capturingQueue();
    await cron(sentAt + bound - 60_000, early.queue);
    expect(early.sent).toEqual([]);

    const later = capturingQueue();
    await cron(sentAt + bound + 1, later.queue);
    expect(later.sent).toEqual([lost]);
    expectLogged({ event: "webhooks.sweep", resent: 1, failed: 0 }, { exactly: true });
    expect(await row(lost.deliveryId)).toMatchObject({ status: "pending", sends: 2 });

    await runAcked(WEBHOOKS_QUEUE, later.sent);
    expect(receiver.received).toHaveLength(1);
    expect(await row(lost.deliveryId)).toMatchObject({ status: "delivered", attempts: 1, has_payload: 0 });
    // Done: neither the original message turning up nor a later run sends it again.
    await runAcked(WEBHOOKS_QUEUE, [lost]);
    const after = capturingQueue();
    await cron(sentAt + bound * 5, after.queue);
    expect(receiver.received).toHaveLength(1);
    expect(after.sent).toEqual([]);
  });

  it("a delivery whose message is lost on every send fails as lost after the fourth send, not counted against the subscriber", async () => {
    const lost = await lostDelivery(2);
    let at = (await row(lost.deliveryId))!.updated_at;
    const resent = capturingQueue();
    for (let send = 2; send <= WEBHOOK_SWEEP.maxSends; send++) {
      at += bound + 1;
      await cron(at, resent.queue);
      expect(await row(lost.deliveryId)).toMatchObject({ status: "pending", sends: send });
    }
    expect(resent.sent).toHaveLength(WEBHOOK_SWEEP.maxSends - 1);
    expectLogged({ event: "webhooks.sweep", resent: 1 }, { count: WEBHOOK_SWEEP.maxSends - 1, exactly: true });
    at += bound + 1;
    await cron(at, resent.queue);
    expect(resent.sent).toHaveLength(WEBHOOK_SWEEP.maxSends - 1);
    expectLogged({ event: "webhooks.sweep", resent: 0, failed: 1 }, { exactly: true });
    expect(await row(lost.deliveryId)).toMatchObject({ status: "failed", last_failure: "lost", has_payload: 0 });
    expect(await env.DB.prepare("SELECT consecutive_failures FROM webhook_subscriptions WHERE id = ?").bind(subscriptionId).first()).toEqual({
      consecutive_failures: 0,
    });
  });

  it("a re-sent message keeps counting the delivery's attempts: the 9th HTTP attempt is its last", async () => {
    const lost = await lostDelivery(3);
    // Eight failed attempts on the first message (queue attempts 1..8), then the message is lost.
    statuses.push(...Array.from({ length: 8 }, () => 500));
    for (let attempt = 1; attempt <= 8; attempt++) {
      const { result } = await runQueue(WEBHOOKS_QUEUE, [{ body: lost, attempts: attempt }]);
      expect(result.retryMessages).toHaveLength(1);
    }
    expect(await row(lost.deliveryId)).toMatchObject({ status: "pending", attempts: 8 });
    const resent = capturingQueue();
    await cron((await row(lost.deliveryId))!.updated_at + bound + 1, resent.queue);
    expectLogged({ event: "webhooks.sweep", resent: 1 }, { exactly: true });
    // The re-sent message arrives as attempt 1 of its own; the delivery's 9th attempt fails it for good.
    statuses.push(500);
    const { result } = await runQueue(WEBHOOKS_QUEUE, [{ body: resent.sent[0], attempts: 1 }]);
    expect(result.retryMessages).toEqual([]);
    expect(await row(lost.deliveryId)).toMatchObject({ status: "failed", attempts: 9, last_failure: "http_5xx" });
  });
});

describe("deliveries never sent", () => {
  it("a delivery whose first send failed, with no redelivery of its event, is sent by the sweeper from the message kept with it", async () => {
    const capture = capturingQueue();
    capture.failSends = 2; // the batch's send and the one-message fallback's
    const event = updatedEvent("WS-A", 50, "L1", { onHand: 50 });
    await runQueue(EVENTS_QUEUE, [event], webhookProducers(capture.queue));
    expectLogged({ event: "events.batch_fallback" }, { count: 1 });
    expectLogged({ event: "queue.message_failed" }, { count: 1 });
    const [unsent] = (await tableRows("webhook_deliveries", "id")).filter((r) => r.event_id === event.id);
    expect(unsent).toMatchObject({ status: "pending", enqueued_at: null, sends: 0 });
    const createdAt = unsent!.created_at as number;
    // The event's message is never redelivered (its queue gave up): only the sweeper is left.
    const resent = capturingQueue();
    await cron(createdAt + bound - 60_000, resent.queue);
    expect(resent.sent).toEqual([]);
    await cron(createdAt + bound + 60_000, resent.queue);
    expect(resent.sent).toEqual([{ v: 1, deliveryId: unsent!.id, subscriptionId, eventId: event.id, eventType: event.type, payload: event }]);
    expect(await row(unsent!.id as string)).toMatchObject({ status: "pending", sends: 1 });
    expectLogged({ event: "webhooks.sweep", resent: 1 }, { count: 1 });
    await runAcked(WEBHOOKS_QUEUE, [{ body: resent.sent[0], attempts: 1 }]);
    expect(await row(unsent!.id as string)).toMatchObject({ status: "delivered", attempts: 1 });
  });
});

describe("retention", () => {
  it("deletes finished deliveries past 14 days, oldest first, in every store; pending ones and younger ones stay", async () => {
    const now = Date.now();
    const day = 24 * 3_600_000;
    // A store of each kind: `DB` (ids without a partition: made before deliveries were
    // partitioned) and read database 2 (ids `whd_r2_…`).
    const stores = [
      { db: env.DB, prefix: "whd_ret_" },
      { db: env.READ_2, prefix: "whd_r2_ret_" },
    ];
    // The pending one was created 15 days ago but is active (its last attempt a minute ago).
    const insert = (db: D1Database, id: string, status: string, createdAt: number, updatedAt = createdAt) =>
      db
        .prepare(
          "INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, status, created_at, updated_at, enqueued_at) VALUES (?, ?, ?, 'inventory.updated', ?, ?, ?, ?)",
        )
        .bind(id, subscriptionId, `evt-${id}`, status, createdAt, updatedAt, createdAt);
    for (const { db, prefix } of stores) {
      await db.batch([
        insert(db, `${prefix}delivered_old`, "delivered", now - 15 * day),
        insert(db, `${prefix}failed_old`, "failed", now - 14 * day - 60_000),
        insert(db, `${prefix}pending_old`, "pending", now - 15 * day, now - 60_000),
        insert(db, `${prefix}delivered_young`, "delivered", now - 13 * day),
      ]);
    }
    const left = async () =>
      (await queryAllDeliveryStores<{ id: string }>("SELECT id FROM webhook_deliveries WHERE id LIKE 'whd_%ret_%'")).map((r) => r.id).sort();
    const kept = ["whd_r2_ret_delivered_young", "whd_r2_ret_pending_old", "whd_ret_delivered_young", "whd_ret_pending_old"];
    expect(WEBHOOK_SWEEP.retentionMs).toBe(14 * day);
    await cron(now, capturingQueue().queue);
    expect(await left()).toEqual(kept);
    expectLogged({ event: "webhooks.sweep", pruned: 4 }, { exactly: true });
    expect(await row("whd_ret_pending_old")).toMatchObject({ status: "pending" });
    expect(await row("whd_r2_ret_pending_old")).toMatchObject({ status: "pending" });
    // The next run finds nothing more to delete.
    await cron(now + 60_000, capturingQueue().queue);
    expect(await left()).toEqual(kept);
  });

  it("WEBHOOK_RETENTION_DAYS shortens it (3 days); a value out of range keeps 14 days and says so", async () => {
    const now = Date.now();
    const day = 24 * 3_600_000;
    const insert = (id: string, createdAt: number) =>
      env.READ_1.prepare(
        "INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, status, created_at, updated_at) VALUES (?, ?, ?, 'inventory.updated', 'delivered', ?, ?)",
      ).bind(id, subscriptionId, `evt-${id}`, createdAt, createdAt);
    await env.READ_1.batch([insert("whd_r1_days_4", now - 4 * day), insert("whd_r1_days_2", now - 2 * day), insert("whd_r1_days_13", now - 13 * day)]);
    const left = async () =>
      (await queryAllDeliveryStores<{ id: string }>("SELECT id FROM webhook_deliveries WHERE id LIKE 'whd_r1_days_%'")).map((r) => r.id).sort();
    const sweepWith = (days: string, at: number) =>
      handleScheduled(
        createScheduledController({ cron: CRONS.sweep, scheduledTime: at }),
        withEnv({ ...webhookProducers(capturingQueue().queue), WEBHOOK_RETENTION_DAYS: days } as Partial<Env>),
        createExecutionContext(),
      );
    // Out of range: the default (14 days) holds, nothing here is old enough; the log says why.
    await sweepWith("0", now);
    expect(await left()).toEqual(["whd_r1_days_13", "whd_r1_days_2", "whd_r1_days_4"]);
    expectLogged({ event: "config.invalid", name: "WEBHOOK_RETENTION_DAYS" }, { count: 1 });
    await sweepWith("3", now);
    expect(await left()).toEqual(["whd_r1_days_2"]);
    // (With the 13-day-old deliveries the retention test above kept, in DB and READ_2.)
    expectLogged({ event: "webhooks.sweep", pruned: 4 }, { count: 1 });
  });
});
