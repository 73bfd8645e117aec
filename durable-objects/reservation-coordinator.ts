/**
 * ReservationCoordinator: makes a reservation's lines all-or-nothing across SKU objects.
 *
 * One object holds many reservations (a row each): it is addressed by the shard that
 * `workers/reservation-ids.ts` derives from the reservation id, so a busy checkout reuses
 * warm objects instead of creating one per order (a new object id costs ~3–4 ms CPU
 * locally). The saga itself lives in `ReservationCoordinatorStore`.
 */
import { DurableObject } from "cloudflare:workers";
import type { SkuInventory } from "./sku-inventory";
import {
  ReservationCoordinatorStore,
  RECOVERY_DELAY_MS,
  type SkuAnswers,
  type SkuGateway,
  type SkuInputs,
  type SkuMethod,
} from "./reservation-coordinator.store";
import type {
  CoordinatorReserveInput,
  LookupInput,
  ReservationOutcome,
  TransitionInput,
  TransitionOp,
} from "./reservation-coordinator.types";

/**
 * Each saga hop as a call of the SKU object's own RPC method: the input type is that
 * method's parameter, so the hop compiles only with exactly what the SKU object takes.
 */
const SKU_CALLS: { [M in SkuMethod]: (stub: DurableObjectStub<SkuInventory>, input: SkuInputs[M]) => Promise<SkuAnswers[M]> } = {
  applyReservation: (stub, input) => stub.applyReservation(input),
  release: (stub, input) => stub.release(input),
  promote: (stub, input) => stub.promote(input),
  demote: (stub, input) => stub.demote(input),
  commit: (stub, input) => stub.commit(input),
  uncommit: (stub, input) => stub.uncommit(input),
  fulfil: (stub, input) => stub.fulfil(input),
};

export class ReservationCoordinator extends DurableObject<Env> {
  /**
   * How the coordinator reaches the SKU objects. Static, so it is not part of the RPC
   * surface; test subclasses replace it to inject faults.
   */
  protected static skuGateway(env: Env, _ctx: DurableObjectState): SkuGateway {
    return {
      call: (sku, method, input) => {
        const call: (typeof SKU_CALLS)[typeof method] = SKU_CALLS[method];
        return call(env.SKU_INVENTORY.getByName(sku), input);
      },
    };
  }

  /** Delay before the alarm takes over a stuck operation; test subclasses shorten it. */
  protected static recoveryDelayMs = RECOVERY_DELAY_MS;

  #store!: ReservationCoordinatorStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const type = this.constructor as typeof ReservationCoordinator;
    ctx.blockConcurrencyWhile(async () => {
      const alarmAt = await ctx.storage.getAlarm();
      this.#store = new ReservationCoordinatorStore(ctx.storage, type.skuGateway(env, ctx), alarmAt, type.recoveryDelayMs);
    });
  }

  /** Holds or reserves every line of a new reservation, or none; replays the first answer for a repeated key. */
  async reserve(input: CoordinatorReserveInput): Promise<ReservationOutcome> {
    return this.#store.reserve(input);
  }

  /** Promotes, commits, fulfils or releases a reservation on every SKU it holds. */
  async transition(op: TransitionOp, input: TransitionInput): Promise<ReservationOutcome> {
    return this.#store.transition(op, input);
  }

  /** The reservation as it stands. */
  async get(input: LookupInput): Promise<ReservationOutcome> {
    return this.#store.get(input);
  }

  /** Recovers stuck operations, expires due reservations, prunes old ones. */
  override async alarm(): Promise<void> {
    this.#store.alarmFired();
    await this.#store.runDueWork(Date.now());
    await this.#store.schedule();
  }
}
