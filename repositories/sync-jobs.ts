/**
 * Sync jobs, their chunks and item errors in D1. Every write is idempotent: a job is
 * created once per id (derived from principal + Idempotency-Key), a chunk leaves `queued`
 * once (guarded update), error and review rows are keyed by item / review id, and the
 * job's counters and status are recomputed from its chunks rather than incremented, so a
 * redelivered chunk or a repeated request changes nothing twice.
 */
import { and, asc, desc, eq, exists, gt, gte, isNull, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { QueryBuilder } from "drizzle-orm/sqlite-core";
import { deadLetters, syncJobChunks, syncJobErrors, syncJobs, type SyncJobErrorRow, type SyncJobRow } from "../d1/schema";
import type { SyncItemError } from "../domain/sync-items";
import type { SyncMode } from "../domain/sync";
import { type D1Write, guardedRow, inJson, jsonEach, jsonValue, runBatch } from "./d1-sql";

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
  source: SyncJobRow["source"];
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
 * a chunk leaves `queued`, so `chunks_done` tells whether anything changed.
 */
function recompute(db: D1Database, jobId: string, now: number): D1Write {
  const d = drizzle(db);
  const c = syncJobChunks;
  const j = syncJobs;
  // The aliases differ from every sync_jobs column, so the outer references are unambiguous.
  const t = d
    .select({
      applied: sql<number>`coalesce(sum(${c.applied}), 0)`.as("t_applied"),
      unchanged: sql<number>`coalesce(sum(${c.unchanged}), 0)`.as("t_unchanged"),
      conflicts: sql<number>`coalesce(sum(${c.conflicts}), 0)`.as("t_conflicts"),
      errors: sql<number>`coalesce(sum(${c.errors}), 0)`.as("t_errors"),
      done: sql<number>`count(*) FILTER (WHERE ${c.status} != 'queued')`.as("t_done"),
    })
    .from(c)
    .where(eq(c.jobId, jobId))
    .as("t");
  return d
    .update(j)
    .set({
      applied: sql`${t.applied}`,
      unchanged: sql`${t.unchanged}`,
      conflicts: sql`${t.conflicts}`,
      errors: sql`${j.rejected} + ${t.errors}`,
      chunksDone: sql`${t.done}`,
      status: sql`CASE
        WHEN ${t.done} < ${j.chunksTotal} THEN (CASE WHEN ${t.done} > 0 OR ${j.status} = 'running' THEN 'running' ELSE ${j.status} END)
        WHEN ${j.rejected} + ${t.errors} = 0 THEN 'completed'
        WHEN ${t.applied} + ${t.unchanged} + ${t.conflicts} = 0 THEN 'failed'
        ELSE 'completed_with_errors' END`,
      startedAt: sql`CASE WHEN ${t.done} > 0 THEN coalesce(${j.startedAt}, ${now}) ELSE ${j.startedAt} END`,
      completedAt: sql`CASE WHEN ${t.done} >= ${j.chunksTotal} THEN coalesce(${j.completedAt}, ${now}) ELSE NULL END`,
      updatedAt: now,
    })
    .from(t)
    .where(
      // Only when a chunk finished since (or a job without chunks is new): a repeat writes nothing.
      and(eq(j.id, jobId), sql`(${j.chunksDone} != ${t.done} OR (${j.completedAt} IS NULL AND ${t.done} >= ${j.chunksTotal}))`),
    );
}

/**
 * The condition that a chunk is still `queued`: a chunk's rows are written only by the batch
 * that records it (a concurrent duplicate delivery writes nothing).
 */
export function chunkStillQueued(jobId: string, chunkIndex: number): SQL {
  const c = syncJobChunks;
  return exists(
    new QueryBuilder()
      .select({ one: sql`1` })
      .from(c)
      .where(and(eq(c.jobId, jobId), eq(c.chunkIndex, chunkIndex), eq(c.status, "queued"))),
  );
}

/** Inserts item errors (one statement per ROWS_PER_STATEMENT, rows bound as JSON) where `guard` holds; an item's error is written once. */
function errorInserts(db: D1Database, jobId: string, errors: readonly SyncItemError[], now: number, guard: SQL): D1Write[] {
  const d = drizzle(db);
  const e = syncJobErrors;
  const statements: D1Write[] = [];
  for (let i = 0; i < errors.length; i += ROWS_PER_STATEMENT) {
    const row = {
      jobId,
      itemIndex: jsonValue("itemIndex"),
      row: jsonValue("row"),
      sku: jsonValue("sku"),
      locationId: jsonValue("locationId"),
      quantity: jsonValue("quantity"),
      code: jsonValue("code"),
      message: jsonValue("message"),
      createdAt: now,
    };
    statements.push(
      d
        .insert(e)
        .select(guardedRow(e, row, guard, jsonEach(errors.slice(i, i + ROWS_PER_STATEMENT))))
        .onConflictDoNothing({ target: [e.jobId, e.itemIndex] }),
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
  const d = drizzle(db);
  const j = syncJobs;
  const c = syncJobChunks;
  const statements: D1Write[] = [
    d
      .insert(j)
      .values({
        id: job.id,
        vendorId: job.vendorId,
        principal: job.principal,
        idempotencyKey: job.idempotencyKey,
        requestHash: job.requestHash,
        actor: job.actor,
        mode: job.mode,
        source: job.source,
        status: "queued",
        received: job.received,
        accepted: job.accepted,
        rejected: job.rejected,
        chunksTotal: job.chunks.length,
        createdAt: job.now,
        updatedAt: job.now,
      })
      .onConflictDoNothing(),
  ];
  // Written only when the job row is this request's (not a racing request's with another body).
  const mine = exists(
    d
      .select({ one: sql`1` })
      .from(j)
      .where(and(eq(j.id, job.id), eq(j.requestHash, job.requestHash), eq(j.createdAt, job.now))),
  );
  for (const group of groupsBySize(job.chunks, (chunk) => chunk.payload.length)) {
    const row = {
      jobId: job.id,
      chunkIndex: jsonValue("chunkIndex"),
      itemCount: jsonValue("itemCount"),
      status: "queued",
      payload: jsonValue("payload"),
    } as const;
    statements.push(
      d
        .insert(c)
        .select(guardedRow(c, row, mine, jsonEach(group)))
        .onConflictDoNothing({ target: [c.jobId, c.chunkIndex] }),
    );
  }
  statements.push(...errorInserts(db, job.id, rejected, job.now, mine));
  // A job with nothing to queue (every item rejected) is finished at once.
  if (job.chunks.length === 0) statements.push(recompute(db, job.id, job.now));
  await runBatch(db, statements);
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
  const c = syncJobChunks;
  await drizzle(db)
    .update(c)
    .set({ enqueuedAt: now, sends: sql`${c.sends} + 1` })
    .where(and(eq(c.jobId, jobId), inJson(c.chunkIndex, chunkIndexes), isNull(c.enqueuedAt)))
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
  const c = syncJobChunks;
  const j = syncJobs;
  const lastSent = sql`coalesce(${c.enqueuedAt}, ${j.createdAt})`;
  return drizzle(db)
    .select({ jobId: c.jobId, chunkIndex: c.chunkIndex, itemCount: c.itemCount, payload: c.payload, sends: c.sends })
    .from(c)
    .innerJoin(j, eq(j.id, c.jobId))
    .where(and(eq(c.status, "queued"), sql`${lastSent} < ${sentBefore}`))
    .orderBy(lastSent, asc(c.jobId), asc(c.chunkIndex))
    .limit(limit)
    .all();
}

/** Marks chunks as sent again (a re-drive), if they are still queued. */
export async function markChunksResent(db: D1Database, chunks: readonly { jobId: string; chunkIndex: number }[], now: number): Promise<void> {
  if (chunks.length === 0) return;
  const c = syncJobChunks;
  const pairs = JSON.stringify(chunks.map((chunk) => ({ jobId: chunk.jobId, chunkIndex: chunk.chunkIndex })));
  await drizzle(db)
    .update(c)
    .set({ enqueuedAt: now, sends: sql`${c.sends} + 1` })
    .where(
      and(eq(c.status, "queued"), sql`(${c.jobId}, ${c.chunkIndex}) IN (SELECT ${jsonValue("jobId")}, ${jsonValue("chunkIndex")} FROM json_each(${pairs}))`),
    )
    .run();
}

/** A chunk's status and its job's vendor, or null when either is unknown. */
export async function chunkState(
  db: D1Database,
  jobId: string,
  chunkIndex: number,
): Promise<{ status: "queued" | "done" | "failed"; vendorId: string; jobStatus: string } | null> {
  const c = syncJobChunks;
  const j = syncJobs;
  const row = await drizzle(db)
    .select({ status: c.status, vendorId: j.vendorId, jobStatus: j.status })
    .from(c)
    .innerJoin(j, eq(j.id, c.jobId))
    .where(and(eq(c.jobId, jobId), eq(c.chunkIndex, chunkIndex)))
    .get();
  return row ?? null;
}

/** Marks a job running (its first chunk started). */
export async function markJobRunning(db: D1Database, jobId: string, now: number): Promise<void> {
  const j = syncJobs;
  await drizzle(db)
    .update(j)
    .set({ status: "running", startedAt: sql`coalesce(${j.startedAt}, ${now})`, updatedAt: now })
    .where(and(eq(j.id, jobId), eq(j.status, "queued")))
    .run();
}

/** A chunk's recorded outcome. */
export interface ChunkRecord {
  jobId: string;
  chunkIndex: number;
  counts: { applied: number; unchanged: number; conflicts: number; errors: number };
  errors: SyncItemError[];
  /** Extra statements for the same batch, before the chunk is marked (review rows), each guarded by `chunkStillQueued`. */
  extra: D1Write[];
  /**
   * The events the chunk sent for its objects (`handOffEvents`) and when the sweeper checks
   * that they were applied; the chunk keeps its payload until then. None: nothing to check.
   */
  handedOff?: { events: readonly HandedOffEvent[]; checkAt: number };
}

/** An event a chunk sent for one of its SKU objects. */
export interface HandedOffEvent {
  sku: string;
  id: string;
}

/**
 * Records a chunk's outcome in one batch: its item errors and extra rows, the chunk row
 * (only if it is still `queued`: a redelivered chunk changes nothing) and the job's
 * recomputed counters and status.
 */
export async function recordChunk(db: D1Database, record: ChunkRecord, now: number): Promise<void> {
  const { applied, unchanged, conflicts, errors } = record.counts;
  const c = syncJobChunks;
  const check =
    record.handedOff !== undefined && record.handedOff.events.length > 0
      ? { eventIds: JSON.stringify(record.handedOff.events), eventsCheckAt: record.handedOff.checkAt }
      : { payload: null };
  await runBatch(db, [
    ...errorInserts(db, record.jobId, record.errors, now, chunkStillQueued(record.jobId, record.chunkIndex)),
    ...record.extra,
    drizzle(db)
      .update(c)
      .set({ status: "done", applied, unchanged, conflicts, errors, finishedAt: now, ...check })
      .where(and(eq(c.jobId, record.jobId), eq(c.chunkIndex, record.chunkIndex), eq(c.status, "queued"))),
    recompute(db, record.jobId, now),
  ]);
}

/** A recorded chunk whose handed-off events are due for the sweeper's check. */
export interface ChunkEventCheck {
  jobId: string;
  chunkIndex: number;
  events: HandedOffEvent[];
  payload: string | null;
  checks: number;
  finishedAt: number;
}

/** Chunks whose handed-off events are due for a check at `now`, earliest first. */
export async function chunkEventChecksDue(db: D1Database, now: number, limit: number): Promise<ChunkEventCheck[]> {
  const c = syncJobChunks;
  const rows = await drizzle(db)
    .select({ jobId: c.jobId, chunkIndex: c.chunkIndex, eventIds: c.eventIds, payload: c.payload, checks: c.eventChecks, finishedAt: c.finishedAt })
    .from(c)
    .where(sql`${c.eventsCheckAt} IS NOT NULL AND ${c.eventsCheckAt} <= ${now}`)
    .orderBy(asc(c.eventsCheckAt))
    .limit(limit)
    .all();
  return rows.map((r) => ({
    jobId: r.jobId,
    chunkIndex: r.chunkIndex,
    events: r.eventIds === null ? [] : (JSON.parse(r.eventIds) as HandedOffEvent[]),
    payload: r.payload,
    checks: r.checks,
    finishedAt: r.finishedAt ?? 0,
  }));
}

/**
 * After a check: `next` null — every event applied (or given up on): the chunk drops its
 * event list and payload; else the events `missing` are checked again at `next`, and
 * `counted` says whether this check counts as one that found them missing.
 */
export async function chunkEventsChecked(
  db: D1Database,
  chunk: { jobId: string; chunkIndex: number },
  outcome: { next: null } | { next: number; missing: readonly HandedOffEvent[]; counted: boolean },
): Promise<void> {
  const c = syncJobChunks;
  await drizzle(db)
    .update(c)
    .set(
      outcome.next === null
        ? { eventIds: null, eventsCheckAt: null, payload: null }
        : {
            eventIds: JSON.stringify(outcome.missing),
            eventsCheckAt: outcome.next,
            eventChecks: outcome.counted ? sql`${c.eventChecks} + 1` : sql`${c.eventChecks}`,
          },
    )
    .where(and(eq(c.jobId, chunk.jobId), eq(c.chunkIndex, chunk.chunkIndex)))
    .run();
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
  const c = syncJobChunks;
  await runBatch(db, [
    // Only for a chunk that is still queued: a chunk recorded after all is left as it is.
    ...errorInserts(db, jobId, errors, now, chunkStillQueued(jobId, chunkIndex)),
    drizzle(db)
      .update(c)
      .set({
        status: "failed",
        applied: 0,
        unchanged: 0,
        conflicts: 0,
        errors: sql`${c.itemCount}`,
        finishedAt: now,
        error: reason.slice(0, 2000),
        payload: null,
      })
      .where(and(eq(c.jobId, jobId), eq(c.chunkIndex, chunkIndex), eq(c.status, "queued"))),
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
  const row = await drizzle(db)
    .select({ error: deadLetters.error })
    .from(deadLetters)
    .where(and(eq(deadLetters.queue, queue), eq(deadLetters.messageId, messageId)))
    .get();
  return row?.error ?? null;
}

/** Filters of the job list (`GET /api/v2/sync`). */
export interface SyncJobFilter {
  vendorId?: string | undefined;
  status?: SyncJobRow["status"] | undefined;
  /** Created at or after, ms. */
  since?: number | undefined;
  /** The last row of the previous page: (createdAt, id). */
  after?: readonly [number, string] | undefined;
  limit: number;
}

/** Jobs newest first (createdAt, then id, descending), after the keyset position `after`. */
export async function listSyncJobs(db: D1Database, f: SyncJobFilter): Promise<SyncJobRow[]> {
  const j = syncJobs;
  const conditions: SQL[] = [];
  if (f.vendorId !== undefined) conditions.push(eq(j.vendorId, f.vendorId));
  if (f.status !== undefined) conditions.push(eq(j.status, f.status));
  if (f.since !== undefined) conditions.push(gte(j.createdAt, f.since));
  if (f.after !== undefined) conditions.push(sql`(${j.createdAt}, ${j.id}) < (${f.after[0]}, ${f.after[1]})`);
  return drizzle(db)
    .select()
    .from(j)
    .where(and(...conditions))
    .orderBy(desc(j.createdAt), desc(j.id))
    .limit(f.limit)
    .all();
}
