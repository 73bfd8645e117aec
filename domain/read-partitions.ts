/**
 * The partitioned read model's placement rules (issue 19 item 2; the lookups are in
 * repositories/read-partitions.ts). Pure: which read database a vendor's or a SKU's rows go to.
 *
 * - M is the number of consecutive `READ_<i>` D1 bindings.
 * - A vendor lives in its home partition, the jump hash of its id over M (even spread; only
 *   the vendors the new databases take would move if M grew), unless `vendors.read_partition`
 *   pins it elsewhere (the re-partitioning procedure).
 * - A SKU with no master data lives in the jump hash of its own id.
 */
import { partitionOf } from "./event-partitions";

/** Largest M looked for (bindings READ_0 … READ_63). */
const MAX_READ_PARTITIONS = 64;

/** The read databases among an environment's bindings (`READ_0`, `READ_1`, …), in partition order. */
export function readDbsOf(bindings: object): D1Database[] {
  const named = bindings as Record<string, D1Database | undefined>;
  const out: D1Database[] = [];
  for (let i = 0; i < MAX_READ_PARTITIONS; i++) {
    const db = named[`READ_${i}`];
    if (db === undefined) break;
    out.push(db);
  }
  if (out.length === 0) throw new Error("no READ_0 binding: the read model needs at least one D1 database (wrangler.toml)");
  return out;
}

/** Where a vendor's rows go unless pinned: spread by jump hash over M. */
export function homeReadPartition(vendorId: string, partitions: number): number {
  return partitionOf(`vendor:${vendorId}`, partitions);
}

/** Where the rows of a SKU with no master data go. */
export function unownedReadPartition(sku: string, partitions: number): number {
  return partitionOf(`sku:${sku}`, partitions);
}

/** A vendor's partition from its stored value (null: its home). */
export function placedReadPartition(vendorId: string, stored: number | null, partitions: number): number {
  if (stored === null) return homeReadPartition(vendorId, partitions);
  if (stored >= partitions) throw new RangeError(`vendor ${vendorId} is pinned to read partition ${stored}, but M = ${partitions}`);
  return stored;
}
