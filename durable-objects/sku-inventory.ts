/**
 * SkuInventory: one Durable Object per SKU (`env.SKU_INVENTORY.getByName(sku)`), the only
 * writer of that SKU's counts. Its public methods are its RPC surface; all logic and SQL
 * live in a private `#store` so nothing else is callable from outside.
 */
import { DurableObject } from "cloudflare:workers";
import { DEFAULT_SOFT_BUFFER_PCT } from "../domain/reservation-rules";
import type { Failure } from "../domain/failures";
import type { PublicLevel, PublicViewConfig } from "../domain/availability";
import { LiveFeed } from "./live-feed";
import { SHARD_OP_RETRY_MS, SkuInventoryStore } from "./sku-inventory.store";
import { type EventSink, eventQueueFor } from "./sku-inventory/outbox";
import { confirmDelivered, flushOutbox } from "./sku-inventory/outbox-delivery";
import { appliedEventIds, masterFactsFromD1 } from "./sku-inventory/d1-reads";
import { admit, MasterGate, type AccessNeed } from "./sku-inventory/master";
import type { DirectAmendInput, DirectLookupInput, DirectOp, DirectReserveInput, DirectTransitionInput } from "./sku-inventory/direct";
import { ShardCalls, type ShardPeer } from "./sku-inventory/shard-calls";
import type { AllotInput, ShardConfig, ShardUnitsInput, ShipInput } from "./sku-inventory/shards";
import type { ShortLine } from "../domain/failures";
import type { AmendmentOutcome, ReservationOutcome } from "./reservation-coordinator.types";
import type {
  CancelExpectedArrivalInput,
  CancelTransferInput,
  CreateTransferInput,
  ExpectArrivalInput,
  ExpectArrivalResult,
  ExpectedArrivalView,
  MoveStockStateInput,
  LotMove,
  LotView,
  MoveStockStateResult,
  ReceiveTransferInput,
  TransferLine,
  TransferResult,
} from "./sku-inbound.types";
import type { ResolveSyncReviewInput, ResolveSyncReviewResult, SyncApplyInput, SyncApplyResult, SyncReview, SyncReviewStatus } from "./sku-sync.types";
import type {
  AdjustStockInput,
  AdjustStockResult,
  AmendmentResult,
  AmendReservationInput,
  ApplyReservationInput,
  DemoteInput,
  LedgerEntry,
  MasterPushResult,
  PreorderQueueEntry,
  PromoteInput,
  ReleaseInput,
  ReservationRefInput,
  ReservationResult,
  SettleAmendmentInput,
  SkuHealth,
  SkuMasterFacts,
  SkuPolicy,
  PublicView,
  SkuRoutingView,
  SkuSnapshot,
  StockCaller,
  VerifyReport,
  WithCaller,
} from "./sku-inventory.types";

/** Header by which the Worker passes the live feed's view settings (validated there). */
export const LIVE_CONFIG_HEADER = "X-Live-Config";
/** The Worker's digest of the caller's address, for the live feed's per-address limit. */
export const LIVE_CLIENT_HEADER = "X-Live-Client";

export type { EventSink } from "./sku-inventory/outbox";

/** Most tries of a reservation on a hot-SKU shard: the first, then one after each refill of its pool that moved units. */
const SHARD_RESERVE_ATTEMPTS = 50;

export class SkuInventory extends DurableObject<Env> {
  /**
   * Where this SKU's events go: its EVENTS partition (`eventQueueFor`). Static, so not part of
   * the RPC surface; test subclasses replace it.
   */
  protected static eventSink(env: Env, sku: string): EventSink {
    return eventQueueFor(env, sku) as unknown as EventSink;
  }

  /**
   * Which of these event ids the EVENTS consumer has applied (D1 `processed_events`). Static,
   * so not part of the RPC surface; test subclasses may replace it.
   */
  protected static async appliedEvents(env: Env, sku: string, eventIds: readonly string[]): Promise<Set<string>> {
    return appliedEventIds(env, sku, eventIds);
  }

  /**
   * The SKU's master facts as D1 has them now (its vendor's `skus` row), or null if it has no such SKU: the
   * object's one-time lazy fill (sku-inventory/master.ts), never a per-request read. Static,
   * so not part of the RPC surface; test subclasses count or fail it.
   */
  protected static async masterFromD1(env: Env, sku: string): Promise<SkuMasterFacts | null> {
    return masterFactsFromD1(env, sku);
  }

