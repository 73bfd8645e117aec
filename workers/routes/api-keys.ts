/** `/api/v2/api-keys`: issuing keys (operators). The key is shown once. */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { readJson } from "../http/read-input";
import { CreateApiKeyBody } from "../../domain/schemas/master-data";
import { createApiKey } from "../../services/master-data";
import { BODY_LIMITS } from "./limits";

export const apiKeyRoutes = new Hono<AppEnv>();
apiKeyRoutes.use("*", authenticate("operator"));

apiKeyRoutes.post("/", async (c) => {
  const body = await readJson(c, CreateApiKeyBody, BODY_LIMITS.masterData);
  c.header("Cache-Control", "no-store");
  return c.json(await createApiKey(c.env, body), 201);
});
