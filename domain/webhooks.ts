/**
 * Webhook rules: which event types a subscription may ask for (the URLs it may deliver to
 * are `webhook-targets.ts`), the queue message that carries one delivery, retry timing and when a failing
 * subscription is switched off. Pure.
 */
import { z } from "zod";
import { backoffSeconds } from "./backoff";
import { INVENTORY_EVENT_TYPES } from "./events";

/** What a subscription can ask for: every inventory event type. `webhook.test` is always sent on request. */
export const SUBSCRIBABLE_EVENT_TYPES = INVENTORY_EVENT_TYPES;
/**
 * Purchase order events (issue 14): one per state change of an order, for operator-wide
 * subscriptions and the order's vendor's (`services/purchase-orders.ts`).
 */
export const PURCHASE_ORDER_EVENT_TYPES = [
  "purchase_order.created",
  "purchase_order.submitted",
  "purchase_order.confirmed",
  "purchase_order.shipped",
  "purchase_order.received",
  "purchase_order.closed",
  "purchase_order.cancelled",
] as const;
export type PurchaseOrderEventType = (typeof PURCHASE_ORDER_EVENT_TYPES)[number];

/** The type of the event sent by `POST /api/v2/webhooks/{id}/test`. */
export const WEBHOOK_TEST_EVENT_TYPE = "webhook.test";

/** A subscription with this many consecutive failed deliveries (each after all its retries) is disabled. */
export const MAX_CONSECUTIVE_FAILURES = 10;
/** Subscriptions one owner (a vendor, or the operators) may have. Bounds the fan-out per event. */
export const MAX_SUBSCRIPTIONS_PER_OWNER = 20;
/** Days a finished delivery is kept by default, and the range `WEBHOOK_RETENTION_DAYS` may set. */
export const WEBHOOK_RETENTION = { defaultDays: 14, minDays: 1, maxDays: 90 } as const;

/**
 * The retention of finished deliveries from `WEBHOOK_RETENTION_DAYS` (wrangler.toml `[vars]`):
 * a whole number of days in range, else the default with what was wrong with the value.
 */
export function webhookRetentionDays(value: string | undefined): { days: number; problem: string | null } {
  const { defaultDays, minDays, maxDays } = WEBHOOK_RETENTION;
  if (value === undefined || value.trim() === "") return { days: defaultDays, problem: null };
  const days = Number(value.trim());
  if (!Number.isInteger(days) || days < minDays || days > maxDays) {
    return { days: defaultDays, problem: `WEBHOOK_RETENTION_DAYS must be a whole number of days from ${minDays} to ${maxDays}; using ${defaultDays}` };
  }
  return { days, problem: null };
}

/** How long one delivery attempt may take (connect, send, response headers). */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** Delay before the next attempt after the `attempt`-th failed one: min(2^attempt × 5 s, 1 h). */
export function webhookRetryDelaySeconds(attempt: number): number {
  return backoffSeconds(attempt, 5, 3600);
}

/** Which URLs may receive webhooks: `domain/webhook-targets.ts`. */
export { webhookUrlProblem } from "./webhook-targets";

/**
 * One delivery on the WEBHOOKS queue: which delivery row it is, for which subscription, and
 * the event to POST (as its JSON body). Bodies are validated on receipt like any other
 * queue message.
 */
export const WebhookMessageSchema = z.object({
  v: z.literal(1),
  deliveryId: z.string().min(1),
  subscriptionId: z.string().min(1),
  eventId: z.string().min(1),
  eventType: z.string().min(1),
  payload: z.record(z.string(), z.unknown()),
});
export type WebhookMessage = z.infer<typeof WebhookMessageSchema>;

/** What to do after an attempt that did not succeed. */
export type FailedAttemptOutcome = { retry: true; delaySeconds: number } | { retry: false };

/** Retry with backoff until the last allowed attempt, then give up (the delivery is failed). */
export function afterFailedAttempt(attempt: number, maxAttempts: number): FailedAttemptOutcome {
  return attempt < maxAttempts ? { retry: true, delaySeconds: webhookRetryDelaySeconds(attempt) } : { retry: false };
}
