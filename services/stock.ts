/**
 * Stock changes on one SKU at one location (`PATCH /api/v2/inventory/{sku}`). The location is
 * checked here (the isolate's location cache: thousands of rows, so it stays hot at any SKU
 * count); the SKU, its owner and its policy are the SKU object's own master facts (v7), so
 * the change reads nothing from D1 per request.
 */
import { actorOf, principalName, type Principal } from "./principal";
import { isFailure } from "../domain/failures";
import { ApiError } from "./api-error";
import { allLocations } from "../repositories/locations";
import { requestHash } from "../domain/hashing";
import type { AdjustStockBody } from "../domain/schemas/inventory";
import type { AdjustStockResult } from "../durable-objects/sku-inventory.types";
import { callerOf } from "./sku-access";

/**
 * Adjusts or sets on-hand. Without an Idempotency-Key a fresh one is used, so only callers
 * that send one get retry safety. The object answers an unknown SKU (404) or another
 * vendor's (403) with the errors the Worker gave before (services/sku-access.ts).
 */
export async function adjustStock(
  env: Env,
  principal: Principal,
  sku: string,
  body: AdjustStockBody,
  idempotencyKey: string | undefined,
): Promise<AdjustStockResult> {
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
    caller: callerOf(principal),
  });
  if (isFailure(result)) throw ApiError.fromFailure(result);
  return result;
}
