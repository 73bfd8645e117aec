/**
 * Webhook fan-out and delivery, with the EVENTS and WEBHOOKS consumers called directly.
 * Outbound calls never leave the test: `globalThis.fetch` is replaced, in this test file
 * only, by a recording receiver (`mockOutboundFetch` in support/event-fixtures.ts;
 * @cloudflare/vitest-plugin 1.5.0 has no `fetchMock`). The Worker runs in the test's
 * isolate, so its `fetch` is the replaced one. The EVENTS consumer's WEBHOOKS producer is a
 * capturing stand-in, so the test hands each delivery message to the WEBHOOKS consumer
 * itself and can replay it as a redelivery.
 */
import { createHmac } from "node:crypto";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { InventoryEvent } from "../domain/events";
import { verifyWebhookSignature } from "../domain/webhook-signature";
import type { WebhookMessage } from "../domain/webhooks";
import { api, createSku, seedBasics, type Keys } from "./support/fixtures";
import {
  EVENTS_QUEUE,
  WEBHOOKS_QUEUE,
  capturingQueue,
  mockOutboundFetch,
  reservationEvent,
  runAcked,
  runQueue,
  tableRows,
  updatedEvent,
  webhookProducers,
  type Received,
} from "./support/event-fixtures";
import { expectLogged } from "./support/log-capture";
import { deliveryRow, readDbOfSku } from "./support/read-model";

let keys: Keys;
const subs: Record<string, { id: string; secret: string }> = {};
/** Status codes the receiver answers per URL path, in order; 200 once a script runs out. */
const script = new Map<string, (number | Error)[]>();
let receiver: { received: Received[] };

