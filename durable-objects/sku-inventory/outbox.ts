/**
 * The outbox: events written in the same transaction as the change they describe, and sent
 * to the EVENTS queue by the alarm. A sent event stays until the EVENTS consumer has applied
 * it: `CONFIRM_FIRST_MS` after a send (while the object is still in memory) the alarm asks D1
 * which of its sent events are in `processed_events` and deletes the applied ones; for one
 * still missing it asks again `CONFIRM_AFTER_MS` after the send (with the newest sent ones).
 * One still missing then is taken as lost — the queue lost it; local queues live in memory and a crash loses every
 * queued message — and sent again when a NEWER event of this SKU has been applied (the
 * consumer got past it) or when it is `LOST_AFTER_MS` old. Otherwise the consumer is only
 * behind, and re-sending would double the load of a queue that is already backed up, so the
 * check waits. Read models therefore converge within about a minute of a loss when the SKU
 * keeps changing, and within about LOST_AFTER_MS when it does not; nothing is lost.
 *
 * Events are partitioned (issue 19): a SKU's events all go to one of the N EVENTS queues
 * (`eventQueues`, N = the number of `EVENTS_<i>` producer bindings; the partition from
 * `partitionOf` in domain/event-partitions.ts), and one send is one message per SKU flush
 * (`EventFlush`: the due events in sequence order, split only above the message size
 * limit). Sending, confirming and resending stay per event: each outbox row keeps its own
 * `sent_at`, `resends` and check time, whatever message carried it.
 *
 * A caller that changes many SKUs at once may take a transaction's events to send itself
 * (`handOffEvents`, the SYNC consumer): they are written as sent, the caller sends them with
 * the other SKUs' in a few sendBatch calls and checks them itself (the SYNC sweeper, per
 * chunk, a minute on, replaying the objects to send lost ones again); the object's own check
 * of those rows waits for HANDED_OFF_CHECK_MS, the alarm that prunes the change's
 * idempotency record, so a synced SKU is not woken again a minute after each sync.
 */
import { type EventFlush, packEventFlushes, partitionOf, utf8Bytes } from "../../domain/event-partitions";
import { eventId, thresholdCrossing, type InventoryEvent } from "../../domain/events";
import { availableOf, type Quantities } from "../../domain/quantities";
import { countFailure } from "../failure-counts";
import { IDEMPOTENCY_RETENTION_MS } from "./meta";
import { countsOf } from "./rows";
import type { Tx } from "./tx";

/**
 * New events wait this long (ms) before the alarm sends them, so that under load one send
 * carries many events instead of one alarm and one send per change.
 */
export const OUTBOX_FLUSH_DELAY_MS = 100;

/** Events written by one INSERT (5 values each: well within SQLite's bound-parameter limit). */
const OUTBOX_INSERT_ROWS = 20;
/**
 * Most events one flush takes from the outbox: one queue message (an event is ~0.5–1 KB of
 * JSON, so 100 fit the 128 KB message limit; a larger run is split by `packEventFlushes`).
 */
export const OUTBOX_BATCH = 100;
/**
 * How long after a send the alarm checks that the consumer applied the events (ms). The queue
 * delivers within about a second and the consumer retries a failed event after 4–64 s; a
 * minute leaves room for both before an event counts as lost.
 */
export const CONFIRM_AFTER_MS = 60_000;
/**
 * The first check of a send comes sooner (ms): the EVENTS consumer takes a batch within a
 * second (`max_batch_timeout = 1`), so by now it has usually applied the events, and the
 * object, idle for only a few seconds, is still in memory — workerd evicts an idle object
 * after 10 s (Cloudflare may hibernate one as soon, and evicts it after 70–140 s), and a
 * check a minute on would often start it again from storage just to delete its outbox rows. This check only drops what was applied: an event still missing waits for its
 * check at CONFIRM_AFTER_MS after the send, where the rules for lost events apply as before.
 */
