/**
 * `/api/v2/api-keys`: issuing keys (operators; the key is shown once), listing them (metadata
 * only, never the hash) and revoking them. Operators see and revoke every key, a vendor key its
 * own vendor's. A revoked key is refused at once on the isolate that revoked it, and elsewhere
 * once the isolate's verified-key cache lets it go (`KEY_CACHE_MS`, 30 s; workers/auth/authenticate.ts).
 */
import { RouteGroup } from "../http/route-table";
import { forgetApiKey } from "../auth/authenticate";
import { encodeCursor } from "../../domain/schemas/cursor";
import { API_KEYS_CURSOR, ApiKeyId, ApiKeyListQuery } from "../../domain/schemas/listings";
import { CreateApiKeyBody } from "../../domain/schemas/master-data";
import { listApiKeysForCaller, revokeApiKeyForCaller } from "../../services/api-keys";
import { createApiKey } from "../../services/master-data";
import { BODY_LIMITS } from "./limits";

export const apiKeyRoutes = new RouteGroup("api-keys", ["operator", "vendor"]);
apiKeyRoutes.app.use("*", async (c, next) => {
  c.header("Cache-Control", "no-store");
  await next();
});

apiKeyRoutes.route(
  {
    method: "post",
    path: "/",
    summary: "Issue an API key (returned once; only its hash is stored)",
    scopes: ["operator"],
    body: CreateApiKeyBody,
    maxBytes: BODY_LIMITS.masterData,
    success: { status: 201, description: "the key" },
    errors: [400, 401, 403, 413, 415],
  },
  async (c, input) => {
    const body = await input.body();
    return c.json(await createApiKey(c.env, body), 201);
  },
);

apiKeyRoutes.route(
  {
    method: "get",
    path: "/",
    reads: "replica",
    summary: "API keys, newest first, cursor-paginated: metadata only, never the key or its hash (vendors: their own)",
    scopes: ["operator", "vendor"],
    query: ApiKeyListQuery,
    success: { status: 200, description: "{items, nextCursor}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const page = await listApiKeysForCaller(c.env, c.get("principal"), input.query());
    return c.json({ items: page.items, nextCursor: page.next === null ? null : encodeCursor(API_KEYS_CURSOR, page.next) });
  },
);

apiKeyRoutes.route(
  {
    method: "post",
    path: "/:id/revoke",
    summary:
      "Revoke an API key (vendors: their own); refused at once on this isolate, everywhere within 30 s; a repeat answers the key as revoked the first time",
    scopes: ["operator", "vendor"],
    params: { id: ApiKeyId },
    success: { status: 200, description: "the key" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const id = input.param("id");
    const key = await revokeApiKeyForCaller(c.env, c.get("principal"), id);
    forgetApiKey(id);
    return c.json(key);
  },
);
