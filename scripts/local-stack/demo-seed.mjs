// Seeding the demo data into a running local stack over the HTTP API (operator key):
// vendors, locations, SKUs, then every stock row, idempotently.

import { setTimeout as sleep } from "node:timers/promises";
import { DEMO_SKU_COUNT, demoCatalogue, demoLocationBodies } from "./demo-catalogue.mjs";
import { pool } from "./pool.mjs";
import { readDemoKeys, updateDemoKeys } from "./state.mjs";

/**
 * Call the local API. Retries network errors, 429 and 5xx a few times; throws on any other
 * unexpected status with the response's error body.
 */
export async function api(baseUrl, key, method, path, { body, headers = {}, ok = [200, 201], retries = 4 } = {}) {
  for (let attempt = 0; ; attempt++) {
    let res;
    let text;
    try {
      res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...headers,
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(60_000),
      });
      text = await res.text();
    } catch (err) {
      if (attempt < retries) {
        await sleep(200 * 2 ** attempt);
        continue;
      }
      throw new Error(`${method} ${path}: ${err.message}`);
    }
    if ((res.status === 429 || res.status >= 500) && attempt < retries) {
      const after = Number(res.headers.get("retry-after"));
      await sleep(after > 0 ? Math.min(after, 10) * 1000 : 200 * 2 ** attempt);
      continue;
    }
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {}
    if (!ok.includes(res.status)) {
      throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
    }
    return { status: res.status, body: json };
  }
}

/**
 * Seed the demo data over HTTP with the operator key. Idempotent: vendors that exist are fine
 * (409), locations and SKUs are upserts, and every stock write carries
 * `Idempotency-Key: seed-<sku>-<loc>`. With `stateDir`, the stock step is skipped once
 * `<stateDir>/demo-keys.json` records `"stockSeeded": true` (and set when it completes).
 *
 * @param {string} baseUrl
 * @param {{operator: string}} keys
 * @param {{stateDir?: string, concurrency?: number, log?: (msg: string) => void, progress?: boolean, skuCount?: number}} [options]
 *   skuCount: the catalogue's size (default 3,000); a smaller one keeps the first SKUs of each vendor the same
 */
export async function seedDemoData(baseUrl, keys, { stateDir, concurrency = 32, log = console.log, progress, skuCount = DEMO_SKU_COUNT } = {}) {
  const key = keys.operator;
  if (!key) throw new Error("seedDemoData: keys.operator is required");
  const data = demoCatalogue(skuCount);
  const started = Date.now();

  for (const v of data.vendors) {
    await api(baseUrl, key, "POST", "/api/v2/vendors", { body: v, ok: [201, 409] });
  }
  for (const { id, ...loc } of await demoLocationBodies()) {
    await api(baseUrl, key, "PUT", `/api/v2/locations/${encodeURIComponent(id)}`, { body: loc });
  }
  const CHUNK = 1_000;
  for (let i = 0; i < data.skus.length; i += CHUNK) {
    await api(baseUrl, key, "POST", "/api/v2/skus/batch", { body: { items: data.skus.slice(i, i + CHUNK) } });
  }
  log(`seeded ${data.vendors.length} vendors, ${data.locations.length} locations, ${data.skus.length} SKUs`);

  const state = stateDir ? await readDemoKeys(stateDir) : null;
  if (state?.stockSeeded) {
    log("stock already seeded (demo-keys.json: stockSeeded) — skipping");
    return { ...summary(data), stockSkipped: true };
  }

  const total = data.stock.length;
  const tty = progress ?? Boolean(process.stdout.isTTY);
  let done = 0;
  let shownTenth = 0;
  const line = () => `stock ${done}/${total} (${Math.floor((done / total) * 100)}%)`;
  log(`seeding stock: ${total} rows, ${concurrency} at a time…`);
  await pool(data.stock, concurrency, async ({ sku, locationId, onHand }) => {
    await api(baseUrl, key, "PATCH", `/api/v2/inventory/${encodeURIComponent(sku)}`, {
      body: { locationId, onHand, reason: "initial" },
      headers: { "idempotency-key": `seed-${sku}-${locationId}` },
    });
    done++;
    // A terminal gets one line rewritten in place; logs get a line every 10 %.
    if (tty) {
      if (done % 50 === 0 || done === total) process.stdout.write(`\r${line()}`);
    } else if (Math.floor((done * 10) / total) > shownTenth) {
      shownTenth = Math.floor((done * 10) / total);
      log(line());
    }
  });
  if (tty) process.stdout.write("\n");
  if (stateDir) await updateDemoKeys(stateDir, { stockSeeded: true });
  log(`stock seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { ...summary(data), stockSkipped: false };
}

function summary(data) {
  return {
    vendors: data.vendors.length,
    locations: data.locations.length,
    skus: data.skus.length,
    stockRows: data.stock.length,
  };
}
