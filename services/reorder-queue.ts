/**
 * Sending REORDER messages to the REORDER partitions (issue 19). Every send goes through here —
 * the nightly run's chunks (`reorder-runs.ts`), a low-stock SKU (`enqueueSku`, from the EVENTS
 * consumer), the purchase-order drafts of a run, of the sweep and a group's follow-up
 * (`reorder-drafts.ts`), and a dead-letter replay — so a message always lands on
 * `reorderPartitionOf(message, N)` (domain/job-partitions.ts), N = the number of
 * `REORDER_<i>` producer bindings (wrangler.toml; the queue names are in
 * `queues/queue-names.ts` `REORDER_PARTITIONS`, checked to agree by
 * test/node/queue-config.test.ts).
 */
import { reorderPartitionOf } from "../domain/job-partitions";
import type { ReorderMessage } from "../domain/reorder-messages";
import { byPartition } from "../domain/event-partitions";

/** The REORDER producers, partition i at index i (binding `REORDER_<i>`). */
export function reorderQueues(env: Env): readonly Queue[] {
  return [env.REORDER_0, env.REORDER_1, env.REORDER_2, env.REORDER_3];
}

/** The REORDER queue a message goes to. */
export function reorderQueueFor(env: Env, message: ReorderMessage): Queue {
  const queues = reorderQueues(env);
  return queues[reorderPartitionOf(message, queues.length)]!;
}

/** A queue accepts at most this many messages per sendBatch. */
export const REORDER_SEND_BATCH_MAX = 100;

/**
 * Sends each message to its partition: per partition, in the given order, up to 100 per
 * sendBatch, one send after another. The first failed send throws; nothing after it is sent
 * (the callers' work is safe to repeat: a run's cursor moves only after its sends, drafts and
 * plans are idempotent).
 */
export async function sendReorderMessages(env: Env, messages: readonly ReorderMessage[]): Promise<void> {
  const queues = reorderQueues(env);
  for (const [partition, list] of byPartition(messages, (m) => reorderPartitionOf(m, queues.length))) {
    for (let i = 0; i < list.length; i += REORDER_SEND_BATCH_MAX) {
      await queues[partition]!.sendBatch(list.slice(i, i + REORDER_SEND_BATCH_MAX).map((body) => ({ body, contentType: "json" as const })));
    }
  }
}