export const CONFIRM_FIRST_MS = 5_000;
/** An event still not applied this long after it was written is re-sent even if nothing newer was applied (ms). */
export const LOST_AFTER_MS = 10 * 60_000;
/** Longest wait between checks of an event that keeps getting lost (ms). */
export const CONFIRM_CAP_MS = 60 * 60_000;
/**
 * When the object itself checks events it handed to its caller (`handOffEvents`, ms after
 * they were written): the caller checks them first (the SYNC sweeper, per chunk, a minute
 * on), so this is the last net, and it falls with the pruning of the same change's
 * idempotency record (IDEMPOTENCY_RETENTION_MS), an alarm the object runs anyway: no wake of
 * its own per change.
 */
export const HANDED_OFF_CHECK_MS = IDEMPOTENCY_RETENTION_MS;

/** When to check again after the `resends`-th resend of an event: 1 min doubling to 1 h. */
export function confirmDelayMs(resends: number): number {
  return Math.min(CONFIRM_AFTER_MS * 2 ** Math.min(resends, 30), CONFIRM_CAP_MS);
}

/** Retry delay after a failed flush: 1 s doubling up to 5 min. */
export function outboxBackoffMs(attempts: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempts - 1), 300_000);
}

/**
 * The EVENTS partitions' producer bindings, partition i at index i (queue names in
 * queues/queue-names.ts `EVENT_PARTITIONS`, blocks in wrangler.toml). N is this list's
 * length: adding a partition means a new binding and queue in wrangler.toml, an entry here
 * and in `EVENT_PARTITIONS` (README "Partitioned events" has the procedure).
 */
export function eventQueues(env: Env): readonly Queue[] {
  return [env.EVENTS_0, env.EVENTS_1, env.EVENTS_2, env.EVENTS_3];
}

/** The partition (index into `eventQueues`) of a SKU's events. */
export function eventPartition(env: Env, sku: string): number {
  return partitionOf(sku, eventQueues(env).length);
}

/** The EVENTS queue a SKU's events go to. */
export function eventQueueFor(env: Env, sku: string): Queue {
  return eventQueues(env)[eventPartition(env, sku)]!;
}

/** Where a SKU object sends its events: its EVENTS partition, or a test double. */
export interface EventSink {
  sendBatch(messages: { body: EventFlush; contentType: "json" }[]): Promise<unknown>;
}

/**
 * A sendBatch takes at most 100 messages and 256 KB (1 KB = 1,000 B) in all, metadata (~100 B
 * a message) included: two full flushes (2 × EVENT_FLUSH_MAX_BYTES) fit.
 */
const SEND_BATCH_MESSAGES = 100;
const SEND_BATCH_BYTES = 250_000;

/**
 * Sends a SKU's events (oldest first) as flush messages — one, unless they pass the message
 * size limit — in as few sendBatch calls as the batch limits allow. Throws if a send fails;
 * the caller keeps every event unsent then (a part that went out is sent again: the
 * consumer dedupes by event id). Returns how many messages were sent.
 */
export async function sendEventFlushes(sink: EventSink, events: readonly InventoryEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const flushes = packEventFlushes(events[0]!.sku, events);
  await sendInBatches(sink, flushes);
  return flushes.length;
}

/**
 * Sends several SKUs' events (each list one SKU's, oldest first) as each SKU's flush messages,
 * grouped by EVENTS partition into as few sendBatch calls as the limits allow: what a caller
 * that applied many SKUs at once (the SYNC consumer, `handOffEvents`) sends for them all.
 * Throws if a send fails; the parts sent before stay sent (the consumer dedupes by event id).
 * Returns how many messages were sent.
 */
export async function sendEventFlushesOf(env: Env, eventsBySku: readonly (readonly InventoryEvent[])[]): Promise<number> {
  const byPartition = new Map<number, EventFlush[]>();
  for (const events of eventsBySku) {
    if (events.length === 0) continue;
    const sku = events[0]!.sku;
    const partition = eventPartition(env, sku);
    const list = byPartition.get(partition) ?? [];
    list.push(...packEventFlushes(sku, events));
    byPartition.set(partition, list);
  }
  const queues = eventQueues(env);
  let sent = 0;
  for (const [partition, flushes] of byPartition) {
    await sendInBatches(queues[partition] as unknown as EventSink, flushes);
    sent += flushes.length;
  }
  return sent;
}

