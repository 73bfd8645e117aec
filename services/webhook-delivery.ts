/**
 * Sending one webhook delivery: a signed POST of the event to the subscription's URL, and
 * the delivery log kept in D1. Decides whether the queue should try again later.
 */
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from "../domain/webhook-signature";
import { httpFailureClass, webhookUrlProblem, type DeliveryFailureClass } from "../domain/webhook-targets";
import { DELIVERY_TIMEOUT_MS, afterFailedAttempt, type WebhookMessage } from "../domain/webhooks";
import { webhookTargetPolicy } from "./environment";
import { cancelDelivery, findDeliveryTarget, recordDelivered, recordFailed, recordRetry } from "../repositories/webhooks";

/** What the queue should do with the message. */
export type DeliveryOutcome = { outcome: "delivered" | "failed" | "skipped" } | { outcome: "retry"; delaySeconds: number };

/** The HTTP request for a delivery, signed at `timestamp` (unix seconds). */
export async function buildDeliveryRequest(url: string, secret: string, message: WebhookMessage, timestamp: number): Promise<Request> {
  const body = JSON.stringify(message.payload);
  return new Request(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "User-Agent": "edge-inventory-webhooks/1",
      [EVENT_HEADER]: message.eventType,
      [DELIVERY_HEADER]: message.deliveryId,
      [TIMESTAMP_HEADER]: String(timestamp),
      [SIGNATURE_HEADER]: await signWebhook(secret, timestamp, body),
    },
    body,
    // A redirect is an answer other than 2xx: the subscriber should register the final URL.
    redirect: "manual",
  });
}

/**
 * Attempts one delivery (`attempt`-th delivery of its queue message, of `maxAttempts`).
 * Delivered or finished deliveries are not sent again; deliveries to a disabled or deleted
 * subscription are cancelled.
 */
export async function deliverWebhook(env: Env, message: WebhookMessage, attempt: number, maxAttempts: number, now = Date.now): Promise<DeliveryOutcome> {
  const target = await findDeliveryTarget(env, message.deliveryId, message.subscriptionId);
  if (target === null) {
    console.warn(JSON.stringify({ event: "webhook.unknown_delivery", deliveryId: message.deliveryId }));
    return { outcome: "skipped" };
  }
  if (target.delivery.status !== "pending") return { outcome: "skipped" };
  const { subscription } = target;
  if (subscription.deletedAt !== null || subscription.disabledAt !== null) {
    await cancelDelivery(env, message.deliveryId, subscription.deletedAt !== null ? "subscription deleted" : "subscription disabled", now());
    return { outcome: "skipped" };
  }
  const base = { deliveryId: message.deliveryId, subscriptionId: subscription.id };
  // Checked again at delivery: the rules may be stricter where this runs than where the
  // subscription was created (or the row predates them). Nothing is fetched.
  const urlProblem = webhookUrlProblem(subscription.url, webhookTargetPolicy(env));
  if (urlProblem !== null) {
    await recordFailed(env, { ...base, statusCode: null, error: `URL refused: ${urlProblem}`, failure: "url_refused", at: now() }, false);
    return { outcome: "failed" };
  }

  const request = await buildDeliveryRequest(subscription.url, subscription.secret, message, Math.floor(now() / 1000));
  let statusCode: number | null = null;
  let error: string | null = null;
  let failure: DeliveryFailureClass;
  try {
    const response = await fetch(request, { signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
    statusCode = response.status;
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) {
      await recordDelivered(env, { ...base, statusCode, error: null, failure: null, at: now() });
      return { outcome: "delivered" };
    }
    error = `HTTP ${response.status}`;
    failure = httpFailureClass(response.status);
  } catch (e) {
    const timedOut = e instanceof Error && e.name === "TimeoutError";
    error = timedOut ? `timeout after ${DELIVERY_TIMEOUT_MS / 1000} s` : `network error: ${e instanceof Error ? e.message : "unknown"}`.slice(0, 500);
    failure = timedOut ? "timeout" : "network_error";
  }
  // The delivery's own count bounds it too: a message the sweeper sent again starts its queue
  // attempts at 1, but the delivery keeps the attempts it already had.
  const next = afterFailedAttempt(Math.max(attempt, target.delivery.attempts + 1), maxAttempts);
  const record = { ...base, statusCode, error, failure, at: now() };
  if (next.retry) {
    await recordRetry(env, record);
    return { outcome: "retry", delaySeconds: next.delaySeconds };
  }
  await recordFailed(env, record, true);
  return { outcome: "failed" };
}
