/**
 * Applying one inventory event to the read models (projection, daily sales, alerts) and
 * fanning it out to webhook subscriptions. Idempotent by event id: see
 * `repositories/event-projections.ts`.
 */
import { alertDecisions, isAlertRelevant } from "../domain/alerts";
import { InventoryEventSchema, type InventoryEvent } from "../domain/events";
import { levelStatus, utcDayOf } from "../domain/inventory-levels";
import { shippedUnitsOf } from "../domain/reservation-amendments";
import {
  applyEventBatch,
  insertDeliveries,
  skuFactsMany,
  unsentDeliveriesOf,
  type EventWrites,
  type NewDelivery,
  type SkuFacts,
} from "../repositories/event-projections";
import { placedReadPartition, readDb, readPartitionCount, unownedReadPartition } from "../repositories/read-partitions";
import { markEnqueued } from "../repositories/webhooks";
import type { WebhookMessage } from "../domain/webhooks";
import { countDatabaseWrite } from "./load-counters";
import { sendWebhookMessages } from "./webhook-queue";

/**
 * Events of a vendor whose read-model rows are being moved (services/read-moves.ts): nothing
 * of the batch is applied; the queue retries it (its backoff spans the move's seconds).
 */
export class VendorMovingError extends Error {
  override name = "VendorMovingError";
}

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

/** The writes an event needs, given its SKU's master data. */
function writesFor(event: InventoryEvent, facts: SkuFacts | null, now: number): EventWrites {
  const reorderPoint = facts?.reorderPoint ?? 0;
  const occurred = utcDayOf(event.occurredAt);
  const writes: EventWrites = {
    alerts: alertDecisions(event, reorderPoint),
    alertRelevant: isAlertRelevant(event.type),
    // A fulfilled reservation's lines, or the units a partial fulfilment shipped (`reservation.updated`).
    sales: shippedUnitsOf(event).map((l) => ({ ...l, day: occurred.day })),
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
  return writes;
}

/** Applies an event; sends its webhook deliveries, including any a failed earlier attempt left unsent. */
export async function applyEvent(env: Env, event: InventoryEvent, now = Date.now()): Promise<ApplyOutcome> {
  return (await applyEvents(env, [event], now))[0]!;
}

/**
 * Applies events in order, all in ONE D1 batch (one transaction, one round trip) with one
 * master-data read for their SKUs (`applyEventBatch`: multi-row statements for most events,
 * each still guarded by its own dedupe record, so the result is that of applying them one by
 * one). If the batch fails, nothing was written and the caller falls back to one message at a
 * time to isolate the bad one.
 */
export async function applyEvents(env: Env, events: readonly InventoryEvent[], now = Date.now()): Promise<ApplyOutcome[]> {
  if (events.length === 0) return [];
  const facts = await skuFactsMany(
    env,
    events.map((e) => e.sku),
  );
  const moving = [...new Set(events.flatMap((e) => (facts.get(e.sku)?.moving ? [facts.get(e.sku)!.vendorId] : [])))];
  if (moving.length > 0) throw new VendorMovingError(`the read model of vendor ${moving.slice(0, 3).join(", ")} is being moved; retry`);
  // The read-model writes: one batch per read database the events' SKUs live in (a vendor's
  // SKUs all in one), in parallel; each batch is one transaction there.
  const m = readPartitionCount(env);
  const byPartition = new Map<number, number[]>();
  for (const [i, event] of events.entries()) {
    const f = facts.get(event.sku);
    const partition = f === undefined ? unownedReadPartition(event.sku, m) : placedReadPartition(f.vendorId, f.readPartition, m);
    const list = byPartition.get(partition) ?? [];
    list.push(i);
    byPartition.set(partition, list);
  }
  const applied: boolean[] = events.map(() => false);
  await Promise.all(
    [...byPartition].map(async ([partition, indexes]) => {
      const { outcomes: results, statements } = await applyEventBatch(
        readDb(env, partition),
        indexes.map((i) => ({ event: events[i]!, writes: writesFor(events[i]!, facts.get(events[i]!.sku) ?? null, now) })),
        now,
      );
      for (const [k, i] of indexes.entries()) applied[i] = results[k]!.applied;
      countDatabaseWrite(`READ_${partition}`, { statements, events: indexes.length, applied: results.filter((r) => r.applied).length });
    }),
  );
  // Then the webhook deliveries, in DB: created once per (subscription, event) whether or not
  // this call applied the event, so a retry after the read-model batches committed still
  // creates them. A redelivery may also be the retry of an attempt whose deliveries were
  // created but whose queue send failed: send whatever is still unsent (one read).
  const created = await insertDeliveries(
    env.DB,
    events.map((event) => ({ event, vendorId: facts.get(event.sku)?.vendorId ?? null })),
    now,
  );
  countDatabaseWrite("DB", { statements: 1, events: events.length }); // insertDeliveries: one multi-row statement
  // Only an event this call did not apply can have deliveries from an earlier attempt: they are
  // created after the event's read-model batch committed, which an earlier attempt then did.
  const unsent = await unsentDeliveriesOf(
    env.DB,
    events.filter((e, i) => !created.has(e.id) && !applied[i]).map((e) => e.id),
  );
  const outcomes: ApplyOutcome[] = [];
  const sent = new Set<string>();
  for (const [i, event] of events.entries()) {
    // A repeated event in one call sends its deliveries once.
    const toSend = sent.has(event.id) ? [] : (created.get(event.id) ?? unsent.get(event.id) ?? []);
    sent.add(event.id);
    if (toSend.length > 0) await sendDeliveries(env, toSend, { eventId: event.id, eventType: event.type, payload: event }, now);
    outcomes.push({ applied: applied[i]!, webhooksSent: toSend.length });
  }
  return outcomes;
}

/** Sends one WEBHOOKS message per delivery, each to its partition (services/webhook-queue.ts), and marks them sent. */
export async function sendDeliveries(
  env: Env,
  deliveries: readonly NewDelivery[],
  event: { eventId: string; eventType: string; payload: Record<string, unknown> },
  now: number,
): Promise<void> {
  await sendWebhookMessages(
    env,
    deliveries.map((d) => ({ v: 1, deliveryId: d.id, subscriptionId: d.subscriptionId, ...event }) satisfies WebhookMessage),
    (sent) =>
      markEnqueued(
        env.DB,
        sent.map((m) => m.deliveryId),
        now,
        JSON.stringify(event),
      ),
  );
}
