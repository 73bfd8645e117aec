/**
 * Hot-SKU shards (issue 11, item 4), the application side: setting a SKU's shard count, and
 * the SKU's stock as operators and storefronts see it — the main object's counts with every
 * shard's pool summed in. The rules are in durable-objects/sku-inventory/shards.ts.
 *
 * Setting the count writes D1 `sku_shards` (the Worker's routing, cached per isolate), then
 * tells shards 0 … max(old, new) − 1 their place: a shard whose index is no longer below the
 * count is retired (it gives its free units back and keeps serving the reservations it holds).
 * New shards get the SKU's master facts pushed, like the SKU's own object.
 */
import type { PublicLevel } from "../domain/availability";
import { MAX_SHARDS, shardName } from "../domain/shards";
import type { PublicView, SkuSnapshot } from "../durable-objects/sku-inventory.types";
import { skuObjectFor } from "../repositories/objects";
import { masterFactsOf } from "../repositories/sku-master";
import { setShardCount, shardCountOf } from "../repositories/sku-shards";
import { findSkus } from "../repositories/skus";
import { ApiError } from "./api-error";

export interface ShardsView {
  sku: string;
  shards: number;
  /** Units allotted to each shard by the SKU's object, per location (free and reserved ones). */
  allotments: { shard: number; locationId: string; units: number }[];
  /** Each shard's free units per location, and operations on the SKU's object not yet finished. */
  pools: { shard: number; retired: boolean; free: { locationId: string; units: number }[]; pendingOps: number }[];
}

async function requireSku(env: Env, sku: string): Promise<void> {
  if (!(await findSkus(env, [sku])).has(sku)) throw new ApiError(404, "sku_not_found", `no SKU ${sku}`, { sku });
}

/** The shard indices that may hold something: 0 … count − 1, and any other still allotted units. */
function indicesOf(count: number, allotments: { index: number }[]): number[] {
  return [...new Set([...Array.from({ length: count > 1 ? count : 0 }, (_, i) => i), ...allotments.map((a) => a.index)])].sort((a, b) => a - b);
}

/** The SKU's shards as they stand. */
export async function shardsView(env: Env, sku: string): Promise<ShardsView> {
  await requireSku(env, sku);
  const shards = await shardCountOf(env.DB, sku);
  const main = await skuObjectFor(env, sku).shardState();
  const indices = indicesOf(shards, main.allotments);
  const states = await Promise.all(indices.map((i) => skuObjectFor(env, shardName(sku, i)).shardState()));
  return {
    sku,
    shards,
    allotments: main.allotments.map((a) => ({ shard: a.index, locationId: a.locationId, units: a.units })),
    pools: states.map((s, n) => ({ shard: indices[n]!, retired: indices[n]! >= shards, free: s.free, pendingOps: s.pendingOps })),
  };
}

/** Sets a SKU's shard count (1–16; 1: not sharded) and tells every shard concerned. */
export async function setShards(env: Env, sku: string, count: number): Promise<ShardsView> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
    throw ApiError.invalid("shards must be an integer from 1 to 16", [{ path: ["body", "shards"], message: `1–${MAX_SHARDS}`, code: "out_of_range" }]);
  }
  await requireSku(env, sku);
  const before = await shardCountOf(env.DB, sku);
  await setShardCount(env.DB, sku, count, Date.now());
  const facts = (await masterFactsOf(env, [sku]))[0]?.facts;
  const touched = Array.from({ length: Math.max(before > 1 ? before : 0, count > 1 ? count : 0) }, (_, i) => i);
  await Promise.all(
    touched.map(async (index) => {
      const shard = skuObjectFor(env, shardName(sku, index));
      if (facts !== undefined && index >= before) await shard.pushMaster(facts);
      await shard.configureShard({ parent: sku, index, count: count > 1 ? count : 0 });
    }),
  );
  return shardsView(env, sku);
}

