/**
 * The Worker as deployed, plus test-only Durable Object subclasses that inject faults.
 * Fault injection lives here, never in production classes.
 */
import type { Failure } from "../../domain/failures";
import { ReservationCoordinator } from "../../durable-objects/reservation-coordinator";
import type { SkuGateway } from "../../durable-objects/reservation-coordinator.store";
import type { InventoryEvent } from "../../domain/events";
import { SkuInventory, type EventSink } from "../../durable-objects/sku-inventory";
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

/** Events "sent" by RecordingSkuInventory objects, in order; and whether sends fail. */
export const recordedEvents: InventoryEvent[] = [];
let failSends = false;

/**
 * A SKU object whose events go to an in-memory recorder instead of the EVENTS queue, and
 * whose sends can be made to fail, so tests can see exactly what was flushed and when.
 */
export class RecordingSkuInventory extends SkuInventory {
  protected static override eventSink(_env: Env): EventSink {
    return {
      sendBatch: async (messages) => {
        if (failSends) throw new Error("simulated queue outage");
        for (const m of messages) recordedEvents.push(m.body);
      },
    };
  }

  /** Test-only RPC: what has been sent so far (and clears the record). */
  async takeRecordedEvents(): Promise<InventoryEvent[]> {
    return recordedEvents.splice(0, recordedEvents.length);
  }

  /** Test-only RPC: make sends fail (a queue outage) or succeed. */
  async failEventSends(fail: boolean): Promise<void> {
    failSends = fail;
  }
}
