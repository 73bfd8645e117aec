/**
 * The queue entry: routes a batch to its consumer by queue name. No queues are bound yet
 * (SYNC, EVENTS and REORDER arrive with their issues); a batch from an unknown queue is
 * retried, so it ends in that queue's dead-letter queue rather than being dropped.
 */
type Consumer = (batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext) => Promise<void>;

const consumers: Record<string, Consumer> = {};

export async function handleQueueBatch(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const consumer = consumers[batch.queue];
  if (consumer === undefined) {
    console.error(JSON.stringify({ event: "queue.unknown", queue: batch.queue, messages: batch.messages.length }));
    batch.retryAll();
    return;
  }
  await consumer(batch, env, ctx);
}