/** Sends flush messages in order, in as few sendBatch calls as SEND_BATCH_MESSAGES and SEND_BATCH_BYTES allow. */
async function sendInBatches(sink: EventSink, flushes: readonly EventFlush[]): Promise<void> {
  let batch: { body: EventFlush; contentType: "json" }[] = [];
  let bytes = 0;
  for (const flush of flushes) {
    const size = utf8Bytes(JSON.stringify(flush));
    if (batch.length > 0 && (batch.length >= SEND_BATCH_MESSAGES || bytes + size > SEND_BATCH_BYTES)) {
      await sink.sendBatch(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ body: flush, contentType: "json" });
    bytes += size;
  }
  if (batch.length > 0) await sink.sendBatch(batch);
}

/** Adds the SKU-level threshold event, if the transaction moved total available across the reorder point or zero. */
export function thresholdEvent(tx: Tx, before: Quantities, after: Quantities): void {
  const type = thresholdCrossing(availableOf(before), availableOf(after), tx.db.policy.get(tx.sql)?.reorderPoint ?? 0);
  if (type === null) return;
  const last = tx.events.findLast((e) => e.cause.ledgerSeq !== null);
  tx.emit({
    type,
    locationId: null,
    occurredAt: last?.occurredAt ?? new Date(tx.now).toISOString(),
    cause: last?.cause ?? { ledgerSeq: null, op: "unknown", reason: null, reference: null, reservationId: null, actor: "system" },
    before: countsOf(before),
    after: countsOf(after),
    reservation: null,
  });
}

/** Transactions whose events go to their caller to send (`handOffEvents`), with the events written so far. */
const handOffs = new WeakMap<Tx, InventoryEvent[]>();

/**
 * Hands the running transaction's events to its caller instead of the alarm: `writeOutbox`
 * writes them as sent now (so the alarm does not send them) and adds them, complete, to the
 * returned list, which the caller sends once the transaction has committed — the SYNC
 * consumer, with the other SKUs of its chunk in a few sendBatch calls (`sendEventFlushesOf`).
 * The caller checks that the consumer applied them, and replays the change to get the
 * unconfirmed ones back (`handedOffEvents`) if not; the rows stay until the object's own check
 * at HANDED_OFF_CHECK_MS finds them applied (or, missing, sends them again as lost events).
 * Saves per change an alarm run, a send of the object's own, an update per row, and the
 * object's wake for the check a minute on.
 */
export function handOffEvents(tx: Tx): InventoryEvent[] {
  const events: InventoryEvent[] = [];
  handOffs.set(tx, events);
  return events;
}

/**
 * The sent events of `reference` (a sync job: every event of its changes names it as the
 * cause's reference) still kept, oldest first, at most OUTBOX_BATCH: what a replayed call
 * gives its caller to send again, in case the first one stopped before sending or the queue
 * lost them. Events the object's check confirmed are gone already.
 */
export function handedOffEvents(sql: SqlStorage, reference: string): InventoryEvent[] {
  return sql
    .exec<{ event_json: string }>(
      "SELECT event_json FROM outbox WHERE sent_at IS NOT NULL AND json_extract(event_json, '$.cause.reference') = ? ORDER BY sequence LIMIT ?",
      reference,
      OUTBOX_BATCH,
    )
    .toArray()
    .map((r) => JSON.parse(r.event_json) as InventoryEvent);
}

