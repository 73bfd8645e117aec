/**
 * The Worker as deployed, plus test-only Durable Object subclasses that inject faults and
 * move the objects' clock. Fault injection lives here, never in production classes.
 */
import { ReservationCoordinator } from "../../durable-objects/reservation-coordinator";
import type { SkuGateway } from "../../durable-objects/reservation-coordinator.store";
import type { InventoryEvent } from "../../domain/events";
import { SkuInventory, type EventSink } from "../../durable-objects/sku-inventory";
import type { MasterPushResult, SkuMasterFacts } from "../../durable-objects/sku-inventory.types";
import { eventPartition } from "../../durable-objects/sku-inventory/outbox";

export * from "../../workers/index";
export { default } from "../../workers/index";

/**
 * How far the test subclasses' clock runs ahead of real time (ms). Moving it lets a test
 * make backed-off work due without sleeping; every alarm the objects set is then as far in
 * the real future, so only `runDurableObjectAlarm` runs them. Reset it at the end of a test.
 */
let clockOffsetMs = 0;

/** How many SKU calls the crashing coordinator lets through before it stalls; set per test. */
let stallAfterCalls: number | null = null;
/** Whether the crashing coordinator's SKU calls reject, as calls to an unreachable object do. */
let rejectSkuCalls = false;

/**
 * A coordinator whose fan-out stalls for good after a set number of SKU calls, so a test
 * can kill it there (`abortAllDurableObjects`: in-memory state lost, storage kept) as a
 * process crash mid-fan-out would, or whose SKU calls all reject. Its recovery delay is 0
 * so a test can run the alarm at once.
 */
export class CrashingCoordinator extends ReservationCoordinator {
  protected static override recoveryDelayMs = 0;

  protected static override clock(): number {
    return Date.now() + clockOffsetMs;
  }

