/**
 * Stock states on one SKU at one location (`POST /api/v2/inventory/{sku}/states`): the
 * Worker checks the caller may touch the SKU and that the location exists, then the SKU
 * object moves the units in one transaction (sku-inventory/stock-states.ts).
 */
import { isFailure } from "../domain/failures";
import type { MoveStockStateResult } from "../durable-objects/sku-inbound.types";
import { actorOf, principalName, type Principal } from "./principal";
import { ApiError } from "./api-error";
import { allLocations } from "../repositories/locations";
import { requestHash } from "../domain/hashing";
import type { StockStateBody } from "../domain/schemas/inbound";
import { callerOf } from "./sku-access";

/** Moves units between states; a retry with the same Idempotency-Key and body returns the first answer. */
export async function moveStockState(env: Env, principal: Principal, sku: string, body: StockStateBody, idempotencyKey: string): Promise<MoveStockStateResult> {
  const { byId } = await allLocations(env.DB);
  if (!byId.has(body.locationId)) {
    throw ApiError.invalid("unknown location", [{ path: ["body", "locationId"], message: `no location ${body.locationId}`, code: "unknown_location" }]);
  }
  const result = await env.SKU_INVENTORY.getByName(sku).moveStockState({
    sku,
    actor: actorOf(principal),
    locationId: body.locationId,
    from: body.from,
    to: body.to,
    quantity: body.quantity,
    reason: body.reason,
    ...(body.reference !== undefined ? { reference: body.reference } : {}),
    idempotencyKey: `${principalName(principal)}\nstates\n${idempotencyKey}`,
    requestHash: await requestHash({ sku, states: body }),
    caller: callerOf(principal),
  });
  if (isFailure(result)) throw ApiError.fromFailure(result);
  return result;
}
