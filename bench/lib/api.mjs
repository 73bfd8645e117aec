// Small helpers over the HTTP API shared by the benchmark and the crash drill.

import { createHash, randomUUID } from "node:crypto";

// Bounded concurrency, the same helper the demo seed uses.
export { pool } from "../../scripts/local-stack/pool.mjs";

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/**
 * The reservation id the Worker derives from (principal, Idempotency-Key)
 * (domain/reservation-ids.ts): `rsv_` + 2 hex (coordinator shard) + 26 base32 (128 bits);
 * an order the fast path takes (one SKU, every line with a location, no allocation) adds `_`
 * and the SKU (`directSku`). Lets a client find out what became of a request that never got
 * an answer.
 */
export function reservationIdFor(principal, idempotencyKey, directSku, shards = 1) {
  if (directSku !== undefined) {
    const keyId = reservationIdFor(principal, idempotencyKey);
    // A hot-SKU shard holds it (`shardForKey` in domain/reservation-ids.ts): the id ends `~<index>`.
    return shards > 1 ? `${keyId}_${directSku}~${shardForKey(keyId, shards)}` : `${keyId}_${directSku}`;
  }
  const digest = createHash("sha256").update(`${principal}\n${idempotencyKey}`).digest();
  const shard = digest[0].toString(16).padStart(2, "0");
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of digest.subarray(1, 17)) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return `rsv_${shard}${out}`;
}

/** The shard (of `shards`) a key's reservation of a hot SKU goes to (domain/reservation-ids.ts `shardForKey`). */
export function shardForKey(keyId, shards) {
  let h = 0;
  for (let i = 4; i < keyId.length; i++) h = (Math.imul(h, 31) + keyId.charCodeAt(i)) >>> 0;
  return h % shards;
}

export const uniqueKey = (prefix) => `${prefix}-${randomUUID()}`;

/**
 * Calls the API and insists on one of the `ok` statuses; throws with the response otherwise.
 * `client` is a load.mjs client.
 */
export async function call(client, key, method, path, { body, headers, ok = [200, 201], retries = 3 } = {}) {
  let res;
  for (let attempt = 0; attempt <= retries; attempt++) {
    res = await client.request(method, path, { key, body, headers });
    if (ok.includes(res.status)) return res;
    if (res.status !== 0 && res.status !== 429 && res.status < 500) break;
    await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
  }
  throw new Error(`${method} ${path} → ${res.status} ${res.error ?? ""} ${res.text.slice(0, 400)}`);
}

/**
 * A vendor (409 = already there), locations, and SKUs in batches of 1,000 (the API takes
 * 10,000). A batch pushes each SKU's facts to its object, and the local runtime holds open
 * files for every object the batch reached while it runs: one batch of 10,000 new SKUs ran out
 * of a machine's 20,000 open files (`ulimit -n`) after ~7,350 objects (SQLITE_CANTOPEN).
 * Setup only: nothing measured depends on the batch size.
 */
const SEED_BATCH = 1_000;
export async function seedMasterData(client, operatorKey, { vendor, locations, skus }) {
  await call(client, operatorKey, "POST", "/api/v2/vendors", { body: vendor, ok: [201, 409] });
  for (const { id, ...loc } of locations) {
    await call(client, operatorKey, "PUT", `/api/v2/locations/${encodeURIComponent(id)}`, { body: loc });
  }
  for (let i = 0; i < skus.length; i += SEED_BATCH) {
    await call(client, operatorKey, "POST", "/api/v2/skus/batch", { body: { items: skus.slice(i, i + SEED_BATCH) } });
  }
}

export function location(id, priority = 10) {
  return {
    id,
    name: `Bench ${id}`,
    type: "fulfillment_center",
    countryCode: "FR",
    city: "Paris",
    latitude: 48.8566,
    longitude: 2.3522,
    canShip: true,
    canPickup: false,
    priority,
    active: true,
  };
}

export function skuItem(sku, vendorId) {
  return { sku, vendorId, productId: `P-${sku}`, name: `Bench item ${sku}`, allowBackorder: false, softBufferPct: 10 };
}

/** Sets on-hand (operator key, reason `initial`, idempotent per sku+location). */
export function setOnHand(client, operatorKey, sku, locationId, onHand) {
  return call(client, operatorKey, "PATCH", `/api/v2/inventory/${encodeURIComponent(sku)}`, {
    body: { locationId, onHand, reason: "initial" },
    headers: { "idempotency-key": `seed-${sku}-${locationId}-${onHand}` },
  });
}

/** GET /api/v2/inventory/{sku} and /audit. */
export async function inspectSku(client, operatorKey, sku) {
  const [inv, audit] = await Promise.all([
    call(client, operatorKey, "GET", `/api/v2/inventory/${encodeURIComponent(sku)}`),
    call(client, operatorKey, "GET", `/api/v2/inventory/${encodeURIComponent(sku)}/audit`),
  ]);
  return { inventory: inv.json(), audit: audit.json() };
}

/** A POST /api/v2/inventory/reserve body. */
export function reserveBody(items, type = "hard", reference = "bench") {
  return { type, reference, items };
}

/** The SKU of an order the single-SKU fast path takes (one SKU, every line located, no allocation), else undefined. */
export function directSkuOf(body) {
  const skus = new Set(body.items.map((i) => i.sku));
  return body.allocation === undefined && skus.size === 1 && body.items.every((i) => i.locationId !== undefined) ? [...skus][0] : undefined;
}
