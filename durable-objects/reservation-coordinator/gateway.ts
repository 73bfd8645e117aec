/**
 * How the coordinator reaches the SKU objects: one hop of the saga is one call of a SKU
 * object's own RPC method, typed by that method's signature, so a hop compiles only with
 * exactly the input the SKU object takes (test/saga-types.test.ts).
 */
import type { SkuInventory } from "../sku-inventory";

/** The SKU object's RPC methods the saga calls. */
export type SkuMethod =
  | "applyReservation"
  | "release"
  | "promote"
  | "demote"
  | "commit"
  | "uncommit"
  | "fulfil"
  | "amendReservation"
  | "settleAmendment"
  | "lookupReservation";
/** Each method's input, taken from the SKU object's own RPC signature (a field added there must be sent here). */
export type SkuInputs = { [M in SkuMethod]: Parameters<SkuInventory[M]>[0] };
/** Each method's answer, likewise. */
export type SkuAnswers = { [M in SkuMethod]: Awaited<ReturnType<SkuInventory[M]>> };

/** The SKU objects, as the coordinator calls them (the live binding, or a test double). */
export interface SkuGateway {
  call<M extends SkuMethod>(sku: string, method: M, input: SkuInputs[M]): Promise<SkuAnswers[M]>;
}

/** Each hop as a call of the stub's method of the same name (no casts: the table is checked per method). */
const SKU_CALLS: { [M in SkuMethod]: (stub: DurableObjectStub<SkuInventory>, input: SkuInputs[M]) => Promise<SkuAnswers[M]> } = {
  applyReservation: (stub, input) => stub.applyReservation(input),
  release: (stub, input) => stub.release(input),
  promote: (stub, input) => stub.promote(input),
  demote: (stub, input) => stub.demote(input),
  commit: (stub, input) => stub.commit(input),
  uncommit: (stub, input) => stub.uncommit(input),
  fulfil: (stub, input) => stub.fulfil(input),
  amendReservation: (stub, input) => stub.amendReservation(input),
  settleAmendment: (stub, input) => stub.settleAmendment(input),
  lookupReservation: (stub, input) => stub.lookupReservation(input),
};

/** The SKU objects of this deployment (`env.SKU_INVENTORY.getByName(sku)`). */
export function liveSkuGateway(env: Env): SkuGateway {
  return {
    call: (sku, method, input) => {
      const call: (typeof SKU_CALLS)[typeof method] = SKU_CALLS[method];
      return call(env.SKU_INVENTORY.getByName(sku), input);
    },
  };
}
