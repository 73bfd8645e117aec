/**
 * Queue names and retry limits, as configured in `wrangler.toml` (names are per account;
 * keep both in step). `maxAttempts` is that queue's `max_retries + 1`: a consumer uses it
 * to know a message's last attempt, to record why it is about to be dead-lettered.
 */
export const QUEUES = {
  events: { name: "edge-inventory-events", deadLetter: "edge-inventory-events-dlq", maxAttempts: 6 },
  webhooks: { name: "edge-inventory-webhooks", deadLetter: "edge-inventory-webhooks-dlq", maxAttempts: 9 },
  sync: { name: "edge-inventory-sync", deadLetter: "edge-inventory-sync-dlq", maxAttempts: 3 },
  reorder: { name: "edge-inventory-reorder", deadLetter: "edge-inventory-reorder-dlq", maxAttempts: 4 },
} as const;

export type QueueConfig = (typeof QUEUES)[keyof typeof QUEUES];
