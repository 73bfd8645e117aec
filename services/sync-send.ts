/**
 * Sending chunk messages to the SYNC partitions (issue 19), shared by the request that creates
 * a job (and its repeat), the sweeper that re-drives chunks whose message was lost, and a
 * dead-letter replay: every send of a chunk goes through here, so a chunk always lands on
 * `syncPartitionOf(chunk, N)` (domain/job-partitions.ts: its first SKU), N = the number of
 * `SYNC_<i>` producer bindings (wrangler.toml; the queue names are in `queues/queue-names.ts`
 * `SYNC_PARTITIONS`, checked to agree by test/node/queue-config.test.ts).
 */
import { syncPartitionOf } from "../domain/job-partitions";
import { sendGroups, type SyncChunkMessage } from "../domain/sync-chunks";
import { byPartition } from "../domain/event-partitions";

/** The SYNC producers, partition i at index i (binding `SYNC_<i>`). */
export function syncQueues(env: Env): readonly Queue[] {
  return [env.SYNC_0, env.SYNC_1, env.SYNC_2, env.SYNC_3];
}

/** The number of SYNC partitions (what a job's chunks are planned for, `planChunks`). */
export function syncPartitionCount(env: Env): number {
  return syncQueues(env).length;
}

/** The SYNC queue a chunk message goes to. */
export function syncQueueFor(env: Env, chunk: SyncChunkMessage): Queue {
  const queues = syncQueues(env);
  return queues[syncPartitionOf(chunk, queues.length)]!;
}

/**
 * Sends each message to its partition: per partition, in the given order, in groups within
 * the queue's sendBatch limits (100 messages, 256 KB), one send after another, calling
 * `afterGroup` once each group is accepted by the queue. A failed send throws; the groups
 * sent before it stay sent.
 */
export async function sendChunkMessages(
  env: Env,
  messages: readonly SyncChunkMessage[],
  afterGroup: (group: SyncChunkMessage[]) => Promise<void>,
): Promise<void> {
  const queues = syncQueues(env);
  for (const [partition, list] of byPartition(messages, (m) => syncPartitionOf(m, queues.length))) {
    const sizes = list.map((m) => JSON.stringify(m).length);
    for (const [start, end] of sendGroups(sizes)) {
      const group = list.slice(start, end);
      await queues[partition]!.sendBatch(group.map((body) => ({ body, contentType: "json" as const })));
      await afterGroup(group);
    }
  }
}
