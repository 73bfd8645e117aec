/**
 * Messages that ended in a dead-letter queue. A consumer writes the last error when it
 * gives a message its final retry (it knows the error and the attempts); the dead-letter
 * consumer then marks the row received (or creates it, reason unknown, if the first write
 * never happened). Keyed by (source queue, message id): message ids survive the move.
 */
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { deadLetters } from "../d1/schema";
import { excluded } from "./d1-sql";

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
    })
    .from(t)
    .where(and(...conditions))
    .orderBy(asc(t.queue), asc(t.messageId))
    .limit(f.limit)
    .all();
}
