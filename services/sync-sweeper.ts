/**
 * The sync sweeper (run by the cron): every sync job finishes, even when the queue lost a
 * chunk's message. Local queues live in memory, so a crash of the runtime loses what was
 * queued; in production a message can be lost too. A chunk still `queued` with no outcome
 * `SYNC_SWEEP.stalledAfterMs` after its message was last sent is sent again from the message
 * stored with it (chunks are idempotent: the objects replay their outcomes and D1 records a
 * chunk once). After `SYNC_SWEEP.maxSends` sends without an outcome its items fail with
 * `chunk_failed` and a reason, so the job completes and `sync.completed` goes out.
 *
 * The bound: a lost chunk is re-sent within stalledAfterMs + one cron interval, and a job
 * whose chunks keep getting lost finishes within maxSends × (stalledAfterMs + interval).
 *
 * It also checks the events a recorded chunk sent for its SKU objects (`handOffEvents`): a
 * minute after the chunk was recorded, and then every minute while some are missing, it asks
 * D1 which the EVENTS consumer applied (one query per chunk, instead of a wake of every
 * object a minute after its change). Those still missing LOST_AFTER_MS after the chunk was
 * recorded are lost (the queue lost them, or the chunk stopped before sending): the chunk's
 * objects are replayed from its payload and hand them over again, and they are sent again,
 * checking after 1, 2, 4 … up to 60 min, at most EVENT_CHECK.maxResends times (each object's
 * own check of them, a day after the change, remains the last net). Once all are applied the
 * chunk drops its event list and payload.
 */
import type { SyncChunkMessage } from "../domain/sync-chunks";
import { CONFIRM_AFTER_MS, confirmDelayMs, LOST_AFTER_MS } from "../durable-objects/sku-inventory/outbox";
import { appliedEventIdsOf } from "../repositories/event-projections";
import { type ChunkEventCheck, chunkEventChecksDue, chunkEventsChecked, markChunksResent, stalledChunks } from "../repositories/sync-jobs";
import { failSyncChunk, parseSyncChunk, resendHandedOffEvents } from "./sync-apply";
import { sendChunkMessages } from "./sync-send";

export const SYNC_SWEEP = {
  /**
   * A chunk's three delivery attempts (2 and 4 s apart) and its dead-letter delivery take
   * well under a minute; ten minutes leaves room for a queue backlog before a chunk is
   * thought lost. Sending one that was only slow costs a duplicate delivery, nothing more.
   */
  stalledAfterMs: 10 * 60_000,
  /** The first send and three re-drives. */
  maxSends: 4,
  /** Chunks looked at per run; the rest wait for the next run (oldest first). */
  batchLimit: 500,
} as const;

/** The check of the events recorded chunks sent for their objects (see the module comment). */
export const EVENT_CHECK = {
  /** While some are missing but may only be behind in the queue, checked again this often. */
  recheckMs: CONFIRM_AFTER_MS,
  /** Missing this long after the chunk was recorded: lost, and sent again. */
  lostAfterMs: LOST_AFTER_MS,
  /** Resends before the chunk leaves them to the objects' own check. */
  maxResends: 5,
  /** Chunks checked per run; the rest wait for the next run (earliest due first). */
  batchLimit: 200,
} as const;

export interface SweepResult {
  resent: number;
  failed: number;
  /** Chunks whose handed-off events were checked, and events sent again. */
  eventChecks: number;
  eventsResent: number;
}

function messageOf(chunk: { payload: string | null }): SyncChunkMessage | null {
  if (chunk.payload === null) return null;
  try {
    return parseSyncChunk(JSON.parse(chunk.payload));
  } catch {
    return null;
  }
}

/** Re-sends or fails the chunks that have waited too long for an outcome, as of `now`. */
export async function sweepSyncChunks(env: Env, now: number): Promise<SweepResult> {
  const stalled = await stalledChunks(env.DB, now - SYNC_SWEEP.stalledAfterMs, SYNC_SWEEP.batchLimit);
  const resend: SyncChunkMessage[] = [];
  let failed = 0;
  for (const chunk of stalled) {
    const message = messageOf(chunk);
    if (message !== null && chunk.sends < SYNC_SWEEP.maxSends) {
      resend.push(message);
      continue;
    }
    const reason =
      message === null
        ? "lost: the chunk's message was never recorded, so it cannot be sent again"
        : `lost: no outcome after ${chunk.sends} sends, ${SYNC_SWEEP.stalledAfterMs / 60_000} min apart`;
    await failSyncChunk(
      env,
      message ?? { jobId: chunk.jobId, chunkIndex: chunk.chunkIndex },
      reason,
      now,
      "this item's chunk never got an outcome (its queue message was lost every time it was sent), so its outcome is unknown; send it again",
    );
    failed++;
  }
  await sendChunkMessages(env, resend, (group) => markChunksResent(env.DB, group, now));
  if (resend.length > 0 || failed > 0) {
    console.log(JSON.stringify({ event: "sync.sweep", resent: resend.length, failed, chunks: stalled.map((c) => `${c.jobId}#${c.chunkIndex}`).slice(0, 20) }));
  }
  const events = await checkChunkEvents(env, now);
  return { resent: resend.length, failed, eventChecks: events.checked, eventsResent: events.resent };
}

/** Checks the handed-off events of the recorded chunks due, as of `now` (see the module comment). */
export async function checkChunkEvents(env: Env, now: number): Promise<{ checked: number; resent: number }> {
  const due = await chunkEventChecksDue(env.DB, now, EVENT_CHECK.batchLimit);
  let resent = 0;
  for (const chunk of due) resent += await checkChunk(env, chunk, now);
  return { checked: due.length, resent };
}

/** One chunk's check; returns how many events it sent again. */
async function checkChunk(env: Env, chunk: ChunkEventCheck, now: number): Promise<number> {
  const applied = await appliedEventIdsOf(env, chunk.events);
  const missing = chunk.events.filter((e) => !applied.has(e.id));
  const ref = { jobId: chunk.jobId, chunkIndex: chunk.chunkIndex };
  if (missing.length === 0) {
    await chunkEventsChecked(env.DB, ref, { next: null });
    return 0;
  }
  // Not lost yet: the consumer may only be behind, and a resend would double a backed-up queue's load.
  if (now - chunk.finishedAt < EVENT_CHECK.lostAfterMs) {
    await chunkEventsChecked(env.DB, ref, { next: now + EVENT_CHECK.recheckMs, missing, counted: false });
    return 0;
  }
  const message = messageOf(chunk);
  if (message === null || chunk.checks >= EVENT_CHECK.maxResends) {
    console.warn(
      JSON.stringify({ event: "sync.events_unconfirmed", jobId: chunk.jobId, chunkIndex: chunk.chunkIndex, missing: missing.length, resends: chunk.checks }),
    );
    await chunkEventsChecked(env.DB, ref, { next: null });
    return 0;
  }
  let sent = 0;
  try {
    sent = await resendHandedOffEvents(env, message, missing);
    console.warn(JSON.stringify({ event: "sync.events_resent", jobId: chunk.jobId, chunkIndex: chunk.chunkIndex, missing: missing.length, sent }));
  } catch (error) {
    console.error(JSON.stringify({ event: "sync.events_resend_failed", jobId: chunk.jobId, chunkIndex: chunk.chunkIndex, error: String(error) }));
  }
  await chunkEventsChecked(env.DB, ref, { next: now + confirmDelayMs(chunk.checks + 1), missing, counted: true });
  return sent;
}
