/**
 * SYNC dead-letter consumer: records the chunk for operators (`dead_letters`, with the
 * last error the SYNC consumer saw) and fails its items (`chunk_failed`), so that its job
 * finishes as `completed_with_errors` (or `failed`) instead of waiting for ever.
 */
import { findDeadLetterError } from "../repositories/sync-jobs";
import { failSyncChunk } from "../services/sync-apply";
import { recordDeadLetters } from "./dead-letter";
import { QUEUES } from "./queue-names";

/** Records each dead-lettered chunk, fails its items, and acks it. */
export async function consumeSyncDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await recordDeadLetters(batch, env, QUEUES.sync, async (message) => {
    const error = await findDeadLetterError(env.DB, QUEUES.sync.name, message.id);
    await failSyncChunk(env, message.body, `dead-lettered after ${QUEUES.sync.maxAttempts} attempts: ${error ?? "last error unknown"}`);
  });
}
