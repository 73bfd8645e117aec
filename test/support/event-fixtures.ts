/**
 * Fixtures for the event consumers: events built per `InventoryEventSchema`, queue batches
 * handed straight to the Worker's `queue()` handler (`createMessageBatch` +
 * `getQueueResult`), a capturing stand-in for a queue producer, and an outbound-fetch
 * receiver that replaces `globalThis.fetch` for the test isolate (the Worker under test runs
 * in the same isolate, so its `fetch` is the replaced one).
 */
import { createExecutionContext, createMessageBatch, getQueueResult, type QueueResult } from "cloudflare:test";
import { queryAllDeliveryStores, queryAllReadDbs } from "./read-model";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { EVENT_FLUSH_KIND, type EventFlush } from "../../domain/event-partitions";
import { eventId, type EventCounts, type InventoryEvent, type InventoryEventType } from "../../domain/events";
import worker from "../../workers/index";

/**
 * The EVENTS partitions (wrangler.toml), partition i at index i, and their dead-letter queues.
 * `EVENTS_QUEUE` is partition 0, which kept the name of the single queue before partitioning.
 */
export const EVENTS_PARTITION_QUEUES = ["edge-inventory-events", "edge-inventory-events-1", "edge-inventory-events-2", "edge-inventory-events-3"] as const;
export const EVENTS_PARTITION_DLQS = EVENTS_PARTITION_QUEUES.map((q) => `${q}-dlq`);
export const EVENTS_QUEUE = EVENTS_PARTITION_QUEUES[0];
export const EVENTS_DLQ = EVENTS_PARTITION_DLQS[0]!;
/**
 * The WEBHOOKS partitions (wrangler.toml), partition i at index i, and their dead-letter
 * queues. `WEBHOOKS_QUEUE` is partition 0, which kept the name of the single queue before
 * partitioning; any partition's consumer delivers any delivery message.
 */
export const WEBHOOKS_PARTITION_QUEUES = [
  "edge-inventory-webhooks",
  "edge-inventory-webhooks-1",
  "edge-inventory-webhooks-2",
  "edge-inventory-webhooks-3",
] as const;
export const WEBHOOKS_PARTITION_DLQS = WEBHOOKS_PARTITION_QUEUES.map((q) => `${q}-dlq`);
export const WEBHOOKS_QUEUE = WEBHOOKS_PARTITION_QUEUES[0];
export const WEBHOOKS_DLQ = WEBHOOKS_PARTITION_DLQS[0]!;

/** Every `WEBHOOKS_<i>` producer binding replaced by `queue` (e.g. one capturing stand-in for all partitions). */
export function webhookProducers(queue: Queue): Partial<Env> {
  return Object.fromEntries(WEBHOOKS_PARTITION_QUEUES.map((_q, i) => [`WEBHOOKS_${i}`, queue]));
}

/**
 * The SYNC and REORDER partitions (wrangler.toml), partition i at index i; partition 0 kept the
 * name of the single queue before partitioning. Any partition's consumer handles any message.
 */
export const SYNC_PARTITION_QUEUES = ["edge-inventory-sync", "edge-inventory-sync-1", "edge-inventory-sync-2", "edge-inventory-sync-3"] as const;
export const SYNC_PARTITION_DLQS = SYNC_PARTITION_QUEUES.map((q) => `${q}-dlq`);
export const REORDER_PARTITION_QUEUES = ["edge-inventory-reorder", "edge-inventory-reorder-1", "edge-inventory-reorder-2", "edge-inventory-reorder-3"] as const;
export const REORDER_PARTITION_DLQS = REORDER_PARTITION_QUEUES.map((q) => `${q}-dlq`);

/** Every `SYNC_<i>` producer binding replaced by `queue` (one capturing stand-in for all partitions). */
export function syncProducers(queue: Queue): Partial<Env> {
  return Object.fromEntries(SYNC_PARTITION_QUEUES.map((_q, i) => [`SYNC_${i}`, queue]));
}

/** Every `REORDER_<i>` producer binding replaced by `queue` (one capturing stand-in for all partitions). */
export function reorderProducers(queue: Queue): Partial<Env> {
  return Object.fromEntries(REORDER_PARTITION_QUEUES.map((_q, i) => [`REORDER_${i}`, queue]));
}

/** One capturing stand-in per partition of `binding` (`partitions[i]` behind `<binding>_<i>`), and the env overrides that install them. */
export function capturingPartitions(binding: "SYNC" | "REORDER"): { overrides: Partial<Env>; partitions: ReturnType<typeof capturingQueue>[] } {
  const partitions = [0, 1, 2, 3].map(() => capturingQueue());
  return { overrides: Object.fromEntries(partitions.map((c, i) => [`${binding}_${i}`, c.queue])), partitions };
}

