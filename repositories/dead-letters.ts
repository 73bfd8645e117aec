/**
 * Messages that ended in a dead-letter queue. A consumer writes the last error when it
 * gives a message its final retry (it knows the error and the attempts); the dead-letter
 * consumer then marks the row received (or creates it, reason unknown, if the first write
 * never happened). Keyed by (source queue, message id): message ids survive the move.
 */
import { and, asc, eq, isNull, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { deadLetters, syncJobChunks, syncJobErrors, syncJobs, webhookDeliveries } from "../d1/schema";
import { type D1Write, excluded, inJson, runBatch } from "./d1-sql";

/** Longest body kept, in characters. */
export const DEAD_LETTER_BODY_MAX = 64 * 1024;

/** The body as JSON text, truncated to DEAD_LETTER_BODY_MAX. */
export function bodyText(body: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(body) ?? "undefined";
  } catch {
    text = "<not JSON-serialisable>";
  }
  return text.length > DEAD_LETTER_BODY_MAX ? text.slice(0, DEAD_LETTER_BODY_MAX) : text;
}

/** Records the error of a message's final attempt on `queue`. */
export async function recordFinalFailure(
  db: D1Database,
  f: { queue: string; deadLetterQueue: string; messageId: string; body: unknown; error: string; attempts: number; at: number },
): Promise<void> {
  await drizzle(db)
    .insert(deadLetters)
    .values({
      queue: f.queue,
      messageId: f.messageId,
      deadLetterQueue: f.deadLetterQueue,
      body: bodyText(f.body),
      error: f.error,
      attempts: f.attempts,
      failedAt: f.at,
    })
    .onConflictDoUpdate({
      target: [deadLetters.queue, deadLetters.messageId],
      set: { error: excluded(deadLetters.error), attempts: excluded(deadLetters.attempts), failedAt: excluded(deadLetters.failedAt) },
    })
    .run();
}

/** Records a message received on `deadLetterQueue` (which `queue` dead-letters to). */
export async function recordDeadLetter(
  db: D1Database,
  d: { queue: string; deadLetterQueue: string; messageId: string; body: unknown; at: number },
): Promise<void> {
  await drizzle(db)
    .insert(deadLetters)
    .values({ queue: d.queue, messageId: d.messageId, deadLetterQueue: d.deadLetterQueue, body: bodyText(d.body), receivedAt: d.at })
    .onConflictDoUpdate({
      target: [deadLetters.queue, deadLetters.messageId],
      set: { receivedAt: sql`coalesce(${deadLetters.receivedAt}, ${excluded(deadLetters.receivedAt)})` },
    })
    .run();
}

/** A dead letter as listed to operators. */
export interface DeadLetterListRow {
  queue: string;
  messageId: string;
  deadLetterQueue: string;
  body: string;
  error: string | null;
  attempts: number | null;
  failedAt: number | null;
  receivedAt: number | null;
  replayedAt: number | null;
  replayedBy: string | null;
  replayReopened: "sync_chunk" | "webhook_delivery" | "none" | null;
}

/** Dead letters in (queue, message id) order after `after`, optionally of one queue. */
export async function listDeadLetters(
  db: D1Database,
  f: { queue?: string | undefined; after?: readonly [string, string] | undefined; limit: number },
): Promise<DeadLetterListRow[]> {
  const t = deadLetters;
  const conditions: SQL[] = [];
  if (f.queue !== undefined) conditions.push(eq(t.queue, f.queue));
  if (f.after !== undefined) conditions.push(sql`(${t.queue}, ${t.messageId}) > (${f.after[0]}, ${f.after[1]})`);
  return drizzle(db)
    .select({
      queue: t.queue,
      messageId: t.messageId,
      deadLetterQueue: t.deadLetterQueue,
      body: t.body,
      error: t.error,
      attempts: t.attempts,
      failedAt: t.failedAt,
      receivedAt: t.receivedAt,
      replayedAt: t.replayedAt,
      replayedBy: t.replayedBy,
      replayReopened: t.replayReopened,
    })
    .from(t)
    .where(and(...conditions))
    .orderBy(asc(t.queue), asc(t.messageId))
    .limit(f.limit)
    .all();
}

/** One dead letter, or undefined. */
export async function findDeadLetter(db: D1Database, queue: string, messageId: string): Promise<DeadLetterListRow | undefined> {
  const t = deadLetters;
  return drizzle(db)
    .select()
    .from(t)
    .where(and(eq(t.queue, queue), eq(t.messageId, messageId)))
    .get();
}

/** Whether a delivery was cancelled (what the WEBHOOKS dead-letter consumer does), so a replay must reopen it. */
export async function deliveryWasCancelled(db: D1Database, deliveryId: string): Promise<boolean> {
  const w = webhookDeliveries;
  const row = await drizzle(db)
    .select({ one: sql<number>`1` })
    .from(w)
    .where(and(eq(w.id, deliveryId), eq(w.status, "failed"), eq(w.lastFailure, "cancelled")))
    .get();
  return row !== undefined;
}

