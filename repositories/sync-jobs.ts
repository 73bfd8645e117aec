/**
 * Sync jobs, their chunks and item errors in D1. Every write is idempotent: a job is
 * created once per id (derived from principal + Idempotency-Key), a chunk leaves `queued`
 * once (guarded update), error and review rows are keyed by item / review id, and the
 * job's counters and status are recomputed from its chunks rather than incremented, so a
 * redelivered chunk or a repeated request changes nothing twice.
 */
import { and, asc, eq, gt, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { syncJobChunks, syncJobErrors, syncJobs, type SyncJobErrorRow, type SyncJobRow } from "../d1/schema";
import type { SyncItemError } from "../domain/sync-items";
import type { SyncMode } from "../domain/sync";

/** Rows per JSON-bound statement: one bound parameter carries them all (an error row is under ~1 KB, D1 takes 2 MB per value). */
const ROWS_PER_STATEMENT = 500;

export interface NewSyncJob {
  id: string;
  vendorId: string;
  principal: string;
  idempotencyKey: string;
  requestHash: string;
  actor: string;
  mode: SyncMode;
  source: "json" | "csv";
  received: number;
  accepted: number;
  rejected: number;
  /** Each chunk with its SYNC message (JSON), kept until the chunk is recorded so a lost message can be sent again. */
  chunks: { chunkIndex: number; itemCount: number; payload: string }[];
  now: number;
}

/** D1 takes at most 2 MB per bound value: chunk rows go to the database in groups well under it. */
const MAX_JSON_BYTES_PER_STATEMENT = 1_500_000;

/** Splits rows into groups whose JSON stays under MAX_JSON_BYTES_PER_STATEMENT (and ROWS_PER_STATEMENT rows). */
function groupsBySize<T>(rows: readonly T[], sizeOf: (row: T) => number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = sizeOf(row) + 64;
    if (current.length > 0 && (bytes + size > MAX_JSON_BYTES_PER_STATEMENT || current.length >= ROWS_PER_STATEMENT)) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * Recomputes a job's counters from its chunks (plus its up-front rejections) and moves its
 * status: `running` while a chunk is unrecorded, else the final status of
 * `domain/sync-jobs.ts` `finishedStatus` (same rule, in SQL). Chunk rows change only when
 * a chunk leaves `queued`, so `chunks_done` tells whether anything changed. ?1 job id, ?2 now.
 */
const RECOMPUTE_JOB = `
  UPDATE sync_jobs SET
    applied = t.applied, unchanged = t.unchanged, conflicts = t.conflicts,
    errors = sync_jobs.rejected + t.errors, chunks_done = t.done,
    status = CASE
      WHEN t.done < sync_jobs.chunks_total THEN (CASE WHEN t.done > 0 OR sync_jobs.status = 'running' THEN 'running' ELSE sync_jobs.status END)
      WHEN sync_jobs.rejected + t.errors = 0 THEN 'completed'
      WHEN t.applied + t.unchanged + t.conflicts = 0 THEN 'failed'
      ELSE 'completed_with_errors' END,
    started_at = CASE WHEN t.done > 0 THEN coalesce(sync_jobs.started_at, ?2) ELSE sync_jobs.started_at END,
    completed_at = CASE WHEN t.done >= sync_jobs.chunks_total THEN coalesce(sync_jobs.completed_at, ?2) ELSE NULL END,
    updated_at = ?2
  FROM (
    SELECT coalesce(sum(applied), 0) AS applied, coalesce(sum(unchanged), 0) AS unchanged,
           coalesce(sum(conflicts), 0) AS conflicts, coalesce(sum(errors), 0) AS errors,
           count(*) FILTER (WHERE status != 'queued') AS done
    FROM sync_job_chunks WHERE job_id = ?1
  ) AS t
  -- Only when a chunk finished since (or a job without chunks is new): a repeat writes nothing.
  WHERE sync_jobs.id = ?1 AND (sync_jobs.chunks_done != t.done OR (sync_jobs.completed_at IS NULL AND t.done >= sync_jobs.chunks_total))`;

function recompute(db: D1Database, jobId: string, now: number): D1PreparedStatement {
  return db.prepare(RECOMPUTE_JOB).bind(jobId, now);
}

/**
 * The condition that a chunk is still `queued`, for statements whose parameters ?1 and ?4
 * are the job id and chunk index: a chunk's rows are written only by the batch that
 * records it (a concurrent duplicate delivery writes nothing).
 */
export const CHUNK_STILL_QUEUED = "EXISTS (SELECT 1 FROM sync_job_chunks WHERE job_id = ?1 AND chunk_index = ?4 AND status = 'queued')";

/** Inserts a chunk's item errors while the chunk is still queued. */
function errorStatements(db: D1Database, jobId: string, chunkIndex: number, errors: readonly SyncItemError[], now: number): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < errors.length; i += ROWS_PER_STATEMENT) {
    statements.push(
      db
        .prepare(
          `INSERT INTO sync_job_errors (job_id, item_index, row, sku, location_id, quantity, code, message, created_at)
           SELECT ?1, value ->> 'itemIndex', value ->> 'row', value ->> 'sku', value ->> 'locationId', value ->> 'quantity',
                  value ->> 'code', value ->> 'message', ?3
           FROM json_each(?2) WHERE ${CHUNK_STILL_QUEUED}
           ON CONFLICT (job_id, item_index) DO NOTHING`,
        )
        .bind(jobId, JSON.stringify(errors.slice(i, i + ROWS_PER_STATEMENT)), now, chunkIndex),
    );
  }
  return statements;
}

