/**
 * The alarm's work besides the outbox: expiring due reservations (each in its own
 * transaction) and pruning old records, when the alarm should next fire, and the object's
 * health as operators see it.
 *
 * An expiry that fails (its transaction rolls back, or storage throws) is logged with its
 * cause, counted, and backed off on its row (`expiry_attempts`, `expiry_retry_at`), so the
 * reservation is due again at its retry, never at its past `expires_at`: the alarm is
 * never re-armed in the past for it, and the other expiries of the run go ahead.
 */
import type { Failure } from "../../domain/failures";
import { FINISHED_RESERVATION_RETENTION_MS } from "../../domain/reservation-lifecycle";
import { alarmRetryDelayMs, causeOf, countFailure, failureCounts, logFailure } from "../failure-counts";
import type { SkuHealth } from "../sku-inventory.types";
import { expireIfDue } from "./lifecycle";
import { nextLotDue, runLotWork } from "./lots";
import { IDEMPOTENCY_RETENTION_MS, skuOf } from "./meta";
import type { ReservationRow, SkuDb } from "./rows";
import { Tx } from "./tx";

export const TERMINAL_RETENTION_MS = FINISHED_RESERVATION_RETENTION_MS;
/** Most reservations one alarm run expires before it re-arms (keeps each run short). */
const EXPIRY_BATCH = 500;

/**
 * Expires due reservations and prunes old records. Safe to run twice: a second run finds
 * nothing due. Returns when the alarm should next fire, or null for never. One read tells
 * which work is due; an alarm run for the outbox alone (the common one) does no more.
 */
export function runDueWork(db: SkuDb, now: number): number | null {
  const before = dueTimes(db.sql);
  let changed = false;
  if (before.expiry !== null && before.expiry <= now) {
    expireDue(db, now);
    changed = true;
  }
  const inbound = db.inbound.get(db.sql);
  if (inbound.lots) {
    // A lot's alert or expiry may write events: the next due time is read again below.
    runLotWork(db, now);
    changed = true;
  }
  if (before.prune !== null && before.prune <= now) {
    db.storage.transactionSync(() => {
      db.sql.exec("DELETE FROM idempotency WHERE created_at <= ?", now - IDEMPOTENCY_RETENTION_MS);
      const cutoff = now - TERMINAL_RETENTION_MS;
      const finished = "SELECT id FROM reservations WHERE status IN ('fulfilled', 'released', 'expired') AND updated_at <= ?";
      db.sql.exec(`DELETE FROM reservation_lines WHERE reservation_id IN (${finished})`, cutoff);
      if (inbound.preorders) db.sql.exec(`DELETE FROM preorder_lines WHERE reservation_id IN (${finished})`, cutoff);
      db.sql.exec(`DELETE FROM reservations WHERE id IN (${finished})`, cutoff);
    });
    changed = true;
  }
  return changed ? nextDueAt(db.sql, inbound.lots) : earliest(before);
}

/**
 * Active reservations due to expire (bound: now, now, now, limit), oldest first: one branch per
 * partial index (schema v4), due with no failed expiry and due again after one.
 */
export const DUE_EXPIRIES_SQL = `SELECT * FROM (
    SELECT * FROM reservations WHERE status = 'active' AND expiry_retry_at IS NULL AND expires_at <= ?
    UNION ALL
    SELECT * FROM reservations WHERE status = 'active' AND expiry_retry_at IS NOT NULL AND expiry_retry_at <= ? AND expires_at <= ?
  ) ORDER BY expires_at LIMIT ?`;

/** Expires the due reservations (at most EXPIRY_BATCH), each in its own transaction. */
function expireDue(db: SkuDb, now: number): void {
  const due = db.sql.exec<ReservationRow>(DUE_EXPIRIES_SQL, now, now, now, EXPIRY_BATCH).toArray();
  for (const row of due) {
    let outcome: true | Failure;
    try {
      outcome = Tx.run(db, now, (tx) => {
        expireIfDue(tx, row, "system:expiry");
        return true as const;
      });
    } catch (error) {
      expiryFailed(db, row, now, "exception", causeOf(error));
      continue;
    }
    if (outcome !== true) expiryFailed(db, row, now, outcome.code, causeOf(outcome));
  }
}

/** Logs, counts and backs off one failed expiry (the failed transaction wrote nothing). */
function expiryFailed(db: SkuDb, row: ReservationRow, now: number, code: string, error: string): void {
  const attempt = row.expiry_attempts + 1;
  const nextAttemptAt = now + alarmRetryDelayMs(attempt);
  db.storage.transactionSync(() => {
    db.sql.exec("UPDATE reservations SET expiry_attempts = ?, expiry_retry_at = ? WHERE id = ? AND status = 'active'", attempt, nextAttemptAt, row.id);
    countFailure(db.sql, "expiry", now, error, row.id);
  });
  logFailure({
    event: "reservation.expiry_failed",
    sku: skuOf(db.sql),
    reservationId: row.id,
    attempt,
    nextAttemptAt,
    code,
    error,
  });
}

/** When the next piece of due work falls (expiry or its retry, outbox, pruning, and with `lots` a lot's alert or expiry), or null if none. */
export function nextDueAt(sql: SqlStorage, lots = false): number | null {
  const next = reservationsDueAt(sql);
  const lot = lots ? nextLotDue(sql) : null;
  return lot === null ? next : next === null ? lot : Math.min(next, lot);
}

/** When each kind of the reservations' due work falls (ms), or null for none: expiries and their retries, pruning, the outbox. */
interface DueTimes {
  expiry: number | null;
  prune: number | null;
  outbox: number | null;
}

function dueTimes(sql: SqlStorage): DueTimes {
  return sql
    .exec<{ expiry: number | null; prune: number | null; outbox: number | null }>(
      `SELECT
         (SELECT MIN(t) FROM (
            SELECT MIN(expires_at) AS t FROM reservations WHERE status = 'active' AND expiry_retry_at IS NULL
            UNION ALL SELECT MIN(MAX(expires_at, expiry_retry_at)) FROM reservations WHERE status = 'active' AND expiry_retry_at IS NOT NULL)) AS expiry,
         (SELECT MIN(t) FROM (
            SELECT MIN(created_at) + ? AS t FROM idempotency
            UNION ALL SELECT MIN(updated_at) + ? FROM reservations WHERE status IN ('fulfilled', 'released', 'expired'))) AS prune,
         (SELECT MIN(next_attempt_at) FROM outbox) AS outbox`,
      IDEMPOTENCY_RETENTION_MS,
      TERMINAL_RETENTION_MS,
    )
    .one();
}

function earliest(times: DueTimes): number | null {
  const all = [times.expiry, times.prune, times.outbox].filter((t): t is number => t !== null);
  return all.length === 0 ? null : Math.min(...all);
}

function reservationsDueAt(sql: SqlStorage): number | null {
  return earliest(dueTimes(sql));
}

/** The object's background work as an operator sees it. */
export function health(sql: SqlStorage): SkuHealth {
  const count = (query: string): number => sql.exec<{ n: number }>(query).one().n;
  return {
    failures: failureCounts(sql),
    expiriesRetrying: count("SELECT COUNT(*) AS n FROM reservations WHERE status = 'active' AND expiry_retry_at IS NOT NULL"),
    eventsRetrying: count("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL AND attempts > 0"),
    eventsAwaitingConfirmation: count("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NOT NULL"),
    nextDueAt: nextDueAt(sql, sql.exec<{ n: number }>("SELECT EXISTS (SELECT 1 FROM lots) AS n").one().n === 1),
  };
}
