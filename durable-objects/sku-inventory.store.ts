/**
 * The logic and storage of one SKU's inventory, kept apart from the Durable Object class so
 * none of it is callable over RPC. This class only opens the storage (migrating its schema)
 * and hands it to one module per concern, in `sku-inventory/`:
 *
 * | module | concern |
 * | --- | --- |
 * | `tx.ts` | the transaction runner and its explicit context `Tx` (invariants, threshold event, outbox at the end) |
 * | `stock.ts` | `change()`, the one way a count moves (stock row + ledger row + event), and on-hand adjustments |
 * | `counts.ts` | reads of counts and live line sums, and the room they leave |
 * | `reservations.ts`, `lifecycle.ts` | reservations and their steps (state machine in domain/reservation-lifecycle.ts) |
 * | `amendments.ts` | amendments of a live reservation: quantity, partial release and fulfilment, expiry, moves (domain/reservation-amendments.ts) |
 * | `sync.ts` | vendor feed values and their reviews |
 * | `outbox.ts` | events written with each change, and their sending |
 * | `reads.ts` | snapshot, public figures, ledger, verify |
 * | `meta.ts` | the SKU, the policy, the live feed's settings, idempotency records |
 * | `master.ts` | the SKU's master facts (v7): pushed or filled once from D1, checked on every stock change |
 * | `stock-states.ts` | moves between sellable, damaged and on-hold, and write-offs |
 * | `transfers.ts` | transfer lines between locations of this SKU (create, receive, cancel) |
 * | `backorders.ts` | backorders covered first-come-first-served when units arrive (run by `Tx.run`) |
 * | `preorders.ts` | pre-orders against expected arrivals (v8), covered after backorders when units arrive (run by `Tx.run`) |
 * | `expected-arrivals.ts` | confirmed purchase-order lines not shipped yet (v9): counted by pre-orders, replaced by their transfer line when they ship |
 * | `lots.ts` | lots and expiry of perishables (v8): receipts into lots, first-expiry-first-out picks, the alarm's expiring alerts and expiries |
 * | `due-work.ts` | the alarm's expiries (failures logged, counted, backed off) and pruning, when it next fires, health |
 *
 * Every mutation is one `transactionSync` (`Tx.run`): counts, reservation rows, ledger and
 * outbox rows commit together, and the invariants are checked before the transaction ends.
 */
import type { PublicLevel, PublicViewConfig } from "../domain/availability";
import type { InventoryEvent } from "../domain/events";
import type { Failure } from "../domain/failures";
import { migrateSchema } from "./sql-migrations";
import { SKU_INVENTORY_MIGRATIONS } from "./sku-inventory.schema";
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
  SkuSnapshot,
  VerifyReport,
} from "./sku-inventory.types";
import type { ResolveSyncReviewInput, ResolveSyncReviewResult, SyncApplyInput, SyncApplyResult, SyncReview, SyncReviewStatus } from "./sku-sync.types";
import * as amendments from "./sku-inventory/amendments";
import { health, nextDueAt, runDueWork } from "./sku-inventory/due-work";
import * as master from "./sku-inventory/master";
import * as meta from "./sku-inventory/meta";
import * as lots from "./sku-inventory/lots";
import * as outbox from "./sku-inventory/outbox";
import * as preorders from "./sku-inventory/preorders";
import * as expectedArrivals from "./sku-inventory/expected-arrivals";
import * as reads from "./sku-inventory/reads";
import * as reservations from "./sku-inventory/reservations";
import * as direct from "./sku-inventory/direct";
import * as shards from "./sku-inventory/shards";
import type { AmendmentOutcome, ReservationOutcome } from "./reservation-coordinator.types";
import { InboundFlags, type SkuDb } from "./sku-inventory/rows";
import { adjustStock } from "./sku-inventory/stock";
import * as sync from "./sku-inventory/sync";
import { moveStockState } from "./sku-inventory/stock-states";
import * as transfers from "./sku-inventory/transfers";
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

export { IDEMPOTENCY_RETENTION_MS } from "./sku-inventory/meta";
export { OUTBOX_BATCH, OUTBOX_FLUSH_DELAY_MS, outboxBackoffMs } from "./sku-inventory/outbox";
export { TERMINAL_RETENTION_MS } from "./sku-inventory/due-work";

