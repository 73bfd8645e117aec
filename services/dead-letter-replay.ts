/**
 * Replaying a dead letter (`POST /api/v2/dead-letters/{id}/replay`, operators): the recorded
 * message is sent again to the queue it failed on, once. Idempotent: the first replay claims
 * the row (time and actor, in D1, in the same batch as what it reopens), and every later
 * replay answers that first result and sends nothing.
 *
 * What each queue needs besides the send, because its dead-letter consumer closed the work:
 * - SYNC: the chunk was failed (its items `chunk_failed`, the job finished) — it goes back to
 *   `queued` and its job to `running`, so the consumer applies it (the SKU objects replay the
 *   outcomes of SKUs applied before the failure) and the job finishes again with the new
 *   counts. The job's `sync.completed` webhook is not sent a second time (one per job).
 * - WEBHOOKS: the delivery was cancelled — it goes back to `pending`, so the consumer sends it.
 *   The message goes to its delivery's partition (domain/webhook-partitions.ts), like its
 *   first send and the sweeper's re-drives. The delivery lives in a read database (its id
 *   names which), not beside the dead letter, so it is reopened first and the claim follows:
 *   if another replay wins the claim, or this one stops between the two, the delivery is
 *   pending with its message and is sent once (by the other replay, or by the webhook
 *   sweeper); the consumer never sends a delivery that is no longer pending.
 * - EVENTS, REORDER: nothing to reopen; their consumers are idempotent (events by id, plans by
 *   SKU), so the message is simply sent again.
 *
 * Where it is sent: an EVENTS message to the partition it was recorded under; a SYNC chunk, a
 * WEBHOOKS delivery and a REORDER message to the partition its own key maps to
 * (domain/job-partitions.ts, domain/webhook-partitions.ts), through the same helpers as every
 * other send of it — the partition it left, unless it was recorded before partitioning
 * (under partition 0's name) or N changed since.
 *
 * A body that cannot be sent as it was (truncated at 64 KiB, or a SYNC/WEBHOOKS/REORDER body
 * that is not a valid message and would only fail again) is refused with 409 and nothing
 * changes.
 */
import { ReorderMessageSchema } from "../domain/reorder-messages";
import { SyncChunkMessageSchema } from "../domain/sync-chunks";
import { WebhookMessageSchema } from "../domain/webhooks";
import { eventQueues } from "../durable-objects/sku-inventory/outbox";
import {
  claimReplay,
  type DeadLetterListRow,
  deliveryWasCancelled,
  findDeadLetter,
  releaseReplay,
  reopenCancelledDelivery,
  type ReplayReopen,
} from "../repositories/dead-letters";
import { deliveryDbOrNull } from "../repositories/webhooks";
import { chunkState } from "../repositories/sync-jobs";
import { ApiError } from "./api-error";
import { actorOf, type Principal } from "./principal";
import { reorderQueueFor } from "./reorder-queue";
import { syncQueueFor } from "./sync-send";
import { webhookQueueFor } from "./webhook-queue";

/** The kinds of message a replay knows how to send. */
export type ReplayKind = "events" | "webhooks" | "sync" | "reorder";

/**
 * The consumed queues by name, as in `queues/queue-names.ts` and wrangler.toml (this layer may
 * not import the consumers' module; test/dashboard-apis.test.ts checks the two agree).
 * EVENTS partition i is `EVENTS_NAMES[i]`, sent through `eventQueues(env)[i]`. A WEBHOOKS,
 * SYNC or REORDER dead letter, from whichever partition in `WEBHOOKS_NAMES`, `SYNC_NAMES` or
 * `REORDER_NAMES`, is sent to its message's partition (`webhookQueueFor`, `syncQueueFor`,
 * `reorderQueueFor`: the same as every other send of that message).
 */
export const EVENTS_NAMES = ["edge-inventory-events", "edge-inventory-events-1", "edge-inventory-events-2", "edge-inventory-events-3"] as const;
export const WEBHOOKS_NAMES = ["edge-inventory-webhooks", "edge-inventory-webhooks-1", "edge-inventory-webhooks-2", "edge-inventory-webhooks-3"] as const;
export const SYNC_NAMES = ["edge-inventory-sync", "edge-inventory-sync-1", "edge-inventory-sync-2", "edge-inventory-sync-3"] as const;
export const REORDER_NAMES = ["edge-inventory-reorder", "edge-inventory-reorder-1", "edge-inventory-reorder-2", "edge-inventory-reorder-3"] as const;

/**
 * The kind of a consumed queue and the producer a recorded body is sent to (given the body,
 * which `reopenFor` has validated), or undefined for a name we do not consume.
 */
