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
 */
import type { SyncChunkMessage } from "../domain/sync-chunks";
import { markChunksResent, stalledChunks, type StalledChunk } from "../repositories/sync-jobs";
import { failSyncChunk, parseSyncChunk } from "./sync-apply";
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

export interface SweepResult {
  resent: number;
  failed: number;
}

function messageOf(chunk: StalledChunk): SyncChunkMessage | null {
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
  return { resent: resend.length, failed };
}
