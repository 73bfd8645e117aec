/**
 * Webhook subscription management: who may create, see and change which subscriptions,
 * secrets (shown once, on create and rotation), the delivery log and test deliveries.
 * Operators manage every subscription and may create operator-wide ones; a vendor manages
 * its own, which only ever receive events about its SKUs.
 */
import type { WebhookDeliveryRow, WebhookSubscriptionRow } from "../d1/schema";
import { httpFailureClass } from "../domain/webhook-targets";
import { MAX_SUBSCRIPTIONS_PER_OWNER, WEBHOOK_TEST_EVENT_TYPE } from "../domain/webhooks";
import type { Principal } from "./principal";
import { ApiError } from "./api-error";
import { findVendor } from "../repositories/vendors";
import {
  countSubscriptions,
  deleteSubscription,
  enableSubscription,
  findSubscription,
  insertDelivery,
  insertSubscription,
  listDeliveries,
  listSubscriptions,
  replaceSecret,
} from "../repositories/webhooks";
import type { CreateWebhookBody } from "../domain/schemas/webhooks";
import { sendDeliveries } from "./event-projection";
import { deliveryStoreFor } from "./webhook-fanout";
import { deliveryIdPrefix } from "../domain/webhook-store";

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A new signing secret: `whsec_` + 32 random bytes in base64url. */
export function generateWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "")}`;
}

/** A subscription as the API shows it (never its secret). */
export function subscriptionJson(row: WebhookSubscriptionRow) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: JSON.parse(row.eventTypes) as string[],
    vendorId: row.vendorId,
    status: row.disabledAt === null ? ("active" as const) : ("disabled" as const),
    disabledAt: iso(row.disabledAt),
    disabledReason: row.disabledReason,
    consecutiveFailures: row.consecutiveFailures,
    secretRotatedAt: iso(row.secretRotatedAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/**
 * A delivery log entry as the API shows it. What answered a delivery (its status code, a
 * network error's text) is for operators only: a subscriber sees the class of the last failure
 * (`lastFailure`, also in `lastError`) and `lastStatusCode: null`, so the log cannot be used to
 * probe what a URL reaches.
 */
export function deliveryJson(row: WebhookDeliveryRow, principal: Principal) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const lastFailure = row.lastFailure ?? (row.lastError === null ? null : row.lastStatusCode !== null ? httpFailureClass(row.lastStatusCode) : "network_error");
  const operator = principal.scope === "operator";
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    sku: row.sku,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: operator ? row.lastStatusCode : null,
    lastError: operator ? row.lastError : lastFailure,
    lastFailure,
    createdAt: iso(row.createdAt),
    lastAttemptAt: iso(row.lastAttemptAt),
    deliveredAt: iso(row.deliveredAt),
    failedAt: iso(row.failedAt),
  };
}

/** The owner a new subscription gets: a vendor key's own vendor, or what an operator named (null: operator-wide). */
async function ownerFor(env: Env, principal: Principal, vendorId: string | undefined): Promise<string | null> {
  if (principal.scope === "vendor") {
    if (vendorId !== undefined && vendorId !== principal.vendorId) {
      throw new ApiError(403, "forbidden", "vendor keys create subscriptions for their own vendor only", [
        { path: ["body", "vendorId"], message: "omit vendorId, or give your own" },
      ]);
    }
    return principal.vendorId;
  }
  if (vendorId === undefined) return null;
  if ((await findVendor(env.DB, vendorId)) === undefined) {
    throw ApiError.invalid("unknown vendor", [{ path: ["body", "vendorId"], message: `no vendor ${vendorId}`, code: "unknown_vendor" }]);
  }
  return vendorId;
}

/** Creates a subscription; its secret is in the answer and never shown again. */
export async function createWebhook(env: Env, principal: Principal, body: CreateWebhookBody) {
  const vendorId = await ownerFor(env, principal, body.vendorId);
  if ((await countSubscriptions(env.DB, vendorId)) >= MAX_SUBSCRIPTIONS_PER_OWNER) {
    throw new ApiError(409, "subscription_limit", `at most ${MAX_SUBSCRIPTIONS_PER_OWNER} subscriptions per owner; delete one first`, {
      limit: MAX_SUBSCRIPTIONS_PER_OWNER,
    });
  }
  const secret = generateWebhookSecret();
  const row = await insertSubscription(env.DB, {
    id: `wh_${randomHex(12)}`,
    vendorId,
    url: body.url,
    description: body.description ?? null,
    eventTypes: body.eventTypes,
    secret,
  });
  return { ...subscriptionJson(row), secret };
}

/** The subscription if the caller may manage it; otherwise 404 (another vendor's looks absent). */
export async function webhookForCaller(env: Env, principal: Principal, id: string): Promise<WebhookSubscriptionRow> {
  const row = await findSubscription(env.DB, id);
  if (row === undefined || (principal.scope === "vendor" && row.vendorId !== principal.vendorId)) {
    throw new ApiError(404, "webhook_not_found", `no webhook subscription ${id}`, { id });
  }
  return row;
}

/** A page of the subscriptions the caller may see, and the key to continue after it. */
export async function listWebhooks(env: Env, principal: Principal, query: { vendorId?: string | undefined; cursor?: [string] | undefined; limit: number }) {
  if (principal.scope === "vendor" && query.vendorId !== undefined && query.vendorId !== principal.vendorId) {
    throw new ApiError(403, "forbidden", "vendor keys see their own subscriptions only", [
      { path: ["query", "vendorId"], message: "omit vendorId, or give your own" },
    ]);
  }
  const vendorId = principal.scope === "vendor" ? principal.vendorId! : query.vendorId;
  const rows = await listSubscriptions(env.DB, { vendorId, afterId: query.cursor?.[0], limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return { items: page.map(subscriptionJson), next: rows.length > query.limit && last !== undefined ? ([last.id] as const) : null };
}

/** Deletes (soft) a subscription the caller may manage. */
export async function removeWebhook(env: Env, principal: Principal, id: string): Promise<void> {
  await webhookForCaller(env, principal, id);
  await deleteSubscription(env.DB, id, Date.now());
}

/** Issues a new secret; deliveries signed from now on (retries included) use it. */
export async function rotateWebhookSecret(env: Env, principal: Principal, id: string) {
  await webhookForCaller(env, principal, id);
  const secret = generateWebhookSecret();
  const row = await replaceSecret(env.DB, id, secret, Date.now());
  if (row === undefined) throw new ApiError(404, "webhook_not_found", `no webhook subscription ${id}`, { id });
  return { ...subscriptionJson(row), secret };
}

/** Re-enables a subscription that was disabled after repeated failures. */
export async function reenableWebhook(env: Env, principal: Principal, id: string) {
  await webhookForCaller(env, principal, id);
  const row = await enableSubscription(env.DB, id, Date.now());
  if (row === undefined) throw new ApiError(404, "webhook_not_found", `no webhook subscription ${id}`, { id });
  return subscriptionJson(row);
}

/** A page of a subscription's delivery log, newest first, and the key to continue after it. */
export async function webhookDeliveries(
  env: Env,
  principal: Principal,
  id: string,
  query: { cursor?: [number, string] | undefined; status?: WebhookDeliveryRow["status"] | undefined; limit: number },
) {
  await webhookForCaller(env, principal, id);
  const before = query.cursor === undefined ? undefined : { createdAt: query.cursor[0], id: query.cursor[1] };
  const rows = await listDeliveries(env, { subscriptionId: id, before, status: query.status, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((row) => deliveryJson(row, principal)),
    next: rows.length > query.limit && last !== undefined ? ([last.createdAt, last.id] as const) : null,
  };
}

/** Sends a `webhook.test` event to the subscription through the normal delivery path. */
export async function sendTestEvent(env: Env, principal: Principal, id: string) {
  const row = await webhookForCaller(env, principal, id);
  if (row.disabledAt !== null) {
    throw new ApiError(409, "subscription_disabled", "the subscription is disabled; re-enable it first (POST …/enable)", {
      id,
      disabledReason: row.disabledReason,
    });
  }
  const now = Date.now();
  const eventId = `evt_test_${crypto.randomUUID()}`;
  const store = deliveryStoreFor(env, eventId);
  const deliveryId = `${deliveryIdPrefix(store.partition)}${randomHex(12)}`;
  const payload = {
    id: eventId,
    type: WEBHOOK_TEST_EVENT_TYPE,
    occurredAt: new Date(now).toISOString(),
    subscriptionId: id,
    vendorId: row.vendorId,
    message: "A test event from edge-inventory: your endpoint is reachable and can verify our signature.",
  };
  const event = { eventId, eventType: WEBHOOK_TEST_EVENT_TYPE, payload };
  await insertDelivery(env, { id: deliveryId, subscriptionId: id, eventId, eventType: WEBHOOK_TEST_EVENT_TYPE, message: JSON.stringify(event), now });
  await sendDeliveries(env, store.db, [{ id: deliveryId, subscriptionId: id }], event, now);
  return { deliveryId, eventId, eventType: WEBHOOK_TEST_EVENT_TYPE };
}
