/**
 * The coordinator's saga hop is typed by the SKU object's own RPC signatures: each
 * `SkuGateway.call(sku, method, input)` takes exactly the parameter of that method of
 * `SkuInventory`, so a field added to (say) `ApplyReservationInput` breaks the build where
 * the coordinator does not send it.
 *
 * The proof is in the type checker (`npm run test:types` runs tsc over test/): every
 * `@ts-expect-error` line below must fail to compile, or tsc reports the directive as
 * unused. With the old gateway (`input: Record<string, unknown>`) all of them compiled.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import type { SkuAnswers, SkuGateway, SkuInputs } from "../durable-objects/reservation-coordinator.store";
import type { SkuInventory } from "../durable-objects/sku-inventory";
import type {
  ApplyReservationInput,
  DemoteInput,
  PromoteInput,
  ReleaseInput,
  ReservationRefInput,
  ReservationResult,
  WithCaller,
} from "../durable-objects/sku-inventory.types";
import type { Failure } from "../domain/failures";

const policy = { allowBackorder: false, softBufferPct: 10, reorderPoint: 0 };
const ref = { sku: "S", reservationId: "rsv_1", attempt: 1, actor: "checkout:t" };

/** Never called: its body only has to type-check, or fail to where marked. */
function hops(gateway: SkuGateway): void {
  const apply: ApplyReservationInput = { ...ref, type: "hard", lines: [{ locationId: "L1", quantity: 1 }], expiresAt: 1, reference: "o", policy };
  void gateway.call("S", "applyReservation", apply);
  void gateway.call("S", "release", { ...ref, reason: "compensation", type: "hard" });
  void gateway.call("S", "commit", ref);

  // A field the SKU object needs is missing: what a field newly added to its input looks like.
  // (Since v7 the policy is the object's own master facts: optional, so `lines` stands in.)
  // @ts-expect-error lines is required by SkuInventory.applyReservation
  void gateway.call("S", "applyReservation", { ...ref, type: "hard", expiresAt: 1, reference: "o" });
  // Another method's input: release needs a reason and a type.
  // @ts-expect-error ReservationRefInput is not a ReleaseInput
  void gateway.call("S", "release", ref);
  // A field the SKU object does not take.
  // @ts-expect-error ttlSeconds is not part of ReservationRefInput
  void gateway.call("S", "commit", { ...ref, ttlSeconds: 60 });
  // A field of the wrong type.
  // @ts-expect-error expiresAt is a number (ms)
  void gateway.call("S", "promote", { ...ref, expiresAt: "tomorrow", policy });
  // A value outside the field's union.
  // @ts-expect-error reason is "release" | "expire" | "compensation"
  void gateway.call("S", "release", { ...ref, reason: "cancel", type: "hard" });
  // Not a method the saga calls.
  // @ts-expect-error adjustStock is not a saga hop
  void gateway.call("S", "adjustStock", ref);
}

describe("saga hop types", () => {
  it("each hop takes and answers exactly what the SKU object's RPC method does", () => {
    expectTypeOf<SkuInputs["applyReservation"]>().toEqualTypeOf<Parameters<SkuInventory["applyReservation"]>[0]>();
    expectTypeOf<SkuInputs["applyReservation"]>().toEqualTypeOf<WithCaller<ApplyReservationInput>>();
    expectTypeOf<SkuInputs["release"]>().toEqualTypeOf<ReleaseInput>();
    expectTypeOf<SkuInputs["promote"]>().toEqualTypeOf<WithCaller<PromoteInput>>();
    expectTypeOf<SkuInputs["demote"]>().toEqualTypeOf<DemoteInput>();
    expectTypeOf<SkuInputs["commit"]>().toEqualTypeOf<ReservationRefInput>();
    expectTypeOf<SkuInputs["uncommit"]>().toEqualTypeOf<ReservationRefInput>();
    expectTypeOf<SkuInputs["fulfil"]>().toEqualTypeOf<ReservationRefInput>();
    expectTypeOf<SkuAnswers["fulfil"]>().toEqualTypeOf<ReservationResult | Failure>();
    expect(typeof hops).toBe("function");
  });
});
