/**
 * A hot-SKU shard's calls to its SKU's main object and to its sibling shards (shards.ts has
 * the rules and the storage): refilling the pool when a reservation finds it short, yielding
 * free units when a sibling runs dry, shipping fulfilled units, and re-running what a crash
 * or a failed call left pending. Every operation is recorded before its call and idempotent
 * by its id at the main object, so re-running one is always safe.
 */
import type { Failure, ShortLine } from "../../domain/failures";
import type { SkuInventoryStore } from "../sku-inventory.store";
import { retired, shardName, type AllotInput, type ShardConfig, type ShardUnitsInput, type ShipInput } from "./shards";

/** What a shard calls on other objects of its SKU (the main object and the siblings). */
export interface ShardPeer {
  allotToShard(input: AllotInput): Promise<{ ok: true; granted: number } | Failure>;
  returnFromShard(input: ShardUnitsInput): Promise<{ ok: true; units: number } | Failure>;
  shipFromShard(input: ShipInput): Promise<{ ok: true; units: number } | Failure>;
  yieldUnits(input: { locationId: string; units: number }): Promise<number>;
}

export class ShardCalls {
  readonly #store: () => SkuInventoryStore;
  readonly #peer: (name: string) => ShardPeer;
  readonly #now: () => number;
  /** Sets the alarm by the object's earliest due work (so a pending operation is re-run even if this instance dies now). */
  readonly #rearm: () => Promise<void>;
  /** The refill in flight (one at a time per shard), and how many have started (to join one that began after a request failed). */
  #refill: Promise<boolean> | null = null;
  #refillsStarted = 0;

  constructor(store: () => SkuInventoryStore, peer: (name: string) => ShardPeer, now: () => number, rearm: () => Promise<void>) {
    this.#store = store;
    this.#peer = peer;
    this.#now = now;
    this.#rearm = rearm;
  }

  /** How many refills have started (a request notes it when it finds the pool short). */
  get refillsStarted(): number {
    return this.#refillsStarted;
  }

  /**
   * Gets units for the short lines into the pool: from the main object's free units, then, if
   * that is not enough, from the siblings' free units (each gives back what it can spare to the
   * main object, which then allots them here). A request that found the pool short after a
   * refill had already started waits for that one instead of starting its own only if that
   * refill started after its failure (it saw the stock as the request needs it seen).
   */
  async refill(config: ShardConfig, short: ShortLine[], seen: number): Promise<boolean> {
    while (this.#refill !== null) {
      const running = this.#refill;
      const found = await running.catch(() => true);
      if (this.#refillsStarted > seen) return found;
    }
    this.#refillsStarted += 1;
    const run = this.#refillLines(config, short);
    this.#refill = run;
    try {
      return await run;
    } finally {
      if (this.#refill === run) this.#refill = null;
    }
  }

  /** True when any units came into the pool (or went back to the main object for it): worth trying again. */
  async #refillLines(config: ShardConfig, short: ShortLine[]): Promise<boolean> {
    let moved = false;
    for (const line of short) {
      if (line.locationId === null) continue;
      const need = line.requested - Math.max(0, line.available);
      if (need <= 0) continue;
      const got = await this.#allot(config, line.locationId, need);
      moved ||= got > 0;
      if (got >= need) continue;
      const siblings = Array.from({ length: config.count }, (_, j) => j).filter((j) => j !== config.index);
      const yielded = await Promise.allSettled(
        siblings.map((j) => this.#peer(shardName(config.parent, j)).yieldUnits({ locationId: line.locationId!, units: need - got })),
      );
      const back = yielded.reduce((sum, y) => sum + (y.status === "fulfilled" ? y.value : 0), 0);
      if (back > 0) {
        moved = true;
        await this.#allot(config, line.locationId, need - got);
      }
    }
    return moved;
  }

  /** One allot from the main object: recorded, called, added to the pool. Returns the units granted (0 if the call failed: the alarm finishes it). */
  async #allot(config: ShardConfig, locationId: string, need: number): Promise<number> {
    const id = `allot:${crypto.randomUUID()}`;
    this.#store().recordShardOp({
      id,
      kind: "allot",
      location_id: locationId,
      units: need,
      reservation_id: null,
      reference: null,
      actor: null,
      created_at: this.#now(),
    });
    const answer = await this.#main(config)
      .allotToShard({ index: config.index, opId: id, locationId, need, shards: config.count })
      .catch(() => null);
    if (answer === null || !answer.ok) return 0;
    this.#store().finishAllot(id, answer.granted, this.#now());
    return answer.granted;
  }

  /** Gives up to `units` free units at a location back to the main object; the units given (recorded first, so a crash finishes it). */
  async yieldUnits(config: ShardConfig, locationId: string, units: number): Promise<number> {
    const id = `return:${crypto.randomUUID()}`;
    const taken = this.#store().takeForReturn(id, locationId, units, this.#now());
    if (typeof taken !== "number" || taken === 0) return 0;
    await this.#rearm();
    const answer = await this.#main(config)
      .returnFromShard({ index: config.index, opId: id, locationId, units: taken })
      .catch(() => null);
    if (answer !== null && answer.ok) this.#store().dropShardOp(id);
    return taken;
  }

  /** Re-runs every pending operation (older than `olderThan`, or all), and a retired shard gives back its free units. */
  async runPending(config: ShardConfig, olderThan?: number): Promise<void> {
    for (const op of this.#store().pendingShardOps(olderThan)) {
      const main = this.#main(config);
      const base = { index: config.index, opId: op.id, locationId: op.location_id };
      try {
        if (op.kind === "allot") {
          const answer = await main.allotToShard({ ...base, need: op.units, shards: config.count });
          if (answer.ok) this.#store().finishAllot(op.id, answer.granted, this.#now());
        } else if (op.kind === "return") {
          const answer = await main.returnFromShard({ ...base, units: op.units });
          if (answer.ok) this.#store().dropShardOp(op.id);
        } else {
          const answer = await main.shipFromShard({
            ...base,
            units: op.units,
            reservationId: op.reservation_id!,
            reference: op.reference,
            actor: op.actor ?? "system:shards",
          });
          if (answer.ok) this.#store().dropShardOp(op.id);
        }
      } catch (error) {
        console.warn(JSON.stringify({ event: "shard.op_failed", shard: shardName(config.parent, config.index), op: op.id, error: String(error) }));
      }
    }
    if (retired(config)) {
      for (const free of this.#store().freeShardUnits()) await this.yieldUnits(config, free.locationId, free.units);
    }
  }

  /** Records the units a fulfilment shipped (called inside the step's batch): each becomes a pending `ship` for the main object. */
  recordShipped(shipped: { locationId: string; quantity: number }[], reservationId: string, reference: string | null, actor: string): void {
    for (const line of shipped) {
      this.#store().recordShardOp({
        id: `ship:${crypto.randomUUID()}`,
        kind: "ship",
        location_id: line.locationId,
        units: line.quantity,
        reservation_id: reservationId,
        reference,
        actor,
        created_at: this.#now(),
      });
    }
  }

  #main(config: ShardConfig): ShardPeer {
    return this.#peer(config.parent);
  }
}