const ZERO: EventCounts = { onHand: 0, reserved: 0, softHeld: 0, committed: 0, inTransit: 0, damaged: 0, onHold: 0, available: 0 };

/** Counts with `available = onHand − reserved − committed − damaged − onHold` unless given. */
export function counts(over: Partial<EventCounts>): EventCounts {
  const c = { ...ZERO, ...over };
  return over.available === undefined ? { ...c, available: c.onHand - c.reserved - c.committed - c.damaged - c.onHold } : c;
}

const T0 = Date.parse("2026-11-20T10:00:00.000Z");

function base(type: InventoryEventType, sku: string, sequence: number, locationId: string | null): InventoryEvent {
  return {
    id: eventId(sku, sequence),
    type,
    sku,
    locationId,
    sequence,
    occurredAt: new Date(T0 + sequence * 1000).toISOString(),
    cause: { ledgerSeq: sequence, op: "adjust", reason: "restock", reference: null, reservationId: null, actor: "operator:key_test" },
    before: null,
    after: null,
    reservation: null,
  };
}

/** `inventory.updated` at a location: counts from `before` to `after`. */
export function updatedEvent(
  sku: string,
  sequence: number,
  locationId: string,
  after: Partial<EventCounts>,
  before: Partial<EventCounts> = {},
): InventoryEvent {
  return { ...base("inventory.updated", sku, sequence, locationId), before: counts(before), after: counts(after) };
}

/** A SKU-level threshold event (`locationId` null) with total available before and after. */
export function thresholdEvent(
  type: "inventory.low_stock" | "inventory.out_of_stock" | "inventory.back_in_stock",
  sku: string,
  sequence: number,
  beforeAvailable: number,
  afterAvailable: number,
): InventoryEvent {
  return {
    ...base(type, sku, sequence, null),
    before: counts({ onHand: beforeAvailable }),
    after: counts({ onHand: Math.max(0, afterAvailable), available: afterAvailable }),
  };
}

/** A reservation event carrying its lines for this SKU. */
export function reservationEvent(
  type: "reservation.created" | "reservation.released" | "reservation.expired" | "reservation.fulfilled",
  sku: string,
  sequence: number,
  lines: { locationId: string; quantity: number }[],
  occurredAt?: string,
): InventoryEvent {
  const event = base(type, sku, sequence, null);
  return {
    ...event,
    occurredAt: occurredAt ?? event.occurredAt,
    cause: { ...event.cause, ledgerSeq: null, op: type.split(".")[1]!, reason: null, reservationId: `rsv_test_${sequence}` },
    reservation: { id: `rsv_test_${sequence}`, type: "hard", status: type.split(".")[1]!, lines },
  };
}

/** A per-SKU flush message body (what the outbox sends now), carrying these events in order. */
export function flushBody(sku: string, events: InventoryEvent[]): EventFlush {
  return { kind: EVENT_FLUSH_KIND, v: 1, sku, events };
}

let messageCounter = 0;

/** One queued message: a body, the attempt it is on (1 = first delivery) and an optional fixed id. */
export interface TestMessage {
  body: unknown;
  attempts?: number;
  id?: string;
}

/** Messages for `createMessageBatch`; ids are unique unless given. */
export function messages(items: (unknown | TestMessage)[]): { id: string; timestamp: Date; attempts: number; body: unknown }[] {
  return items.map((item) => {
    const m = (typeof item === "object" && item !== null && "body" in item ? item : { body: item }) as TestMessage;
    return { id: m.id ?? `msg-${++messageCounter}`, timestamp: new Date(), attempts: m.attempts ?? 1, body: m.body };
  });
}

/**
 * Hands a batch to the Worker's queue handler (as the platform would) and returns what it
 * acked and retried. `getQueueResult` of @cloudflare/vitest-plugin 1.5.0 lists retried
 * messages by id only (it drops `delaySeconds`), so each message's `retry()` is wrapped to
 * put the requested delay back into `result.retryMessages`.
 */
export async function runQueue(queue: string, items: (unknown | TestMessage)[], overrides: Partial<Env> = {}): Promise<{ result: QueueResult; ids: string[] }> {
  const msgs = messages(items);
  const batch = createMessageBatch(queue, msgs);
  const delays = new Map<string, number | undefined>();
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    Object.defineProperty(message, "retry", {
      value: (options?: QueueRetryOptions) => {
        delays.set(message.id, options?.delaySeconds);
        retry(options);
      },
    });
  }
  const ctx = createExecutionContext();
  await worker.queue(batch, withEnv(overrides), ctx);
  const result = await getQueueResult(batch, ctx);
  result.retryMessages = result.retryMessages.map((r) => ({ ...r, delaySeconds: r.delaySeconds ?? delays.get(r.msgId) }));
  return { result, ids: msgs.map((m) => m.id) };
}

