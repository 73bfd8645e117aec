/**
 * A SKU's expiring-alert horizon (issue 14 item 6): how many days before a lot's expiry the
 * SKU object's alarm raises `inventory.expiring` (durable-objects/sku-inventory/lots.ts).
 * Set with the SKU's planning settings (`expiryAlertDays`, workers/routes/planning-settings.ts).
 *
 * The SKU object is its only store (meta `expiry_horizon_days`): the alarm that uses it runs
 * in the object, and there is no D1 copy that a lost push could leave behind, so nothing
 * needs re-pushing. The route sets it *before* it writes the other settings to D1: if the
 * object cannot be reached the request answers 503 with nothing written; if D1 fails after,
 * the horizon is set and a retry of the same PUT (absolute values) sets the rest.
 */
import { isFailure } from "../domain/failures";
import type { SkuInventory } from "../durable-objects/sku-inventory";
import { ApiError } from "./api-error";

/** Sets the horizon (days; null: back to the default). 503 when the SKU object cannot be reached. */
export async function setExpiryAlertDays(env: Env, sku: string, days: number | null): Promise<number | null> {
  let result: Awaited<ReturnType<SkuInventory["setExpiryHorizon"]>>;
  try {
    result = await env.SKU_INVENTORY.getByName(sku).setExpiryHorizon(days);
  } catch (error) {
    console.error(JSON.stringify({ event: "sku.expiry_horizon_failed", sku, error: String(error) }));
    throw new ApiError(503, "retry_later", "the SKU could not be reached; try again");
  }
  if (isFailure(result)) throw ApiError.fromFailure(result);
  return result.set;
}

/** The horizon set for the SKU (days), or null when it runs on the default; null too when its object cannot be reached (logged). */
export async function expiryAlertDays(env: Env, sku: string): Promise<{ set: number | null; inEffect: number | null }> {
  try {
    const h = await env.SKU_INVENTORY.getByName(sku).expiryHorizon();
    return { set: h.set, inEffect: h.horizonDays };
  } catch (error) {
    console.error(JSON.stringify({ event: "sku.expiry_horizon_read_failed", sku, error: String(error) }));
    return { set: null, inEffect: null };
  }
}
