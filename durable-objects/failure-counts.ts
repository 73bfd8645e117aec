/**
 * Failures of background work are never silent: an expiry or an outbox send that fails in
 * a SKU object's alarm, a SKU call of the coordinator's fan-out that rejects, an alarm task
 * of the coordinator that leaves its reservation unfinished. Each is logged with its cause
 * (one JSON line on `console.error`, like every other log of the Worker), the failed row
 * backs off (its attempt count and next-attempt time are stored on the row: exponential,
 * capped, so the alarm is never re-armed in the past for it), and a per-object counter in
 * the `failure_counts` table grows, which operators read through the object's `health()`
 * (and, for a SKU, its audit endpoint). Shared by both objects.
 */

/** First retry delay after a failed piece of alarm work (ms); doubles per attempt. */
export const ALARM_RETRY_BASE_MS = 1000;
/** Longest retry delay (ms). */
export const ALARM_RETRY_CAP_MS = 5 * 60 * 1000;

/** Delay before the next attempt after the `attempts`-th failure (1 for the first): 1 s doubling to 5 min. */
export function alarmRetryDelayMs(attempts: number): number {
  return Math.min(ALARM_RETRY_BASE_MS * 2 ** Math.min(Math.max(0, attempts - 1), 30), ALARM_RETRY_CAP_MS);
}

/** The counter table, created by a migration of each object that uses it. */
export const FAILURE_COUNTS_TABLE = `CREATE TABLE failure_counts (
  kind TEXT PRIMARY KEY,
  count INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  last_ref TEXT
)`;

/** How often one kind of background work has failed in this object (never reset), and the latest failure. */
export interface FailureCount {
  /** `expiry`, `outbox_send`, `event_lost`, `event_confirm` (SKU object); `sku_call`, `alarm_task` (coordinator). */
  kind: string;
  count: number;
  lastAt: number;
  lastError: string;
  /** What failed last: a reservation id, an event sequence range. */
  lastRef: string | null;
}

/** Adds one failure of `kind` to the object's counter. */
export function countFailure(sql: SqlStorage, kind: string, at: number, error: string, ref: string | null): void {
  sql.exec(
    `INSERT INTO failure_counts (kind, count, last_at, last_error, last_ref) VALUES (?, 1, ?, ?, ?)
     ON CONFLICT (kind) DO UPDATE SET count = count + 1, last_at = excluded.last_at, last_error = excluded.last_error,
       last_ref = excluded.last_ref`,
    kind,
    at,
    error.slice(0, 1000),
    ref,
  );
}

/** Every counter of the object, by kind. */
export function failureCounts(sql: SqlStorage): FailureCount[] {
  return sql
    .exec<{ kind: string; count: number; last_at: number; last_error: string; last_ref: string | null }>(
      "SELECT kind, count, last_at, last_error, last_ref FROM failure_counts ORDER BY kind",
    )
    .toArray()
    .map((r) => ({ kind: r.kind, count: r.count, lastAt: r.last_at, lastError: r.last_error, lastRef: r.last_ref }));
}

/** The cause of a failure, for a log line and the counter: a thrown error's message, or a failure value's code and message. */
export function causeOf(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  if (typeof error === "object" && error !== null && "code" in error && "message" in error) {
    return `${String(error.code)}: ${String(error.message)}`;
  }
  return String(error);
}

/** Writes one structured error log line. */
export function logFailure(fields: { event: string } & Record<string, unknown>): void {
  console.error(JSON.stringify(fields));
}
