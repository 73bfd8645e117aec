/**
 * `/api/v2/webhooks`: webhook subscriptions (operators for any, vendors for their own),
 * their secrets (shown once), delivery log and test deliveries.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { webhookTargetPolicy } from "../../services/environment";
import { readJson, readParam, readQuery } from "../http/read-input";
import { encodeCursor } from "../../domain/schemas/cursor";
import { CREATE_WEBHOOK_BODY, DELIVERY_LIST_CURSOR, DeliveryListQuery, WEBHOOK_LIST_CURSOR, WebhookId, WebhookListQuery } from "../../domain/schemas/webhooks";
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

export const webhooks = new Hono<AppEnv>();
webhooks.use("*", authenticate("operator", "vendor"));
webhooks.use("*", async (c, next) => {
  c.header("Cache-Control", "private, no-store");
  await next();
});

webhooks.post("/", async (c) => {
  // The URL rules depend on the deployment (production: https:// to public hosts only).
  const body = await readJson(c, CREATE_WEBHOOK_BODY[webhookTargetPolicy(c.env)], WEBHOOK_BODY_LIMIT);
  return c.json(await createWebhook(c.env, c.get("principal"), body), 201);
});

webhooks.get("/", async (c) => {
  const query = readQuery(c, WebhookListQuery);
  const page = await listWebhooks(c.env, c.get("principal"), query);
  return c.json({ items: page.items, nextCursor: page.next === null ? null : encodeCursor(WEBHOOK_LIST_CURSOR, page.next) });
});

webhooks.get("/:id", async (c) => {
  const id = readParam(c, "id", WebhookId);
  return c.json(subscriptionJson(await webhookForCaller(c.env, c.get("principal"), id)));
});

webhooks.delete("/:id", async (c) => {
  const id = readParam(c, "id", WebhookId);
  await removeWebhook(c.env, c.get("principal"), id);
  return c.body(null, 204);
});

webhooks.post("/:id/rotate-secret", async (c) => {
  const id = readParam(c, "id", WebhookId);
  return c.json(await rotateWebhookSecret(c.env, c.get("principal"), id));
});

webhooks.post("/:id/enable", async (c) => {
  const id = readParam(c, "id", WebhookId);
  return c.json(await reenableWebhook(c.env, c.get("principal"), id));
});

webhooks.get("/:id/deliveries", async (c) => {
  const id = readParam(c, "id", WebhookId);
  const query = readQuery(c, DeliveryListQuery);
  const page = await webhookDeliveries(c.env, c.get("principal"), id, query);
  return c.json({ items: page.items, nextCursor: page.next === null ? null : encodeCursor(DELIVERY_LIST_CURSOR, page.next) });
});

webhooks.post("/:id/test", async (c) => {
  const id = readParam(c, "id", WebhookId);
  return c.json(await sendTestEvent(c.env, c.get("principal"), id), 202);
});
