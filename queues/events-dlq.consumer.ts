/** EVENTS dead-letter consumer: records events the EVENTS consumer gave up on, for operators. */
import { recordDeadLetters } from "./dead-letter";
import { QUEUES } from "./queue-names";

/** Records each dead-lettered event message and acks it. */
export async function consumeEventsDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await recordDeadLetters(batch, env, QUEUES.events);
}