  protected static override skuGateway(env: Env, ctx: DurableObjectState): SkuGateway {
    const real = super.skuGateway(env, ctx);
    let delivered = 0;
    return {
      call: (sku, method, input) => {
        if (rejectSkuCalls) return Promise.reject(new Error(`injected fault: SKU object ${sku} is unreachable`));
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

  /** Makes every SKU call reject (or stops it). Test-only RPC. */
  async rejectSkuCalls(reject: boolean): Promise<void> {
    rejectSkuCalls = reject;
  }

  /** Moves the clock of the test subclasses `ms` ahead of real time. Test-only RPC. */
  async setClockOffset(ms: number): Promise<void> {
    clockOffsetMs = ms;
  }

  /** The object's clock now. Test-only RPC. */
  async clockNow(): Promise<number> {
    return CrashingCoordinator.clock();
  }
}

/** Events "sent" by RecordingSkuInventory objects, in order; and whether sends fail. */
export const recordedEvents: InventoryEvent[] = [];
/** One queue message "sent" by a RecordingSkuInventory: its EVENTS partition, SKU, events and JSON size. */
export interface RecordedMessage {
  partition: number;
  sku: string;
  eventIds: string[];
  bytes: number;
}
/** The messages behind `recordedEvents`, in order. */
export const recordedMessages: RecordedMessage[] = [];
let failSends = false;

/** The ways an injected fault makes a reservation's expiry fail. */
export type ExpiryFault = "rollback" | "throw";

/**
 * SQL that makes expiries fail (every one, or one reservation's), as a trigger on the status change:
 * `rollback` skews the trigger-kept line totals so the transaction's invariant check fails
 * (the store answers a failure value and rolls back), `throw` aborts the statement (the
 * store throws). Dropping the trigger removes the fault; nothing else is touched, because
 * the failing transaction rolls back whatever the trigger did.
 */
export function expiryFaultSql(fault: ExpiryFault, reservationId?: string): string {
  const when = `NEW.status = 'expired'${reservationId === undefined ? "" : ` AND NEW.id = '${reservationId.replaceAll("'", "''")}'`}`;
  return fault === "rollback"
    ? `CREATE TRIGGER test_expiry_fault AFTER UPDATE OF status ON reservations WHEN ${when} BEGIN
         UPDATE line_totals SET active_soft = active_soft + 1, active_hard = active_hard + 1
         WHERE location_id IN (SELECT location_id FROM reservation_lines WHERE reservation_id = NEW.id);
       END`
    : `CREATE TRIGGER test_expiry_fault BEFORE UPDATE OF status ON reservations WHEN ${when} BEGIN
         SELECT RAISE(ABORT, 'injected fault: expiry refused by storage');
       END`;
}

/**
 * A SKU object whose events go to an in-memory recorder instead of the EVENTS queue, whose
 * sends can be made to fail, whose expiries can be made to fail, and whose clock can be
 * moved, so tests can see exactly what was flushed and when and what a failing alarm does.
 */
export class RecordingSkuInventory extends SkuInventory {
  protected static override eventSink(env: Env, sku: string): EventSink {
    // The partition the production sink would pick (the real EVENTS_<i> bindings exist here).
    const partition = eventPartition(env, sku);
    return {
      sendBatch: async (messages) => {
        if (failSends) throw new Error("simulated queue outage");
        for (const { body } of messages) {
          recordedMessages.push({
            partition,
            sku: body.sku,
            eventIds: body.events.map((e) => e.id),
            bytes: new TextEncoder().encode(JSON.stringify(body)).byteLength,
          });
          recordedEvents.push(...body.events);
        }
      },
    };
  }

  protected static override clock(): number {
    return Date.now() + clockOffsetMs;
  }

  /** Test-only RPC: what has been sent so far (and clears the record). */
  async takeRecordedEvents(): Promise<InventoryEvent[]> {
    return recordedEvents.splice(0, recordedEvents.length);
  }

  /** Test-only RPC: the queue messages sent so far (and clears the record). */
  async takeRecordedMessages(): Promise<RecordedMessage[]> {
    return recordedMessages.splice(0, recordedMessages.length);
  }

  /** Test-only RPC: make sends fail (a queue outage) or succeed. */
  async failEventSends(fail: boolean): Promise<void> {
    failSends = fail;
  }

  /** Test-only RPC: make this object's expiries (or one reservation's) fail (see `expiryFaultSql`), or remove the fault (null). */
  async injectExpiryFault(fault: ExpiryFault | null, reservationId?: string): Promise<void> {
    this.ctx.storage.sql.exec("DROP TRIGGER IF EXISTS test_expiry_fault");
    if (fault !== null) this.ctx.storage.sql.exec(expiryFaultSql(fault, reservationId));
  }

  /** Test-only RPC: moves the clock of the test subclasses `ms` ahead of real time. */
  async setClockOffset(ms: number): Promise<void> {
    clockOffsetMs = ms;
  }

  /** Test-only RPC: the object's clock now. */
  async clockNow(): Promise<number> {
    return RecordingSkuInventory.clock();
  }
}

/**
 * The production classes with the test clock and nothing else: vitest.config.ts binds
 * SKU_INVENTORY and RESERVATION_COORDINATOR to these, so tests that go through the Worker's
 * HTTP app can move time for its objects too (`support/test-clock.ts`). With the offset at
 * 0 (every test leaves it there) they behave exactly as the production classes.
 */
export class ClockedSkuInventory extends SkuInventory {
  protected static override clock(): number {
    return Date.now() + clockOffsetMs;
  }

  /** Counts the objects' lazy fills from D1 (`masterFills`); otherwise the production read. */
  protected static override async masterFromD1(env: Env, sku: string): Promise<SkuMasterFacts | null> {
    masterFills.push(sku);
    return super.masterFromD1(env, sku);
  }

  /** Refuses pushes of master facts while `failMasterPushes(true)` is set (off: the production method). */
  override async pushMaster(facts: SkuMasterFacts): Promise<MasterPushResult> {
    if (failPushes) throw new Error(`injected fault: master facts push to ${facts.sku} lost`);
    return super.pushMaster(facts);
  }

  /** Test-only RPC: make every object's `pushMaster` throw (a push lost after its D1 write), or stop. */
  async failMasterPushes(fail: boolean): Promise<void> {
    failPushes = fail;
  }

  /** Test-only RPC: the SKUs whose objects read their master facts from D1 so far (and clears the record). */
  async takeMasterFills(): Promise<string[]> {
    return masterFills.splice(0, masterFills.length);
  }
}

/** SKUs whose ClockedSkuInventory object filled its master facts from D1, in order; whether pushes fail. */
const masterFills: string[] = [];
let failPushes = false;

/** See `ClockedSkuInventory`. */
export class ClockedCoordinator extends ReservationCoordinator {
  protected static override clock(): number {
    return Date.now() + clockOffsetMs;
  }
}
