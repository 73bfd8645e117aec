/**
 * Hot-SKU shards, the names both sides use (durable-objects/sku-inventory/shards.ts has the
 * rules): shard `k` of SKU `s` is the object `s~k` (`~` is not allowed in a SKU id, so a shard
 * never collides with a SKU), and a SKU has at most `MAX_SHARDS`.
 */
export const MAX_SHARDS = 16;

/** The shard object's name. */
export const shardName = (sku: string, index: number): string => `${sku}~${index}`;
