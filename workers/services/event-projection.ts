/**
 * Applying one inventory event to the read models (projection, daily sales, alerts) and
 * fanning it out to webhook subscriptions. Idempotent by event id: see
 * `repositories/event-projections.ts`.
 */
import { alertDecisions, isAlertRelevant } from "../../domain/alerts";
import { InventoryEventSchema, type InventoryEvent } from "../../domain/events";
import { levelStatus, unitsByLocation, utcDayOf } from "../../domain/inventory-levels";
import { applyEventStatements, eventStatements, skuFacts, type EventWrites, type NewDelivery } from "../repositories/event-projections";
import { markEnqueued, unsentDeliveries } from "../repositories/webhooks";
import type { WebhookMessage } from "../../domain/webhooks";

/** A queue body that is not an event this consumer can apply. */
export class InvalidEventError extends Error {
  override name = "InvalidEventError";
}

/** Validates a queue body as an inventory event (shape, then what each type must carry). */
export function parseEvent(body: unknown): InventoryEvent {
  const parsed = InventoryEventSchema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
    throw new InvalidEventError(`invalid event body: ${problems.join("; ")}`);
  }
  const event = parsed.data;
  if (event.type === "inventory.updated" && (event.locationId === null || event.after === null)) {
    throw new InvalidEventError("inventory.updated needs locationId and after");
  }
  if (event.type === "reservation.fulfilled" && event.reservation === null) {
    throw new InvalidEventError("reservation.fulfilled needs reservation");
  }
  return event;
}

/** What applying an event did. */
export interface ApplyOutcome {
  /** False when the event had been applied before (a redelivery). */
  applied: boolean;
  /** Webhook messages sent by this call. */
  webhooksSent: number;
}

/** Applies an event; sends its webhook deliveries, including any a failed earlier attempt left unsent. */
export async function applyEvent(env: Env, event: InventoryEvent, now = Date.now()): Promise<ApplyOutcome> {
  const facts = await skuFacts(env.DB, event.sku);
  const reorderPoint = facts?.reorderPoint ?? 0;
  const occurred = utcDayOf(event.occurredAt);
  const writes: EventWrites = {
    alerts: alertDecisions(event, reorderPoint),
    alertRelevant: isAlertRelevant(event.type),
    sales:
      event.type === "reservation.fulfilled" && event.reservation !== null
        ? unitsByLocation(event.reservation.lines).map((l) => ({ ...l, day: occurred.day }))
        : [],
    webhooks: { vendorId: facts?.vendorId ?? null },
    reorderPoint,
    occurredAtMs: occurred.ms,
    now,
  };
  if (event.type === "inventory.updated" && event.locationId !== null && event.after !== null) {
    writes.level = {
      locationId: event.locationId,
      counts: event.after,
      status: levelStatus(event.after.available, { reorderPoint, allowBackorder: facts?.allowBackorder ?? false }),
    };
  }
  const { applied, deliveries } = await applyEventStatements(env.DB, eventStatements(env.DB, event, writes));
  // A redelivery may be the retry of an attempt whose D1 batch committed but whose queue
  // send failed: send whatever is still unsent.
  const toSend = applied ? deliveries : await unsentDeliveries(env.DB, event.id);
  await sendDeliveries(env, toSend, { eventId: event.id, eventType: event.type, payload: event }, now);
  return { applied, webhooksSent: toSend.length };
}

/** The WEBHOOKS queue accepts at most this many messages per sendBatch. */
const SEND_BATCH_MAX = 100;

/** Sends one WEBHOOKS message per delivery, then marks them sent. */
export async function sendDeliveries(
  env: Env,
  deliveries: readonly NewDelivery[],
  event: { eventId: string; eventType: string; payload: Record<string, unknown> },
  now: number,
): Promise<void> {
  for (let i = 0; i < deliveries.length; i += SEND_BATCH_MAX) {
    const chunk = deliveries.slice(i, i + SEND_BATCH_MAX);
    await env.WEBHOOKS.sendBatch(
      chunk.map((d) => ({
        body: { v: 1, deliveryId: d.id, subscriptionId: d.subscriptionId, ...event } satisfies WebhookMessage,
        contentType: "json" as const,
      })),
    );
    await markEnqueued(env.DB, chunk.map((d) => d.id), now);
  }
}