  /** The object's one clock (ms). Static, so not part of the RPC surface; test subclasses move it. */
  protected static clock(): number {
    return Date.now();
  }

  #store!: SkuInventoryStore;
  #events: (sku: string) => EventSink;
  #live: LiveFeed;
  readonly #master: MasterGate;
  readonly #shards: ShardCalls;
  readonly #now: () => number;
  /**
   * The alarm time last set (null: none), so a change sets the alarm only when it moves;
   * undefined until this instance first sets it — not read at start-up, which would cost every
   * cold start a storage call: the first re-arm simply sets the exact next due time.
   */
  #alarmAt: number | null | undefined = undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const type = this.constructor as typeof SkuInventory;
    this.#events = (sku) => type.eventSink(env, sku);
    this.#now = () => type.clock();
    this.#live = new LiveFeed(ctx, () => this.#store);
    this.#shards = new ShardCalls(
      () => this.#store,
      (name) => env.SKU_INVENTORY.getByName(name) as unknown as ShardPeer,
      () => type.clock(),
      () => this.#rearm(this.#store.nextDueAt()),
    );
    this.#master = new MasterGate(
      () => this.#store,
      (sku) => type.masterFromD1(env, sku),
      () => type.clock(),
    );
    // Synchronous (the schema check is one SQLite transaction): no request can arrive before it.
    this.#store = new SkuInventoryStore(ctx.storage);
  }

  /**
   * Stores the SKU's master facts pushed after a master-data write (services/sku-master.ts):
   * `applied`, or `stale` when this version or a newer one is already held (a repeated or
   * late push changes nothing).
   */
  async pushMaster(facts: SkuMasterFacts): Promise<MasterPushResult> {
    const result = this.#store.storeMaster(facts, "push", this.#now());
    this.#master.pushed();
    return result;
  }

  /** The master facts this object holds (null before its first push or fill); reads nothing from D1. */
  async masterFacts(): Promise<SkuMasterFacts | null> {
    return this.#master.held();
  }

  /**
   * What an allocation plan needs of this SKU: its master facts (checked: it exists, is active
   * and, for a vendor, is its own) and its current snapshot, in one hop.
   */
  async routingView(input: { sku: string; caller?: StockCaller }): Promise<SkuRoutingView | Failure> {
    const policy = await this.#admit(input, "reserve");
    if ("ok" in policy) return policy;
    return { ok: true, master: this.#master.held()!, snapshot: this.#store.snapshot() };
  }

  /** Adjusts on-hand at a location by a delta, or sets it (optionally compare-and-set); checks the caller against the master facts. */
  async adjustStock(input: WithCaller<AdjustStockInput>): Promise<AdjustStockResult | Failure> {
    const policy = await this.#admit(input, "stock");
    if ("ok" in policy) return policy;
    return this.#mutate(() => this.#store.adjustStock({ ...input, policy }, this.#now()));
  }

  /** Moves units between sellable, damaged and on-hold, or writes them off; idempotent by key. */
  async moveStockState(input: WithCaller<MoveStockStateInput>): Promise<MoveStockStateResult | Failure> {
    const policy = await this.#admit(input, "stock");
    if ("ok" in policy) return policy;
    return this.#mutate(() => this.#store.moveStockState({ ...input, policy }, this.#now()));
  }

  /** Creates a transfer line (origin on-hand → destination in transit); idempotent by transfer id. */
  async createTransfer(input: WithCaller<CreateTransferInput>): Promise<TransferResult | Failure> {
    const policy = await this.#admit(input, "stock");
    if ("ok" in policy) return policy;
    return this.#mutate(() => this.#store.createTransfer({ ...input, policy }, this.#now()));
  }

  /** Receives part or all of a transfer line; idempotent by receipt id. */
  async receiveTransfer(input: WithCaller<ReceiveTransferInput>): Promise<TransferResult | Failure> {
    const policy = await this.#admit(input, "stock");
    if ("ok" in policy) return policy;
    return this.#mutate(() => this.#store.receiveTransfer({ ...input, policy }, this.#now()));
  }

  /** Cancels a transfer line's outstanding units back to the origin; idempotent, a tombstone if unknown. */
  async cancelTransfer(input: CancelTransferInput): Promise<TransferResult | Failure> {
    return this.#mutate(() => this.#store.cancelTransfer(input, this.#now()));
  }

  /** A transfer line as this SKU holds it, or null. */
  async getTransfer(transferId: string): Promise<TransferLine | null> {
    return this.#store.getTransfer(transferId);
  }

  /**
   * Sets a confirmed purchase order line's expected arrival (no count moves; pre-orders count
   * it when dated); idempotent by arrival id. One already shipped or withdrawn stays so.
   */
  async expectArrival(input: WithCaller<ExpectArrivalInput>): Promise<ExpectArrivalResult | Failure> {
    const policy = await this.#admit(input, "stock");
    if ("ok" in policy) return policy;
    return this.#mutate(() => this.#store.expectArrival({ ...input, policy }, this.#now()));
  }

  /** Withdraws an expected arrival (its order was cancelled); idempotent, a tombstone if unknown. */
  async cancelExpectedArrival(input: CancelExpectedArrivalInput): Promise<ExpectArrivalResult | Failure> {
    return this.#mutate(() => this.#store.cancelExpectedArrival(input, this.#now()));
  }

  /** An expected arrival as this SKU holds it, or null. */
  async getExpectedArrival(arrivalId: string): Promise<ExpectedArrivalView | null> {
    return this.#store.getExpectedArrival(arrivalId);
  }

  /** Applies a sync job chunk's feed values for this SKU (see domain/sync.ts), idempotently. */
  async applySync(input: SyncApplyInput): Promise<SyncApplyResult | Failure> {
    const policy = await this.#admit(input, "none");
    if ("ok" in policy) return policy;
    return this.#mutate(() => this.#store.applySync({ ...input, policy }, this.#now()));
  }

  /** Accepts or rejects a feed value held for review. */
  async resolveSyncReview(input: ResolveSyncReviewInput): Promise<ResolveSyncReviewResult | Failure> {
    const policy = await this.#admit(input, "none");
    if ("ok" in policy) return policy;
    return this.#mutate(() => this.#store.resolveSyncReview({ ...input, policy }, this.#now()));
  }

  /** This SKU's sync reviews, newest first. */
  async syncReviews(status?: SyncReviewStatus): Promise<SyncReview[]> {
    return this.#store.syncReviews(status);
  }

  /**
   * Holds (soft) or reserves (hard) all lines of a reservation for this SKU, or none. The SKU
   * must exist and be active (master facts; `sku_not_found` / `sku_unavailable` otherwise).
   */
  async applyReservation(input: WithCaller<ApplyReservationInput>): Promise<ReservationResult | Failure> {
    const policy = await this.#admit(input, "reserve");
    if ("ok" in policy) return policy;
    return this.#mutate(() => this.#store.applyReservation({ ...input, policy }, this.#now()));
  }

  /**
   * The single-SKU fast path (sku-inventory/direct.ts): takes a reservation whose lines all
   * name this SKU, with no coordinator, in one transaction; a retry with the same request
   * replays the first answer, another request under the same key is a conflict.
   */
  async reserveDirect(input: DirectReserveInput): Promise<ReservationOutcome> {
    const again = this.#store.replayDirect(input);
    if (again !== undefined) return again;
    const checkedAt = this.#store.epoch();
    const policy = await this.#admit({ sku: input.sku }, "reserve");
    if ("ok" in policy) return policy;
    const shard = this.#store.shardConfig();
    if (shard === null) return this.#mutate(() => this.#store.reserveDirect(input, policy, this.#now(), true, checkedAt));
    // A hot-SKU shard short of units refills its pool (the main object's free units, then the
    // siblings') and tries again, as long as a refill moves units; the refusal it ends with is
    // the stored answer. (Bounded: units are finite, and the cap ends a pathological race.)
    for (let attempt = 1; ; attempt++) {
      const seen = this.#shards.refillsStarted;
      const result = await this.#mutate(() => this.#store.reserveDirect(input, policy, this.#now(), false, checkedAt));
      if (result.ok || result.code !== "insufficient_stock") return result;
      const moved = attempt < SHARD_RESERVE_ATTEMPTS && (await this.#shards.refill(shard, (result.details ?? []) as ShortLine[], seen));
      if (!moved) return this.#store.rememberDirectRefusal(input, result, this.#now());
    }
  }

  /** Promotes, commits, fulfils or releases a direct reservation (the caller must own it; operators any). */
  async transitionDirect(op: DirectOp, input: DirectTransitionInput): Promise<ReservationOutcome> {
    const policy = op === "promote" ? await this.#admit({ sku: input.sku }, "none") : this.#policyHeld();
    if ("ok" in policy) return policy;
    const shard = this.#store.shardConfig();
    const onShip = shard === null ? undefined : this.#onShip(input.actor);
    let result = await this.#mutate(() => this.#store.transitionDirect(op, input, policy, this.#now(), onShip));
    // A promote on a hot-SKU shard short of units refills its pool like a new reservation does.
    for (let attempt = 1; shard !== null && op === "promote" && attempt < SHARD_RESERVE_ATTEMPTS; attempt++) {
      if (result.ok || result.code !== "insufficient_stock") break;
      const seen = this.#shards.refillsStarted;
      if (!(await this.#shards.refill(shard, (result.details ?? []) as ShortLine[], seen))) break;
      result = await this.#mutate(() => this.#store.transitionDirect(op, input, policy, this.#now(), onShip));
    }
    if (shard !== null) await this.#shards.runPending(shard);
    return result;
  }

  /** A direct reservation as it stands (the caller must own it; operators any). */
  async getDirect(input: DirectLookupInput): Promise<ReservationOutcome> {
    return this.#mutate(() => this.#store.getDirect(input, this.#now()));
  }

  /** Amends a direct reservation in one transaction; a retry replays the first answer. */
  async amendDirect(input: DirectAmendInput): Promise<AmendmentOutcome> {
    const policy = await this.#admit({ sku: input.sku }, "none");
    if ("ok" in policy) return policy;
    const shard = this.#store.shardConfig();
    const onShip = shard === null ? undefined : this.#onShip(input.actor);
    const result = await this.#mutate(() => this.#store.amendDirect(input, policy, this.#now(), onShip));
    if (shard !== null) await this.#shards.runPending(shard);
    return result;
  }

  // ------------------------------------------------------------------ hot-SKU shards

  /**
   * Makes this object shard `index` of SKU `parent`'s `count` shards (sku-inventory/shards.ts);
   * a shard whose index is no longer below `count` is retired: it gives its free units back now
   * and whenever units free up, and keeps serving the reservations it holds.
   */
  async configureShard(config: ShardConfig): Promise<{ ok: true; config: ShardConfig }> {
    this.#store.configureShard(config);
    await this.#shards.runPending(config);
    return { ok: true, config };
  }

  /** Main object: grows a shard's allotment by what it can spare (idempotent by `opId`). */
  async allotToShard(input: AllotInput): Promise<{ ok: true; granted: number } | Failure> {
    return this.#mutate(() => this.#store.allotToShard(input, this.#now()));
  }

  /** Main object: takes back units a shard gave up (idempotent by `opId`). */
  async returnFromShard(input: ShardUnitsInput): Promise<{ ok: true; units: number } | Failure> {
    return this.#mutate(() => this.#store.returnFromShard(input, this.#now()));
  }

  /** Main object: ships units a shard fulfilled, out of its allotment (idempotent by `opId`). */
  async shipFromShard(input: ShipInput): Promise<{ ok: true; units: number } | Failure> {
    return this.#mutate(() => this.#store.shipFromShard(input, this.#now()));
  }

  /** Shard: gives up to `units` free units at a location back to the main object (a sibling ran dry); the units given. */
  async yieldUnits(input: { locationId: string; units: number }): Promise<number> {
    const shard = this.#store.shardConfig();
    if (shard === null) return 0;
    const given = await this.#shards.yieldUnits(shard, input.locationId, input.units);
    this.#live.changed();
    await this.#rearm(this.#store.nextDueAt());
    return given;
  }

  /** What this object holds for sharding: as a shard, its place, free units and pending operations; as a main object, the allotments. */
  async shardState(): Promise<{
    shard: ShardConfig | null;
    free: { locationId: string; units: number }[];
    pendingOps: number;
    allotments: { index: number; locationId: string; units: number }[];
  }> {
    return {
      shard: this.#store.shardConfig(),
      free: this.#store.freeShardUnits(),
      pendingOps: this.#store.pendingShardOps().length,
      allotments: this.#store.allotments(),
    };
  }

  /** Records a shard's shipped units for its main object, in the step's batch. */
  #onShip(actor: string) {
    return (shipped: { locationId: string; quantity: number }[], reservationId: string, reference: string | null) =>
      this.#shards.recordShipped(shipped, reservationId, reference, actor);
  }

  /** Releases a reservation (idempotent; leaves a tombstone if this SKU never held it). */
  async release(input: ReleaseInput): Promise<ReservationResult | Failure> {
    return this.#mutate(() => this.#store.release(input, this.#now()));
  }

  /** Promotes a soft hold to a hard reservation. */
  async promote(input: WithCaller<PromoteInput>): Promise<ReservationResult | Failure> {
    const policy = await this.#admit(input, "none");
    if ("ok" in policy) return policy;
    return this.#mutate(() => this.#store.promote({ ...input, policy }, this.#now()));
  }

  /** Turns a hard reservation back into the soft hold it was (compensation only). */
  async demote(input: DemoteInput): Promise<ReservationResult | Failure> {
    return this.#mutate(() => this.#store.demote(input, this.#now()));
  }

  /** Commits (picks) a hard reservation. */
  async commit(input: ReservationRefInput): Promise<ReservationResult | Failure> {
    return this.#mutate(() => this.#store.commit(input, this.#now()));
  }

  /** Turns a committed reservation back into an active hard one (compensation only). */
  async uncommit(input: ReservationRefInput): Promise<ReservationResult | Failure> {
    return this.#mutate(() => this.#store.uncommit(input, this.#now()));
  }

  /** Fulfils (ships) a committed reservation. */
  async fulfil(input: ReservationRefInput): Promise<ReservationResult | Failure> {
    return this.#mutate(() => this.#store.fulfil(input, this.#now()));
  }

  /**
   * Amends a live reservation on this SKU (domain/reservation-amendments.ts): change a line's
   * quantity, release or ship part of it, refresh its expiry, move a line. `apply`: every move
   * or none, in one transaction; `prepare`: the takes only, for `settleAmendment`. Idempotent
   * by amendment id. The policy comes from the master facts (or, before them, `policy`).
   */
  async amendReservation(input: AmendReservationInput & { caller?: StockCaller }): Promise<AmendmentResult | Failure> {
    const policy = await this.#admit(input, "none");
    if ("ok" in policy) return policy;
    return this.#mutate(() => this.#store.amendReservation({ ...input, policy }, this.#now()));
  }

  /** Confirms (gives and ships) or aborts (gives the takes back) a prepared amendment; idempotent. */
  async settleAmendment(input: SettleAmendmentInput): Promise<AmendmentResult | Failure> {
    return this.#mutate(() => this.#store.settleAmendment(input, this.#now()));
  }

  /** One reservation as this SKU holds it, for the coordinator (lines with their backordered and pre-ordered units now). */
  async lookupReservation(input: ReservationRefInput): Promise<ReservationResult | Failure> {
    return this.#mutate(() => this.#store.getReservation(input.reservationId, this.#now()));
  }

  /** Pre-ordered units waiting, in the order arrivals will cover them, with the date each expects (optionally one location). */
  async preorders(locationId?: string): Promise<PreorderQueueEntry[]> {
    return this.#store.preorders(locationId);
  }

  /** This SKU's lots (optionally at one location), earliest expiry first, their latest moves and the alert horizon. */
  async lots(locationId?: string): Promise<{ lots: LotView[]; moves: LotMove[]; horizonDays: number }> {
    return this.#store.lots(locationId);
  }

  /**
   * Sets how many days before a lot's expiry the alarm raises `inventory.expiring` (1–365;
   * null: back to the default 7). The object is the only store of it (`PUT
   * /api/v2/planning-settings/{sku}` `expiryAlertDays`); `set` is the value set, or null.
   */
  async setExpiryHorizon(days: number | null): Promise<{ ok: true; horizonDays: number; set: number | null } | Failure> {
    if (days !== null && (!Number.isInteger(days) || days < 1 || days > 365))
      return { ok: false, code: "invalid_state", message: "the horizon is 1 to 365 days" };
    return this.#mutate(() => this.#store.setExpiryHorizon(days));
  }

  /** The expiring-alert horizon in effect (days) and the one set for this SKU (null: the default). */
  async expiryHorizon(): Promise<{ ok: true; horizonDays: number; set: number | null }> {
    return this.#store.expiryHorizon();
  }

  /** Per-location sellable figures for the public availability view. */
  async publicLevels(): Promise<{ levels: PublicLevel[]; updatedAt: number | null }> {
    return this.#store.publicLevels();
  }

  /** The public levels and the master facts held, in one call (a cached availability entry's refresh); reads nothing from D1. */
  async publicView(): Promise<PublicView> {
    return { facts: this.#master.held(), ...this.#store.publicLevels() };
  }

  /**
   * The live feed's WebSocket upgrade — the only request this object takes over fetch.
   * The Worker has checked the SKU and passes the view settings in LIVE_CONFIG_HEADER.
   */
  override async fetch(request: Request): Promise<Response> {
    const config = request.headers.get(LIVE_CONFIG_HEADER);
    const sku = request.headers.get("X-Sku");
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket" || config === null || sku === null) {
      return new Response("expected a WebSocket upgrade from the Worker", { status: 426 });
    }
    this.#store.rememberSku(sku);
    return this.#live.connect(sku, JSON.parse(config) as PublicViewConfig, request.headers.get(LIVE_CLIENT_HEADER));
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // The feed is one-way; "ping" is answered by the runtime's auto-response.
    if (message !== "ping") ws.send(JSON.stringify({ type: "error", message: 'this feed is read-only; send "ping" to keep it alive' }));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#live.closed(ws, code, reason);
  }

  /** One reservation as this SKU holds it. */
  async getReservation(reservationId: string): Promise<ReservationResult | Failure> {
    return this.#mutate(() => this.#store.getReservation(reservationId, this.#now()));
  }

  /** Per-location quantities, totals and active reservation counts. */
  async snapshot(): Promise<SkuSnapshot> {
    return this.#store.snapshot();
  }

  /** Ledger rows after a sequence number, oldest first (at most 1,000). */
  async ledger(afterSeq = 0, limit = 1000): Promise<LedgerEntry[]> {
    return this.#store.ledger(afterSeq, Math.min(Math.max(limit, 1), 1000));
  }

  /** Checks invariants and replays the ledger against the counts. */
  async verify(): Promise<VerifyReport> {
    return this.#store.verify();
  }

  /**
   * Failures of the object's background work (expiries, event sends: counted since the
   * object was created, each also logged) and what waits for a retry. Also in `verify()`.
   */
  async health(): Promise<SkuHealth> {
    return this.#store.health();
  }

  /** Events written but not yet sent to the queue. */
  async outboxSize(): Promise<number> {
    return this.#store.outboxSize();
  }

  /**
   * The one alarm: sends the outbox to the EVENTS queue (a failed send is logged, counted and
   * retried with backoff), checks 5 s after each send (and a minute after it, for any still
   * missing) that the consumer applied the events and sends the lost ones again (rows are
   * deleted only once applied), expires due
   * reservations (an expiry that fails is logged, counted and retried with backoff, never
   * re-armed in the past), prunes old records, then re-arms. Running it twice changes
   * nothing the second time.
   */
  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    const type = this.constructor as typeof SkuInventory;
    const delivery = {
      store: this.#store,
      sink: this.#events,
      now: this.#now,
      applied: (sku: string, ids: readonly string[]) => type.appliedEvents(this.env, sku, ids),
    };
    await flushOutbox(delivery);
    await confirmDelivered(delivery);
    const shard = this.#store.shardConfig();
    if (shard !== null) await this.#shards.runPending(shard, this.#now() - SHARD_OP_RETRY_MS);
    await this.#rearm(this.#store.runDueWork(this.#now()));
    this.#live.changed();
  }

  /** The policy a request runs with, from the master facts, or the refusal (sku-inventory/master.ts `admit`). */
  async #admit(input: { sku: string; caller?: StockCaller | undefined; policy?: SkuPolicy | undefined }, need: AccessNeed): Promise<SkuPolicy | Failure> {
    return admit(this.#master, input, need, () => this.#store.storedPolicy());
  }

  /** The rules stored with the SKU (steps that take no new units need no master-data check). */
  #policyHeld(): SkuPolicy {
    return this.#store.storedPolicy() ?? { allowBackorder: false, softBufferPct: DEFAULT_SOFT_BUFFER_PCT, reorderPoint: 0 };
  }

  /**
   * Runs a change, then re-arms the alarm for the next due work. When the change wrote events
   * and the alarm is already set no later than their flush (OUTBOX_FLUSH_DELAY_MS on), the
   * exact next time is not read: that alarm runs first, and it sets the exact time itself. Any
   * work the change added is then done at most that flush delay late, never lost.
   */
  async #mutate<T>(fn: () => T): Promise<T> {
    const result = fn();
    this.#live.changed();
    const flushAt = this.#store.takeOutboxDueAt();
    if (typeof this.#alarmAt === "number" && flushAt !== null && this.#alarmAt <= flushAt) return result;
    await this.#rearm(this.#store.nextDueAt());
    return result;
  }

  async #rearm(next: number | null): Promise<void> {
    if (next === this.#alarmAt) return;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
    this.#alarmAt = next;
  }
}
