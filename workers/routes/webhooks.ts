/**
 * `/api/v2/webhooks`: webhook subscriptions (operators for any, vendors for their own),
 * their secrets (shown once), delivery log and test deliveries.
 */
import { webhookTargetPolicy } from "../../services/environment";
import { RouteGroup } from "../http/route-table";
import { encodeCursor } from "../../domain/schemas/cursor";
import {
  CREATE_WEBHOOK_BODY,
  CreateWebhookBody,
  DELIVERY_LIST_CURSOR,
  DeliveryListQuery,
  WEBHOOK_LIST_CURSOR,
  WebhookId,
  WebhookListQuery,
} from "../../domain/schemas/webhooks";
import {
  createWebhook,
  reenableWebhook,
  removeWebhook,
  rotateWebhookSecret,
  sendTestEvent,
  subscriptionJson,
  webhookDeliveries,
  webhookForCaller,
  listWebhooks,
} from "../../services/webhooks";

/** Largest create body, bytes. */
export const WEBHOOK_BODY_LIMIT = 8 * 1024;

export const webhooks = new RouteGroup("webhooks", ["operator", "vendor"]);
webhooks.app.use("*", async (c, next) => {
  c.header("Cache-Control", "private, no-store");
  await next();
});

const scopes = ["operator", "vendor"] as const;
const params = { id: WebhookId };

webhooks.route(
  {
    method: "post",
    path: "/",
    summary: "Create a webhook subscription (the signing secret is shown once)",
    scopes,
    body: CreateWebhookBody,
    // The URL rules depend on the deployment (production: https:// to public hosts only).
    bodyFor: (env) => CREATE_WEBHOOK_BODY[webhookTargetPolicy(env)],
    maxBytes: WEBHOOK_BODY_LIMIT,
    success: { status: 201, description: "the subscription and its secret" },
    errors: [400, 401, 403, 409, 413, 415],
  },
  async (c, input) => {
    const body = await input.body();
    return c.json(await createWebhook(c.env, c.get("principal"), body), 201);
  },
);

webhooks.route(
  {
    method: "get",
    path: "/",
    reads: "replica",
    summary: "List webhook subscriptions (no secrets)",
    scopes,
    query: WebhookListQuery,
    success: { status: 200, description: "{items, nextCursor}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const query = input.query();
    const page = await listWebhooks(c.env, c.get("principal"), query);
    return c.json({ items: page.items, nextCursor: page.next === null ? null : encodeCursor(WEBHOOK_LIST_CURSOR, page.next) });
  },
);

webhooks.route(
  {
    method: "get",
    path: "/:id",
    summary: "One webhook subscription",
    scopes,
    params,
    success: { status: 200, description: "the subscription" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const id = input.param("id");
    return c.json(subscriptionJson(await webhookForCaller(c.env, c.get("principal"), id)));
  },
);

webhooks.route(
  {
    method: "delete",
    path: "/:id",
    summary: "Delete a webhook subscription",
    scopes,
    params,
    success: { status: 204, description: "deleted" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const id = input.param("id");
    await removeWebhook(c.env, c.get("principal"), id);
    return c.body(null, 204);
  },
);

webhooks.route(
  {
    method: "post",
    path: "/:id/rotate-secret",
    summary: "Rotate the signing secret (the new one is shown once)",
    scopes,
    params,
    success: { status: 200, description: "the new secret" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const id = input.param("id");
    return c.json(await rotateWebhookSecret(c.env, c.get("principal"), id));
  },
);

webhooks.route(
  {
    method: "post",
    path: "/:id/enable",
    summary: "Re-enable a subscription disabled after repeated failures",
    scopes,
    params,
    success: { status: 200, description: "the subscription" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const id = input.param("id");
    return c.json(await reenableWebhook(c.env, c.get("principal"), id));
  },
);

webhooks.route(
  {
    method: "get",
    path: "/:id/deliveries",
    reads: "replica",
    summary: "The subscription's delivery log",
    scopes,
    params,
    query: DeliveryListQuery,
    success: { status: 200, description: "{items, nextCursor}" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const id = input.param("id");
    const query = input.query();
    const page = await webhookDeliveries(c.env, c.get("principal"), id, query);
    return c.json({ items: page.items, nextCursor: page.next === null ? null : encodeCursor(DELIVERY_LIST_CURSOR, page.next) });
  },
);

webhooks.route(
  {
    method: "post",
    path: "/:id/test",
    summary: "Send a signed webhook.test event through the delivery path",
    scopes,
    params,
    success: { status: 202, description: "the queued delivery" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const id = input.param("id");
    return c.json(await sendTestEvent(c.env, c.get("principal"), id), 202);
  },
);
