/**
 * The cache tiers of public availability, the edge way:
 * - L1: this isolate's memory (bounded size), stale-while-revalidate: an entry is served as
 *   it is for a while after its record was read from the SKU's object (a tenth of the time
 *   the SKU had gone unchanged, from 5 s to 20 s: L1_FRESHNESS), then, up to
 *   MAX_STALE_SECONDS after that read, served at once while one refresh per SKU and isolate
 *   reads the object again in the background; past that it is never served;
 * - L2: the Cache API of this Cloudflare location: the same entries, stamped with when their
 *   record was read, kept MAX_STALE_SECONDS and aged like L1's;
 * - L3: browsers and shared caches in front of us (a storefront's CDN), by the response
 *   headers (`CACHE_CONTROL`, and `Age`: how long ago the record was read). Cloudflare's CDN
 *   caches a Worker's own responses only with Workers Cache enabled, which this project does
 *   not do yet (see README, caching).
 *
 * Each SKU has one entry (with per-location detail), so a listing page warms the product
 * pages and the other way round. An entry keeps its serialized bodies and their ETags, so a
 * hit neither serializes nor hashes. A change that alters public availability deletes the
 * SKU's L1 and L2 entries from the path that made it (this location), and no read or refresh
 * that started before the change stores what it read; other locations and isolates serve
 * nothing read longer than MAX_STALE_SECONDS ago. A SKU changed over and over (a flash sale)
 * has its L2 entry deleted at most once per L2_PURGE_WINDOW_MS per isolate: the first change
 * deletes it at once, later ones in the window leave one delete at the window's end, and until
 * then this isolate does not read that SKU from L2. Stale reads never oversell: reservations
 * always go to the SKU's Durable Object.
 */
import { type FreshnessPolicy, freshnessOf, type HeuristicFreshness, heuristicPolicy } from "../../domain/cache-freshness";
import { sha256Hex } from "../../domain/hashing";
import { TtlCache } from "../../repositories/ttl-cache";
import type { PublicRecord } from "./public-view";

/** Seconds a shared cache may serve a response as fresh (`s-maxage`). */
export const SHARED_MAX_AGE_SECONDS = 2;
/** Seconds past `s-maxage` a shared cache may serve a response while it revalidates (`stale-while-revalidate`). */
export const SHARED_STALE_SECONDS = 30;
/** Headers of public availability responses (for L3: browsers and downstream shared caches). */
export const CACHE_CONTROL = `public, max-age=5, s-maxage=${SHARED_MAX_AGE_SECONDS}, stale-while-revalidate=${SHARED_STALE_SECONDS}, stale-if-error=300`;

/**
 * The staleness bound: no tier here serves a record read from its object longer ago than
 * this (seconds). Within what the headers let any shared cache serve (`s-maxage` +
 * `stale-while-revalidate`, counted with `Age`).
 */
export const MAX_STALE_SECONDS = 30;

/**
 * L1's freshness: an entry is served as it is for a tenth of the time its SKU had gone
 * unchanged when it was read (its record's `updatedAt`), at least 5 s and at most 20 s; from
 * then to the bound it is served while it is refreshed. A SKU read all the time is read again
 * from its object once per 5 s per isolate while it keeps changing, and once per 20 s when it
 * has been quiet for 200 s or more (most of a large catalogue, most of the time). A change
 * made here drops the entry at once whatever its freshness; the bound is the same for all.
 */
export const L1_FRESHNESS: Readonly<HeuristicFreshness> = Object.freeze({
  minFreshMs: 5_000,
  maxFreshMs: 20_000,
  fraction: 0.1,
  maxStaleMs: MAX_STALE_SECONDS * 1_000,
});
/** At most this many SKUs in one isolate's L1. */
const L1_MAX_ENTRIES = 10_000;

export type CacheTier = "hit-l1" | "stale-l1" | "hit-l2" | "miss";

/** A body as sent, and its strong ETag (made on first use). */
interface Rendered {
  text: string;
  etag: string | undefined;
}

