/**
 * `/api/v2/planning-settings/{sku}`: a SKU's planning settings — category (forecast pools),
 * unit cost and price, and overrides of the replenishment policy (service level, lead time
 * and its variability, MOQ, pack size, max stock, ordering cost, holding rate). GET shows the
 * stored values and the policy in effect; PUT sets fields (null clears one). Operators;
 * vendors for their own SKUs.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { resolvePolicy } from "../../domain/planning-defaults";
import { ApiError } from "../../services/api-error";
import { readJson, readParam } from "../http/read-input";
import { planningSkus, type PlanningSku } from "../../repositories/planning";
import { findPlanningSettings, upsertPlanningSettings } from "../../repositories/planning-analytics";
import { SkuId } from "../../domain/schemas/common";
import { PlanningSettingsBody } from "../../domain/schemas/planning";
import { BODY_LIMITS } from "./limits";
import { assertOwns } from "./planning-access";

export const planningSettings = new Hono<AppEnv>();
planningSettings.use("*", authenticate("operator", "vendor"));

async function ownedSku(c: Context<AppEnv>): Promise<PlanningSku> {
  const sku = readParam(c, "sku", SkuId);
  const master = (await planningSkus(c.env.DB, [sku])).get(sku);
  if (master === undefined) throw new ApiError(404, "sku_not_found", `no SKU ${sku}`, { sku });
  assertOwns(c.get("principal"), master.vendorId, sku);
  return master;
}

async function settingsJson(c: Context<AppEnv>, master: PlanningSku) {
  const stored = await findPlanningSettings(c.env.DB, master.sku);
  const fresh = (await planningSkus(c.env.DB, [master.sku])).get(master.sku)!;
  return { sku: master.sku, vendorId: master.vendorId, settings: stored ?? {}, policy: resolvePolicy(fresh, fresh.settings) };
}

planningSettings.get("/:sku", async (c) => c.json(await settingsJson(c, await ownedSku(c))));

planningSettings.put("/:sku", async (c) => {
  const master = await ownedSku(c);
  const body = await readJson(c, PlanningSettingsBody, BODY_LIMITS.masterData);
  await upsertPlanningSettings(c.env.DB, master.sku, body, Date.now());
  return c.json(await settingsJson(c, master));
});
