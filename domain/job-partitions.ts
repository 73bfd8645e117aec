/**
 * Partitioned jobs (issue 19): which SYNC and which REORDER queue partition a message goes to.
 * Pure. Both use the EVENTS partition function (`partitionOf`, domain/event-partitions.ts:
 * FNV-1a, murmur3 finaliser, jump consistent hashing) over a key read from the message alone,
 * so every send of a message — the first one, a repeat of the request, the sweeper's re-drive
 * of a stored chunk, the queue's own redelivery and an operator's dead-letter replay of the
 * recorded body — lands on the same partition while N stays the same. With the same N, a
 * SKU's SYNC, REORDER and EVENTS partitions are the same number.
 *
 * **SYNC: the chunk's first SKU.** A chunk (domain/sync-chunks.ts) holds whole SKUs (a SKU of
 * more than 200 locations continues in the next chunk), so SKUs are what a chunk is made of.
 * Keyed by the job, or by the vendor, one vendor's 10,000-item job (50 chunks) would sit in
 * one queue, the load partitioning must spread. Keyed by its first SKU alone, a job's 50
 * chunks would be 50 draws over 4 partitions: all partitions get some, but the busiest one
 * gets more than 1.2× the mean for about half of such jobs. So a job of more than one chunk
 * is *planned* by partition (`planChunks` with `partitions`): its SKUs are grouped by
 * `partitionOf(sku, N)` and each group packed into its own chunks, so every SKU in a chunk
 * has the chunk's partition and the job spreads as its SKUs do — 10,000 SKUs over 4
 * partitions, ~2,500 ± 50 each, i.e. 13 or 14 chunks in each (max/mean ≤ 1.08 over 200 such
 * jobs, tested), for at most N − 1 extra chunks a job. Then "the first SKU" is "every SKU" of such a chunk: a SKU's items in
 * every multi-chunk job go to its own partition, the SYNC consumer sends the chunk's events
 * to one EVENTS partition (the same number) in one sendBatch, and two jobs' values for one
 * SKU wait in the same queue rather than in two queues with different backlogs (the queue
 * still keeps no order, so nothing relies on it). A job of one chunk (≤ 200 items) stays one
 * message, on its first SKU's partition: splitting it would multiply small jobs' messages
 * and D1 writes up to N times. A chunk stored before the rollout (its SKUs mixed) is sent by
 * its first SKU like any other; changing N moves chunks between partitions, harmless since
 * nothing orders them.
 *
 * **REORDER: the SKU set's first SKU; a draft's vendor × location.** A nightly run's chunk is a
 * keyset page of up to 100 active SKUs in id order across all vendors, so pages are disjoint
 * and a page's first SKU names it: keyed by it, the night's 500,000 chunks are 500,000
 * distinct keys (max/mean ≈ 1.01). By vendor would be worse on both counts: a page may hold
 * several vendors, and vendors' catalogues are heavy-tailed — one vendor of a million SKUs
 * would put its 10,000 chunks in one queue. A `sku` message (after a low-stock event) goes by
 * its SKU: the EVENTS partition that saw the event, and the same partition again when the
 * event is redelivered. A `draft` message goes by its vendor × location group, so the run's
 * draft, the sweep's re-send of a settled group and the group's own `more` follow-ups share
 * one partition's stream; thousands of groups spread as any hashed key. The nightly run is
 * never re-driven message by message (a lost chunk's SKUs wait for the next night; the
 * cron's ticks page on from the run's cursor), so redelivery and replay are the cases that
 * matter, and both send the same body.
 */
import { partitionOf } from "./event-partitions";
import type { ReorderMessage } from "./reorder-messages";
import type { SyncChunkMessage } from "./sync-chunks";

/** The partition key of a SYNC chunk: its first SKU. */
export function syncPartitionKey(chunk: { readonly skus: readonly Pick<SyncChunkMessage["skus"][number], "sku">[] }): string {
  return chunk.skus[0]!.sku;
}

/** The SYNC partition (`0..partitions−1`) of a chunk message. */
export function syncPartitionOf(chunk: { readonly skus: readonly Pick<SyncChunkMessage["skus"][number], "sku">[] }, partitions: number): number {
  return partitionOf(syncPartitionKey(chunk), partitions);
}

/** The partition key of a REORDER message: a chunk's first SKU, the SKU, or `draft:<vendor>\n<location>`. */
export function reorderPartitionKey(message: ReorderMessage): string {
  switch (message.kind) {
    case "chunk":
      return message.skus[0]!;
    case "sku":
      return message.sku;
    case "draft":
      return `draft:${message.vendorId}\n${message.locationId}`;
  }
}

/** The REORDER partition (`0..partitions−1`) of a message. */
export function reorderPartitionOf(message: ReorderMessage, partitions: number): number {
  return partitionOf(reorderPartitionKey(message), partitions);
}
