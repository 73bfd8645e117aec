/** `/api/v2/allocations`: order routing plans (checkout, operators). Nothing is held. */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { readJson } from "../http/read-input";
import { PlanBody } from "../../domain/schemas/allocation";
import { planOrder } from "../../services/allocation";
import { BODY_LIMITS } from "./limits";

export const allocations = new Hono<AppEnv>();

allocations.post("/plan", authenticate("checkout", "operator"), async (c) => {
  const body = await readJson(c, PlanBody, BODY_LIMITS.reserve);
  const plan = await planOrder(c.env, body);
  c.header("Cache-Control", "private, no-store");
  return c.json(plan, 200);
});
