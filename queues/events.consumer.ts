/**
 * EVENTS consumer: applies inventory events from the SKU objects' outboxes to the D1 read
 * models (projection, daily sales, alerts) and fans them out to webhook subscriptions. One
 * consumer for every EVENTS partition (`queue-names.ts`); the batch's queue name says which.
 *
 * A message is a per-SKU flush (`EventFlush`, domain/event-partitions.ts: all of a SKU's due
 * outbox events, oldest first) or, from a producer that predates partitioning, one bare event.
 * Each message on its own: a body that is neither, or whose handling throws, is retried with
 * backoff and after `max_retries` lands in its partition's dead-letter queue; the rest of its
 * batch is processed and acked. A flush with some invalid events applies the valid ones and
 * is retried (so the invalid ones end in the dead-letter queue). Messages of one SKU run one
 * after another, and the events inside a flush in its order. Each contained event is deduped on its own
 * (by event id, `processed_events`, see `repositories/event-projections.ts`), so a
 * redelivered flush, or a flush that repeats an event sent before, changes nothing twice.
 */
import { backoffSeconds } from "../domain/backoff";
import { pruneProcessedEvents } from "../repositories/event-projections";
import { readDbs } from "../repositories/read-partitions";
import { EVENT_FLUSH_KIND, EventFlushEnvelopeSchema } from "../domain/event-partitions";
import type { InventoryEvent } from "../domain/events";
import { applyEvents, InvalidEventError, parseEvent } from "../services/event-projection";
import { enqueueSku } from "../services/reorder-runs";
import { failureText, handleEachMessage } from "./each-message";
import { EVENT_PARTITIONS, eventPartitionNamed } from "./queue-names";

/** Retry delays: 4, 8, 16, 32, 64 s (capped at 5 min). */
export const eventRetryDelaySeconds = (attempt: number) => backoffSeconds(attempt, 2, 300);

/**
 * Dedupe records are kept this long. Queues keep a message at most 14 days, so no
 * redelivery can arrive after that; projection rows and alerts are also guarded by
 * sequence numbers, which never expire.
 */
export const PROCESSED_EVENTS_RETENTION_MS = 15 * 24 * 60 * 60 * 1000;

/** The SKU of a message body: a flush and an older one-event body both carry `sku` at the top. */
function skuOf(body: unknown): string | undefined {
  const sku = typeof body === "object" && body !== null && Object.hasOwn(body, "sku") ? (body as { sku: unknown }).sku : undefined;
  return typeof sku === "string" ? sku : undefined;
}

/**
 * A SKU that reaches its reorder point is planned at once (REORDER `sku` message) rather than
 * at the next nightly run. Best effort: a failed send is logged and the nightly run covers the
 * SKU; a redelivered event enqueues it again, which the REORDER consumer makes a no-op.
 */
async function planLowStock(env: Env, events: readonly InventoryEvent[]): Promise<void> {
  const skus = new Set(events.filter((e) => e.type === "inventory.low_stock").map((e) => e.sku));
  for (const sku of skus) {
    try {
      await enqueueSku(env, sku, "low_stock", Date.now());
    } catch (error) {
      console.warn(JSON.stringify({ event: "reorder.enqueue_failed", sku, error: failureText(error) }));
    }
  }
}

/** The events of a message, and what was wrong with those that are not valid events. */
export interface MessageEvents {
  events: InventoryEvent[];
  invalid: string[];
}

/**
 * The events a message carries: a flush's valid events in order (with the problems of the
 * invalid ones), or the one event of an older one-event body. Throws `InvalidEventError` for
 * a body that is neither (a flush envelope that does not validate, or an invalid bare event).
 */
