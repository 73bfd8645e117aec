/**
 * Splitting a sync job into SYNC queue messages ("chunks"), and the message body the SYNC
 * consumer validates. All of one SKU's items go into one chunk (so its object is called
 * once per chunk), chunks stay far below the queue's 128 KB message limit, and the
 * messages are sent in groups within `sendBatch`'s limits (100 messages, 256 KB). Pure.
 */
import { z } from "zod";
import { partitionOf } from "./event-partitions";
import type { SyncFeedItem } from "./sync-items";

export const SYNC_CHUNK_LIMITS = {
  /**
   * Items per chunk. The consumer calls one Durable Object per SKU in a chunk and takes up
   * to 4 chunks per batch (wrangler.toml), so one invocation stays under ~1,000 calls.
   */
  maxItems: 200,
  /** Serialized message size, bytes (the queue's limit is 128 KB per message). */
  maxBytes: 96 * 1024,
} as const;

/** `Queue.sendBatch` limits: at most 100 messages and 256 KB per call (we keep a margin). */
export const SEND_BATCH_LIMITS = { maxMessages: 100, maxBytes: 240 * 1024 } as const;

const ChunkItem = z.object({
  /** The item's index in its job. */
  i: z.int().nonnegative(),
  /** The item's CSV row (or the client's row number), for error reports. */
  r: z.int().positive().nullable().optional(),
  /** Location id. */
  l: z.string().min(1).max(64),
  /** Quantity as sent: the consumer checks its range again (a bad one is an item error, not a poison message). */
  q: z.int(),
});

/**
 * One SYNC message (version 1). Validated on receipt: it may come from an older producer,
 * and the queue delivers at least once.
 */
export const SyncChunkMessageSchema = z.object({
  v: z.literal(1),
  jobId: z.string().min(1).max(64),
  chunkIndex: z.int().nonnegative(),
  vendorId: z.string().min(1).max(64),
  mode: z.enum(["absolute", "delta"]),
  /** Who asked, for the SKU objects' ledgers. */
  actor: z.string().min(1).max(200),
  /**
   * What the quantities are (issue 16): absent or `on_hand` the vendor's on-hand; `available`
   * what the vendor can still sell, turned into on-hand inside the SKU's object
   * (`onHandFromAvailable`). Absent in messages from before vendor formats.
   */
  kind: z.enum(["on_hand", "available"]).optional(),
  skus: z.array(z.object({ sku: z.string().min(1).max(64), items: z.array(ChunkItem).min(1) })).min(1),
});
export type SyncChunkMessage = z.infer<typeof SyncChunkMessageSchema>;
export type SyncChunkItem = z.infer<typeof ChunkItem>;

/** The part of a message a dead-letter consumer can still use when the rest is unreadable. */
export const SyncChunkRefSchema = z.object({ jobId: z.string().min(1).max(64), chunkIndex: z.int().nonnegative() });

/** Items of one chunk, by SKU, in request order. */
export interface ChunkPlan {
  chunkIndex: number;
  skus: { sku: string; items: SyncChunkItem[] }[];
  itemCount: number;
}

/** Room kept in each message for the fields around `skus` (ids, mode, actor). */
const ENVELOPE_BYTES = 512;

const itemOf = (item: SyncFeedItem): SyncChunkItem =>
  item.row === null ? { i: item.itemIndex, l: item.locationId, q: item.quantity } : { i: item.itemIndex, r: item.row, l: item.locationId, q: item.quantity };

/**
 * Packs items into chunks: SKUs in order of first appearance, each SKU's items together,
 * a new chunk whenever the next SKU would not fit. A SKU with more items than one chunk
 * holds (more than `maxItems` locations) is split over consecutive chunks.
 *
 * With `partitions` > 1 (the SYNC queue's N), a job that needs more than one chunk is packed
 * partition by partition instead: its SKUs grouped by `partitionOf(sku, partitions)` (in
 * order of first appearance within each group), each group into chunks of its own, so every
 * SKU of a chunk is in the chunk's SYNC partition (`syncPartitionOf`, domain/job-partitions.ts,
 * which reads the first SKU) and the job's chunks spread over the partitions as its SKUs do.
 * That costs at most `partitions − 1` chunks more than the plain packing. A job that fits one
 * chunk stays one chunk (see domain/job-partitions.ts for why).
 */
export function planChunks(items: readonly SyncFeedItem[], limits: { maxItems: number; maxBytes: number } = SYNC_CHUNK_LIMITS, partitions = 1): ChunkPlan[] {
  const bySku = new Map<string, SyncChunkItem[]>();
  for (const item of items) {
    const list = bySku.get(item.sku);
    if (list === undefined) bySku.set(item.sku, [itemOf(item)]);
    else list.push(itemOf(item));
  }
  const plain = packChunks([[...bySku]], limits);
  if (partitions <= 1 || plain.length <= 1) return plain;
  const groups = Array.from({ length: partitions }, (): [string, SyncChunkItem[]][] => []);
  for (const entry of bySku) groups[partitionOf(entry[0], partitions)]!.push(entry);
  return packChunks(
    groups.filter((g) => g.length > 0),
    limits,
  );
}

/** Packs each group of SKUs (with their items) into chunks of its own, numbered across groups. */
function packChunks(groups: readonly (readonly [string, SyncChunkItem[]])[][], limits: { maxItems: number; maxBytes: number }): ChunkPlan[] {
  const budget = limits.maxBytes - ENVELOPE_BYTES;
  const chunks: ChunkPlan[] = [];
  let bytes = 0;
  const open = (): ChunkPlan => {
    const chunk: ChunkPlan = { chunkIndex: chunks.length, skus: [], itemCount: 0 };
    chunks.push(chunk);
    bytes = 0;
    return chunk;
  };
  for (const skus of groups) {
    let chunk: ChunkPlan | undefined;
    for (const [sku, skuItems] of skus) {
      const groupOverhead = JSON.stringify({ sku, items: [] }).length + 1;
      const sizes = skuItems.map((i) => JSON.stringify(i).length + 1);
      const groupBytes = groupOverhead + sizes.reduce((a, b) => a + b, 0);
      if (chunk === undefined || (chunk.itemCount > 0 && (chunk.itemCount + skuItems.length > limits.maxItems || bytes + groupBytes > budget))) chunk = open();
      // Fits whole (the common case), or is split over as many chunks as it needs.
      let group: { sku: string; items: SyncChunkItem[] } = { sku, items: [] };
      chunk.skus.push(group);
      bytes += groupOverhead;
      for (const [k, item] of skuItems.entries()) {
        if (group.items.length > 0 && (chunk.itemCount + 1 > limits.maxItems || bytes + sizes[k]! > budget)) {
          chunk = open();
          group = { sku, items: [] };
          chunk.skus.push(group);
          bytes += groupOverhead;
        }
        group.items.push(item);
        chunk.itemCount += 1;
        bytes += sizes[k]!;
      }
    }
  }
  return chunks;
}

/** Splits serialized sizes into consecutive groups that each fit one `sendBatch` call. */
export function sendGroups(sizes: readonly number[], limits: { maxMessages: number; maxBytes: number } = SEND_BATCH_LIMITS): [start: number, end: number][] {
  const groups: [number, number][] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < sizes.length; i++) {
    if (i > start && (i - start >= limits.maxMessages || bytes + sizes[i]! > limits.maxBytes)) {
      groups.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += sizes[i]!;
  }
  if (start < sizes.length) groups.push([start, sizes.length]);
  return groups;
}