/** Writes the transaction's events to the outbox, each with the SKU's next sequence number (as sent, when handed off). */
export function writeOutbox(tx: Tx): void {
  // A hot-SKU shard writes no events: its SKU's main object reports the counts (shards.ts).
  if (tx.events.length === 0 || tx.db.shard.get(tx.db.sql) !== null) return;
  const sql = tx.sql;
  const sku = tx.db.meta.sku(sql) ?? "";
  const handed = handOffs.get(tx);
  let sequence = tx.db.meta.eventSequence(sql);
  const nextAttemptAt = handed === undefined ? tx.now + OUTBOX_FLUSH_DELAY_MS : tx.now + HANDED_OFF_CHECK_MS;
  const sentAt = handed === undefined ? null : tx.now;
  // One statement per OUTBOX_INSERT_ROWS events (a statement costs more than its rows).
  for (let start = 0; start < tx.events.length; start += OUTBOX_INSERT_ROWS) {
    const chunk = tx.events.slice(start, start + OUTBOX_INSERT_ROWS);
    const values: SqlStorageValue[] = [];
    for (const event of chunk) {
      sequence += 1;
      const full: InventoryEvent = { id: eventId(sku, sequence), sku, sequence, ...event };
      values.push(sequence, JSON.stringify(full), tx.now, nextAttemptAt, sentAt);
      handed?.push(full);
    }
    sql.exec(
      `INSERT INTO outbox (sequence, event_json, created_at, next_attempt_at, sent_at) VALUES ${chunk.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
      ...values,
    );
  }
  tx.db.meta.eventsWritten(sequence);
  if (handed === undefined) tx.db.outboxDueAt = Math.min(tx.db.outboxDueAt ?? nextAttemptAt, nextAttemptAt);
}

/**
 * Events to send now, oldest first: every unsent event never tried (the alarm is running
 * anyway) and every failed one whose back-off has passed.
 */
export function dueEvents(sql: SqlStorage, now: number, limit = OUTBOX_BATCH): { sequence: number; event: InventoryEvent }[] {
  return sql
    .exec<{ sequence: number; event_json: string }>(
      "SELECT sequence, event_json FROM outbox WHERE sent_at IS NULL AND (attempts = 0 OR next_attempt_at <= ?) ORDER BY sequence LIMIT ?",
      now,
      limit,
    )
    .toArray()
    .map((r) => ({ sequence: r.sequence, event: JSON.parse(r.event_json) as InventoryEvent }));
}

/** `sequence IN (…)` for any number of sequences: one bound JSON array, since a statement takes at most 100 bound values. */
const IN_SEQUENCES = "sequence IN (SELECT value FROM json_each(?))";

/** The send of these events succeeded: keep them until the consumer has applied them, and check then. */
export function eventsSent(sql: SqlStorage, sequences: readonly number[], now: number): void {
  if (sequences.length === 0) return;
  sql.exec(`UPDATE outbox SET sent_at = ?, next_attempt_at = ? WHERE ${IN_SEQUENCES}`, now, now + CONFIRM_FIRST_MS, JSON.stringify(sequences));
}

/** A sent event whose check is due: its sequence, when it was written and (last) sent, and the event. */
export interface DueConfirmation {
  sequence: number;
  createdAt: number;
  sentAt: number;
  event: InventoryEvent;
}

/**
 * Sent events whose check is due, oldest first; when one is due, those due within the next
 * half first-check interval come along, so one D1 read checks many.
 */
export function dueConfirmations(sql: SqlStorage, now: number, limit = OUTBOX_BATCH): DueConfirmation[] {
  const due = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NOT NULL AND next_attempt_at <= ?", now).one().n;
  if (due === 0) return [];
  return sql
    .exec<{ sequence: number; created_at: number; sent_at: number; event_json: string }>(
      "SELECT sequence, created_at, sent_at, event_json FROM outbox WHERE sent_at IS NOT NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, sequence LIMIT ?",
      now + CONFIRM_FIRST_MS / 2,
      limit,
    )
    .toArray()
    .map((r) => ({ sequence: r.sequence, createdAt: r.created_at, sentAt: r.sent_at, event: JSON.parse(r.event_json) as InventoryEvent }));
}

/** The ids of the newest sent events still kept (to learn whether the consumer got past older ones). */
export function newestSentEventIds(sql: SqlStorage, limit = 10): { sequence: number; id: string }[] {
  return sql
    .exec<{ sequence: number; event_json: string }>("SELECT sequence, event_json FROM outbox WHERE sent_at IS NOT NULL ORDER BY sequence DESC LIMIT ?", limit)
    .toArray()
    .map((r) => ({ sequence: r.sequence, id: (JSON.parse(r.event_json) as InventoryEvent).id }));
}

/**
 * Not applied yet, but nothing says lost: the consumer is behind. Check again later — at
 * CONFIRM_AFTER_MS after the send when this was the early first check, else CONFIRM_AFTER_MS
 * from now; nothing is counted.
 */
export function confirmationPostponed(sql: SqlStorage, sequences: readonly number[], now: number): void {
  if (sequences.length === 0) return;
  sql.exec(
    `UPDATE outbox SET next_attempt_at = CASE WHEN sent_at + ? > ? THEN sent_at + ? ELSE ? END WHERE ${IN_SEQUENCES}`,
    CONFIRM_AFTER_MS,
    now,
    CONFIRM_AFTER_MS,
    now + CONFIRM_AFTER_MS,
    JSON.stringify(sequences),
  );
}

/**
 * The consumer applied these events: they are done. The highest sequence ever confirmed is
 * kept (meta `applied_seq`): an older event still missing after it is lost, even when the
 * newer one's row was confirmed and deleted at an earlier check. It is written before the
 * rows go, and is the only record of the last event sequence once they have
 * (`lastEventSequence`, meta.ts): the outbox is deleted nowhere else.
 */
export function eventsConfirmed(sql: SqlStorage, sequences: readonly number[]): void {
  if (sequences.length === 0) return;
  sql.exec(
    "INSERT INTO meta (key, value) VALUES ('applied_seq', ?) ON CONFLICT (key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
    String(Math.max(...sequences)),
  );
  sql.exec(`DELETE FROM outbox WHERE ${IN_SEQUENCES}`, JSON.stringify(sequences));
}

/** The highest sequence of this SKU's events a check found applied (0: none yet). */
export function appliedSequence(sql: SqlStorage): number {
  return Number(sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'applied_seq'").toArray()[0]?.value ?? 0);
}

/** These sent events were lost and have been sent again: count it, and check again later (backing off). */
export function eventsResent(sql: SqlStorage, sequences: readonly number[], now: number): void {
  if (sequences.length === 0) return;
  countFailure(
    sql,
    "event_lost",
    now,
    "sent but not applied by the consumer in time: sent again",
    `events ${Math.min(...sequences)}–${Math.max(...sequences)}`,
  );
  for (const sequence of sequences) {
    const resends = (sql.exec<{ resends: number }>("SELECT resends FROM outbox WHERE sequence = ?", sequence).toArray()[0]?.resends ?? 0) + 1;
    sql.exec("UPDATE outbox SET sent_at = ?, resends = ?, next_attempt_at = ? WHERE sequence = ?", now, resends, now + confirmDelayMs(resends), sequence);
  }
}

/** The check or the resend could not be done now (D1 or the queue unavailable): try again later. */
export function confirmationDeferred(sql: SqlStorage, sequences: readonly number[], now: number, error: string): void {
  if (sequences.length === 0) return;
  countFailure(sql, "event_confirm", now, error, `events ${Math.min(...sequences)}–${Math.max(...sequences)}`);
  sql.exec(`UPDATE outbox SET next_attempt_at = ? WHERE ${IN_SEQUENCES}`, now + CONFIRM_AFTER_MS, JSON.stringify(sequences));
}

/** The send failed: try these again later, backing off, and count the failure. */
export function eventsFailed(sql: SqlStorage, sequences: readonly number[], now: number, error: string): void {
  if (sequences.length > 0) countFailure(sql, "outbox_send", now, error, `events ${Math.min(...sequences)}–${Math.max(...sequences)}`);
  for (const sequence of sequences) {
    const attempts = sql.exec<{ attempts: number }>("SELECT attempts FROM outbox WHERE sequence = ?", sequence).toArray()[0]?.attempts ?? 0;
    sql.exec("UPDATE outbox SET attempts = ?, next_attempt_at = ? WHERE sequence = ?", attempts + 1, now + outboxBackoffMs(attempts + 1), sequence);
  }
}

/** Events not yet sent (for tests and operators). */
export function outboxSize(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL").one().n;
}

/** Events sent and not yet known to be applied by the consumer. */
export function awaitingConfirmation(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NOT NULL").one().n;
}
