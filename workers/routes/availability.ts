/**
 * `/api/v2/availability`: public, key-less, CDN-cached availability for storefronts, and
 * the live feed. Nothing operator-only appears here.
 */
import type { Context } from "hono";
import { LIVE_CLIENT_HEADER, LIVE_CONFIG_HEADER } from "../../durable-objects/sku-inventory";
import type { AppEnv } from "../app-env";
import { sha256Hex } from "../../domain/hashing";
import {
  ageSeconds,
  CACHE_CONTROL,
  type CachedLookup,
  type CachedRecord,
  cacheNow,
  invalidationMark,
  l1Record,
  l2Record,
  refreshRecord,
  storeRecord,
  type CacheTier,
} from "../availability/availability-cache";
import { loadPublicRecord, loadKnownPublicRecord, publicViewConfig, type PublicRecord } from "../availability/public-view";
import { ApiError } from "../../services/api-error";
import { RouteGroup } from "../http/route-table";
import { findSkus } from "../../repositories/skus";
import { AvailabilityBatchQuery, AvailabilityQuery } from "../../domain/schemas/availability";
import { ID_PATTERN, SkuId } from "../../domain/schemas/common";

export const availability = new RouteGroup("availability");

interface Lookup {
  entry: CachedRecord;
  tier: CacheTier;
  doMs: number;
}

type SkuRows = Awaited<ReturnType<typeof findSkus>>;

const originOf = (c: Context<AppEnv>) => new URL(c.req.url).origin;

/** The SKU's public record read from its object, or null if D1 has no such SKU. */
async function readRecord(env: Env, sku: string, known?: SkuRows): Promise<PublicRecord | null> {
  const row = (known ?? (await findSkus(env, [sku]))).get(sku);
  return row === undefined ? null : loadPublicRecord(env, row);
}

/** A cache hit; a stale one starts the entry's one refresh in the background. */
function served(c: Context<AppEnv>, hit: CachedLookup): Lookup {
  if (hit.refresh) {
    const sku = hit.entry.record.sku;
    c.executionCtx.waitUntil(refreshRecord(originOf(c), hit.entry, () => loadKnownPublicRecord(c.env, sku)));
  }
  return { entry: hit.entry, tier: hit.tier, doMs: 0 };
}

/** One SKU's record from L2 (after L1 had none), or null. */
async function fromL2(c: Context<AppEnv>, origin: string, sku: string): Promise<Lookup | null> {
  const cached = await l2Record(origin, sku);
  return cached === null ? null : served(c, cached);
}

/** One SKU's record from its object (then cached), or null if the SKU does not exist. */
async function fromObject(c: Context<AppEnv>, origin: string, sku: string, known?: SkuRows): Promise<Lookup | null> {
  const mark = invalidationMark();
  const readAt = cacheNow();
  const started = performance.now();
  const record = await readRecord(c.env, sku, known);
  if (record === null) return null;
  const doMs = performance.now() - started;
  const { entry, stored } = storeRecord(origin, record, readAt, mark);
  c.executionCtx.waitUntil(stored);
  return { entry, tier: "miss", doMs };
}

/** Server-Timing of the hits, made once. */
const HIT_TIMING: Readonly<Record<Exclude<CacheTier, "miss">, string>> = {
  "hit-l1": 'cache;desc="hit-l1", do;dur=0.00',
  "stale-l1": 'cache;desc="stale-l1", do;dur=0.00',
  "hit-l2": 'cache;desc="hit-l2", do;dur=0.00',
};

/** Whether an If-None-Match header matches `etag` (weak comparison, or `*`). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  return ifNoneMatch?.split(",").some((t) => t.trim().replace(/^W\//, "") === etag || t.trim() === "*") ?? false;
}

/** Sends a public JSON body with validators: ETag, Age, 304 on a matching If-None-Match, Server-Timing. */
function respond(c: Context<AppEnv>, text: string, etag: string, age: number, timing: string): Response {
  const notModified = matches(c.req.header("if-none-match"), etag);
  const headers: Record<string, string> = {
    "Cache-Control": CACHE_CONTROL,
    ETag: etag,
    Age: String(age),
    "Server-Timing": timing,
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Server-Timing",
  };
  if (notModified) return new Response(null, { status: 304, headers });
  headers["Content-Type"] = "application/json";
  return new Response(text, { status: 200, headers });
}

