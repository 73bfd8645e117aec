/**
 * Queue names and retry limits, as configured in `wrangler.toml` (names are per account;
 * keep both in step — `test/node/queue-config.test.ts` checks). `maxAttempts` is that
 * queue's `max_retries + 1`: a consumer uses it to know a message's last attempt, to record
 * why it is about to be dead-lettered.
 */

/** A consumed queue: its name, its dead-letter queue and how many deliveries a message gets. */
export interface QueueConfig {
  readonly name: string;
  readonly deadLetter: string;
  readonly maxAttempts: number;
}

/**
 * The EVENTS partitions, in partition order: partition i is the queue behind the producer
 * binding `EVENTS_<i>` (durable-objects/sku-inventory/outbox.ts `eventQueues`), chosen per SKU
 * by `partitionOf` (domain/event-partitions.ts). Partition 0 keeps the name of the single
 * EVENTS queue that came before, so the one-event messages in flight when partitioning
 * was rolled out are drained by its consumer, and their dead letters keep their queue name.
 * Each partition has its own dead-letter queue, so a dead letter is recorded under the
 * partition it came from (D1 `dead_letters` is keyed by source queue and message id).
 */
export const EVENT_PARTITIONS: readonly QueueConfig[] = [
  { name: "edge-inventory-events", deadLetter: "edge-inventory-events-dlq", maxAttempts: 6 },
  { name: "edge-inventory-events-1", deadLetter: "edge-inventory-events-1-dlq", maxAttempts: 6 },
  { name: "edge-inventory-events-2", deadLetter: "edge-inventory-events-2-dlq", maxAttempts: 6 },
  { name: "edge-inventory-events-3", deadLetter: "edge-inventory-events-3-dlq", maxAttempts: 6 },
];

/**
 * The WEBHOOKS partitions, in partition order: partition i is the queue behind the producer
 * binding `WEBHOOKS_<i>` (services/webhook-queue.ts `webhookQueues`), chosen per delivery by
 * `webhookPartitionOf` (domain/webhook-partitions.ts: its subscription and SKU). As with
 * EVENTS, partition 0 keeps the name of the single queue that came before (its messages in
 * flight at the rollout are drained by its consumer, its dead letters keep their queue name),
 * and each partition has its own dead-letter queue.
 */
export const WEBHOOK_PARTITIONS: readonly QueueConfig[] = [
  { name: "edge-inventory-webhooks", deadLetter: "edge-inventory-webhooks-dlq", maxAttempts: 9 },
  { name: "edge-inventory-webhooks-1", deadLetter: "edge-inventory-webhooks-1-dlq", maxAttempts: 9 },
  { name: "edge-inventory-webhooks-2", deadLetter: "edge-inventory-webhooks-2-dlq", maxAttempts: 9 },
  { name: "edge-inventory-webhooks-3", deadLetter: "edge-inventory-webhooks-3-dlq", maxAttempts: 9 },
];

/**
 * The SYNC partitions, in partition order: partition i is the queue behind the producer
 * binding `SYNC_<i>` (services/sync-send.ts `syncQueues`), chosen per chunk by
 * `syncPartitionOf` (domain/job-partitions.ts: its first SKU). As with EVENTS, partition 0
 * keeps the name of the single queue that came before, and each partition has its own
 * dead-letter queue.
 */
export const SYNC_PARTITIONS: readonly QueueConfig[] = [
  { name: "edge-inventory-sync", deadLetter: "edge-inventory-sync-dlq", maxAttempts: 3 },
  { name: "edge-inventory-sync-1", deadLetter: "edge-inventory-sync-1-dlq", maxAttempts: 3 },
  { name: "edge-inventory-sync-2", deadLetter: "edge-inventory-sync-2-dlq", maxAttempts: 3 },
  { name: "edge-inventory-sync-3", deadLetter: "edge-inventory-sync-3-dlq", maxAttempts: 3 },
];

/**
 * The REORDER partitions, in partition order: partition i is the queue behind the producer
 * binding `REORDER_<i>` (services/reorder-queue.ts `reorderQueues`), chosen per message by
 * `reorderPartitionOf` (domain/job-partitions.ts). Partition 0 keeps the single queue's name;
 * each partition has its own dead-letter queue.
 */
export const REORDER_PARTITIONS: readonly QueueConfig[] = [
  { name: "edge-inventory-reorder", deadLetter: "edge-inventory-reorder-dlq", maxAttempts: 4 },
  { name: "edge-inventory-reorder-1", deadLetter: "edge-inventory-reorder-1-dlq", maxAttempts: 4 },
  { name: "edge-inventory-reorder-2", deadLetter: "edge-inventory-reorder-2-dlq", maxAttempts: 4 },
  { name: "edge-inventory-reorder-3", deadLetter: "edge-inventory-reorder-3-dlq", maxAttempts: 4 },
];

/** The partition among `partitions` a batch came from, by its queue name (undefined: none of them). */
export function partitionNamed(partitions: readonly QueueConfig[], queue: string): QueueConfig | undefined {
  return partitions.find((p) => p.name === queue);
}

/** The partition among `partitions` whose dead-letter queue this is. */
export function partitionDeadLettering(partitions: readonly QueueConfig[], deadLetterQueue: string): QueueConfig | undefined {
  return partitions.find((p) => p.deadLetter === deadLetterQueue);
}

/** The EVENTS partition a batch came from, by its queue name (undefined: not an EVENTS partition). */
export const eventPartitionNamed = (queue: string) => partitionNamed(EVENT_PARTITIONS, queue);
/** The EVENTS partition whose dead-letter queue this is. */
export const eventPartitionDeadLettering = (deadLetterQueue: string) => partitionDeadLettering(EVENT_PARTITIONS, deadLetterQueue);
/** The WEBHOOKS partition a batch came from, by its queue name (undefined: not a WEBHOOKS partition). */
export const webhookPartitionNamed = (queue: string) => partitionNamed(WEBHOOK_PARTITIONS, queue);
/** The WEBHOOKS partition whose dead-letter queue this is. */
export const webhookPartitionDeadLettering = (deadLetterQueue: string) => partitionDeadLettering(WEBHOOK_PARTITIONS, deadLetterQueue);
/** The SYNC partition a batch came from, by its queue name (undefined: not a SYNC partition). */
export const syncPartitionNamed = (queue: string) => partitionNamed(SYNC_PARTITIONS, queue);
/** The SYNC partition whose dead-letter queue this is. */
export const syncPartitionDeadLettering = (deadLetterQueue: string) => partitionDeadLettering(SYNC_PARTITIONS, deadLetterQueue);
/** The REORDER partition a batch came from, by its queue name (undefined: not a REORDER partition). */
export const reorderPartitionNamed = (queue: string) => partitionNamed(REORDER_PARTITIONS, queue);
/** The REORDER partition whose dead-letter queue this is. */
export const reorderPartitionDeadLettering = (deadLetterQueue: string) => partitionDeadLettering(REORDER_PARTITIONS, deadLetterQueue);
