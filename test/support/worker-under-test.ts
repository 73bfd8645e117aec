/**
 * The Worker as deployed, plus test-only Durable Object subclasses that inject faults.
 * Fault injection lives here, never in production classes.
 */
import type { Failure } from "../../domain/failures";
import { ReservationCoordinator } from "../../durable-objects/reservation-coordinator";
import type { SkuGateway } from "../../durable-objects/reservation-coordinator.store";
import type { ReservationResult } from "../../durable-objects/sku-inventory.types";

export * from "../../workers/index";
export { default } from "../../workers/index";

/** How many SKU calls the crashing coordinator lets through before it stalls; set per test. */
let stallAfterCalls: number | null = null;

/**
 * A coordinator whose fan-out stalls for good after a set number of SKU calls, so a test
 * can kill it there (`abortAllDurableObjects`: in-memory state lost, storage kept) as a
 * process crash mid-fan-out would. Its recovery delay is 0 so a test can run the alarm at
 * once.
 */
export class CrashingCoordinator extends ReservationCoordinator {
  protected static override recoveryDelayMs = 0;

  protected static override skuGateway(env: Env, ctx: DurableObjectState): SkuGateway {
    const real = super.skuGateway(env, ctx);
    let delivered = 0;
    return {
      call: (sku, method, input): Promise<ReservationResult | Failure> => {
        if (stallAfterCalls !== null && delivered >= stallAfterCalls) return new Promise(() => {});
        delivered += 1;
        return real.call(sku, method, input);
      },
    };
  }

  /** Arms the stall: SKU calls after the first `n` never return. Test-only RPC. */
  async stallAfter(n: number | null): Promise<void> {
    stallAfterCalls = n;
  }
}
