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

/** Which fan-out call the crashing coordinator dies on, set per test through `crashOn`. */
let crashAfterCalls: number | null = null;

/**
 * A coordinator that dies (ctx.abort: in-memory state lost, storage kept) after a set
 * number of SKU calls, as a process crash mid-fan-out would. Its recovery delay is 0 so
 * a test can run the alarm at once.
 */
export class CrashingCoordinator extends ReservationCoordinator {
  protected static override recoveryDelayMs = 0;

  protected static override skuGateway(env: Env, ctx: DurableObjectState): SkuGateway {
    const real = super.skuGateway(env, ctx);
    const delivered: Promise<unknown>[] = [];
    return {
      call: async (sku, method, input): Promise<ReservationResult | Failure> => {
        if (crashAfterCalls !== null && delivered.length >= crashAfterCalls) {
          // Die only once the first calls have really reached their SKUs.
          await Promise.allSettled(delivered);
          crashAfterCalls = null;
          ctx.abort("simulated crash in the middle of a fan-out");
        }
        const call = real.call(sku, method, input);
        delivered.push(call);
        return call;
      },
    };
  }

  /** Arms the crash: the object dies before its (n+1)-th SKU call. Test-only RPC. */
  async crashAfter(n: number | null): Promise<void> {
    crashAfterCalls = n;
  }
}