/**
 * Creates a job with its chunks and up-front errors in one batch, unless a job with this
 * id exists already (then nothing is written: chunks and errors are inserted only under a
 * job with the same request hash). Returns the job as stored.
 */
export async function createSyncJob(db: D1Database, job: NewSyncJob, rejected: readonly SyncItemError[]): Promise<SyncJobRow> {
  const statements: D1PreparedStatement[] = [
    db
      .prepare(
        `INSERT INTO sync_jobs (id, vendor_id, principal, idempotency_key, request_hash, actor, mode, source, status,
           received, accepted, rejected, chunks_total, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued', ?9, ?10, ?11, ?12, ?13, ?13)
         ON CONFLICT DO NOTHING`,
      )
      .bind(
        job.id,
        job.vendorId,
        job.principal,
        job.idempotencyKey,
        job.requestHash,
        job.actor,
        job.mode,
        job.source,
        job.received,
        job.accepted,
        job.rejected,
        job.chunks.length,
        job.now,
      ),
  ];
  // Written only when the job row is this request's (not a racing request's with another body).
  const mine = `EXISTS (SELECT 1 FROM sync_jobs WHERE id = ?1 AND request_hash = ?3 AND created_at = ?4)`;
  for (const group of groupsBySize(job.chunks, (c) => c.payload.length)) {
    statements.push(
      db
        .prepare(
          `INSERT INTO sync_job_chunks (job_id, chunk_index, item_count, status, payload)
           SELECT ?1, value ->> 'chunkIndex', value ->> 'itemCount', 'queued', value ->> 'payload' FROM json_each(?2) WHERE ${mine}
           ON CONFLICT (job_id, chunk_index) DO NOTHING`,
        )
        .bind(job.id, JSON.stringify(group), job.requestHash, job.now),
    );
  }
  for (let i = 0; i < rejected.length; i += ROWS_PER_STATEMENT) {
    statements.push(
      db
        .prepare(
          `INSERT INTO sync_job_errors (job_id, item_index, row, sku, location_id, quantity, code, message, created_at)
           SELECT ?1, value ->> 'itemIndex', value ->> 'row', value ->> 'sku', value ->> 'locationId', value ->> 'quantity',
                  value ->> 'code', value ->> 'message', ?4
           FROM json_each(?2) WHERE ${mine}
           ON CONFLICT (job_id, item_index) DO NOTHING`,
        )
        .bind(job.id, JSON.stringify(rejected.slice(i, i + ROWS_PER_STATEMENT)), job.requestHash, job.now),
    );
  }
  // A job with nothing to queue (every item rejected) is finished at once.
  if (job.chunks.length === 0) statements.push(recompute(db, job.id, job.now));
  await db.batch(statements);
  return (await findSyncJob(db, job.id))!;
}

