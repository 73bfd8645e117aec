/**
 * REORDER consumer (issue 15): a `chunk` or `sku` message plans its SKUs
 * (`services/reorder-planning.ts`): refresh stale forecasts, compute the replenishment plan
 * against the objects' stock, open or refresh reorder suggestions, open or resolve overstock
 * and slow-moving alerts (all in the SKUs' vendors' read databases: one batch per read
 * database, each safe to repeat); a run's chunk is then counted planned in `DB` (services/reorder-runs.ts).
 * A `draft` message drafts one purchase order for a vendor × location
 * (`services/reorder-drafts.ts`). Idempotent, so a redelivery changes nothing twice. A message
 * that is not a valid REORDER body, or whose planning throws, is retried with backoff and
 * after `max_retries` lands in the dead-letter queue (recorded for operators).
 */
import { backoffSeconds } from "../domain/backoff";
import { ReorderMessageSchema, skusOf } from "../domain/reorder-messages";
import { draftForGroup } from "../services/reorder-drafts";
import { planSkus } from "../services/reorder-planning";
import { chunkPlanned } from "../services/reorder-runs";
import { handleEachMessage } from "./each-message";
import { reorderPartitionDeadLettering, reorderPartitionNamed } from "./queue-names";
import { recordDeadLetters } from "./dead-letter";

/** Retry delays: 20, 40, … s (capped at 10 min): a failing chunk is usually D1 or an object being busy. */
export const reorderRetryDelaySeconds = (attempt: number) => backoffSeconds(attempt, 10, 600);

/**
 * Plans each message's SKUs, one message at a time per batch group, from any REORDER
 * partition; a batch from a queue that is no REORDER partition is retried.
 */
export async function consumeReorder(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const partition = reorderPartitionNamed(batch.queue);
  if (partition === undefined) {
    console.error(JSON.stringify({ event: "queue.unknown", queue: batch.queue, messages: batch.messages.length }));
    batch.retryAll();
    return;
  }
  await handleEachMessage(batch, env, {
    queue: partition,
    groupOf: (message) => message.id,
    handle: async (message) => {
      const parsed = ReorderMessageSchema.safeParse(message.body);
      if (!parsed.success) throw new TypeError(`invalid REORDER body: ${parsed.error.issues[0]?.message ?? "?"}`);
      const m = parsed.data;
      if (m.kind === "draft") {
        await draftForGroup(env, m, Date.now());
        return;
      }
      const outcome = await planSkus(env, skusOf(m), m.origin, Date.now());
      console.log(JSON.stringify({ event: "reorder.planned", kind: m.kind, origin: m.origin, ...outcome }));
      // Counted after its writes: a chunk that failed half way is retried, then counted.
      if (m.kind === "chunk" && m.seq !== undefined) await chunkPlanned(env, m.origin, m.seq, Date.now());
    },
    retryDelaySeconds: reorderRetryDelaySeconds,
  });
}

/**
 * REORDER dead-letter consumer: records each message for operators (`GET /api/v2/dead-letters`);
 * the next nightly run plans a chunk's SKUs again, and the every-minute sweep sends a lost
 * draft's group again once its suggestions settled (services/reorder-drafts.ts). Recorded
 * under the partition the message left (each has its own dead-letter queue).
 */
export async function consumeReorderDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const partition = reorderPartitionDeadLettering(batch.queue);
  if (partition === undefined) {
    console.error(JSON.stringify({ event: "queue.unknown", queue: batch.queue, messages: batch.messages.length }));
    batch.retryAll();
    return;
  }
  await recordDeadLetters(batch, env, partition);
}
