/**
 * The coordinator alarm's storage side: which reservations have due work, when the alarm
 * should next fire, pruning, and the record of alarm work that failed (logged, counted,
 * backed off on its row: a reservation is due at MAX(its due time, its retry), so the alarm
 * is never re-armed in the past for it).
 */
import { FINISHED_RESERVATION_RETENTION_MS } from "../../domain/reservation-lifecycle";
import { alarmRetryDelayMs, countFailure, failureCounts, logFailure } from "../failure-counts";
import type { CoordinatorHealth } from "../reservation-coordinator.types";
import { readRow, type Row } from "./rows";

export const FINISHED_RETENTION_MS = FINISHED_RESERVATION_RETENTION_MS;
/** Most reservations of each kind one alarm run takes on. */
const ALARM_BATCH = 100;

/** What the alarm does for a reservation: finish or undo its pending operation, or expire it. */
export type AlarmTask = "recover" | "expire";

/**
 * Reservations with due work, oldest first: an operation pending longer than the recovery
 * delay (recovered), an active reservation past its expiry with nothing pending (expired);
 * either only once a failed attempt's retry time has come.
 */
export function dueTasks(sql: SqlStorage, now: number, recoveryDelayMs: number): Map<string, AlarmTask> {
  const stuck = sql
    .exec<{ id: string }>(
      `SELECT id FROM reservations WHERE pending_op IS NOT NULL AND pending_since <= ? AND (alarm_retry_at IS NULL OR alarm_retry_at <= ?)
       ORDER BY pending_since LIMIT ?`,
      now - recoveryDelayMs,
      now,
      ALARM_BATCH,
    )
    .toArray();
  const due = sql
    .exec<{ id: string }>(
      `SELECT id FROM reservations WHERE status = 'active' AND pending_op IS NULL AND expires_at <= ?
         AND (alarm_retry_at IS NULL OR alarm_retry_at <= ?) ORDER BY expires_at LIMIT ?`,
      now,
      now,
      ALARM_BATCH,
    )
    .toArray();
  const tasks = new Map<string, AlarmTask>();
  for (const row of due) tasks.set(row.id, "expire");
  for (const row of stuck) tasks.set(row.id, "recover");
  return tasks;
}

/** Deletes finished reservations and key claims older than FINISHED_RETENTION_MS. */
export function pruneFinished(sql: SqlStorage, now: number): void {
  sql.exec("DELETE FROM key_claims WHERE created_at <= ?", now - FINISHED_RETENTION_MS);
  sql.exec(
    `DELETE FROM reservations WHERE status IN ('fulfilled', 'released', 'expired', 'failed', 'aborted')
       AND pending_op IS NULL AND updated_at <= ?`,
    now - FINISHED_RETENTION_MS,
  );
}

/** When the alarm should next fire, or null. A reservation whose alarm work failed is due at its retry. */
export function nextDueAt(sql: SqlStorage, recoveryDelayMs: number): number | null {
  return sql
    .exec<{ next: number | null }>(
      `SELECT MIN(t) AS next FROM (
         SELECT MIN(pending_since) + ? AS t FROM reservations WHERE pending_op IS NOT NULL AND alarm_retry_at IS NULL
         UNION ALL SELECT MIN(expires_at) FROM reservations WHERE status = 'active' AND pending_op IS NULL AND alarm_retry_at IS NULL
         UNION ALL SELECT MIN(MAX(alarm_retry_at, CASE WHEN pending_op IS NOT NULL THEN pending_since + ? ELSE COALESCE(expires_at, 0) END))
           FROM reservations WHERE alarm_retry_at IS NOT NULL AND (pending_op IS NOT NULL OR status = 'active')
         UNION ALL SELECT MIN(updated_at) + ? FROM reservations
           WHERE status IN ('fulfilled', 'released', 'expired', 'failed', 'aborted')
         UNION ALL SELECT MIN(created_at) + ? FROM key_claims)`,
      recoveryDelayMs,
      recoveryDelayMs,
      FINISHED_RETENTION_MS,
      FINISHED_RETENTION_MS,
    )
    .one().next;
}

/** Logs, counts and backs off alarm work that left reservation `id` unfinished (or threw). */
export function alarmTaskFailed(sql: SqlStorage, at: number, id: string, task: AlarmTask, code: string, error: string, details?: unknown): void {
  const row: Row | undefined = readRow(sql, id);
  const attempt = (row?.alarm_attempts ?? 0) + 1;
  const nextAttemptAt = at + alarmRetryDelayMs(attempt);
  if (row !== undefined) {
    sql.exec("UPDATE reservations SET alarm_attempts = ?, alarm_retry_at = ? WHERE id = ?", attempt, nextAttemptAt, id);
  }
  countFailure(sql, "alarm_task", at, error, id);
  logFailure({
    event: "coordinator.alarm_task_failed",
    reservationId: id,
    task,
    pendingOp: row?.pending_op ?? null,
    status: row?.status ?? null,
    attempt,
    nextAttemptAt,
    code,
    error,
    ...(details === undefined ? {} : { details }),
  });
}

/** Failures of the coordinator's background work (counted, never reset) and what waits for a retry. */
export function coordinatorHealth(sql: SqlStorage, recoveryDelayMs: number): CoordinatorHealth {
  const count = (query: string): number => sql.exec<{ n: number }>(query).one().n;
  return {
    failures: failureCounts(sql),
    pending: count("SELECT COUNT(*) AS n FROM reservations WHERE pending_op IS NOT NULL"),
    retrying: count("SELECT COUNT(*) AS n FROM reservations WHERE alarm_retry_at IS NOT NULL AND (pending_op IS NOT NULL OR status = 'active')"),
    nextDueAt: nextDueAt(sql, recoveryDelayMs),
  };
}