/** One SKU's L1 entry: the record, when it was read from the object, its bodies. */
export class CachedRecord {
  /** Body without per-location detail, and with it (made on first use). */
  #plain: Rendered | undefined;
  #detailed: Rendered | undefined;
  /** A background refresh of this entry is running (one per SKU and isolate). */
  refreshing = false;

  /** How long this entry is fresh (by how long its SKU had gone unchanged when read), and its bound. */
  readonly policy: FreshnessPolicy;

  constructor(
    readonly record: PublicRecord,
    /** When the record was read from the SKU's object (ms, this isolate's clock). */
    readonly readAt: number,
  ) {
    this.policy = heuristicPolicy(readAt, record.updatedAt === null ? null : Date.parse(record.updatedAt), L1_FRESHNESS);
  }

  #rendered(withLocations: boolean): Rendered {
    if (withLocations ? this.#detailed === undefined : this.#plain === undefined) {
      // The public shape: the record's fields, `locations` last and only when asked for.
      const { locations, ...rest } = this.record;
      const rendered = { text: JSON.stringify(withLocations ? { ...rest, locations } : rest), etag: undefined };
      if (withLocations) this.#detailed = rendered;
      else this.#plain = rendered;
      return rendered;
    }
    return (withLocations ? this.#detailed : this.#plain)!;
  }

  /** The same record and bodies, read again at `readAt` (a refresh that found nothing changed: fresh for longer, the SKU being quiet for longer). */
  restamped(readAt: number): CachedRecord {
    const copy = new CachedRecord(this.record, readAt);
    copy.#plain = this.#plain;
    copy.#detailed = this.#detailed;
    return copy;
  }

  /** The JSON body (the record, without `locations` unless asked for). */
  text(withLocations: boolean): string {
    return this.#rendered(withLocations).text;
  }

  /** The body's strong ETag: the first 32 hex digits of its SHA-256, quoted. */
  async etag(withLocations: boolean): Promise<string> {
    const rendered = this.#rendered(withLocations);
    rendered.etag ??= `"${(await sha256Hex(rendered.text)).slice(0, 32)}"`;
    return rendered.etag;
  }
}

const l1 = new TtlCache<string, CachedRecord>(L1_FRESHNESS.maxStaleMs, L1_MAX_ENTRIES);

/** This isolate's clock for L1 ages; tests move it (`setAvailabilityClock`). */
let clock: () => number = Date.now;

/** Replaces the clock L1 ages are measured with (tests); `null` puts back `Date.now`. */
export function setAvailabilityClock(now: (() => number) | null): void {
  clock = now ?? Date.now;
}

/**
 * Invalidations in this isolate, counted, and the count at each SKU's latest one: a read or
 * refresh that started at count `n` stores nothing for a SKU invalidated after `n`. Bounded;
 * a read that started before the oldest mark still held stores nothing.
 */
let invalidations = 0;
const MARKS_MAX = 10_000;
const invalidatedAt = new Map<string, number>();

/** The invalidation count now: pass it to `storeRecord` for what is about to be read. */
export function invalidationMark(): number {
  return invalidations;
}

function invalidatedSince(sku: string, mark: number): boolean {
  if (mark === invalidations) return false;
  if (invalidations - mark >= MARKS_MAX) return true;
  return (invalidatedAt.get(sku) ?? -1) > mark;
}

/** The L2 key of a SKU: its canonical public URL, so a zone purge by URL clears it too. */
function keyOf(origin: string, sku: string): Request {
  return new Request(`${origin}/api/v2/availability/${encodeURIComponent(sku)}`);
}

/** The L2 header carrying when the record was read from the object (ms since the epoch). */
const READ_AT_HEADER = "x-read-at";

/** What a lookup found: the entry, its tier, and whether the caller must start its refresh. */
export interface CachedLookup {
  entry: CachedRecord;
  tier: CacheTier;
  /** Stale: the caller refreshes it (`refreshRecord`, in the background); at most one caller per entry is told so. */
  refresh: boolean;
}

