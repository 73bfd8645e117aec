/**
 * Partitioned webhook deliveries (issue 19): which WEBHOOKS queue partition a delivery
 * message goes to. Pure.
 *
 * **Key.** A delivery goes to `partitionOf(webhookPartitionKey(message), n)` — the EVENTS
 * partition function (`domain/event-partitions.ts`: FNV-1a, murmur3 finaliser, jump
 * consistent hashing), over the delivery's subscription and its *subject*: the SKU for
 * inventory and reservation events (`payload.sku`), the order for purchase order events
 * (`payload.purchaseOrderId`), otherwise the event itself (`sync.completed`, `sync.failed`,
 * `webhook.test`: one delivery per subscription and event anyway). The key is computed from
 * the message alone, so every send of a delivery — the first one, the sweeper's re-drives
 * (rebuilt from the event kept in D1) and a dead-letter replay (the recorded body) — lands on
 * the same partition while n stays the same.
 *
 * **Why not the subscription alone.** An operator-wide subscription receives every event: by
 * subscription alone all of its deliveries would share one queue, the very load partitioning
 * must spread. By (subscription, SKU) one subscription's deliveries about one SKU stay in one
 * partition's stream and its deliveries about many SKUs spread over all of them.
 *
 * **Order.** Deliveries promise no order (README, Webhooks: at least once, deduplicate by the
 * delivery id; a retried delivery comes after newer ones, and a queue does not keep order
 * either), so nothing relies on the partition for it, and changing n — which moves keys to
 * other partitions, with jump hashing only ~1/(n+1) of them when growing by one — is safe
 * without draining.
 */
import { partitionOf } from "./event-partitions";
import type { WebhookMessage } from "./webhooks";

/** What a delivery is about, for its partition: `sku:<id>`, `po:<id>` or `event:<id>`. */
export function webhookSubject(message: Pick<WebhookMessage, "eventId" | "payload">): string {
  const { sku, purchaseOrderId } = message.payload;
  if (typeof sku === "string" && sku !== "") return `sku:${sku}`;
  if (typeof purchaseOrderId === "string" && purchaseOrderId !== "") return `po:${purchaseOrderId}`;
  return `event:${message.eventId}`;
}

/** The partition key of a delivery message: its subscription and its subject. */
export function webhookPartitionKey(message: Pick<WebhookMessage, "subscriptionId" | "eventId" | "payload">): string {
  return `${message.subscriptionId}\n${webhookSubject(message)}`;
}

/** The WEBHOOKS partition (`0..partitions−1`) of a delivery message. */
export function webhookPartitionOf(message: Pick<WebhookMessage, "subscriptionId" | "eventId" | "payload">, partitions: number): number {
  return partitionOf(webhookPartitionKey(message), partitions);
}
