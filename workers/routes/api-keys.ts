/** `/api/v2/api-keys`: issuing keys (operators). The key is shown once. */
import { RouteGroup } from "../http/route-table";
import { CreateApiKeyBody } from "../../domain/schemas/master-data";
import { createApiKey } from "../../services/master-data";
import { BODY_LIMITS } from "./limits";

export const apiKeyRoutes = new RouteGroup("api-keys", ["operator"]);

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
    c.header("Cache-Control", "no-store");
    return c.json(await createApiKey(c.env, body), 201);
  },
);