/** L1 only: a fresh or (within the bound) stale entry, or undefined. */
export function l1Record(sku: string): CachedLookup | undefined {
  const now = clock();
  const entry = l1.get(sku, now);
  if (entry === undefined) return undefined;
  switch (freshnessOf(now - entry.readAt, entry.policy)) {
    case "fresh":
      return { entry, tier: "hit-l1", refresh: false };
    case "stale": {
      const refresh = !entry.refreshing;
      entry.refreshing = true;
      return { entry, tier: "stale-l1", refresh };
    }
    default:
      l1.delete(sku);
      return undefined;
  }
}

/** Looks a SKU up in L2 (after `l1Record` found nothing); an entry found there is put in L1 with its age, and refreshed if stale. */
export async function l2Record(origin: string, sku: string): Promise<CachedLookup | null> {
  // L2 may still hold what predates a change made here: its delete waits for the window's end.
  if (l2Owed(sku)) return null;
  const mark = invalidations;
  const response = await caches.default.match(keyOf(origin, sku));
  if (response === undefined) return null;
  const record = (await response.json()) as PublicRecord;
  const now = clock();
  // An entry without the stamp (stored by an older version, or by hand) is taken as stale.
  const stamped = Number(response.headers.get(READ_AT_HEADER) ?? Number.NaN);
  const readAt = Number.isFinite(stamped) ? Math.min(stamped, now) : now - L1_FRESHNESS.maxFreshMs;
  const entry = new CachedRecord(record, readAt);
  const freshness = freshnessOf(now - readAt, entry.policy);
  if (freshness === "expired") return null;
  if (invalidatedSince(sku, mark)) return { entry, tier: "hit-l2", refresh: false };
  l1.set(sku, entry, now);
  entry.refreshing = freshness === "stale";
  return { entry, tier: "hit-l2", refresh: entry.refreshing };
}

/**
 * Stores a record read from the object (`readAt`, with the invalidation `mark` taken before
 * the read) in L1, and returns the entry; and a promise of its L2 write. Nothing is stored
 * if the SKU was invalidated since `mark`: what was read may predate the change.
 */
export function storeRecord(origin: string, record: PublicRecord, readAt: number, mark: number): { entry: CachedRecord; stored: Promise<void> } {
  const entry = new CachedRecord(record, readAt);
  if (invalidatedSince(record.sku, mark)) return { entry, stored: Promise.resolve() };
  l1.set(record.sku, entry, clock());
  const stored = caches.default.put(
    keyOf(origin, record.sku),
    new Response(entry.text(true), {
      headers: {
        "content-type": "application/json",
        "cache-control": `public, s-maxage=${MAX_STALE_SECONDS}`,
        [READ_AT_HEADER]: String(readAt),
      },
    }),
  );
  return { entry, stored };
}

/**
 * Reads a stale entry's SKU again (`load`: null if the SKU is gone) and stores the result,
 * unless the entry was invalidated or replaced meanwhile. A record that has not changed only
 * renews L1's entry (same bodies, same ETags); L2 is written when it has. For `waitUntil`;
 * never throws (a failed refresh leaves the entry to the next stale read, or to expire).
 */
export async function refreshRecord(origin: string, entry: CachedRecord, load: () => Promise<PublicRecord | null>): Promise<void> {
  const sku = entry.record.sku;
  const mark = invalidations;
  try {
    const readAt = clock();
    const record = await load();
    if (l1.get(sku, clock()) !== entry || invalidatedSince(sku, mark)) return;
    if (record === null) l1.delete(sku);
    else if (JSON.stringify(record) === JSON.stringify(entry.record)) l1.set(sku, entry.restamped(readAt), clock());
    else await storeRecord(origin, record, readAt, mark).stored;
  } catch (error) {
    console.error(JSON.stringify({ event: "availability.refresh_failed", sku, error: String(error) }));
  } finally {
    entry.refreshing = false;
  }
}