/** A job by id. */
export async function findSyncJob(db: D1Database, id: string): Promise<SyncJobRow | undefined> {
  return drizzle(db).select().from(syncJobs).where(eq(syncJobs.id, id)).get();
}

/** Chunks of a job whose message has not been sent yet, in order, with their stored message (null for rows from before payloads were kept). */
export async function unsentChunks(db: D1Database, jobId: string): Promise<{ chunkIndex: number; payload: string | null }[]> {
  return drizzle(db)
    .select({ chunkIndex: syncJobChunks.chunkIndex, payload: syncJobChunks.payload })
    .from(syncJobChunks)
    .where(and(eq(syncJobChunks.jobId, jobId), isNull(syncJobChunks.enqueuedAt)))
    .orderBy(asc(syncJobChunks.chunkIndex))
    .all();
}

/** Marks chunks as sent to SYNC for the first time. */
export async function markChunksEnqueued(db: D1Database, jobId: string, chunkIndexes: readonly number[], now: number): Promise<void> {
  if (chunkIndexes.length === 0) return;
  await db
    .prepare(
      `UPDATE sync_job_chunks SET enqueued_at = ?3, sends = sends + 1
       WHERE job_id = ?1 AND chunk_index IN (SELECT value FROM json_each(?2)) AND enqueued_at IS NULL`,
    )
    .bind(jobId, JSON.stringify(chunkIndexes), now)
    .run();
}

/** A queued chunk whose message may have been lost (see `stalledChunks`). */
export interface StalledChunk {
  jobId: string;
  chunkIndex: number;
  itemCount: number;
  payload: string | null;
  sends: number;
}

/**
 * Queued chunks with no outcome although their message was last sent before `sentBefore`
 * (or never sent, by a request that died, and their job is older than that), oldest first.
 */
export async function stalledChunks(db: D1Database, sentBefore: number, limit: number): Promise<StalledChunk[]> {
  const { results } = await db
    .prepare(
      `SELECT c.job_id, c.chunk_index, c.item_count, c.payload, c.sends FROM sync_job_chunks c JOIN sync_jobs j ON j.id = c.job_id
       WHERE c.status = 'queued' AND coalesce(c.enqueued_at, j.created_at) < ?1
       ORDER BY coalesce(c.enqueued_at, j.created_at), c.job_id, c.chunk_index LIMIT ?2`,
    )
    .bind(sentBefore, limit)
    .all<{ job_id: string; chunk_index: number; item_count: number; payload: string | null; sends: number }>();
  return results.map((r) => ({ jobId: r.job_id, chunkIndex: r.chunk_index, itemCount: r.item_count, payload: r.payload, sends: r.sends }));
}

/** Marks chunks as sent again (a re-drive), if they are still queued. */
export async function markChunksResent(db: D1Database, chunks: readonly { jobId: string; chunkIndex: number }[], now: number): Promise<void> {
  if (chunks.length === 0) return;
  await db
    .prepare(
      `UPDATE sync_job_chunks SET enqueued_at = ?2, sends = sends + 1
       WHERE status = 'queued' AND (job_id, chunk_index) IN (SELECT value ->> 'jobId', value ->> 'chunkIndex' FROM json_each(?1))`,
    )
    .bind(JSON.stringify(chunks.map((c) => ({ jobId: c.jobId, chunkIndex: c.chunkIndex }))), now)
    .run();
}

/** A chunk's status and its job's vendor, or null when either is unknown. */
export async function chunkState(
  db: D1Database,
  jobId: string,
  chunkIndex: number,
): Promise<{ status: "queued" | "done" | "failed"; vendorId: string; jobStatus: string } | null> {
  const row = await db
    .prepare(
      `SELECT c.status, j.vendor_id, j.status AS job_status FROM sync_job_chunks c JOIN sync_jobs j ON j.id = c.job_id
       WHERE c.job_id = ?1 AND c.chunk_index = ?2`,
    )
    .bind(jobId, chunkIndex)
    .first<{ status: "queued" | "done" | "failed"; vendor_id: string; job_status: string }>();
  return row === null ? null : { status: row.status, vendorId: row.vendor_id, jobStatus: row.job_status };
}