availability.route(
  {
    method: "get",
    path: "/",
    summary: "Public availability of up to 100 SKUs",
    scopes: [],
    query: AvailabilityBatchQuery,
    success: { status: 200, description: "{items, notFound}" },
    errors: [400],
  },
  async (c, input) => {
    const query = input.query();
    const skus = [...new Set(query.skus)];
    const results: (Lookup | null)[] = skus.map((sku) => {
      const hit = l1Record(sku);
      return hit === undefined ? null : served(c, hit);
    });
    const rest = skus.filter((_, i) => results[i] === null);
    if (rest.length > 0) {
      // L2 next; the SKUs neither tier has are looked up in D1 together, then read from their objects.
      const origin = originOf(c);
      const fromCache = new Map(await Promise.all(rest.map(async (sku) => [sku, await fromL2(c, origin, sku)] as const)));
      const missing = rest.filter((sku) => fromCache.get(sku) === null);
      const known = missing.length > 0 ? await findSkus(c.env, missing) : new Map();
      const loaded = new Map(await Promise.all(missing.map(async (sku) => [sku, await fromObject(c, origin, sku, known)] as const)));
      skus.forEach((sku, i) => {
        results[i] ??= fromCache.get(sku) ?? loaded.get(sku) ?? null;
      });
    }
    const items: string[] = [];
    const notFound: string[] = [];
    const tiers = { "hit-l1": 0, "stale-l1": 0, "hit-l2": 0, miss: 0 };
    let doMs = 0;
    let age = 0;
    results.forEach((result, i) => {
      if (result === null) notFound.push(skus[i]!);
      else {
        items.push(result.entry.text(query.locations));
        tiers[result.tier] += 1;
        doMs = Math.max(doMs, result.doMs);
        age = Math.max(age, ageSeconds(result.entry));
      }
    });
    // The same bytes as JSON.stringify({items, notFound}), from each entry's serialized body.
    const text = `{"items":[${items.join(",")}],"notFound":${JSON.stringify(notFound)}}`;
    const etag = `"${(await sha256Hex(text)).slice(0, 32)}"`;
    const timing = `cache;desc="l1=${tiers["hit-l1"] + tiers["stale-l1"]} l2=${tiers["hit-l2"]} miss=${tiers.miss}", do;dur=${doMs.toFixed(2)}`;
    return respond(c, text, etag, age, timing);
  },
);

/** New live connections one client address may open per LIVE_FEED_LIMIT.periodSeconds (wrangler.toml LIVE_FEED_RATE_LIMITER). */
const LIVE_FEED_LIMIT = { limit: 60, periodSeconds: 60 } as const;

/**
 * The live feed. Limits per client address (`CF-Connecting-IP`, set by Cloudflare; absent
 * only in local runs), besides the SKU object's cap on all connections: new connections per
 * minute across SKUs (the rate-limiting binding, checked before any lookup), and open
 * connections per SKU (the object counts the sockets it tagged with a digest of the address).
 */
availability.route(
  {
    method: "get",
    path: "/:sku/live",
    summary: "WebSocket live feed of a SKU's public availability (Upgrade: websocket)",
    scopes: [],
    params: { sku: SkuId },
    success: { status: 101, description: "switching protocols" },
    errors: [400, 404, 426, 429, 503],
  },
  async (c, input) => {
    const sku = input.param("sku");
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(426, "upgrade_required", "connect with a WebSocket (Upgrade: websocket)");
    }
    // A digest, so neither the rate limiter's keys nor the object's socket tags hold addresses.
    const clientKey = (await sha256Hex(`live\n${c.req.header("cf-connecting-ip") ?? "unknown"}`)).slice(0, 32);
    const { success } = await c.env.LIVE_FEED_RATE_LIMITER.limit({ key: clientKey });
    if (!success) {
      throw new ApiError(
        429,
        "rate_limited",
        `at most ${LIVE_FEED_LIMIT.limit} new live connections per ${LIVE_FEED_LIMIT.periodSeconds} s from one address; retry later`,
        LIVE_FEED_LIMIT,
        { "Retry-After": String(LIVE_FEED_LIMIT.periodSeconds) },
      );
    }
    const row = (await findSkus(c.env, [sku])).get(sku);
    if (row === undefined) throw new ApiError(404, "sku_not_found", `no SKU ${sku}`, { sku });
    const config = await publicViewConfig(c.env, row);
    const headers = new Headers(c.req.raw.headers);
    headers.set(LIVE_CONFIG_HEADER, JSON.stringify(config));
    headers.set(LIVE_CLIENT_HEADER, clientKey);
    headers.set("X-Sku", sku);
    return c.env.SKU_INVENTORY.getByName(sku).fetch(new Request(c.req.url, { headers }));
  },
);

availability.route(
  {
    method: "get",
    path: "/:sku",
    summary: "Public availability of one SKU (CDN-cached, ETag/304)",
    scopes: [],
    params: { sku: SkuId },
    query: AvailabilityQuery,
    success: { status: 200, description: "{sku, status, available, locations?, updatedAt}" },
    errors: [400, 404],
  },
  async (c, input) => {
    // The common request (a valid SKU, no query string) skips the schema parsers: they would
    // accept it unchanged; anything else goes through them, and their 400s.
    const raw = c.req.param("sku");
    const sku = raw !== undefined && ID_PATTERN.test(raw) ? raw : input.param("sku");
    const withLocations = c.req.url.includes("?") ? input.query().locations : false;
    const hit = l1Record(sku);
    const result = hit !== undefined ? served(c, hit) : ((await fromL2(c, originOf(c), sku)) ?? (await fromObject(c, originOf(c), sku)));
    if (result === null) throw new ApiError(404, "sku_not_found", `no SKU ${sku}`, { sku });
    const { entry, tier, doMs } = result;
    const timing = tier === "miss" ? `cache;desc="miss", do;dur=${doMs.toFixed(2)}` : HIT_TIMING[tier];
    return respond(c, entry.text(withLocations), await entry.etag(withLocations), ageSeconds(entry), timing);
  },
);
