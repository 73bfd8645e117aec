/**
 * The alarm's outbox work (see outbox.ts for the rules): send due events to the SKU's EVENTS
 * partition, and a few seconds after a send (again a minute after it, for any still missing)
 * check which ones the consumer applied, deleting those and sending the lost ones again. A failed send or check is logged and retried with backoff
 * by the store; nothing is deleted before the consumer has applied it.
 */
import type { SkuInventoryStore } from "../sku-inventory.store";
import { CONFIRM_AFTER_MS, type EventSink, LOST_AFTER_MS, OUTBOX_BATCH, sendEventFlushes } from "./outbox";

/** What the delivery needs from its object. */
export interface OutboxDelivery {
  store: SkuInventoryStore;
  /** The SKU's EVENTS partition (or a test's recorder). */
  sink: (sku: string) => EventSink;
  now: () => number;
  /** Which of these event ids (all of SKU `sku`) the EVENTS consumer applied. */
  applied: (sku: string, eventIds: readonly string[]) => Promise<Set<string>>;
}

/** Sends due events, up to 10 batches per alarm run. */
export async function flushOutbox({ store, sink, now }: OutboxDelivery): Promise<void> {
  for (let batch = 0; batch < 10; batch++) {
    const due = store.dueEvents(now());
    if (due.length === 0) return;
    const sequences = due.map((d) => d.sequence);
    try {
      await sendEventFlushes(
        sink(due[0]!.event.sku),
        due.map((d) => d.event),
      );
    } catch (error) {
      console.error(JSON.stringify({ event: "outbox.send_failed", sku: due[0]!.event.sku, count: due.length, error: String(error) }));
      store.eventsFailed(sequences, now(), String(error));
      return;
    }
    store.eventsSent(sequences, now());
    // Less than a full batch: nothing else was due. An event written during the send has its
    // own alarm (its write armed it OUTBOX_FLUSH_DELAY_MS on), so no second read for it here.
    if (due.length < OUTBOX_BATCH) return;
  }
}

/**
 * Sent events whose check is due: those the consumer applied are done; a missing one is lost
 * with the queue — when a newer event of this SKU was applied, or it is LOST_AFTER_MS old —
 * and goes out again (logged and counted as `event_lost`); otherwise the consumer is only
 * behind and the check waits. When D1 or the queue cannot be reached the check waits for the
 * next interval (counted as `event_confirm`).
 */
export async function confirmDelivered({ store, sink, now, applied: appliedOf }: OutboxDelivery): Promise<void> {
  for (let batch = 0; batch < 10; batch++) {
    const due = store.dueConfirmations(now());
    if (due.length === 0) return;
    const sequences = due.map((d) => d.sequence);
    const newest = store.newestSentEventIds();
    let applied: Set<string>;
    try {
      applied = await appliedOf(due[0]!.event.sku, [...new Set([...due.map((d) => d.event.id), ...newest.map((n) => n.id)])]);
    } catch (error) {
      console.error(JSON.stringify({ event: "outbox.confirm_failed", sku: due[0]!.event.sku, count: due.length, error: String(error) }));
      store.confirmationDeferred(sequences, now(), String(error));
      return;
    }
    const at = now();
    const newestApplied = Math.max(
      store.appliedSequence(),
      ...[...due, ...newest].filter((e) => applied.has("event" in e ? e.event.id : e.id)).map((e) => e.sequence),
    );
    const missing = due.filter((d) => !applied.has(d.event.id));
    // Lost: a newer event was applied, once the send is CONFIRM_AFTER_MS old (the consumer's
    // retries of an older flush take seconds: the early first check never judges by that), or
    // the event is LOST_AFTER_MS old.
    const lost = missing.filter((d) => (d.sequence < newestApplied && at - d.sentAt >= CONFIRM_AFTER_MS) || at - d.createdAt >= LOST_AFTER_MS);
    store.eventsConfirmed(due.filter((d) => applied.has(d.event.id)).map((d) => d.sequence));
    store.confirmationPostponed(
      missing.filter((d) => !lost.includes(d)).map((d) => d.sequence),
      at,
    );
    if (lost.length > 0) {
      const lostSequences = lost.map((d) => d.sequence);
      try {
        await sendEventFlushes(
          sink(lost[0]!.event.sku),
          lost.map((d) => d.event),
        );
      } catch (error) {
        console.error(JSON.stringify({ event: "outbox.resend_failed", sku: lost[0]!.event.sku, count: lost.length, error: String(error) }));
        store.confirmationDeferred(lostSequences, now(), String(error));
        return;
      }
      console.warn(JSON.stringify({ event: "outbox.resent", sku: lost[0]!.event.sku, count: lost.length, sequences: lostSequences.slice(0, 20) }));
      store.eventsResent(lostSequences, now());
    }
    // Less than a full batch: every due check was in it (the postponed ones are due later).
    if (due.length < OUTBOX_BATCH) return;
  }
}
