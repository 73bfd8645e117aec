/**
 * Applying one inventory event to the read models (projection, daily sales, alerts) and
 * fanning it out to webhook subscriptions. Idempotent by event id: see
 * `repositories/event-projections.ts`.
 */
import { alertDecisions, isAlertRelevant } from "../domain/alerts";
import { InventoryEventSchema, type InventoryEvent } from "../domain/events";
import { levelStatus, utcDayOf } from "../domain/inventory-levels";
import { shippedUnitsOf } from "../domain/reservation-amendments";
import { applyEventBatch, skuFactsMany, unsentDeliveriesOf, type EventWrites, type NewDelivery, type SkuFacts } from "../repositories/event-projections";
import { placedReadPartition, readDb, readPartitionCount, unownedReadPartition } from "../repositories/read-partitions";
import { type DeliveryEventRow, deliveryPairs, liveSubscriptionsForSkus, markEnqueued } from "../repositories/webhooks";
import { subscribersOf } from "../domain/webhook-store";
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
  // The SKUs' master facts and who hears of their events — the live subscriptions of their
  // vendors and the operator-wide ones (one read of `DB`) — in parallel.
  const skus = events.map((e) => e.sku);
  const [facts, subscriptions] = await Promise.all([skuFactsMany(env, skus), liveSubscriptionsForSkus(env.DB, skus)]);
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
  // Each delivery is created in its event's read database, in the same transaction as the
  // event's read-model rows (repositories/event-projections.ts).
  const subscribers = events.map((event) => subscribersOf({ type: event.type, vendorId: facts.get(event.sku)?.vendorId ?? null }, subscriptions));
  const applied: boolean[] = events.map(() => false);
  // By event id: the deliveries to send (created now, or left unsent by an earlier attempt) and their database.
  const toSend = new Map<string, { db: D1Database; deliveries: NewDelivery[] }>();
  await Promise.all(
    [...byPartition].map(async ([partition, indexes]) => {
      const db = readDb(env, partition);
      const fanOutEvents: DeliveryEventRow[] = [];
      const perEvent: string[][] = [];
      const seen = new Set<string>();
      for (const i of indexes) {
        const event = events[i]!;
        if (seen.has(event.id)) continue;
        seen.add(event.id);
        if (subscribers[i]!.length === 0) continue;
        fanOutEvents.push({ id: event.id, type: event.type, sku: event.sku, message: messageJson(event) });
        perEvent.push(subscribers[i]!);
      }
      const {
        outcomes: results,
        statements,
        created,
      } = await applyEventBatch(
        db,
        indexes.map((i) => ({ event: events[i]!, writes: writesFor(events[i]!, facts.get(events[i]!.sku) ?? null, now) })),
        now,
        { partition, events: fanOutEvents, pairs: deliveryPairs(perEvent) },
      );
      for (const [k, i] of indexes.entries()) applied[i] = results[k]!.applied;
      countDatabaseWrite(`READ_${partition}`, { statements, events: indexes.length, applied: results.filter((r) => r.applied).length });
      // A redelivery may be the retry of an attempt whose deliveries were created but whose queue
      // send failed: send whatever of its events is still unsent here (one read). Deliveries a
      // send left behind elsewhere (the vendor moved since) are the webhook sweeper's.
      const unsent = await unsentDeliveriesOf(
        db,
        indexes.filter((i) => !applied[i] && subscribers[i]!.length > 0).map((i) => events[i]!.id),
      );
      for (const [id, deliveries] of [...created, ...unsent]) toSend.set(id, { db, deliveries });
    }),
  );
  const outcomes: ApplyOutcome[] = [];
  const sent = new Set<string>();
  for (const [i, event] of events.entries()) {
    // A repeated event in one call sends its deliveries once.
    const send = sent.has(event.id) ? undefined : toSend.get(event.id);
    sent.add(event.id);
    if (send !== undefined) await sendDeliveries(env, send.db, send.deliveries, { eventId: event.id, eventType: event.type, payload: event }, now);
    outcomes.push({ applied: applied[i]!, webhooksSent: send?.deliveries.length ?? 0 });
  }
  return outcomes;
}

/** The event part of an inventory event's WEBHOOKS message, as kept with its pending deliveries. */
function messageJson(event: InventoryEvent): string {
  return JSON.stringify({ eventId: event.id, eventType: event.type, payload: event });
}

/**
 * Sends one WEBHOOKS message per delivery, each to its partition (services/webhook-queue.ts),
 * and marks them sent in `db`, the database they are stored in.
 */
export async function sendDeliveries(
  env: Env,
  db: D1Database,
  deliveries: readonly NewDelivery[],
  event: { eventId: string; eventType: string; payload: Record<string, unknown> },
  now: number,
): Promise<void> {
  await sendWebhookMessages(
    env,
    deliveries.map((d) => ({ v: 1, deliveryId: d.id, subscriptionId: d.subscriptionId, ...event }) satisfies WebhookMessage),
    (sent) =>
      markEnqueued(
        db,
        sent.map((m) => m.deliveryId),
        now,
        JSON.stringify(event),
      ),
  );
}
