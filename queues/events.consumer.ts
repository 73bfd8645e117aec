/**
 * EVENTS consumer: applies inventory events from the SKU objects' outboxes to the D1 read
 * models (projection, daily sales, alerts) and fans them out to webhook subscriptions.
 * Each message on its own: a body that is not a valid event, or an event whose handling
 * throws, is retried with backoff and after `max_retries` lands in the dead-letter queue;
 * the rest of its batch is processed and acked. Events of one SKU run in batch order.
 * Redelivered events change nothing (dedupe by event id, see
 * `repositories/event-projections.ts`).
 */
import { backoffSeconds } from "../domain/backoff";
import { pruneProcessedEvents } from "../repositories/event-projections";
import type { InventoryEvent } from "../domain/events";
import { applyEvent, applyEvents, parseEvent } from "../services/event-projection";
import { enqueueSku } from "../services/reorder-runs";
import { failureText, handleEachMessage } from "./each-message";
import { QUEUES } from "./queue-names";

/** Retry delays: 4, 8, 16, 32, 64 s (capped at 5 min). */
export const eventRetryDelaySeconds = (attempt: number) => backoffSeconds(attempt, 2, 300);

/**
 * Dedupe records are kept this long. Queues keep a message at most 14 days, so no
 * redelivery can arrive after that; projection rows and alerts are also guarded by
 * sequence numbers, which never expire.
 */
export const PROCESSED_EVENTS_RETENTION_MS = 15 * 24 * 60 * 60 * 1000;

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

/** Old dedupe records are pruned on about one batch in PRUNE_EVERY. */
const PRUNE_EVERY = 50;

/**
 * Applies the batch's valid events together in one D1 batch (the common case: one round
 * trip for up to 100 events). If that fails, or for messages that are not valid events,
 * falls back to one message at a time, so a poison message is retried and dead-lettered on
 * its own while the others are applied.
 */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const valid: { message: Message<unknown>; event: InventoryEvent }[] = [];
  const rest: Message<unknown>[] = [];
  for (const message of batch.messages) {
    try {
      valid.push({ message, event: parseEvent(message.body) });
    } catch {
      rest.push(message);
    }
  }
  try {
    await applyEvents(
      env,
      valid.map((v) => v.event),
    );
    for (const v of valid) v.message.ack();
    await planLowStock(
      env,
      valid.map((v) => v.event),
    );
  } catch (error) {
    console.warn(JSON.stringify({ event: "events.batch_fallback", messages: valid.length, error: failureText(error) }));
    rest.push(...valid.map((v) => v.message));
  }
  if (rest.length > 0) {
    await handleEachMessage({ ...batch, messages: rest }, env, {
      queue: QUEUES.events,
      groupOf: (message) => `sku:${skuOf(message.body) ?? `?${message.id}`}`,
      handle: async (message) => {
        const event = parseEvent(message.body);
        await applyEvent(env, event);
        await planLowStock(env, [event]);
      },
      retryDelaySeconds: eventRetryDelaySeconds,
    });
  }
  if (Math.random() < 1 / PRUNE_EVERY) {
    ctx.waitUntil(
      pruneProcessedEvents(env.DB, Date.now() - PROCESSED_EVENTS_RETENTION_MS).catch((error: unknown) => {
        console.error(JSON.stringify({ event: "events.prune_failed", error: failureText(error) }));
      }),
    );
  }
}
