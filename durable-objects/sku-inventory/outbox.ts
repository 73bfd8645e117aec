/**
 * The outbox: events written in the same transaction as the change they describe, and sent
 * to the EVENTS queue by the alarm (deleted only once the send succeeded).
 */
import { eventId, thresholdCrossing, type InventoryEvent } from "../../domain/events";
import { availableOf, type Quantities } from "../../domain/quantities";
import { countFailure } from "../failure-counts";
import { skuOf } from "./meta";
import { countsOf } from "./rows";
import type { Tx } from "./tx";

/**
 * New events wait this long (ms) before the alarm sends them, so that under load one send
 * carries many events instead of one alarm and one send per change.
 */
export const OUTBOX_FLUSH_DELAY_MS = 100;
/** Most events one flush sends (the queue's sendBatch takes up to 100 messages). */
export const OUTBOX_BATCH = 100;
/** Retry delay after a failed flush: 1 s doubling up to 5 min. */
export function outboxBackoffMs(attempts: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempts - 1), 300_000);
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

/** Writes the transaction's events to the outbox, each with the SKU's next sequence number. */
export function writeOutbox(tx: Tx): void {
  if (tx.events.length === 0) return;
  const sql = tx.sql;
  const sku = skuOf(sql) ?? "";
  let sequence = Number(sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'event_seq'").toArray()[0]?.value ?? 0);
  for (const event of tx.events) {
    sequence += 1;
    const full: InventoryEvent = { id: eventId(sku, sequence), sku, sequence, ...event };
    sql.exec(
      "INSERT INTO outbox (sequence, event_json, created_at, next_attempt_at) VALUES (?, ?, ?, ?)",
      sequence,
      JSON.stringify(full),
      tx.now,
      tx.now + OUTBOX_FLUSH_DELAY_MS,
    );
  }
  sql.exec("INSERT INTO meta (key, value) VALUES ('event_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", String(sequence));
}

/**
 * Events to send now, oldest first: every event never tried (the alarm is running anyway)
 * and every failed one whose back-off has passed.
 */
export function dueEvents(sql: SqlStorage, now: number, limit = OUTBOX_BATCH): { sequence: number; event: InventoryEvent }[] {
  return sql
    .exec<{ sequence: number; event_json: string }>(
      "SELECT sequence, event_json FROM outbox WHERE attempts = 0 OR next_attempt_at <= ? ORDER BY sequence LIMIT ?",
      now,
      limit,
    )
    .toArray()
    .map((r) => ({ sequence: r.sequence, event: JSON.parse(r.event_json) as InventoryEvent }));
}

/** The send of these events succeeded: drop them. */
export function eventsSent(sql: SqlStorage, sequences: readonly number[]): void {
  if (sequences.length === 0) return;
  sql.exec(`DELETE FROM outbox WHERE sequence IN (${sequences.map(() => "?").join(", ")})`, ...sequences);
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
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
}
