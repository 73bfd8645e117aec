/**
 * Stock changes on one SKU at one location (`PATCH /api/v2/inventory/{sku}`).
 */
import { actorOf, principalName, type Principal } from "./principal";
import { isFailure } from "../domain/failures";
import { ApiError } from "./api-error";
import { allLocations } from "../repositories/locations";
import { requestHash } from "../domain/hashing";
import type { AdjustStockBody } from "../domain/schemas/inventory";
import type { AdjustStockResult } from "../durable-objects/sku-inventory.types";
import { policyOf, skuForStockAccess } from "./sku-access";

/**
 * Adjusts or sets on-hand. Without an Idempotency-Key a fresh one is used, so only callers
 * that send one get retry safety.
 */
export async function adjustStock(
  env: Env,
  principal: Principal,
  sku: string,
  body: AdjustStockBody,
  idempotencyKey: string | undefined,
): Promise<AdjustStockResult> {
  const row = await skuForStockAccess(env, principal, sku);
  const { byId } = await allLocations(env.DB);
  if (!byId.has(body.locationId)) {
    throw ApiError.invalid("unknown location", [{ path: ["body", "locationId"], message: `no location ${body.locationId}`, code: "unknown_location" }]);
  }
  const key = `${principalName(principal)}\n${idempotencyKey ?? crypto.randomUUID()}`;
  const result = await env.SKU_INVENTORY.getByName(sku).adjustStock({
    sku,
    actor: actorOf(principal),
    locationId: body.locationId,
    ...(body.delta !== undefined ? { delta: body.delta } : {}),
    ...(body.onHand !== undefined ? { onHand: body.onHand } : {}),
    ...(body.expectedOnHand !== undefined ? { expectedOnHand: body.expectedOnHand } : {}),
    reason: body.reason,
    ...(body.reference !== undefined ? { reference: body.reference } : {}),
    idempotencyKey: key,
    requestHash: await requestHash({ sku, ...body }),
    policy: policyOf(row),
  });
  if (isFailure(result)) throw ApiError.fromFailure(result);
  return result;
}
