/**
 * Messages that ended in a dead-letter queue. A consumer writes the last error when it
 * gives a message its final retry (it knows the error and the attempts); the dead-letter
 * consumer then marks the row received (or creates it, reason unknown, if the first write
 * never happened). Keyed by (source queue, message id): message ids survive the move.
 */

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
  await db
    .prepare(
      `INSERT INTO dead_letters (queue, message_id, dead_letter_queue, body, error, attempts, failed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
       ON CONFLICT (queue, message_id) DO UPDATE SET error = excluded.error, attempts = excluded.attempts, failed_at = excluded.failed_at`,
    )
    .bind(f.queue, f.messageId, f.deadLetterQueue, bodyText(f.body), f.error, f.attempts, f.at)
    .run();
}

/** Records a message received on `deadLetterQueue` (which `queue` dead-letters to). */
export async function recordDeadLetter(
  db: D1Database,
  d: { queue: string; deadLetterQueue: string; messageId: string; body: unknown; at: number },
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO dead_letters (queue, message_id, dead_letter_queue, body, received_at) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (queue, message_id) DO UPDATE SET received_at = COALESCE(dead_letters.received_at, excluded.received_at)`,
    )
    .bind(d.queue, d.messageId, d.deadLetterQueue, bodyText(d.body), d.at)
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
  const { results } = await db
    .prepare(
      `SELECT queue, message_id AS messageId, dead_letter_queue AS deadLetterQueue, body, error, attempts, failed_at AS failedAt, received_at AS receivedAt
       FROM dead_letters WHERE (?1 IS NULL OR queue = ?1) AND (?2 IS NULL OR (queue, message_id) > (?2, ?3))
       ORDER BY queue, message_id LIMIT ?4`,
    )
    .bind(f.queue ?? null, f.after?.[0] ?? null, f.after?.[1] ?? null, f.limit)
    .all<DeadLetterListRow>();
  return results;
}