/** Marks a job running (its first chunk started). */
export async function markJobRunning(db: D1Database, jobId: string, now: number): Promise<void> {
  await db
    .prepare("UPDATE sync_jobs SET status = 'running', started_at = coalesce(started_at, ?2), updated_at = ?2 WHERE id = ?1 AND status = 'queued'")
    .bind(jobId, now)
    .run();
}

/** A chunk's recorded outcome. */
export interface ChunkRecord {
  jobId: string;
  chunkIndex: number;
  counts: { applied: number; unchanged: number; conflicts: number; errors: number };
  errors: SyncItemError[];
  /** Extra statements for the same batch, before the chunk is marked (review rows), each guarded by CHUNK_STILL_QUEUED. */
  extra: D1PreparedStatement[];
}

/**
 * Records a chunk's outcome in one batch: its item errors and extra rows, the chunk row
 * (only if it is still `queued`: a redelivered chunk changes nothing) and the job's
 * recomputed counters and status.
 */
export async function recordChunk(db: D1Database, record: ChunkRecord, now: number): Promise<void> {
  const { applied, unchanged, conflicts, errors } = record.counts;
  await db.batch([
    ...errorStatements(db, record.jobId, record.chunkIndex, record.errors, now),
    ...record.extra,
    db
      .prepare(
        `UPDATE sync_job_chunks SET status = 'done', applied = ?3, unchanged = ?4, conflicts = ?5, errors = ?6, finished_at = ?7, payload = NULL
         WHERE job_id = ?1 AND chunk_index = ?2 AND status = 'queued'`,
      )
      .bind(record.jobId, record.chunkIndex, applied, unchanged, conflicts, errors, now),
    recompute(db, record.jobId, now),
  ]);
}

/**
 * Fails a chunk that was dead-lettered or lost on every send: its items (when known) become `chunk_failed`
 * errors and the chunk counts all of them as errors, so its job can finish.
 */
export async function failChunk(
  db: D1Database,
  jobId: string,
  chunkIndex: number,
  errors: readonly SyncItemError[],
  reason: string,
  now: number,
): Promise<void> {
  await db.batch([
    // Only for a chunk that is still queued: a chunk recorded after all is left as it is.
    ...errorStatements(db, jobId, chunkIndex, errors, now),
    db
      .prepare(
        `UPDATE sync_job_chunks SET status = 'failed', applied = 0, unchanged = 0, conflicts = 0, errors = item_count,
           finished_at = ?3, error = ?4, payload = NULL
         WHERE job_id = ?1 AND chunk_index = ?2 AND status = 'queued'`,
      )
      .bind(jobId, chunkIndex, now, reason.slice(0, 2000)),
    recompute(db, jobId, now),
  ]);
}

/** A page of a job's item errors in item order, after `afterItemIndex`. */
export async function listSyncErrors(db: D1Database, jobId: string, afterItemIndex: number | undefined, limit: number): Promise<SyncJobErrorRow[]> {
  return drizzle(db)
    .select()
    .from(syncJobErrors)
    .where(afterItemIndex === undefined ? eq(syncJobErrors.jobId, jobId) : and(eq(syncJobErrors.jobId, jobId), gt(syncJobErrors.itemIndex, afterItemIndex)))
    .orderBy(asc(syncJobErrors.itemIndex))
    .limit(limit)
    .all();
}

/** The last error recorded for a message that was dead-lettered from `queue`, if any. */
export async function findDeadLetterError(db: D1Database, queue: string, messageId: string): Promise<string | null> {
  const row = await db.prepare("SELECT error FROM dead_letters WHERE queue = ?1 AND message_id = ?2").bind(queue, messageId).first<{ error: string | null }>();
  return row?.error ?? null;
}