export function eventsOfMessage(body: unknown): MessageEvents {
  if (typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === EVENT_FLUSH_KIND) {
    const envelope = EventFlushEnvelopeSchema.safeParse(body);
    if (!envelope.success) {
      const problems = envelope.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
      throw new InvalidEventError(`invalid event flush: ${problems.join("; ")}`);
    }
    const { sku, events } = envelope.data;
    const valid: InventoryEvent[] = [];
    const invalid: string[] = [];
    for (const [i, raw] of events.entries()) {
      try {
        const event = parseEvent(raw);
        if (event.sku !== sku) throw new InvalidEventError(`event of SKU ${event.sku} in a flush of ${sku}`);
        valid.push(event);
      } catch (error) {
        invalid.push(`events.${i}: ${failureText(error)}`);
      }
    }
    return { events: valid, invalid };
  }
  const event = parseEvent(body);
  return { events: [event], invalid: [] };
}

/** Most events applied in one D1 batch (one transaction): as many as one batch of one-event messages held before flushes. */
export const APPLY_CHUNK_EVENTS = 100;

/** Splits parsed messages into runs of whole messages with at most `APPLY_CHUNK_EVENTS` events each (one message may exceed it alone). */
function chunks<T extends { events: readonly unknown[] }>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let events = 0;
  for (const item of items) {
    if (current.length > 0 && events + item.events.length > APPLY_CHUNK_EVENTS) {
      out.push(current);
      current = [];
      events = 0;
    }
    current.push(item);
    events += item.events.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Applies events in order, at most `APPLY_CHUNK_EVENTS` to a D1 batch, then plans the SKUs that reached their reorder point. */
async function applyInChunks(env: Env, events: readonly InventoryEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += APPLY_CHUNK_EVENTS) await applyEvents(env, events.slice(i, i + APPLY_CHUNK_EVENTS));
  await planLowStock(env, events);
}

/** Old dedupe records are pruned on about one batch in PRUNE_EVERY. */
const PRUNE_EVERY = 50;

/**
 * Applies the batch's valid messages together, up to `APPLY_CHUNK_EVENTS` events in one D1
 * batch (the common case: one round trip for the whole batch). If a chunk fails, or for
 * messages that are not (wholly) valid, falls back to one message at a time, so a poison
 * message is retried and dead-lettered on its own while the others are applied.
 */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const queue = eventPartitionNamed(batch.queue) ?? EVENT_PARTITIONS[0]!;
  const valid: { message: Message<unknown>; events: InventoryEvent[] }[] = [];
  const rest: Message<unknown>[] = [];
  for (const message of batch.messages) {
    try {
      const parsed = eventsOfMessage(message.body);
      if (parsed.invalid.length === 0) valid.push({ message, events: parsed.events });
      else rest.push(message);
    } catch {
      rest.push(message);
    }
  }
  for (const chunk of chunks(valid)) {
    const events = chunk.flatMap((v) => v.events);
    try {
      await applyEvents(env, events);
      for (const v of chunk) v.message.ack();
      await planLowStock(env, events);
    } catch (error) {
      console.warn(
        JSON.stringify({ event: "events.batch_fallback", queue: queue.name, messages: chunk.length, events: events.length, error: failureText(error) }),
      );
      rest.push(...chunk.map((v) => v.message));
    }
  }
  if (rest.length > 0) {
    await handleEachMessage({ ...batch, messages: rest }, env, {
      queue,
      groupOf: (message) => `sku:${skuOf(message.body) ?? `?${message.id}`}`,
      handle: async (message) => {
        const { events, invalid } = eventsOfMessage(message.body);
        await applyInChunks(env, events);
        if (invalid.length > 0) throw new InvalidEventError(`invalid events in flush (${events.length} valid applied): ${invalid.slice(0, 3).join("; ")}`);
      },
      retryDelaySeconds: eventRetryDelaySeconds,
    });
  }
  if (Math.random() < 1 / PRUNE_EVERY) {
    ctx.waitUntil(
      // Each read database's own dedupe records.
      Promise.all(readDbs(env).map((db) => pruneProcessedEvents(db, Date.now() - PROCESSED_EVENTS_RETENTION_MS))).catch((error: unknown) => {
        console.error(JSON.stringify({ event: "events.prune_failed", error: failureText(error) }));
      }),
    );
  }
}
