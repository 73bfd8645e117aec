/**
 * SYNC dead-letter consumer: records the chunk for operators (`dead_letters`, with the
 * last error the SYNC consumer saw) and fails its items (`chunk_failed`), so that its job
 * finishes as `completed_with_errors` (or `failed`) instead of waiting for ever. Each SYNC
 * partition has its own dead-letter queue, so the record names the partition's queue (the one
 * the consumer recorded the last error under, and the one listed by the dead-letter API).
 */
import { findDeadLetterError } from "../repositories/sync-jobs";
import { failSyncChunk } from "../services/sync-apply";
import { recordDeadLetters } from "./dead-letter";
import { syncPartitionDeadLettering } from "./queue-names";

/** Records each dead-lettered chunk, fails its items, and acks it; a batch from a queue that is no partition's DLQ is retried. */
export async function consumeSyncDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const partition = syncPartitionDeadLettering(batch.queue);
  if (partition === undefined) {
    console.error(JSON.stringify({ event: "queue.unknown", queue: batch.queue, messages: batch.messages.length }));
    batch.retryAll();
    return;
  }
  await recordDeadLetters(batch, env, partition, async (message) => {
    const error = await findDeadLetterError(env.DB, partition.name, message.id);
    await failSyncChunk(env, message.body, `dead-lettered after ${partition.maxAttempts} attempts: ${error ?? "last error unknown"}`);
  });
}
