/**
 * ReservationCoordinator: makes a reservation's lines all-or-nothing across SKU objects.
 *
 * One object holds many reservations (a row each): it is addressed by the shard that
 * `domain/reservation-ids.ts` derives from the reservation id, so a busy checkout reuses
 * warm objects instead of creating one per order (a new object id costs ~3–4 ms CPU
 * locally). The saga itself lives in `ReservationCoordinatorStore`.
 */
import { DurableObject } from "cloudflare:workers";
import { ReservationCoordinatorStore, RECOVERY_DELAY_MS } from "./reservation-coordinator.store";
import { liveSkuGateway, type SkuGateway } from "./reservation-coordinator/gateway";
import type {
  AmendInput,
  AmendmentOutcome,
  CoordinatorHealth,
  CoordinatorReserveInput,
  KeyClaimInput,
  KeyClaimOutcome,
  LookupInput,
  ReservationOutcome,
  TransitionInput,
  TransitionOp,
} from "./reservation-coordinator.types";

export class ReservationCoordinator extends DurableObject<Env> {
  /**
   * How the coordinator reaches the SKU objects. Static, so it is not part of the RPC
   * surface; test subclasses replace it to inject faults.
   */
  protected static skuGateway(env: Env, _ctx: DurableObjectState): SkuGateway {
    return liveSkuGateway(env);
  }

  /** Delay before the alarm takes over a stuck operation; test subclasses shorten it. */
  protected static recoveryDelayMs = RECOVERY_DELAY_MS;

  /** The object's one clock (ms). Static, so not part of the RPC surface; test subclasses move it. */
  protected static clock(): number {
    return Date.now();
  }

  #store!: ReservationCoordinatorStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const type = this.constructor as typeof ReservationCoordinator;
    ctx.blockConcurrencyWhile(async () => {
      const alarmAt = await ctx.storage.getAlarm();
      this.#store = new ReservationCoordinatorStore(ctx.storage, type.skuGateway(env, ctx), alarmAt, type.recoveryDelayMs, () => type.clock());
    });
  }

  /** Holds or reserves every line of a new reservation, or none; replays the first answer for a repeated key. */
  async reserve(input: CoordinatorReserveInput): Promise<ReservationOutcome> {
    return this.#store.reserve(input);
  }

  /** Claims an Idempotency-Key for a direct (single-SKU) reservation, or refuses a key first used with another request. */
  async claimKey(input: KeyClaimInput): Promise<KeyClaimOutcome> {
    return this.#store.claimKey(input);
  }

  /** Promotes, commits, fulfils or releases a reservation on every SKU it holds. */
  async transition(op: TransitionOp, input: TransitionInput): Promise<ReservationOutcome> {
    return this.#store.transition(op, input);
  }

  /**
   * Failures of the coordinator's background work (SKU calls that rejected, alarm work left
   * unfinished: counted since the object was created, each also logged) and what waits.
   */
  async health(): Promise<CoordinatorHealth> {
    return this.#store.health();
  }

  /**
   * Amends a live reservation (domain/reservation-amendments.ts): change a line's quantity,
   * release or fulfil part of it, refresh its expiry, move a line to another location. All or
   * nothing across its SKUs, crash-safe (the alarm finishes a pending amendment), idempotent
   * by `amendmentId` (a retry answers the first answer, `replayed: true`).
   */
  async amend(input: AmendInput): Promise<AmendmentOutcome> {
    return this.#store.amend(input);
  }

  /** The reservation as it stands. */
  async get(input: LookupInput): Promise<ReservationOutcome> {
    return this.#store.get(input);
  }

  /** Recovers stuck operations, expires due reservations, prunes old ones. */
  override async alarm(): Promise<void> {
    this.#store.alarmFired();
    await this.#store.schedule(await this.#store.runDueWork());
  }
}
