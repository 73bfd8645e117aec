/**
 * Durable Object stubs the application services reach by name: the layer beside the D1
 * repositories (services call these; routes and consumers call services).
 */

/** The coordinator object that owns a reservation id. */
export function coordinatorFor(env: Env, reservationId: string) {
  return env.RESERVATION_COORDINATOR.getByName(`shard-${reservationId.slice(4, 6)}`);
}

/** The SKU's own object (`SkuInventory`). */
export function skuObjectFor(env: Env, sku: string) {
  return env.SKU_INVENTORY.getByName(sku);
}
