/**
 * Sending chunk messages to the SYNC queue, shared by the request that creates a job and the
 * sweeper that re-drives chunks whose message was lost.
 */
import { sendGroups, type SyncChunkMessage } from "../domain/sync-chunks";

/**
 * Sends the messages in groups within the queue's sendBatch limits (100 messages, 256 KB),
 * calling `afterGroup` once each group is accepted by the queue. A failed send throws;
 * the groups sent before it stay sent.
 */
export async function sendChunkMessages(
  env: Env,
  messages: readonly SyncChunkMessage[],
  afterGroup: (group: SyncChunkMessage[]) => Promise<void>,
): Promise<void> {
  const sizes = messages.map((m) => JSON.stringify(m).length);
  for (const [start, end] of sendGroups(sizes)) {
    const group = messages.slice(start, end);
    await env.SYNC.sendBatch(group.map((body) => ({ body, contentType: "json" as const })));
    await afterGroup(group);
  }
}