/**
 * What a replay puts back before its message is sent again, so the consumer does not take the
 * message for a duplicate: the dead-letter consumers closed its chunk or delivery.
 */
export type ReplayReopen =
  | { kind: "sync_chunk"; jobId: string; chunkIndex: number; itemIndexes: readonly number[]; payload: string }
  | { kind: "webhook_delivery"; deliveryId: string; payload: string }
  | { kind: "none" };

/**
 * A SYNC chunk the dead-letter consumer failed goes back to `queued` (with its message, so the
 * sync sweeper re-sends it if this send is lost), its `chunk_failed` item errors are removed and
 * its job is running again with that chunk's errors taken off; when the chunk is recorded, the
 * job's counters are recomputed from its chunks as always. Only a chunk that is `failed` is
 * touched (each statement checks it, in this order, within one batch).
 */
function reopenSyncChunk(db: D1Database, r: Extract<ReplayReopen, { kind: "sync_chunk" }>, now: number): D1Write[] {
  const d = drizzle(db);
  const c = syncJobChunks;
  const j = syncJobs;
  const e = syncJobErrors;
  const thisChunk = and(eq(c.jobId, r.jobId), eq(c.chunkIndex, r.chunkIndex));
  const failed = sql`EXISTS (SELECT 1 FROM ${c} WHERE ${thisChunk} AND ${c.status} = 'failed')`;
  return [
    d.delete(e).where(and(eq(e.jobId, r.jobId), eq(e.code, "chunk_failed"), inJson(e.itemIndex, r.itemIndexes), failed)),
    d
      .update(j)
      .set({
        chunksDone: sql`${j.chunksDone} - 1`,
        errors: sql`${j.errors} - (SELECT ${c.errors} FROM ${c} WHERE ${thisChunk})`,
        status: "running",
        completedAt: null,
        updatedAt: now,
      })
      .where(and(eq(j.id, r.jobId), failed)),
    d
      .update(c)
      .set({ status: "queued", applied: 0, unchanged: 0, conflicts: 0, errors: 0, finishedAt: null, error: null, payload: r.payload, enqueuedAt: now })
      .where(and(thisChunk, eq(c.status, "failed"))),
  ];
}

/**
 * A delivery the WEBHOOKS dead-letter consumer cancelled goes back to `pending` (with its
 * message, for the webhook sweeper), in `db`, the store its id names. Cancelled deliveries
 * only: a delivery that failed at the receiver stays failed, and one whose subscription is
 * disabled or deleted is cancelled again by the consumer. Run before the replay's claim, in
 * the delivery's own database (services/dead-letter-replay.ts says why that order is safe).
 */
export async function reopenCancelledDelivery(db: D1Database, deliveryId: string, payload: string, now: number): Promise<void> {
  const w = webhookDeliveries;
  await drizzle(db)
    .update(w)
    .set({ status: "pending", failedAt: null, lastFailure: null, payload, enqueuedAt: now, updatedAt: now })
    .where(and(eq(w.id, deliveryId), eq(w.status, "failed"), eq(w.lastFailure, "cancelled")))
    .run();
}

/**
 * Claims a dead letter for replay and reopens what its message needs, in one batch. Returns
 * false when another replay claimed it first (then nothing was reopened by this call: the
 * reopening statements find nothing left to reopen).
 */
export async function claimReplay(db: D1Database, r: { queue: string; messageId: string; by: string; reopen: ReplayReopen; now: number }): Promise<boolean> {
  const t = deadLetters;
  // A webhook delivery is reopened before the claim, in its own database (reopenCancelledDelivery).
  const reopen = r.reopen.kind === "sync_chunk" ? reopenSyncChunk(db, r.reopen, r.now) : [];
  const results = await runBatch(db, [
    drizzle(db)
      .update(t)
      .set({ replayedAt: r.now, replayedBy: r.by, replayReopened: r.reopen.kind })
      .where(and(eq(t.queue, r.queue), eq(t.messageId, r.messageId), isNull(t.replayedAt))),
    ...reopen,
  ]);
  return (results[0] as D1Result).meta.changes === 1;
}

/** Undoes a claim whose send failed, so the replay can be asked for again (what was reopened stays reopened). */
export async function releaseReplay(db: D1Database, queue: string, messageId: string, claimedAt: number): Promise<void> {
  const t = deadLetters;
  await drizzle(db)
    .update(t)
    .set({ replayedAt: null, replayedBy: null, replayReopened: null })
    .where(and(eq(t.queue, queue), eq(t.messageId, messageId), eq(t.replayedAt, claimedAt)))
    .run();
}
