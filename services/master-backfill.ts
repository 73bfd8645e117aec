/**
 * Master rows left in `DB` from before master data was partitioned (issue 19 item 3, migration
 * 0020): a deployment (or a local `.state`) that had SKUs keeps their `skus` and
 * `sku_master_push` rows in `DB`, where nothing reads them any more; the migration already
 * wrote their `sku_directory` entries. The per-minute cron moves them, vendor by vendor, to
 * each vendor's read database: copy (a row already there is kept; push versions keep the
 * higher), then delete from `DB`. Every step can run again, so a run cut short by a crash or
 * its budget is simply continued by the next one. Until a vendor's rows are moved its SKUs
 * read as absent (at most a few cron runs after the upgrade).
 */
import { copyPage, deletePage, MOVED_TABLES, vendorsMoving, vendorsWithMasterRows } from "../repositories/read-moves";
import { forgetReadPartitions, readDb, vendorReadPartition } from "../repositories/read-partitions";

export const MASTER_BACKFILL = {
  /** Vendors moved per cron run (each completely). */
  vendorsPerRun: 20,
  /** Rows per copy page and per delete. */
  pageRows: 500,
} as const;

/** The moved master tables, in copy order (rows first, then their push versions); deleted in reverse. */
const MASTER_TABLES = ["skus", "sku_master_push"].map((name) => MOVED_TABLES.findIndex((t) => t.name === name));

/** One cron run's share: up to MASTER_BACKFILL.vendorsPerRun vendors' legacy master rows moved from `DB`. */
export async function moveLegacyMasterRows(env: Env): Promise<{ vendors: number; copied: number; deleted: number }> {
  const found = await vendorsWithMasterRows(env.DB, MASTER_BACKFILL.vendorsPerRun);
  if (found.length === 0) return { vendors: 0, copied: 0, deleted: 0 };
  // A vendor being moved between read databases waits: its target changes at the switch.
  const moving = await vendorsMoving(env.DB, found);
  let copied = 0;
  let deleted = 0;
  let vendors = 0;
  for (const vendorId of found.filter((v) => !moving.has(v))) {
    // Where `DB` places the vendor now (not a cached placement: rows copied into a database it left would be deleted).
    forgetReadPartitions(vendorId);
    const target = readDb(env, await vendorReadPartition(env, vendorId));
    for (const table of MASTER_TABLES) {
      let at: { table: number; rowid: number } | null = { table, rowid: 0 };
      while (at !== null) {
        const page = await copyPage(env.DB, target, { vendorId }, at, MASTER_BACKFILL.pageRows);
        copied += page.copied;
        at = page.next;
      }
    }
    for (const table of [...MASTER_TABLES].reverse()) {
      let n: number;
      do {
        n = await deletePage(env.DB, { vendorId }, table, MASTER_BACKFILL.pageRows);
        deleted += n;
      } while (n === MASTER_BACKFILL.pageRows);
    }
    vendors++;
  }
  console.log(JSON.stringify({ event: "sku.master_backfill", vendors, copied, deleted }));
  return { vendors, copied, deleted };
}