export function replayTarget(env: Env, queue: string): { kind: ReplayKind; producerFor: (body: unknown) => Queue } | undefined {
  const partition = (EVENTS_NAMES as readonly string[]).indexOf(queue);
  if (partition >= 0) {
    const producer = eventQueues(env)[partition];
    return producer === undefined ? undefined : { kind: "events", producerFor: () => producer };
  }
  if ((WEBHOOKS_NAMES as readonly string[]).includes(queue)) {
    return { kind: "webhooks", producerFor: (body) => webhookQueueFor(env, WebhookMessageSchema.parse(body)) };
  }
  if ((SYNC_NAMES as readonly string[]).includes(queue)) {
    return { kind: "sync", producerFor: (body) => syncQueueFor(env, SyncChunkMessageSchema.parse(body)) };
  }
  if ((REORDER_NAMES as readonly string[]).includes(queue)) {
    return { kind: "reorder", producerFor: (body) => reorderQueueFor(env, ReorderMessageSchema.parse(body)) };
  }
  return undefined;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A replay's result, the same for the first call and every repeat. */
export function replayJson(row: DeadLetterListRow) {
  return {
    id: `${row.queue}:${row.messageId}`,
    queue: row.queue,
    messageId: row.messageId,
    replayedAt: iso(row.replayedAt),
    replayedBy: row.replayedBy,
    /** What was put back before the send: a failed SYNC chunk, a cancelled webhook delivery, or nothing. */
    reopened: row.replayReopened,
  };
}

function unreplayable(message: string, id: { queue: string; messageId: string }): ApiError {
  return new ApiError(409, "dead_letter_unreplayable", message, id);
}

/** What must be reopened for this message, or a 409 when the body cannot be sent again. */
async function reopenFor(env: Env, kind: ReplayKind, body: unknown, text: string, id: { queue: string; messageId: string }): Promise<ReplayReopen> {
  if (kind === "sync") {
    const chunk = SyncChunkMessageSchema.safeParse(body);
    if (!chunk.success) throw unreplayable("the recorded body is not a valid SYNC chunk; sent again it would only fail again", id);
    const state = await chunkState(env.DB, chunk.data.jobId, chunk.data.chunkIndex);
    if (state?.status !== "failed") return { kind: "none" };
    return {
      kind: "sync_chunk",
      jobId: chunk.data.jobId,
      chunkIndex: chunk.data.chunkIndex,
      itemIndexes: chunk.data.skus.flatMap((s) => s.items.map((item) => item.i)),
      payload: text,
    };
  }
  if (kind === "webhooks") {
    const message = WebhookMessageSchema.safeParse(body);
    if (!message.success) throw unreplayable("the recorded body is not a valid webhook delivery message; sent again it would only fail again", id);
    const db = deliveryDbOrNull(env, message.data.deliveryId);
    return db !== null && (await deliveryWasCancelled(db, message.data.deliveryId))
      ? { kind: "webhook_delivery", deliveryId: message.data.deliveryId, payload: text }
      : { kind: "none" };
  }
  if (kind === "reorder" && !ReorderMessageSchema.safeParse(body).success) {
    throw unreplayable("the recorded body is not a valid REORDER message; sent again it would only fail again", id);
  }
  return { kind: "none" };
}

/**
 * Replays the dead letter `(queue, messageId)` (see the module comment). `repeated` is true
 * when it had been replayed before (nothing sent now). 404 `dead_letter_not_found`, 409
 * `dead_letter_unreplayable`, 503 `retry_later` when the send fails (the claim is undone).
 */
export async function replayDeadLetter(
  env: Env,
  principal: Principal,
  id: { queue: string; messageId: string },
  now = Date.now(),
): Promise<{ result: ReturnType<typeof replayJson>; repeated: boolean }> {
  const row = await findDeadLetter(env.DB, id.queue, id.messageId);
  if (row === undefined) throw new ApiError(404, "dead_letter_not_found", `no dead letter ${id.queue}:${id.messageId}`, id);
  if (row.replayedAt !== null) return { result: replayJson(row), repeated: true };
  const target = replayTarget(env, row.queue);
  if (target === undefined) throw unreplayable(`no consumer of ${row.queue} here to replay to`, id);
  let body: unknown;
  try {
    body = JSON.parse(row.body);
  } catch {
    throw unreplayable("the recorded body is not the whole message (cut at 64 KiB) or not JSON; it cannot be sent again", id);
  }
  const reopen = await reopenFor(env, target.kind, body, row.body, id);
  if (reopen.kind === "webhook_delivery") await reopenCancelledDelivery(deliveryDbOrNull(env, reopen.deliveryId)!, reopen.deliveryId, reopen.payload, now);
  const claimed = await claimReplay(env.DB, { ...id, by: actorOf(principal), reopen, now });
  if (!claimed) {
    // Another replay got there first: answer its result.
    return { result: replayJson((await findDeadLetter(env.DB, id.queue, id.messageId))!), repeated: true };
  }
  try {
    await target.producerFor(body).send(body, { contentType: "json" });
  } catch (error) {
    await releaseReplay(env.DB, id.queue, id.messageId, now);
    console.error(JSON.stringify({ event: "dead_letter.replay_send_failed", queue: id.queue, messageId: id.messageId, error: String(error).slice(0, 500) }));
    throw new ApiError(503, "retry_later", "the message could not be sent to its queue; nothing was replayed, try again", id);
  }
  console.log(JSON.stringify({ event: "dead_letter.replayed", queue: id.queue, messageId: id.messageId, reopened: reopen.kind, by: actorOf(principal) }));
  return { result: replayJson((await findDeadLetter(env.DB, id.queue, id.messageId))!), repeated: false };
}
