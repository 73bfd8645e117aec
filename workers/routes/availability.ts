/**
 * `/api/v2/availability`: public, key-less, CDN-cached availability for storefronts, and
 * the live feed. Nothing operator-only appears here.
 */
import type { Context } from "hono";
import { LIVE_CLIENT_HEADER, LIVE_CONFIG_HEADER } from "../../durable-objects/sku-inventory";
import type { AppEnv } from "../app-env";
import { sha256Hex } from "../../domain/hashing";
import { CACHE_CONTROL, cachedRecord, storeRecord, type CacheTier } from "../availability/availability-cache";
import { loadPublicRecord, publicViewConfig, type PublicRecord } from "../availability/public-view";
import { ApiError } from "../../services/api-error";
import { RouteGroup } from "../http/route-table";
import { findSkus } from "../../repositories/skus";
import { AvailabilityBatchQuery, AvailabilityQuery } from "../../domain/schemas/availability";
import { SkuId } from "../../domain/schemas/common";

export const availability = new RouteGroup("availability");

interface Lookup {
  record: PublicRecord;
  tier: CacheTier;
  doMs: number;
}

/** One SKU's record from L1/L2, or from its object (then cached). Null if the SKU does not exist. */
async function lookup(c: Context<AppEnv>, sku: string, known?: Awaited<ReturnType<typeof findSkus>>): Promise<Lookup | null> {
  const origin = new URL(c.req.url).origin;
  const cached = await cachedRecord(origin, sku);
  if (cached !== null) return { ...cached, doMs: 0 };
  const row = (known ?? (await findSkus(c.env.DB, [sku]))).get(sku);
  if (row === undefined) return null;
  const started = performance.now();
  const record = await loadPublicRecord(c.env, row);
  const doMs = performance.now() - started;
  c.executionCtx.waitUntil(storeRecord(origin, record));
  return { record, tier: "miss", doMs };
}

function shape(record: PublicRecord, withLocations: boolean) {
  const { locations, ...rest } = record;
  return withLocations ? { ...rest, locations } : rest;
}

/** Sends a public JSON body with validators: ETag, 304 on a matching If-None-Match, Server-Timing. */
async function respond(c: Context<AppEnv>, body: unknown, timing: string): Promise<Response> {
  const text = JSON.stringify(body);
  const etag = `"${(await sha256Hex(text)).slice(0, 32)}"`;
  const headers = {
    "Cache-Control": CACHE_CONTROL,
    ETag: etag,
    "Server-Timing": timing,
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Server-Timing",
  };
  const ifNoneMatch = c.req.header("if-none-match");
  if (ifNoneMatch !== undefined && ifNoneMatch.split(",").some((t) => t.trim().replace(/^W\//, "") === etag || t.trim() === "*")) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(text, { status: 200, headers: { ...headers, "Content-Type": "application/json" } });
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
    const known = await findSkus(c.env.DB, skus);
    const results = await Promise.all(skus.map((sku) => lookup(c, sku, known)));
    const items: unknown[] = [];
    const notFound: string[] = [];
    const tiers = { "hit-l1": 0, "hit-l2": 0, miss: 0 };
    let doMs = 0;
    results.forEach((result, i) => {
      if (result === null) notFound.push(skus[i]!);
      else {
        items.push(shape(result.record, query.locations));
        tiers[result.tier] += 1;
        doMs = Math.max(doMs, result.doMs);
      }
    });
    const timing = `cache;desc="l1=${tiers["hit-l1"]} l2=${tiers["hit-l2"]} miss=${tiers.miss}", do;dur=${doMs.toFixed(2)}`;
    return respond(c, { items, notFound }, timing);
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
    const row = (await findSkus(c.env.DB, [sku])).get(sku);
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
    const sku = input.param("sku");
    const query = input.query();
    const result = await lookup(c, sku);
    if (result === null) throw new ApiError(404, "sku_not_found", `no SKU ${sku}`, { sku });
    return respond(c, shape(result.record, query.locations), `cache;desc="${result.tier}", do;dur=${result.doMs.toFixed(2)}`);
  },
);
