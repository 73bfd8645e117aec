/**
 * REORDER consumer (issue 15): each message plans its SKUs (`services/reorder-planning.ts`):
 * refresh stale forecasts, compute the replenishment plan against the objects' stock, open or
 * refresh reorder suggestions. Idempotent, so a redelivery changes nothing twice. A message
 * that is not a valid REORDER body, or whose planning throws, is retried with backoff and
 * after `max_retries` lands in the dead-letter queue (recorded for operators).
 */
import { backoffSeconds } from "../domain/backoff";
import { ReorderMessageSchema, skusOf } from "../domain/reorder-messages";
import { planSkus } from "../services/reorder-planning";
import { handleEachMessage } from "./each-message";
import { QUEUES } from "./queue-names";
import { recordDeadLetters } from "./dead-letter";

/** Retry delays: 20, 40, … s (capped at 10 min): a failing chunk is usually D1 or an object being busy. */
export const reorderRetryDelaySeconds = (attempt: number) => backoffSeconds(attempt, 10, 600);

/** Plans each message's SKUs, one message at a time per batch group. */
export async function consumeReorder(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await handleEachMessage(batch, env, {
    queue: QUEUES.reorder,
    groupOf: (message) => message.id,
    handle: async (message) => {
      const parsed = ReorderMessageSchema.safeParse(message.body);
      if (!parsed.success) throw new TypeError(`invalid REORDER body: ${parsed.error.issues[0]?.message ?? "?"}`);
      const outcome = await planSkus(env, skusOf(parsed.data), parsed.data.origin, Date.now());
      console.log(JSON.stringify({ event: "reorder.planned", kind: parsed.data.kind, origin: parsed.data.origin, ...outcome }));
    },
    retryDelaySeconds: reorderRetryDelaySeconds,
  });
}

/** REORDER dead-letter consumer: records each message for operators (`GET /api/v2/dead-letters`); the next nightly run plans its SKUs again. */
export async function consumeReorderDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await recordDeadLetters(batch, env, QUEUES.reorder);
}