/** Sums the pools of a sharded SKU's shards into its object's snapshot (allotted units are the shards' own reservations and free units). */
export async function withShards(env: Env, sku: string, snapshot: SkuSnapshot): Promise<SkuSnapshot & { shards?: number }> {
  // (After a SKU is unsharded, units its retired shards still hold for reservations show as its object's reserved units.)
  const shards = await shardCountOf(env.DB, sku);
  if (shards <= 1) return snapshot;
  const main = await skuObjectFor(env, sku).shardState();
  const parts = await Promise.all(indicesOf(shards, main.allotments).map((i) => skuObjectFor(env, shardName(sku, i)).snapshot()));
  const allotted = new Map<string, number>();
  for (const a of main.allotments) allotted.set(a.locationId, (allotted.get(a.locationId) ?? 0) + a.units);
  const locations = snapshot.locations.map((l) => {
    const at = parts.flatMap((p) => p.locations.filter((x) => x.locationId === l.locationId));
    const sum = (f: "reserved" | "softHeld" | "committed" | "available") => at.reduce((n, x) => n + x[f], 0);
    return {
      ...l,
      reserved: l.reserved - (allotted.get(l.locationId) ?? 0) + sum("reserved"),
      softHeld: l.softHeld + sum("softHeld"),
      committed: l.committed + sum("committed"),
      available: l.available + sum("available"),
    };
  });
  const total = (f: "reserved" | "softHeld" | "committed" | "available") => locations.reduce((n, l) => n + l[f], 0);
  return {
    ...snapshot,
    totals: { ...snapshot.totals, reserved: total("reserved"), softHeld: total("softHeld"), committed: total("committed"), available: total("available") },
    locations,
    shards,
  };
}

/** A SKU's public levels with its shards' free units added (none for an unsharded SKU; one parallel round of calls). */
async function withShardLevels<T extends { levels: PublicLevel[]; updatedAt: number | null }>(env: Env, sku: string, main: Promise<T>): Promise<T> {
  const shards = await shardCountOf(env.DB, sku);
  if (shards <= 1) return main;
  const [own, ...parts] = await Promise.all([main, ...Array.from({ length: shards }, (_, i) => skuObjectFor(env, shardName(sku, i)).publicLevels())]);
  const extra = new Map<string, number>();
  for (const p of parts) for (const l of p.levels) extra.set(l.locationId, (extra.get(l.locationId) ?? 0) + Math.max(0, l.available));
  return { ...own, levels: own.levels.map((l) => ({ ...l, available: l.available + (extra.get(l.locationId) ?? 0) })) };
}

/** A sharded SKU's public levels: its object's, with every shard's free units added (one parallel round of calls). */
export async function shardedPublicLevels(env: Env, sku: string): Promise<{ levels: PublicLevel[]; updatedAt: number | null }> {
  return withShardLevels(env, sku, skuObjectFor(env, sku).publicLevels());
}

/**
 * The public levels (shards' free units added) and the master facts a SKU's object holds, from
 * one call to it (a cached entry's refresh: one object request, not two).
 */
export async function shardedPublicView(env: Env, sku: string): Promise<PublicView> {
  return withShardLevels(env, sku, skuObjectFor(env, sku).publicView());
}

/** The audit of a sharded SKU: its object's report, and each shard's (every invariant in each; ok only if all are). */
export async function auditWithShards<R extends { ok: boolean }>(
  env: Env,
  sku: string,
  report: R,
): Promise<R & { shards?: { shard: number; ok: boolean; breaches: unknown[] }[] }> {
  const shards = await shardCountOf(env.DB, sku);
  if (shards <= 1) return report;
  const main = await skuObjectFor(env, sku).shardState();
  const indices = indicesOf(shards, main.allotments);
  const reports = await Promise.all(indices.map((i) => skuObjectFor(env, shardName(sku, i)).verify()));
  const parts = reports.map((r, n) => ({ shard: indices[n]!, ok: r.ok, breaches: r.breaches }));
  return { ...report, ok: report.ok && parts.every((p) => p.ok), shards: parts };
}
