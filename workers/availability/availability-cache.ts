/**
 * The cache tiers of public availability, the edge way:
 * - L1: this isolate's memory, about a second (bounded size);
 * - L2: the Cache API of this Cloudflare location, for `s-maxage`;
 * - L3: browsers and shared caches in front of us (a storefront's CDN), by the response
 *   headers (`CACHE_CONTROL`). Cloudflare's CDN caches a Worker's own responses only with
 *   Workers Cache enabled, which this project does not do yet (see README, caching).
 *
 * Each SKU has one entry (with per-location detail), so a listing page warms the product
 * pages and the other way round. A change that alters public availability deletes the
 * SKU's L1 and L2 entries from the path that made it (this location); other locations and
 * isolates age out within `s-maxage` and L1's second. Stale reads never oversell:
 * reservations always go to the SKU's Durable Object.
 */
import { TtlCache } from "../../repositories/ttl-cache";
import type { PublicRecord } from "./public-view";

/** L1: one second, at most 10,000 SKUs per isolate. */
const L1_TTL_MS = 1_000;
const l1 = new TtlCache<string, PublicRecord>(L1_TTL_MS, 10_000);

/** Seconds a shared cache (L2, CDN) may serve an entry; the staleness bound across locations. */
export const SHARED_MAX_AGE_SECONDS = 2;
/** Headers of public availability responses (for L3: browsers and downstream shared caches). */
export const CACHE_CONTROL = `public, max-age=5, s-maxage=${SHARED_MAX_AGE_SECONDS}, stale-while-revalidate=30, stale-if-error=300`;

export type CacheTier = "hit-l1" | "hit-l2" | "miss";

/** The L2 key of a SKU: its canonical public URL, so a zone purge by URL clears it too. */
function keyOf(origin: string, sku: string): Request {
  return new Request(`${origin}/api/v2/availability/${encodeURIComponent(sku)}`);
}

/** Looks a SKU up in L1, then L2. */
export async function cachedRecord(origin: string, sku: string): Promise<{ record: PublicRecord; tier: CacheTier } | null> {
  const hit = l1.get(sku);
  if (hit !== undefined) return { record: hit, tier: "hit-l1" };
  const response = await caches.default.match(keyOf(origin, sku));
  if (response === undefined) return null;
  const record = (await response.json()) as PublicRecord;
  l1.set(sku, record);
  return { record, tier: "hit-l2" };
}

/** Stores a freshly read record in L1 and L2. */
export async function storeRecord(origin: string, record: PublicRecord): Promise<void> {
  l1.set(record.sku, record);
  await caches.default.put(
    keyOf(origin, record.sku),
    new Response(JSON.stringify(record), {
      headers: { "content-type": "application/json", "cache-control": `public, s-maxage=${SHARED_MAX_AGE_SECONDS}` },
    }),
  );
}

/** Drops SKUs' entries from L1 (this isolate) and L2 (this location). */
export async function invalidateAvailability(origin: string, skus: Iterable<string>): Promise<void> {
  const unique = [...new Set(skus)];
  for (const sku of unique) l1.delete(sku);
  await Promise.all(unique.map((sku) => caches.default.delete(keyOf(origin, sku))));
}
