/**
 * SKU master facts to the SKU objects (issue 19 item 3): what a stock change or a reservation
 * needs of D1 `skus` (exists, status, owner, policy, lead time) lives in each SKU object
 * (durable-objects/sku-inventory/master.ts), so the request path reads no SKU from D1.
 *
 * - After every master-data write (services/master-data.ts) `pushSkuMasters` reads the
 *   written SKUs' facts with their version (D1 `sku_master_push.version`, raised by triggers
 *   on `skus`) and pushes them; each object keeps the newer version and ignores an older or
 *   repeated push. What an object acknowledged is written to `sku_master_push.acked_version`.
 * - Nothing is lost when a push fails after the D1 write committed (the object unreachable,
 *   the Worker dying): the row's acknowledged version stays behind, and the per-minute sweep
 *   (`sweepSkuMasters`, workers/scheduled.ts) pushes every such row again until its object
 *   acknowledges. Until then the object runs on its previous facts (at most one cron
 *   interval plus the push), or — if it has none — fills them from D1 on first use.
 *
 * Its D1 queries are in repositories/sku-master.ts.
 */
import { acknowledgeMasters, type LocatedFacts, masterFactsOf, skusBehind } from "../repositories/sku-master";
import { byPartition, readDb } from "../repositories/read-partitions";
import { shardCountOf } from "../repositories/sku-shards";
import { shardName } from "../domain/shards";

export const MASTER_SWEEP = {
  /** Rows pushed per cron run; the rest wait for the next run. */
  batchLimit: 500,
  /** SKU objects pushed at once. */
  concurrency: 32,
} as const;

export interface PushResult {
  /** SKUs whose objects hold the pushed version (or a newer one) now. */
  acknowledged: number;
  /** SKUs whose push failed: left behind for the sweep. */
  failed: string[];
}

/**
 * Pushes each SKU's facts to its object (MASTER_SWEEP.concurrency at a time) and records
 * what the objects acknowledged (in each SKU's read database, beside its master row). A
 * failed push is logged (`sku.master_push_failed`) and left to the sweep; it never fails the
 * caller.
 */
export async function pushMasterFacts(env: Env, located: readonly LocatedFacts[]): Promise<PushResult> {
  const acked: { partition: number; ack: [string, number] }[] = [];
  const failed: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < located.length) {
      const { partition, facts: f } = located[next++]!;
      try {
        const result = await env.SKU_INVENTORY.getByName(f.sku).pushMaster(f);
        // A hot SKU's shards check reservations against the same facts (durable-objects/sku-inventory/shards.ts).
        const shards = await shardCountOf(env.DB, f.sku);
        if (shards > 1) await Promise.all(Array.from({ length: shards }, (_, i) => env.SKU_INVENTORY.getByName(shardName(f.sku, i)).pushMaster(f)));
        acked.push({ partition, ack: [f.sku, result.version] });
      } catch (error) {
        failed.push(f.sku);
        console.error(JSON.stringify({ event: "sku.master_push_failed", sku: f.sku, version: f.version, error: String(error) }));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(MASTER_SWEEP.concurrency, located.length) }, worker));
  await Promise.all(
    [...byPartition(acked, (a) => a.partition)].map(([p, list]) =>
      acknowledgeMasters(
        readDb(env, p),
        list.map((a) => a.ack),
      ),
    ),
  );
  return { acknowledged: acked.length, failed: [...new Set(failed)] };
}

/**
 * After a master-data write committed: pushes the written SKUs' facts to their objects. Any
 * failure (D1 read, object, acknowledgement) is logged and left to the sweep; the write's
 * answer does not depend on it.
 */
export async function pushSkuMasters(env: Env, ids: readonly string[]): Promise<PushResult> {
  try {
    return await pushMasterFacts(env, await masterFactsOf(env, ids));
  } catch (error) {
    console.error(JSON.stringify({ event: "sku.master_push_failed", skus: ids.slice(0, 20), count: ids.length, error: String(error) }));
    return { acknowledged: 0, failed: [...ids] };
  }
}

/**
 * The cron's repair: pushes the facts of SKUs whose objects have not acknowledged their
 * current version (a push lost after its D1 write), MASTER_SWEEP.batchLimit per read database
 * and run.
 */
export async function sweepSkuMasters(env: Env, _now: number): Promise<PushResult & { behind: number }> {
  const behind = [...(await skusBehind(env, MASTER_SWEEP.batchLimit)).values()].flat();
  if (behind.length === 0) return { behind: 0, acknowledged: 0, failed: [] };
  const result = await pushMasterFacts(env, await masterFactsOf(env, behind));
  console.log(JSON.stringify({ event: "sku.master_sweep", behind: behind.length, acknowledged: result.acknowledged, failed: result.failed.length }));
  return { behind: behind.length, ...result };
}
