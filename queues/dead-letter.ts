/**
 * Shared by the dead-letter consumers: records each message in D1 `dead_letters` for
 * operators and acks it; a message whose record cannot be written is retried (the
 * dead-letter queues have no dead-letter queue of their own).
 */
import { backoffSeconds } from "../domain/backoff";
import { recordDeadLetter } from "../repositories/dead-letters";
import { failureText } from "./each-message";
import type { QueueConfig } from "./queue-names";

/** Records every message of a dead-letter batch; `after` runs per recorded message (best effort). */
export async function recordDeadLetters(
  batch: MessageBatch<unknown>,
  env: Env,
  queue: QueueConfig,
  after?: (message: Message<unknown>) => Promise<void>,
): Promise<void> {
  for (const message of batch.messages) {
    try {
      await recordDeadLetter(env.DB, { queue: queue.name, deadLetterQueue: batch.queue, messageId: message.id, body: message.body, at: Date.now() });
      console.error(JSON.stringify({ event: "queue.dead_letter", queue: queue.name, messageId: message.id }));
      if (after !== undefined) await after(message);
      message.ack();
    } catch (error) {
      console.error(JSON.stringify({ event: "queue.dead_letter_record_failed", queue: batch.queue, messageId: message.id, error: failureText(error) }));
      message.retry({ delaySeconds: backoffSeconds(message.attempts, 5, 300) });
    }
  }
}