/** Like `runQueue`, and fails unless every message was acked (none retried). */
export async function runAcked(queue: string, items: (unknown | TestMessage)[], overrides: Partial<Env> = {}): Promise<QueueResult> {
  const { result, ids } = await runQueue(queue, items, overrides);
  if (result.retryMessages.length > 0 || result.retryBatch.retry || result.explicitAcks.length !== ids.length) {
    throw new Error(`expected every message acked, got ${JSON.stringify(result)}`);
  }
  return result;
}

/** One capturing stand-in per WEBHOOKS partition (`partitions[i]` behind `WEBHOOKS_<i>`), and the env overrides that install them. */
export function capturingWebhookPartitions(): { overrides: Partial<Env>; partitions: ReturnType<typeof capturingQueue>[] } {
  const partitions = WEBHOOKS_PARTITION_QUEUES.map(() => capturingQueue());
  return { overrides: Object.fromEntries(partitions.map((c, i) => [`WEBHOOKS_${i}`, c.queue])), partitions };
}

/** The test env with some bindings replaced (e.g. capturing WEBHOOKS producers, `webhookProducers`). */
export function withEnv(overrides: Partial<Env>): Env {
  return Object.assign(Object.create(null) as object, env, overrides) as Env;
}

/**
 * A stand-in producer that keeps what is sent instead of queueing it, so a test can hand the
 * messages to the consumer itself. `failSends` > 0 makes that many next sends throw.
 */
export function capturingQueue(): { queue: Queue; sent: unknown[]; failSends: number } {
  const state = { sent: [] as unknown[], failSends: 0, queue: undefined as unknown as Queue };
  state.queue = {
    async send(body: unknown) {
      if (state.failSends > 0) {
        state.failSends -= 1;
        throw new Error("queue unavailable (test)");
      }
      state.sent.push(body);
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as unknown as QueueSendResponse;
    },
    async sendBatch(requests: Iterable<MessageSendRequest>) {
      if (state.failSends > 0) {
        state.failSends -= 1;
        throw new Error("queue unavailable (test)");
      }
      for (const r of requests) state.sent.push(r.body);
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as unknown as QueueSendBatchResponse;
    },
    async metrics() {
      return { backlogCount: 0, backlogBytes: 0 } as unknown as QueueMetrics;
    },
  } as Queue;
  return state;
}

/** A request the fake receiver got, with its raw body. */
export interface Received {
  url: string;
  headers: Headers;
  body: string;
}

/**
 * Replaces `globalThis.fetch` for the rest of the test file (restore with `vi.restoreAllMocks()`)
 * with a receiver: every outbound request is recorded and answered by `respond` (a status,
 * or a thrown error for a network failure). Nothing leaves the process.
 */
export function mockOutboundFetch(respond: (request: Received) => number | Promise<number>): { received: Received[] } {
  const received: Received[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const entry = { url: request.url, headers: request.headers, body: await request.text() };
    received.push(entry);
    const status = await respond(entry);
    return new Response(status === 204 ? null : "ok", { status });
  });
  return { received };
}

/** Polls until `check` returns a value other than undefined, for at most `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The read model's tables: in the read databases READ_<n> (issue 19 item 2), not in DB. */
const READ_MODEL_TABLES = new Set(["inventory_levels", "processed_events", "daily_sales", "alerts", "alert_cursors", "location_daily_load", "read_sku_facts"]);

/**
 * Every row of a table, ordered by `orderBy` (plain column names, comma-separated), for
 * before/after comparisons. A read-model table's rows come from every read database, and
 * `webhook_deliveries`' from every store of deliveries (`env.DB` and the read databases).
 */
export async function tableRows(table: string, orderBy: string): Promise<Record<string, unknown>[]> {
  const rows =
    table === "webhook_deliveries"
      ? await queryAllDeliveryStores<Record<string, unknown>>(`SELECT * FROM ${table}`)
      : READ_MODEL_TABLES.has(table)
        ? await queryAllReadDbs<Record<string, unknown>>(`SELECT * FROM ${table}`)
        : null;
  if (rows === null) return (await env.DB.prepare(`SELECT * FROM ${table} ORDER BY ${orderBy}`).all<Record<string, unknown>>()).results;
  const columns = orderBy.split(",").map((c) => c.trim());
  return rows.sort((a, b) => {
    for (const c of columns) {
      const x = a[c] as string | number | null;
      const y = b[c] as string | number | null;
      if (x === y) continue;
      if (x === null) return -1;
      if (y === null) return 1;
      return x < y ? -1 : 1;
    }
    return 0;
  });
}