async function subscribe(name: string, key: string, url: string, eventTypes: string[], vendorId?: string): Promise<void> {
  const res = await api("POST", "/api/v2/webhooks", { key, body: { url, eventTypes, ...(vendorId ? { vendorId } : {}) } });
  if (res.status !== 201) throw new Error(`subscribe ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  subs[name] = { id: res.body.id, secret: res.body.secret };
}

beforeAll(async () => {
  keys = await seedBasics();
  await createSku("WD-A", { vendorId: "V1" });
  await createSku("WD-B", { vendorId: "V2" });
  await subscribe("v1", keys.vendor, "http://127.0.0.1:9/v1", ["inventory.updated", "inventory.low_stock"]);
  await subscribe("v1low", keys.vendor, "http://127.0.0.1:9/v1-low", ["inventory.low_stock"]);
  await subscribe("v2", keys.otherVendor, "http://localhost:9/v2", ["inventory.updated"]);
  await subscribe("ops", keys.operator, "https://ops.example.test/all", [
    "inventory.updated",
    "inventory.low_stock",
    "inventory.out_of_stock",
    "inventory.back_in_stock",
    "reservation.created",
    "reservation.released",
    "reservation.expired",
    "reservation.fulfilled",
  ]);
  receiver = mockOutboundFetch(async (request) => {
    const next = script.get(new URL(request.url).pathname)?.shift();
    if (next instanceof Error) throw next;
    return next ?? 200;
  });
});
afterAll(() => {
  vi.restoreAllMocks();
});
beforeEach(() => {
  receiver.received.length = 0;
  script.clear();
});

/** Runs events through the EVENTS consumer; returns the delivery messages it sent. */
async function fanOut(events: InventoryEvent[]): Promise<WebhookMessage[]> {
  const capture = capturingQueue();
  await runAcked(EVENTS_QUEUE, events, webhookProducers(capture.queue));
  return capture.sent as WebhookMessage[];
}

const nameOf = (subscriptionId: string) => Object.entries(subs).find(([, s]) => s.id === subscriptionId)?.[0];
const pairs = (messages: WebhookMessage[]) => messages.map((m) => `${nameOf(m.subscriptionId)} ${m.eventId}`).sort();
const delivery = (id: string) => deliveryRow(id);
const subscriptionRow = (name: string) =>
  env.DB.prepare("SELECT * FROM webhook_subscriptions WHERE id = ?").bind(subs[name]!.id).first<Record<string, unknown>>();

describe("fan-out", () => {
  it("one message per matching (subscription, event); vendor subscriptions get only their SKUs' events; redelivery adds none", async () => {
    const events = [
      updatedEvent("WD-A", 1, "L1", { onHand: 5 }),
      updatedEvent("WD-B", 1, "L1", { onHand: 6 }),
      updatedEvent("WD-NOT-IN-D1", 1, "L1", { onHand: 7 }),
      reservationEvent("reservation.created", "WD-A", 2, [{ locationId: "L1", quantity: 1 }]),
    ];
    const sent = await fanOut(events);
    expect(pairs(sent)).toEqual(["v1 evt:WD-A:1", "ops evt:WD-A:1", "v2 evt:WD-B:1", "ops evt:WD-B:1", "ops evt:WD-NOT-IN-D1:1", "ops evt:WD-A:2"].sort());
    for (const m of sent) {
      expect(m.payload).toEqual(events.find((e) => e.id === m.eventId));
      expect(await delivery(m.deliveryId)).toMatchObject({
        subscription_id: m.subscriptionId,
        event_id: m.eventId,
        status: "pending",
        enqueued_at: expect.any(Number),
      });
    }
    const rowsBefore = await tableRows("webhook_deliveries", "id");
    expect(await fanOut(events.map((e) => e))).toEqual([]);
    expect(await tableRows("webhook_deliveries", "id")).toEqual(rowsBefore);
  });

  it("a queue send that fails after the D1 batch committed is finished by the redelivery, once", async () => {
    const event = updatedEvent("WD-A", 3, "L2", { onHand: 9 });
    const capture = capturingQueue();
    // Both the batched attempt and the one-message fallback of this delivery fail to send.
    capture.failSends = 2;
    const first = await runQueue(EVENTS_QUEUE, [event], webhookProducers(capture.queue));
    expect(first.result.retryMessages).toEqual([{ msgId: first.ids[0], delaySeconds: 4 }]);
    expectLogged({ event: "events.batch_fallback", messages: 1, error: "Error: queue unavailable (test)" }, { count: 1, exactly: true });
    expectLogged({ event: "queue.message_failed", queue: "edge-inventory-events", attempts: 1, last: false }, { count: 1, exactly: true });
    // The projection and the delivery rows committed; the messages were not sent.
    expect(await (await readDbOfSku("WD-A")).prepare("SELECT on_hand FROM inventory_levels WHERE sku = 'WD-A' AND location_id = 'L2'").first()).toEqual({
      on_hand: 9,
    });
    const unsent = (await tableRows("webhook_deliveries", "id")).filter((r) => r.event_id === event.id);
    expect(unsent.map((r) => r.enqueued_at)).toEqual([null, null]);

    await runAcked(EVENTS_QUEUE, [{ body: event, attempts: 2 }], webhookProducers(capture.queue));
    expect((capture.sent as WebhookMessage[]).map((m) => m.deliveryId).sort()).toEqual(unsent.map((r) => r.id).sort());
    await runAcked(EVENTS_QUEUE, [{ body: event, attempts: 3 }], webhookProducers(capture.queue));
    expect(capture.sent).toHaveLength(2);
  });
});

describe("where deliveries are stored (issue 19)", () => {
  it("in the read database of the event's SKU, named by the id, none in DB; created with the event's projection, so an applied event never gets them again", async () => {
    const event = updatedEvent("WD-B", 40, "L1", { onHand: 4 });
    const sent = await fanOut([event]);
    expect(pairs(sent)).toEqual(["ops evt:WD-B:40", "v2 evt:WD-B:40"]);
    const home = await readDbOfSku("WD-B");
    for (const m of sent) {
      // V2 is pinned to READ_2 (fixtures): the id says so, and the row is there with its message.
      expect(m.deliveryId).toMatch(/^whd_r2_[0-9a-f]{24}$/);
      expect(await home.prepare("SELECT payload FROM webhook_deliveries WHERE id = ?").bind(m.deliveryId).first<{ payload: string }>()).toEqual({
        payload: JSON.stringify({ eventId: event.id, eventType: event.type, payload: event }),
      });
    }
    expect(await env.DB.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE event_id = ?").bind(event.id).first()).toEqual({ n: 0 });
    // The event is applied: even with its delivery rows gone (as after its vendor's rows moved to
    // another database), a redelivery creates none, since its dedupe row says it was applied.
    await home.prepare("DELETE FROM webhook_deliveries WHERE event_id = ?").bind(event.id).run();
    expect(await fanOut([event])).toEqual([]);
    expect((await tableRows("webhook_deliveries", "id")).filter((r) => r.event_id === event.id)).toEqual([]);
  });
});

describe("delivery", () => {
  it("POSTs the event signed with the subscription's secret; the signature verifies; each vendor's URL gets only its SKUs", async () => {
    const events = [
      updatedEvent("WD-A", 10, "L1", { onHand: 1 }),
      updatedEvent("WD-B", 10, "L1", { onHand: 2 }),
      updatedEvent("WD-A", 11, "L2", { onHand: 3 }),
      updatedEvent("WD-B", 11, "L2", { onHand: 4 }),
    ];
    const sent = await fanOut(events);
    await runAcked(WEBHOOKS_QUEUE, sent);
    expect(receiver.received).toHaveLength(sent.length);

    const now = Math.floor(Date.now() / 1000);
    for (const request of receiver.received) {
      const message = sent.find((m) => m.deliveryId === request.headers.get("x-edgeinventory-delivery"))!;
      const secret = subs[nameOf(message.subscriptionId)!]!.secret;
      expect(request.headers.get("content-type")).toBe("application/json");
      expect(request.headers.get("x-edgeinventory-event")).toBe("inventory.updated");
      const timestamp = request.headers.get("x-edgeinventory-timestamp")!;
      expect(Math.abs(Number(timestamp) - now)).toBeLessThan(60);
      // Recomputed the way a receiver would, with Node's crypto.
      const expected = createHmac("sha256", secret).update(`${timestamp}.${request.body}`).digest("hex");
      expect(request.headers.get("x-edgeinventory-signature")).toBe(`v1=${expected}`);
      expect(await verifyWebhookSignature(secret, request.headers.get("x-edgeinventory-signature")!, timestamp, request.body, now)).toBe(true);
      expect(JSON.parse(request.body)).toEqual(message.payload);
    }

    const skusAt = (path: string) => receiver.received.filter((r) => new URL(r.url).pathname === path).map((r) => JSON.parse(r.body).sku as string);
    expect(skusAt("/v1").sort()).toEqual(["WD-A", "WD-A"]);
    expect(skusAt("/v2").sort()).toEqual(["WD-B", "WD-B"]);
    expect(skusAt("/all")).toHaveLength(4);
    expect(skusAt("/v1-low")).toEqual([]);
    for (const m of sent)
      expect(await delivery(m.deliveryId)).toMatchObject({ status: "delivered", attempts: 1, last_status_code: 200, delivered_at: expect.any(Number) });
  });

  it("a 500 is recorded and retried after a backoff delay; the retry's 200 delivers; a duplicate after that sends nothing", async () => {
    const sent = await fanOut([updatedEvent("WD-A", 20, "L1", { onHand: 8 })]);
    const toV1 = sent.find((m) => nameOf(m.subscriptionId) === "v1")!;
    const toOps = sent.find((m) => nameOf(m.subscriptionId) === "ops")!;
    script.set("/v1", [500]);

    const first = await runQueue(WEBHOOKS_QUEUE, [
      { body: toV1, id: "v1-20" },
      { body: toOps, id: "ops-20" },
    ]);
    expect(first.result.retryMessages).toEqual([{ msgId: "v1-20", delaySeconds: 10 }]);
    expect(first.result.explicitAcks).toEqual(["ops-20"]);
    expect(await delivery(toV1.deliveryId)).toMatchObject({ status: "pending", attempts: 1, last_status_code: 500, last_error: "HTTP 500" });

    const second = await runQueue(WEBHOOKS_QUEUE, [{ body: toV1, id: "v1-20", attempts: 2 }]);
    expect(second.result.explicitAcks).toEqual(["v1-20"]);
    expect(await delivery(toV1.deliveryId)).toMatchObject({ status: "delivered", attempts: 2, last_status_code: 200, last_error: null });
    const toV1Requests = receiver.received.filter((r) => r.url.endsWith("/v1"));
    expect(toV1Requests).toHaveLength(2);
    expect(new Set(toV1Requests.map((r) => r.headers.get("x-edgeinventory-delivery")))).toEqual(new Set([toV1.deliveryId]));

    await runAcked(WEBHOOKS_QUEUE, [{ body: toV1, id: "v1-20", attempts: 3 }]);
    expect(receiver.received.filter((r) => r.url.endsWith("/v1"))).toHaveLength(2);
  });

  it("timeouts and network errors are retried with growing delays and recorded", async () => {
    const sent = await fanOut([updatedEvent("WD-B", 21, "L1", { onHand: 8 })]);
    const toV2 = sent.find((m) => nameOf(m.subscriptionId) === "v2")!;
    script.set("/v2", [new DOMException("The operation was aborted due to timeout", "TimeoutError"), new TypeError("connection refused")]);
    const first = await runQueue(WEBHOOKS_QUEUE, [{ body: toV2, id: "v2-21", attempts: 1 }]);
    expect(first.result.retryMessages).toEqual([{ msgId: "v2-21", delaySeconds: 10 }]);
    expect(await delivery(toV2.deliveryId)).toMatchObject({ attempts: 1, last_status_code: null, last_error: "timeout after 10 s" });
    const second = await runQueue(WEBHOOKS_QUEUE, [{ body: toV2, id: "v2-21", attempts: 4 }]);
    expect(second.result.retryMessages).toEqual([{ msgId: "v2-21", delaySeconds: 80 }]);
    expect(await delivery(toV2.deliveryId)).toMatchObject({ status: "pending", attempts: 2, last_error: "network error: connection refused" });
  });

  it("the last attempt's failure marks the delivery failed; 10 failed deliveries in a row disable the subscription", async () => {
    await subscribe("flaky", keys.operator, "http://127.0.0.1:9/flaky", ["inventory.updated"], "V2");
    const events = Array.from({ length: 11 }, (_, i) => updatedEvent("WD-B", 100 + i, "L1", { onHand: i }));
    const toFlaky = (await fanOut(events)).filter((m) => nameOf(m.subscriptionId) === "flaky");
    expect(toFlaky).toHaveLength(11);
    script.set("/flaky", Array(20).fill(503));

    for (let i = 0; i < 9; i++) await runAcked(WEBHOOKS_QUEUE, [{ body: toFlaky[i], attempts: 9 }]);
    expect(await subscriptionRow("flaky")).toMatchObject({ consecutive_failures: 9, disabled_at: null });
    expect(await delivery(toFlaky[0]!.deliveryId)).toMatchObject({ status: "failed", attempts: 1, last_status_code: 503, failed_at: expect.any(Number) });

    await runAcked(WEBHOOKS_QUEUE, [{ body: toFlaky[9], attempts: 9 }]);
    expect(await subscriptionRow("flaky")).toMatchObject({
      consecutive_failures: 10,
      disabled_at: expect.any(Number),
      disabled_reason: "10 consecutive failed deliveries",
    });
    const shown = await api("GET", `/api/v2/webhooks/${subs.flaky!.id}`, { key: keys.operator });
    expect(shown.body).toMatchObject({ status: "disabled", disabledReason: "10 consecutive failed deliveries" });

    // A delivery still queued for it is cancelled without a request; new events skip it.
    const requestsBefore = receiver.received.length;
    await runAcked(WEBHOOKS_QUEUE, [{ body: toFlaky[10], attempts: 1 }]);
    expect(receiver.received.length).toBe(requestsBefore);
    expect(await delivery(toFlaky[10]!.deliveryId)).toMatchObject({ status: "failed", last_error: "subscription disabled" });
    expect(pairs(await fanOut([updatedEvent("WD-B", 200, "L1", { onHand: 1 })]))).toEqual(["ops evt:WD-B:200", "v2 evt:WD-B:200"]);

    // Re-enabled, it receives again, and a success ends the streak.
    const enabled = await api("POST", `/api/v2/webhooks/${subs.flaky!.id}/enable`, { key: keys.operator });
    expect(enabled.body).toMatchObject({ status: "active", consecutiveFailures: 0 });
    const again = (await fanOut([updatedEvent("WD-B", 201, "L1", { onHand: 2 })])).filter((m) => nameOf(m.subscriptionId) === "flaky");
    script.set("/flaky", [503]);
    await runAcked(WEBHOOKS_QUEUE, [{ body: again[0], attempts: 9 }]);
    expect(await subscriptionRow("flaky")).toMatchObject({ consecutive_failures: 1 });
    const more = (await fanOut([updatedEvent("WD-B", 202, "L1", { onHand: 3 })])).filter((m) => nameOf(m.subscriptionId) === "flaky");
    await runAcked(WEBHOOKS_QUEUE, [{ body: more[0], attempts: 1 }]);
    expect(await subscriptionRow("flaky")).toMatchObject({ consecutive_failures: 0, disabled_at: null });
  });

  it("a deleted subscription gets nothing more: queued deliveries are cancelled, new events skip it", async () => {
    await subscribe("gone", keys.vendor, "http://127.0.0.1:9/gone", ["inventory.updated"]);
    const queued = (await fanOut([updatedEvent("WD-A", 300, "L1", { onHand: 1 })])).filter((m) => nameOf(m.subscriptionId) === "gone");
    expect(queued).toHaveLength(1);
    expect((await api("DELETE", `/api/v2/webhooks/${subs.gone!.id}`, { key: keys.vendor })).status).toBe(204);
    await runAcked(WEBHOOKS_QUEUE, queued);
    expect(receiver.received.filter((r) => r.url.endsWith("/gone"))).toEqual([]);
    expect(await delivery(queued[0]!.deliveryId)).toMatchObject({ status: "failed", last_error: "subscription deleted" });
    expect(pairs(await fanOut([updatedEvent("WD-A", 301, "L1", { onHand: 2 })]))).toEqual(["ops evt:WD-A:301", "v1 evt:WD-A:301"]);
  });

  it("an invalid WEBHOOKS message is retried (and dead-lettered in the end) without affecting the others", async () => {
    const sent = await fanOut([updatedEvent("WD-A", 400, "L1", { onHand: 4 })]);
    const { result, ids } = await runQueue(WEBHOOKS_QUEUE, [{ nope: true }, ...sent]);
    expect(result.retryMessages).toEqual([{ msgId: ids[0], delaySeconds: 10 }]);
    expect(result.explicitAcks.sort()).toEqual(ids.slice(1).sort());
    expectLogged(
      { event: "queue.message_failed", queue: "edge-inventory-webhooks", messageId: ids[0], error: /invalid webhook message/ },
      { count: 1, exactly: true },
    );
  });
});
