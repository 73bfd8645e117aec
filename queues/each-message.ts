/**
 * Runs a handler on every message of a batch on its own: a message whose handler succeeds
 * is acked (or retried when the handler asks for it), one whose handler throws is retried with backoff (and, on its last attempt, its
 * error is recorded for the dead-letter queue), and neither affects the others. Messages
 * that share a group key (e.g. a SKU) run one after another in batch order; groups run
 * concurrently.
 */
import { recordFinalFailure } from "../repositories/dead-letters";
import type { QueueConfig } from "./queue-names";

export interface EachMessageOptions {
  queue: QueueConfig;
  /** Messages with the same key are handled in order. */
  groupOf(message: Message<unknown>): string;
  /** Resolves to ack, or to `{ retryDelaySeconds }` to ask for a later attempt without it counting as an error. */
  handle(message: Message<unknown>): Promise<void | { retryDelaySeconds: number }>;
  /** Delay before the next attempt after the `attempt`-th failed one. */
  retryDelaySeconds(attempt: number): number;
}

/** The text recorded for a failure (operators only; never sent to clients). */
export function failureText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2000);
  return "non-Error thrown";
}

/** Handles every message of `batch` on its own (see the module comment); never throws for one message. */
export async function handleEachMessage(batch: MessageBatch<unknown>, env: Env, options: EachMessageOptions): Promise<void> {
  const groups = new Map<string, Message<unknown>[]>();
  for (const message of batch.messages) {
    const key = options.groupOf(message);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [message]);
    else group.push(message);
  }
  await Promise.all(
    [...groups.values()].map(async (messages) => {
      for (const message of messages) await handleOne(message, env, options);
    }),
  );
}

async function handleOne(message: Message<unknown>, env: Env, options: EachMessageOptions): Promise<void> {
  try {
    const outcome = await options.handle(message);
    if (outcome === undefined) message.ack();
    else message.retry({ delaySeconds: outcome.retryDelaySeconds });
  } catch (error) {
    const text = failureText(error);
    const last = message.attempts >= options.queue.maxAttempts;
    console.error(
      JSON.stringify({ event: "queue.message_failed", queue: options.queue.name, messageId: message.id, attempts: message.attempts, last, error: text }),
    );
    if (last) {
      try {
        await recordFinalFailure(env.DB, {
          queue: options.queue.name,
          deadLetterQueue: options.queue.deadLetter,
          messageId: message.id,
          body: message.body,
          error: text,
          attempts: message.attempts,
          at: Date.now(),
        });
      } catch (recordError) {
        console.error(
          JSON.stringify({ event: "queue.record_failure_failed", queue: options.queue.name, messageId: message.id, error: failureText(recordError) }),
        );
      }
    }
    message.retry({ delaySeconds: options.retryDelaySeconds(message.attempts) });
  }
}
