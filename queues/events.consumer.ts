/**
 * EVENTS consumer: applies inventory events from the SKU objects' outboxes to the D1 read
 * models (projection, daily sales, alerts) and fans them out to webhook subscriptions.
 * Each message on its own: a body that is not a valid event, or an event whose handling
 * throws, is retried with backoff and after `max_retries` lands in the dead-letter queue;
 * the rest of its batch is processed and acked. Events of one SKU run in batch order.
 * Redelivered events change nothing (dedupe by event id, see
 * `workers/repositories/event-projections.ts`).
 */
import { backoffSeconds } from "../domain/backoff";
import { pruneProcessedEvents } from "../workers/repositories/event-projections";
import { applyEvent, parseEvent } from "../workers/services/event-projection";
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
  if (typeof body === "object" && body !== null && "sku" in body && typeof body.sku === "string") return body.sku;
  return undefined;
}

/** Applies each event of the batch; prunes old dedupe records afterwards (in `waitUntil`). */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  await handleEachMessage(batch, env, {
    queue: QUEUES.events,
    groupOf: (message) => `sku:${skuOf(message.body) ?? `?${message.id}`}`,
    handle: async (message) => {
      await applyEvent(env, parseEvent(message.body));
    },
    retryDelaySeconds: eventRetryDelaySeconds,
  });
  ctx.waitUntil(
    pruneProcessedEvents(env.DB, Date.now() - PROCESSED_EVENTS_RETENTION_MS).catch((error: unknown) => {
      console.error(JSON.stringify({ event: "events.prune_failed", error: failureText(error) }));
    }),
  );
}