/** How old an entry's record is, in whole seconds (the `Age` header). */
export function ageSeconds(entry: CachedRecord): number {
  return Math.max(0, Math.floor((clock() - entry.readAt) / 1_000));
}

/** The time now on L1's clock (what a read from the object is stamped with). */
export function cacheNow(): number {
  return clock();
}

/**
 * How often one isolate deletes a SKU's L2 entry at most (ms). Each delete is a Cache API call
 * (locally ~0.3 ms of CPU, BENCHMARKS.md; in production a subrequest), and a SKU reserved
 * hundreds of times a second would otherwise have its entry deleted as often, so that no
 * reader in the location ever found it there. Other isolates of the location may serve an
 * entry up to this much older than a change made here (within the 30 s bound).
 */
export const L2_PURGE_WINDOW_MS = 1_000;

/** A SKU's L2 purge window in this isolate: when it ends, and whether a delete is owed at its end. */
interface PurgeWindow {
  until: number;
  owed: boolean;
}
const purgeWindows = new Map<string, PurgeWindow>();

/** Whether this isolate owes a delete of the SKU's L2 entry (changes since the last one): until then L2 may hold what predates them. */
function l2Owed(sku: string): boolean {
  return purgeWindows.get(sku)?.owed === true;
}

/**
 * Deletes the SKU's L2 entry now, or — within the window of the last delete here, when
 * `defer` can keep the work alive past the response — once at the window's end, however many
 * changes come meanwhile.
 */
async function purgeL2(origin: string, sku: string, defer: ((work: Promise<void>) => void) | undefined): Promise<void> {
  const now = clock();
  const window = purgeWindows.get(sku);
  if (defer !== undefined && window !== undefined && window.until > now) {
    if (window.owed) return;
    window.owed = true;
    const owedDelete = async () => {
      await scheduler.wait(Math.min(window.until - now, L2_PURGE_WINDOW_MS));
      window.owed = false;
      // A delete ran now: a change within the next window waits for that window's end.
      window.until = clock() + L2_PURGE_WINDOW_MS;
      try {
        await caches.default.delete(keyOf(origin, sku));
      } catch (error) {
        // The entry then ages out within the bound like any other location's.
        console.error(JSON.stringify({ event: "availability.purge_failed", sku, error: String(error) }));
      }
    };
    defer(owedDelete());
    return;
  }
  purgeWindows.delete(sku);
  purgeWindows.set(sku, { until: now + L2_PURGE_WINDOW_MS, owed: false });
  while (purgeWindows.size > MARKS_MAX) {
    // The oldest window is dropped only when no delete is owed on it (one owed ends within a second).
    const [oldestSku, oldest] = purgeWindows.entries().next().value!;
    if (oldest.owed) break;
    purgeWindows.delete(oldestSku);
  }
  await caches.default.delete(keyOf(origin, sku));
}

/**
 * Drops SKUs' entries from L1 (this isolate) and L2 (this location); reads already under way
 * store nothing for them. With `defer` (the request's `waitUntil`), a SKU whose L2 entry this
 * isolate deleted less than L2_PURGE_WINDOW_MS ago gets one delete at that window's end
 * instead, and this isolate reads it from its object, not from L2, until then. Without it,
 * every SKU's entry is deleted before this returns.
 */
export async function invalidateAvailability(origin: string, skus: Iterable<string>, defer?: (work: Promise<void>) => void): Promise<void> {
  const unique = [...new Set(skus)];
  for (const sku of unique) {
    invalidations += 1;
    invalidatedAt.delete(sku);
    invalidatedAt.set(sku, invalidations);
    l1.delete(sku);
  }
  while (invalidatedAt.size > MARKS_MAX) {
    const oldest = invalidatedAt.keys().next();
    if (oldest.done) break;
    invalidatedAt.delete(oldest.value);
  }
  await Promise.all(unique.map((sku) => purgeL2(origin, sku, defer)));
}