/** How long a shard's operation on its main object may stay pending before the alarm re-runs it (ms). */
export const SHARD_OP_RETRY_MS = 5_000;

export class SkuInventoryStore {
  readonly #db: SkuDb;
  /** The master facts as last read (null: none held; undefined: not read since the instance started or last stored them). */
  #master: SkuMasterFacts | null | undefined = undefined;

  constructor(storage: DurableObjectStorage) {
    migrateSchema(storage, SKU_INVENTORY_MIGRATIONS);
    this.#db = {
      storage,
      sql: storage.sql,
      policy: new meta.PolicyCache(),
      inbound: new InboundFlags(),
      shard: new shards.ShardFlag(),
      meta: new meta.MetaCache(),
      epoch: 0,
      totals: null,
      outboxDueAt: null,
    };
  }

  // ---------------------------------------------------------------- changes

  /** Adjusts on-hand by a delta or sets it, with compare-and-set and idempotency. */
  adjustStock(input: AdjustStockInput, now: number): AdjustStockResult | Failure {
    return adjustStock(this.#db, input, now);
  }

  /** Moves units between sellable, damaged and on-hold, or writes them off (stock-states.ts). */
  moveStockState(input: MoveStockStateInput, now: number): MoveStockStateResult | Failure {
    return moveStockState(this.#db, input, now);
  }

  /** Creates a transfer line between two locations of this SKU (transfers.ts). */
  createTransfer(input: CreateTransferInput, now: number): TransferResult | Failure {
    return transfers.createTransfer(this.#db, input, now);
  }

  /** Receives part or all of a transfer line, once per receipt id. */
  receiveTransfer(input: ReceiveTransferInput, now: number): TransferResult | Failure {
    return transfers.receiveTransfer(this.#db, input, now);
  }

  /** Cancels what is outstanding of a transfer line (a tombstone if never created). */
  cancelTransfer(input: CancelTransferInput, now: number): TransferResult | Failure {
    return transfers.cancelTransfer(this.#db, input, now);
  }

  /** A transfer line as this SKU holds it. */
  getTransfer(transferId: string): TransferLine | null {
    return transfers.getTransfer(this.#db.sql, transferId);
  }

  /** Sets a confirmed purchase order line's expected arrival (expected-arrivals.ts, v9). */
  expectArrival(input: ExpectArrivalInput, now: number): ExpectArrivalResult | Failure {
    return expectedArrivals.expectArrival(this.#db, input, now);
  }

  /** Withdraws an expected arrival (a tombstone if never pushed). */
  cancelExpectedArrival(input: CancelExpectedArrivalInput, now: number): ExpectArrivalResult | Failure {
    return expectedArrivals.cancelExpectedArrival(this.#db, input, now);
  }

  /** An expected arrival as this SKU holds it. */
  getExpectedArrival(arrivalId: string): ExpectedArrivalView | null {
    return expectedArrivals.getExpectedArrival(this.#db.sql, arrivalId);
  }

  /** Applies one job chunk's feed values for this SKU, idempotently. */
  applySync(input: SyncApplyInput, now: number): SyncApplyResult | Failure {
    return sync.applySync(this.#db, input, now);
  }

  /** Accepts or rejects a feed value held for review. */
  resolveSyncReview(input: ResolveSyncReviewInput, now: number): ResolveSyncReviewResult | Failure {
    return sync.resolveSyncReview(this.#db, input, now);
  }

  // ------------------------------------------------- direct reservations (direct.ts)

  /** Counts the writes that can create a reservation or a stored refusal (`SkuDb.epoch`). */
  epoch(): number {
    return this.#db.epoch;
  }

  /** The first answer to a direct reservation's key, if it was used here before (else undefined). */
  replayDirect(input: Pick<direct.DirectReserveInput, "id" | "requestHash">): ReservationOutcome | undefined {
    return direct.replayDirect(this.#db, input);
  }

  /** Takes a single-SKU reservation here, with no coordinator: every line or none, with its owner and first answer. */
  reserveDirect(input: direct.DirectReserveInput, policy: SkuPolicy, now: number, storeRefusal = true, checkedAt?: number): ReservationOutcome {
    return direct.reserveDirect(this.#db, input, policy, now, storeRefusal, checkedAt);
  }

  /** Stores a direct reservation's refusal for stock as its first answer (a shard decides it after its refills), unless one is stored already. */
  rememberDirectRefusal(input: direct.DirectReserveInput, refusal: Failure, now: number): ReservationOutcome {
    return direct.rememberRefusal(this.#db, input, refusal, now);
  }

  /** Promotes, commits, fulfils or releases a direct reservation. */
  transitionDirect(op: direct.DirectOp, input: direct.DirectTransitionInput, policy: SkuPolicy, now: number, onShip?: direct.OnShip): ReservationOutcome {
    return direct.transitionDirect(this.#db, op, input, policy, now, onShip);
  }

  /** A direct reservation as it stands. */
  getDirect(input: direct.DirectLookupInput, now: number): ReservationOutcome {
    return direct.getDirect(this.#db, input, now);
  }

  /** Amends a direct reservation in one transaction. */
  amendDirect(input: direct.DirectAmendInput, policy: SkuPolicy, now: number, onShip?: direct.OnShip): AmendmentOutcome {
    return direct.amendDirect(this.#db, input, policy, now, onShip);
  }

  // ------------------------------------------------------- hot-SKU shards (shards.ts)

  /** This object's place as a shard, or null (the SKU's main object, or an unsharded SKU). */
  shardConfig(): shards.ShardConfig | null {
    return this.#db.shard.get(this.#db.sql);
  }

  /** Makes this object shard `index` of `parent`'s `count` (retired when index ≥ count). */
  configureShard(config: shards.ShardConfig): void {
    this.#db.storage.transactionSync(() => this.#db.shard.set(this.#db.sql, config));
  }

  /** Main object: grows a shard's allotment (idempotent by op id). */
  allotToShard(input: shards.AllotInput, now: number): { ok: true; granted: number } | Failure {
    return shards.allotToShard(this.#db, input, now);
  }

  /** Main object: shrinks a shard's allotment by units it gave back (idempotent by op id). */
  returnFromShard(input: shards.ShardUnitsInput, now: number): { ok: true; units: number } | Failure {
    return shards.returnFromShard(this.#db, input, now);
  }

  /** Main object: ships units a shard fulfilled (idempotent by op id). */
  shipFromShard(input: shards.ShipInput, now: number): { ok: true; units: number } | Failure {
    return shards.shipFromShard(this.#db, input, now);
  }

  /** Main object: units allotted to each shard, per location. */
  allotments(): { index: number; locationId: string; units: number }[] {
    return shards.allotments(this.#db.sql);
  }

  /** Shard: records an operation on the main object before calling it. */
  recordShardOp(op: shards.ShardOp): void {
    shards.recordShardOp(this.#db.sql, op);
  }

  /** Shard: operations left pending (older than `olderThan`, if given). */
  pendingShardOps(olderThan?: number): shards.ShardOp[] {
    return shards.pendingShardOps(this.#db.sql, olderThan);
  }

  /** Shard: adds an allot's grant to the pool, once. */
  finishAllot(opId: string, granted: number, now: number): void | Failure {
    return shards.finishAllot(this.#db, opId, granted, now);
  }

  /** Shard: takes free units out of the pool for a return (recorded), or 0. */
  takeForReturn(opId: string, locationId: string, units: number, now: number): number | Failure {
    return shards.takeForReturn(this.#db, opId, locationId, units, now);
  }

  /** Shard: deletes a finished operation. */
  dropShardOp(opId: string): void {
    shards.dropShardOp(this.#db.sql, opId);
  }

  /** Shard: free units of the pool, per location. */
  freeShardUnits(): { locationId: string; units: number }[] {
    return shards.freeUnits(this.#db.sql);
  }

  /** Holds (soft) or reserves (hard) every line, or nothing. */
  applyReservation(input: ApplyReservationInput, now: number): ReservationResult | Failure {
    return reservations.applyReservation(this.#db, input, now);
  }

  /** Releases (or expires) a reservation; leaves a tombstone if this SKU never held it. */
  release(input: ReleaseInput, now: number): ReservationResult | Failure {
    return reservations.release(this.#db, input, now);
  }

  /** Turns an active soft hold into a hard reservation, all lines or none. */
  promote(input: PromoteInput, now: number): ReservationResult | Failure {
    return reservations.promote(this.#db, input, now);
  }

  /** Undoes a promotion (compensation). */
  demote(input: DemoteInput, now: number): ReservationResult | Failure {
    return reservations.demote(this.#db, input, now);
  }

  /** Moves a hard reservation's units to `committed`. */
  commit(input: ReservationRefInput, now: number): ReservationResult | Failure {
    return reservations.commit(this.#db, input, now);
  }

  /** Undoes a commit (compensation). */
  uncommit(input: ReservationRefInput, now: number): ReservationResult | Failure {
    return reservations.uncommit(this.#db, input, now);
  }

  /** Ships a committed reservation. */
  fulfil(input: ReservationRefInput, now: number): ReservationResult | Failure {
    return reservations.fulfil(this.#db, input, now);
  }

  /** Amends a live reservation: every move or none (`apply`), or the takes of a multi-SKU amendment (`prepare`). */
  amendReservation(input: AmendReservationInput, now: number): AmendmentResult | Failure {
    return amendments.amendReservation(this.#db, input, now);
  }

  /** Confirms or aborts a prepared amendment. */
  settleAmendment(input: SettleAmendmentInput, now: number): AmendmentResult | Failure {
    return amendments.settleAmendment(this.#db, input, now);
  }

  /** The reservation as this SKU holds it, expiring it first if it is due. */
  getReservation(reservationId: string, now: number): ReservationResult | Failure {
    return reservations.getReservation(this.#db, reservationId, now);
  }

  /** Pre-ordered units waiting, in queue order (preorders.ts). */
  preorders(locationId?: string): PreorderQueueEntry[] {
    return preorders.preorderQueue(this.#db.sql, locationId);
  }

  /** The SKU's lots, their latest moves and the expiring-alert horizon (lots.ts). */
  lots(locationId?: string): { lots: LotView[]; moves: LotMove[]; horizonDays: number } {
    return lots.lotsView(this.#db.sql, locationId);
  }

  /** Sets the expiring-alert horizon (days; null: the default). */
  setExpiryHorizon(days: number | null): { ok: true; horizonDays: number; set: number | null } {
    lots.setHorizonDays(this.#db, days);
    return this.expiryHorizon();
  }

  /** The expiring-alert horizon in effect, and the one set for this SKU (null: the default). */
  expiryHorizon(): { ok: true; horizonDays: number; set: number | null } {
    return { ok: true, horizonDays: lots.horizonDays(this.#db.sql), set: lots.horizonSet(this.#db.sql) };
  }

  // ------------------------------------------------------------------ alarm

  /** Expires due reservations and prunes old records; returns when the alarm should next fire. */
  runDueWork(now: number): number | null {
    // The alarm has just tried every due shard operation: one due and still pending failed, and is tried again in SHARD_OP_RETRY_MS.
    const next = this.#withShardOps(runDueWork(this.#db, now), now);
    this.#db.outboxDueAt = null; // the exact next time covers every event written so far
    return next;
  }

  /** The earliest flush time of the events written since the last call (null: none), and forgets it. */
  takeOutboxDueAt(): number | null {
    const due = this.#db.outboxDueAt;
    this.#db.outboxDueAt = null;
    return due;
  }

  /** When the next piece of due work falls, or null if none. */
  nextDueAt(): number | null {
    this.#db.outboxDueAt = null; // the exact next time covers every event written so far
    return this.#withShardOps(nextDueAt(this.#db.sql, this.#db.inbound.get(this.#db.sql).lots));
  }

  /**
   * `next`, or a shard's earlier retry of an operation on its main object left pending (a
   * crash, a failed call). After the alarm tried the due ones (`triedAt`), one still due is
   * retried SHARD_OP_RETRY_MS later, not at once.
   */
  #withShardOps(next: number | null, triedAt?: number): number | null {
    if (this.#db.shard.get(this.#db.sql) === null) return next;
    const due = shards.nextShardOpDue(this.#db.sql, SHARD_OP_RETRY_MS);
    const op = due === null ? null : triedAt !== undefined && due <= triedAt ? triedAt + SHARD_OP_RETRY_MS : due;
    return op === null ? next : next === null ? op : Math.min(next, op);
  }

  /** Events to send now, oldest first. */
  dueEvents(now: number, limit = outbox.OUTBOX_BATCH): { sequence: number; event: InventoryEvent }[] {
    return outbox.dueEvents(this.#db.sql, now, limit);
  }

  /** The send of these events succeeded: keep them until the consumer confirms, checking at `now` + CONFIRM_AFTER_MS. */
  eventsSent(sequences: readonly number[], now: number): void {
    outbox.eventsSent(this.#db.sql, sequences, now);
  }

  /** Sent events whose delivery check is due. */
  dueConfirmations(now: number): outbox.DueConfirmation[] {
    return outbox.dueConfirmations(this.#db.sql, now);
  }

  /** The newest sent events still kept. */
  newestSentEventIds(): { sequence: number; id: string }[] {
    return outbox.newestSentEventIds(this.#db.sql);
  }

  /** Not applied yet, not known lost: check again later. */
  confirmationPostponed(sequences: readonly number[], now: number): void {
    outbox.confirmationPostponed(this.#db.sql, sequences, now);
  }

  /** The consumer applied these events: drop them. */
  /** The highest sequence of this SKU's events a check found applied (0: none yet). */
  appliedSequence(): number {
    return outbox.appliedSequence(this.#db.sql);
  }

  eventsConfirmed(sequences: readonly number[]): void {
    outbox.eventsConfirmed(this.#db.sql, sequences);
  }

  /** These events were lost and sent again: count it, check again later. */
  eventsResent(sequences: readonly number[], now: number): void {
    outbox.eventsResent(this.#db.sql, sequences, now);
  }

  /** The delivery check could not be made now (`error`): count it, try later. */
  confirmationDeferred(sequences: readonly number[], now: number, error: string): void {
    outbox.confirmationDeferred(this.#db.sql, sequences, now, error);
  }

  /** The send failed (`error`): try these again later, backing off, and count it. */
  eventsFailed(sequences: readonly number[], now: number, error: string): void {
    outbox.eventsFailed(this.#db.sql, sequences, now, error);
  }

  // ------------------------------------------------------------------ reads

  /** This SKU's sync reviews, newest first (optionally one status). */
  syncReviews(status?: SyncReviewStatus): SyncReview[] {
    return sync.syncReviews(this.#db.sql, status);
  }

  /** Per-location quantities, totals and reservation counts. */
  snapshot(): SkuSnapshot {
    return reads.snapshot(this.#db.sql);
  }

  /** Per-location sellable figures for the public view, and when they last changed. */
  publicLevels(): { levels: PublicLevel[]; updatedAt: number | null } {
    return reads.publicLevels(this.#db.sql);
  }

  /** Ledger rows after `afterSeq`, oldest first. */
  ledger(afterSeq: number, limit: number): LedgerEntry[] {
    return reads.ledger(this.#db.sql, afterSeq, limit);
  }

  /** Checks every location's invariants and replays the ledger against the counts; adds the object's health. */
  verify(): VerifyReport {
    return { ...reads.verify(this.#db.sql), health: health(this.#db.sql) };
  }

  /** Failures of background work (counted, never reset) and what waits for a retry. */
  health(): SkuHealth {
    return health(this.#db.sql);
  }

  /** Events not yet sent. */
  outboxSize(): number {
    return outbox.outboxSize(this.#db.sql);
  }

  // ----------------------------------------------------------------- master

  /** The SKU's master facts this object holds (v7, master.ts), or null if it has none yet. */
  masterFacts(): SkuMasterFacts | null {
    if (this.#master === undefined) this.#master = master.readMaster(this.#db.sql);
    return this.#master;
  }

  /** Stores pushed or filled master facts, unless this version or a newer one is held. */
  storeMaster(facts: SkuMasterFacts, source: "push" | "fill", now: number): MasterPushResult {
    // `storeMaster` is the only writer of the facts: the next read takes them from storage.
    this.#master = undefined;
    return master.storeMaster(this.#db, facts, source, now);
  }

  /** The reservation rules last stored in `meta` (a pre-v7 object's last request's), or null. */
  storedPolicy(): SkuPolicy | null {
    return this.#db.policy.get(this.#db.sql);
  }

  // ------------------------------------------------------------------- meta

  /** The live feed's view settings, as the Worker last sent them. */
  liveConfig(): PublicViewConfig | null {
    return meta.liveConfig(this.#db.sql);
  }

  setLiveConfig(config: PublicViewConfig): void {
    meta.setLiveConfig(this.#db.sql, config);
  }

  /** Records which SKU this object holds (first write wins). */
  rememberSku(sku: string): void {
    meta.storeSku(this.#db.sql, sku);
  }

  /** The SKU this object holds, if it has been told. */
  snapshotSku(): string | null {
    return meta.skuOf(this.#db.sql);
  }
}
