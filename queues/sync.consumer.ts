/**
 * SYNC consumer: one message per chunk of a vendor sync job (`domain/sync-chunks.ts`).
 * Each chunk on its own (`services/sync-apply.ts`): its SKUs are applied through
 * their objects and every item's outcome is recorded; item errors never fail a chunk. A
 * body that is not a valid chunk, or a chunk whose handling throws (an object or D1
 * unavailable), is retried after 2 and 4 s and then lands in the dead-letter queue, whose
 * consumer fails its items so the job still finishes. The chunks of a batch run
 * concurrently (each calls up to 50 objects at once): the queue does not order messages
 * anyway, so two feeds of one vendor for the same SKU and location that are in flight
 * together may apply in either order. A redelivered chunk changes nothing twice.
 */
import { backoffSeconds } from "../domain/backoff";
import { applySyncChunk, parseSyncChunk } from "../services/sync-apply";
import { handleEachMessage } from "./each-message";
import { syncPartitionNamed } from "./queue-names";

/** Retry delays: 2, 4 s (three attempts in all, `max_retries = 2`). */
export const syncRetryDelaySeconds = (attempt: number) => backoffSeconds(attempt, 1, 60);

/**
 * Applies and records each chunk of the batch, from any SYNC partition (any partition's
 * consumer applies any chunk; the partition names the queue in logs and dead letters); a
 * batch from a queue that is no SYNC partition is retried.
 */
export async function consumeSync(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const partition = syncPartitionNamed(batch.queue);
  if (partition === undefined) {
    console.error(JSON.stringify({ event: "queue.unknown", queue: batch.queue, messages: batch.messages.length }));
    batch.retryAll();
    return;
  }
  await handleEachMessage(batch, env, {
    queue: partition,
    groupOf: (message) => message.id,
    handle: async (message) => {
      await applySyncChunk(env, parseSyncChunk(message.body));
    },
    retryDelaySeconds: syncRetryDelaySeconds,
  });
}
