/**
 * `/api/v2/planning-settings/{sku}`: a SKU's planning settings — category (forecast pools),
 * unit cost and price, and overrides of the replenishment policy (service level, lead time
 * and its variability, MOQ, pack size, max stock, ordering cost, holding rate), and the
 * overstock / slow-moving alert thresholds, and (perishables) the expiring-alert horizon
 * `expiryAlertDays`, which the SKU object holds. GET shows the stored values, the policy and the
 * thresholds in effect; PUT sets fields (null clears one). Operators;
 * vendors for their own SKUs.
 *
 * The settings are in the read database of the SKU's vendor (issue 19 item 2); a PUT while
 * that vendor's rows are being moved to another database answers 503 (it could land behind the copy).
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { RouteGroup } from "../http/route-table";
import { stockMovementOptions } from "../../domain/analytics";
import { resolvePolicy } from "../../domain/planning-defaults";
import { ApiError } from "../../services/api-error";
import { planningSkus, type PlanningSku } from "../../repositories/planning";
import { findPlanningSettings, upsertPlanningSettings } from "../../repositories/planning-analytics";
import { vendorReadDb } from "../../repositories/read-partitions";
import { vendorsMoving } from "../../repositories/read-moves";
import { SkuId } from "../../domain/schemas/common";
import { PlanningSettingsBody } from "../../domain/schemas/planning";
import { BODY_LIMITS } from "./limits";
import { assertOwns } from "./planning-access";
import { expiryAlertDays, setExpiryAlertDays } from "../../services/expiry-horizon";

export const planningSettings = new RouteGroup("planning", ["operator", "vendor"]);

async function ownedSku(c: Context<AppEnv>, sku: string): Promise<PlanningSku> {
  const master = (await planningSkus(c.env, [sku])).get(sku);
  if (master === undefined) throw new ApiError(404, "sku_not_found", `no SKU ${sku}`, { sku });
  assertOwns(c.get("principal"), master.vendorId, sku);
  return master;
}

async function settingsJson(c: Context<AppEnv>, master: PlanningSku) {
  const [stored, horizon] = await Promise.all([
    findPlanningSettings(await vendorReadDb(c.env, master.vendorId), master.sku),
    expiryAlertDays(c.env, master.sku),
  ]);
  const fresh = (await planningSkus(c.env, [master.sku])).get(master.sku)!;
  return {
    sku: master.sku,
    vendorId: master.vendorId,
    settings: { ...(stored ?? {}), ...(horizon.set === null ? {} : { expiryAlertDays: horizon.set }) },
    policy: resolvePolicy(fresh, fresh.settings),
    alertThresholds: { ...stockMovementOptions(fresh.alertThresholds), expiryAlertDays: horizon.inEffect },
  };
}

planningSettings.route(
  {
    method: "get",
    path: "/:sku",
    summary: "A SKU's planning settings (category, unit cost and price, policy overrides) and the policy in effect",
    scopes: ["operator", "vendor"],
    params: { sku: SkuId },
    success: { status: 200, description: "{sku, vendorId, settings, policy, alertThresholds}" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => c.json(await settingsJson(c, await ownedSku(c, input.param("sku")))),
);

planningSettings.route(
  {
    method: "put",
    path: "/:sku",
    summary: "Set a SKU's planning settings (omitted fields keep their values, null clears one)",
    scopes: ["operator", "vendor"],
    params: { sku: SkuId },
    body: PlanningSettingsBody,
    maxBytes: BODY_LIMITS.masterData,
    success: { status: 200, description: "{sku, vendorId, settings, policy, alertThresholds}" },
    errors: [400, 401, 403, 404, 413, 415],
  },
  async (c, input) => {
    const master = await ownedSku(c, input.param("sku"));
    const { expiryAlertDays: days, ...body } = await input.body();
    if ((await vendorsMoving(c.env.DB, [master.vendorId])).size > 0) {
      throw new ApiError(503, "retry_later", "the vendor's read model is being moved to another database; try again in a minute", { sku: master.sku });
    }
    // The SKU object holds the expiry horizon (services/expiry-horizon.ts); set first, so a 503 writes nothing.
    if (days !== undefined) await setExpiryAlertDays(c.env, master.sku, days);
    await upsertPlanningSettings(await vendorReadDb(c.env, master.vendorId), master.sku, body, Date.now());
    return c.json(await settingsJson(c, master));
  },
);
