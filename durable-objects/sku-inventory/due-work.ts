/**
 * The alarm's work besides the outbox: expiring due reservations (each in its own
 * transaction) and pruning old records, and when the alarm should next fire.
 */
import { expireIfDue } from "./lifecycle";
import { IDEMPOTENCY_RETENTION_MS } from "./meta";
import type { ReservationRow, SkuDb } from "./rows";
import { Tx } from "./tx";

/** Finished reservations (and release tombstones) are kept this long (ms). */
export const TERMINAL_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** Most reservations one alarm run expires before it re-arms (keeps each run short). */
const EXPIRY_BATCH = 500;

/**
 * Expires due reservations and prunes old records. Safe to run twice: a second run finds
 * nothing due. Returns when the alarm should next fire, or null for never.
 */
export function runDueWork(db: SkuDb, now: number): number | null {
  const due = db.sql
    .exec<ReservationRow>("SELECT * FROM reservations WHERE status = 'active' AND expires_at <= ? ORDER BY expires_at LIMIT ?", now, EXPIRY_BATCH)
    .toArray();
  for (const row of due) {
    Tx.run(db, now, (tx) => expireIfDue(tx, row, "system:expiry"));
  }
  db.storage.transactionSync(() => {
    db.sql.exec("DELETE FROM idempotency WHERE created_at <= ?", now - IDEMPOTENCY_RETENTION_MS);
    const cutoff = now - TERMINAL_RETENTION_MS;
    const finished = "SELECT id FROM reservations WHERE status IN ('fulfilled', 'released', 'expired') AND updated_at <= ?";
    db.sql.exec(`DELETE FROM reservation_lines WHERE reservation_id IN (${finished})`, cutoff);
    db.sql.exec(`DELETE FROM reservations WHERE id IN (${finished})`, cutoff);
  });
  return nextDueAt(db.sql);
}

/** When the next piece of due work falls (expiry, outbox or pruning), or null if none. */
export function nextDueAt(sql: SqlStorage): number | null {
  const row = sql
    .exec<{ next: number | null }>(
      `SELECT MIN(t) AS next FROM (
         SELECT MIN(expires_at) AS t FROM reservations WHERE status = 'active'
         UNION ALL SELECT MIN(created_at) + ? FROM idempotency
         UNION ALL SELECT MIN(updated_at) + ? FROM reservations WHERE status IN ('fulfilled', 'released', 'expired')
         UNION ALL SELECT MIN(next_attempt_at) FROM outbox
       )`,
      IDEMPOTENCY_RETENTION_MS,
      TERMINAL_RETENTION_MS,
    )
    .one();
  return row.next;
}
