// Local stack helpers shared by `npm start` (scripts/start.mjs), the end-to-end tests
// (test/e2e/) and benchmarks: apply D1 migrations to a state folder, bootstrap demo API keys,
// run `wrangler dev` on 127.0.0.1 and stop it again, and seed deterministic demo data over HTTP.
//
// Plain ESM for Node 22, no dependencies beyond Node itself and the project's wrangler.
// Nothing here contacts Cloudflare: every wrangler call is --local, the quiet env vars are
// always set, and all HTTP traffic goes to 127.0.0.1.

import { spawn } from "node:child_process";
import { createHash, randomInt } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (the folder holding wrangler.toml). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
// wrangler 4.16x needs Node >= 22.12. Under npm scripts process.execPath is the pinned Node 22
// (node_modules/.bin comes first on PATH); if this module was loaded by an older Node, use the
// pinned binary directly.
const PINNED_NODE = join(ROOT, "node_modules", "node", "bin", "node");
const [major, minor] = process.versions.node.split(".").map(Number);
const NODE = major > 22 || (major === 22 && minor >= 12) || !existsSync(PINNED_NODE) ? process.execPath : PINNED_NODE;

/** Env vars that keep wrangler and workerd quiet and local (see scripts/README-draft.md). */
export const QUIET_ENV = Object.freeze({
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  X_LOCAL_OBSERVABILITY: "false",
  X_LOCAL_EXPLORER: "false",
});

export const DEMO_VENDOR_ID = "V-ACME";
export const DEMO_KEYS_FILE = "demo-keys.json";

function childEnv(extra = {}) {
  // node_modules/.bin first, so anything wrangler launches through `#!/usr/bin/env node`
  // runs on the pinned Node 22 even when this module was started by hand.
  const bin = join(ROOT, "node_modules", ".bin");
  const path = process.env.PATH ?? "";
  return {
    ...process.env,
    PATH: path.split(delimiter)[0] === bin ? path : `${bin}${delimiter}${path}`,
    ...QUIET_ENV,
    ...extra,
  };
}

/** Run wrangler to completion; resolves with its output, rejects with it on a non-zero exit. */
function runWrangler(args, { env = {}, cwd = ROOT } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(NODE, [WRANGLER, ...args], {
      cwd,
      env: childEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolvePromise(out);
      else reject(new Error(`wrangler ${args.slice(0, 3).join(" ")} failed (${signal ?? `exit ${code}`}):\n${out.replace(ANSI, "")}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// API keys
// ---------------------------------------------------------------------------------------------

const LOWER_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomString(alphabet, length) {
  let s = "";
  for (let i = 0; i < length; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

/**
 * A new API key in the Worker's format, `eik_<id>_<secret>`: id 12 × [a-z0-9], secret
 * 32 × [A-Za-z0-9], both from crypto. `hash` is the lowercase hex SHA-256 of the whole key.
 */
export function generateApiKey() {
  const id = randomString(LOWER_DIGITS, 12);
  const key = `eik_${id}_${randomString(ALNUM, 32)}`;
  return { id, key, hash: createHash("sha256").update(key).digest("hex") };
}

const sqlString = (v) => (v === null || v === undefined ? "NULL" : `'${String(v).replaceAll("'", "''")}'`);

async function readJson(file) {
  return JSON.parse(await readFile(file, "utf8"));
}

async function writeJsonAtomic(file, value) {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + "\n", { mode: 0o600 });
  await rename(tmp, file);
}

/** wrangler's debug logs go to `<stateDir>/logs` (not ~/.config/.wrangler/logs): one folder for everything. */
const logDir = (stateDir) => join(stateDir, "logs");

/** Path of `<stateDir>/demo-keys.json`. */
export const demoKeysPath = (stateDir) => join(resolve(stateDir), DEMO_KEYS_FILE);

/** Read `<stateDir>/demo-keys.json`, or null when there is none. */
export async function readDemoKeys(stateDir) {
  const file = demoKeysPath(stateDir);
  return existsSync(file) ? readJson(file) : null;
}

/** Merge fields into `<stateDir>/demo-keys.json` (e.g. `{stockSeeded: true}`, `{baseUrl}`). */
export async function updateDemoKeys(stateDir, patch) {
  const current = (await readDemoKeys(stateDir)) ?? {};
  const next = { ...current, ...patch };
  await writeJsonAtomic(demoKeysPath(stateDir), next);
  return next;
}

/**
 * Apply the D1 migrations to `stateDir` (the same folder `wrangler dev --persist-to` uses) and
 * make sure there are demo API keys. Keys are generated once and kept in
 * `<stateDir>/demo-keys.json`; a later call reuses them.
 *
 * @param {string} stateDir
 * With `demoSales` (npm start), the first call also loads the planning demo data
 * (`demoPlanningSql`) for the first `skuCount` SKUs of the demo catalogue.
 *
 * @param {{baseUrl?: string, log?: (msg: string) => void, demoSales?: boolean, skuCount?: number}} [options]
 * @returns {Promise<{baseUrl: string, keys: {checkout: string, operator: string, vendor: string, vendorId: string}, stockSeeded?: boolean}>}
 */
export async function prepareState(stateDir, { baseUrl = "http://127.0.0.1:8787", log = () => {}, demoSales = false, skuCount = DEMO_SKU_COUNT } = {}) {
  stateDir = resolve(stateDir);
  await mkdir(stateDir, { recursive: true });

  log("applying D1 migrations…");
  // Non-interactive (stdin is not a TTY, CI=true): wrangler answers its own confirm prompt.
  await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir], {
    env: { CI: "true", WRANGLER_LOG_PATH: logDir(stateDir) },
  });

  const existing = await readDemoKeys(stateDir);
  if (existing?.keys?.checkout && existing.keys.operator && existing.keys.vendor) return existing;

  log("creating demo API keys…");
  const now = Date.now();
  const scopes = [
    { scope: "checkout", name: "demo checkout", vendorId: null },
    { scope: "operator", name: "demo operator", vendorId: null },
    { scope: "vendor", name: "demo vendor (Acme Outdoor)", vendorId: DEMO_VENDOR_ID },
  ];
  const generated = scopes.map((s) => ({ ...s, ...generateApiKey() }));
  const sql = [
    // The vendor key's vendor_id references vendors(id): the vendor row goes first.
    `INSERT OR IGNORE INTO vendors (id, name) VALUES (${sqlString(DEMO_VENDOR_ID)}, 'Acme Outdoor');`,
    ...generated.map(
      (k) =>
        `INSERT OR IGNORE INTO api_keys (id, name, scope, vendor_id, key_hash, created_at) VALUES (` +
        [k.id, k.name, k.scope, k.vendorId, k.hash].map(sqlString).join(", ") +
        `, ${now});`,
    ),
  ].join("\n");

  const tmp = await mkdtemp(join(tmpdir(), "edge-inventory-keys-"));
  try {
    const file = join(tmp, "keys.sql");
    await writeFile(file, sql + "\n", { mode: 0o600 });
    await runWrangler(["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--file", file, "--yes"], {
      env: { WRANGLER_LOG_PATH: logDir(stateDir) },
    });
    if (demoSales) {
      // First start only: the planning demo data (issue 15), loaded straight into D1.
      log(`loading the demo's last ${DEMO_PLANNING_DAYS} days of sales…`);
      const planning = join(tmp, "planning.sql");
      await writeFile(planning, await demoPlanningSql({ skuCount }), { mode: 0o600 });
      await runWrangler(["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--file", planning, "--yes"], {
        env: { WRANGLER_LOG_PATH: logDir(stateDir) },
      });
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }

  const byScope = Object.fromEntries(generated.map((k) => [k.scope, k.key]));
  const demo = {
    baseUrl,
    keys: {
      checkout: byScope.checkout,
      operator: byScope.operator,
      vendor: byScope.vendor,
      vendorId: DEMO_VENDOR_ID,
    },
  };
  await writeJsonAtomic(demoKeysPath(stateDir), demo);
  return demo;
}

/** Days of the demo's sales history the first start loads into daily_sales (not all three years: the first start stays fast). */
export const DEMO_PLANNING_DAYS = 120;

/**
 * SQL for the planning demo (issue 15): the last DEMO_PLANNING_DAYS days of the demo sales
 * history (scripts/demo-sales.mjs, split per location by `dailySalesRows`), moved so that its
 * last day is yesterday (so tonight's REORDER run forecasts from it), into `daily_sales`; and
 * each demo SKU's planning settings — its category (the id's middle part, as the demo derives
 * it), a unit price per category with a per-SKU spread, and a unit cost of 55 % of the price —
 * into `sku_planning`. Neither table references `skus`, so this runs before the catalogue is
 * seeded. ~400,000 rows; about 5 s of `wrangler d1 execute`.
 *
 * @param {{ days?: number, now?: number, skuCount?: number }} [options]
 */
export async function demoPlanningSql({ days = DEMO_PLANNING_DAYS, now = Date.now(), skuCount = DEMO_SKU_COUNT } = {}) {
  // Imported on use: demo-sales.mjs imports this module.
  const { DEMO_SALES_END_DAY, categoryOf, dailySalesRows, demoSalesHistory } = await import("./demo-sales.mjs");
  const DAY = 86_400_000;
  const dayNo = (iso) => Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / DAY;
  const isoOf = (n) => new Date(n * DAY).toISOString().slice(0, 10);
  const end = dayNo(DEMO_SALES_END_DAY);
  const shift = Math.floor(now / DAY) - 1 - end;
  const catalogue = demoCatalogue(skuCount);
  const lines = [];
  const flush = (rows, head) => {
    for (let i = 0; i < rows.length; i += 500) lines.push(`${head} VALUES ${rows.slice(i, i + 500).join(",")};`);
  };
  const sales = [];
  for (const r of dailySalesRows(demoSalesHistory({ catalogue }), catalogue)) {
    const day = dayNo(r.day);
    if (day <= end - days) continue;
    sales.push(`(${sqlString(r.sku)},${sqlString(r.locationId)},'${isoOf(day + shift)}',${r.units},${r.units},${now})`);
  }
  flush(sales, "INSERT OR IGNORE INTO daily_sales (sku, location_id, day, units, fulfilments, updated_at)");
  const basePrice = {
    TENT: 180,
    PACK: 90,
    BAG: 70,
    STOVE: 60,
    LAMP: 35,
    SKI: 350,
    JACKET: 160,
    GLOVE: 30,
    HELMET: 80,
    BIKE: 900,
    LIGHT: 25,
    LOCK: 40,
    TYRE: 35,
    RUG: 120,
    MUG: 12,
    CHAIR: 150,
    BLOCKS: 30,
    PUZZLE: 20,
    DOLL: 25,
    BOOK: 15,
  };
  const rnd = prng(20261129);
  const settings = catalogue.skus.map((s) => {
    const category = categoryOf(s.sku);
    const price = Math.round((basePrice[category] ?? 50) * (0.7 + 0.6 * rnd.next()) * 100) / 100;
    return `(${sqlString(s.sku)},${sqlString(category)},${price},${Math.round(price * 55) / 100},${now})`;
  });
  flush(settings, "INSERT OR IGNORE INTO sku_planning (sku, category, unit_price, unit_cost, updated_at)");
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// wrangler dev
// ---------------------------------------------------------------------------------------------

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function getFreePort() {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePromise(port));
    });
  });
}

function assertPortFree(port) {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", (err) =>
      reject(err.code === "EADDRINUSE" ? new Error(`port ${port} on 127.0.0.1 is already in use (another \`npm start\` or wrangler dev?)`) : err),
    );
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolvePromise()));
  });
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC (0x1b).
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Wrangler processes still running, stopped on exit so none outlives its parent. */
const running = new Set();
process.once("exit", () => {
  for (const pid of running) {
    try {
      process.kill(-pid, "SIGTERM");
    } catch {}
  }
});

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

/**
 * Start `wrangler dev` for this repo on 127.0.0.1, persisting to `stateDir`, and wait until
 * `GET /healthz` answers 200.
 *
 * @param {{stateDir: string, port?: number, inspectorPort?: number, timeoutMs?: number,
 *          onOutput?: (chunk: string) => void, config?: string, vars?: Record<string, string>}} options
 *   port defaults to a free port; inspectorPort too (so two runs never clash);
 *   onOutput receives wrangler's output as it arrives (it is captured either way);
 *   config overrides the wrangler config file (default: the repo's wrangler.toml);
 *   vars are extra `[vars]` for this run (`--var NAME:value`, e.g. the local dashboard's origin
 *   as DASHBOARD_ORIGINS).
 * @returns {Promise<{url: string, port: number, pid: number, output: () => string,
 *          exited: Promise<{code: number|null, signal: string|null}>, stop: () => Promise<void>}>}
 */
export async function startWorker({ stateDir, port, inspectorPort, timeoutMs = 60_000, onOutput, config, vars = {} } = {}) {
  if (!stateDir) throw new Error("startWorker: stateDir is required");
  stateDir = resolve(stateDir);
  port ??= await getFreePort();
  inspectorPort ??= await getFreePort();
  // Make sure nobody else answers /healthz on our port.
  await assertPortFree(port);

  const args = [
    WRANGLER,
    "dev",
    "--local",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-ip",
    "127.0.0.1",
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    stateDir,
    "--log-level",
    "warn",
    "--show-interactive-dev-session=false",
    ...(config ? ["--config", resolve(config)] : []),
    // wrangler splits NAME:value at the first colon only, so URLs pass as they are.
    ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
  // detached: wrangler leads its own process group, so a terminal's Ctrl-C reaches only our
  // parent process (which then stops wrangler cleanly), and a stuck stop can take down
  // wrangler's workerd children with the group.
  const child = spawn(NODE, args, {
    cwd: ROOT,
    env: childEnv({ WRANGLER_LOG_PATH: logDir(stateDir) }),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const pid = child.pid;
  running.add(pid);

  const MAX_OUTPUT = 64 * 1024;
  let output = "";
  const onData = (d) => {
    const s = d.toString();
    output = (output + s.replace(ANSI, "")).slice(-MAX_OUTPUT);
    onOutput?.(s);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);

  let exitInfo = null;
  const exited = new Promise((resolvePromise) => {
    child.on("exit", (code, signal) => {
      exitInfo = { code, signal };
      running.delete(pid);
      resolvePromise(exitInfo);
    });
    child.on("error", (err) => {
      output += `\n[spawn error] ${err.message}`;
      exitInfo ??= { code: null, signal: null };
      running.delete(pid);
      resolvePromise(exitInfo);
    });
  });

  let stopping = null;
  const stop = () =>
    (stopping ??= (async () => {
      if (pid === undefined) return;
      if (!exitInfo) {
        try {
          process.kill(pid, "SIGTERM");
        } catch {}
        let timer;
        const gone = await Promise.race([exited.then(() => true), new Promise((r) => (timer = setTimeout(() => r(false), 10_000)))]);
        clearTimeout(timer);
        if (!gone) {
          try {
            process.kill(-pid, "SIGKILL");
          } catch {}
          await exited;
        }
      }
      // wrangler has exited; give its workerd children (same process group) a moment to go too,
      // so the state folder is closed before anyone reuses it.
      const deadline = Date.now() + 5_000;
      while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
      if (groupAlive(pid)) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {}
      }
    })());

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitInfo) {
      await stop();
      throw new Error(`wrangler dev exited before it was ready (${exitInfo.signal ?? `exit ${exitInfo.code}`}):\n${output}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer GET /healthz with 200 within ${timeoutMs} ms:\n${output}`);
    }
    await sleep(150);
  }

  return { url, port, pid, output: () => output, exited, stop };
}

// ---------------------------------------------------------------------------------------------
// Demo data
// ---------------------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so the demo data (and the drill's and benchmark's choices) repeat exactly. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    shuffle: (arr) => {
      const a = [...arr];
      for (let i = a.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a;
    },
  };
}

export const DEMO_VENDORS = [
  { id: "V-ACME", name: "Acme Outdoor", prefix: "ACME", categories: ["TENT", "PACK", "BAG", "LAMP", "STOVE"] },
  { id: "V-NORD", name: "Nordlys Sport", prefix: "NORD", categories: ["SKI", "JACKET", "GLOVE", "HELMET"] },
  { id: "V-VELO", name: "Velo Urbano", prefix: "VELO", categories: ["BIKE", "LIGHT", "LOCK", "TYRE"] },
  { id: "V-CASA", name: "Casa Bella Home", prefix: "CASA", categories: ["LAMP", "RUG", "MUG", "CHAIR"] },
  { id: "V-KIDS", name: "Kinderwelt Toys", prefix: "KIDS", categories: ["BLOCKS", "PUZZLE", "DOLL", "BOOK"] },
];

const CATEGORY_NAMES = {
  TENT: "Tent",
  PACK: "Backpack",
  BAG: "Sleeping Bag",
  LAMP: "Lamp",
  STOVE: "Camp Stove",
  SKI: "Ski",
  JACKET: "Jacket",
  GLOVE: "Gloves",
  HELMET: "Helmet",
  BIKE: "Bike",
  LIGHT: "Bike Light",
  LOCK: "Lock",
  TYRE: "Tyre",
  RUG: "Rug",
  MUG: "Mug",
  CHAIR: "Chair",
  BLOCKS: "Building Blocks",
  PUZZLE: "Puzzle",
  DOLL: "Doll",
  BOOK: "Picture Book",
};
const ADJECTIVES = ["Trail", "Summit", "Alpine", "Coastal", "Urban", "Classic", "Pro", "Lite", "Nordic", "Terra"];
const VARIANTS = ["Black", "Green", "Blue", "Red", "Grey", "Sand"];

/** The spec's 12 European fulfilment centres (priority 10 = preferred). */
export const DEMO_LOCATIONS = [
  ["FC-PAR", "Paris", "FR", 48.8566, 2.3522],
  ["FC-LYS", "Lyon", "FR", 45.764, 4.8357],
  ["FC-BER", "Berlin", "DE", 52.52, 13.405],
  ["FC-FRA", "Frankfurt", "DE", 50.1109, 8.6821],
  ["FC-LON", "London", "GB", 51.5074, -0.1278],
  ["FC-MAN", "Manchester", "GB", 53.4808, -2.2426],
  ["FC-MAD", "Madrid", "ES", 40.4168, -3.7038],
  ["FC-BCN", "Barcelona", "ES", 41.3874, 2.1686],
  ["FC-MIL", "Milan", "IT", 45.4642, 9.19],
  ["FC-AMS", "Amsterdam", "NL", 52.3676, 4.9041],
  ["FC-WAW", "Warsaw", "PL", 52.2297, 21.0122],
  ["FC-STO", "Stockholm", "SE", 59.3293, 18.0686],
].map(([id, city, countryCode, latitude, longitude], i) => ({
  id,
  name: `${city} Fulfilment Centre`,
  type: "fulfillment_center",
  countryCode,
  city,
  latitude,
  longitude,
  canShip: true,
  canPickup: false,
  priority: (i + 1) * 10,
  capacityUnits: 100_000 + i * 10_000,
  active: true,
}));

/**
 * The demo centres as the locations API takes them: DEMO_LOCATIONS plus their order-routing
 * data (shipping cost model, handling time, cut-off, capacity, load, rates) from
 * domain/allocation-demo-locations.ts, the one source of those values. Imported on first
 * use: Node 22 strips the file's types, and this module stays loadable by an older Node
 * that never seeds. Throws if the two lists disagree on a centre's place or priority.
 */
export async function demoLocationBodies() {
  const { DEMO_ROUTING_LOCATIONS } = await import("../domain/allocation-demo-locations.ts");
  const routing = new Map(DEMO_ROUTING_LOCATIONS.map((r) => [r.id, r]));
  if (routing.size !== DEMO_LOCATIONS.length) throw new Error("demo locations: DEMO_LOCATIONS and DEMO_ROUTING_LOCATIONS list different centres");
  return DEMO_LOCATIONS.map((loc) => {
    const r = routing.get(loc.id);
    const same = r && ["name", "city", "countryCode", "latitude", "longitude", "priority", "canShip", "canPickup", "active"].every((k) => r[k] === loc[k]);
    if (!same) throw new Error(`demo locations: ${loc.id} differs between DEMO_LOCATIONS and DEMO_ROUTING_LOCATIONS`);
    const { shippingCost, handlingHours, cutoffHour, utcOffsetMinutes, dailyCapacity, currentLoad, onTimeRate, accuracyRate } = r;
    return { ...loc, shippingCost: { ...shippingCost }, handlingHours, cutoffHour, utcOffsetMinutes, dailyCapacity, currentLoad, onTimeRate, accuracyRate };
  });
}

export const DEMO_SKU_COUNT = 3_000;

/**
 * The demo catalogue: 3,000 SKUs over the 5 vendors (600 each), ids like `ACME-TENT-0001`,
 * 1–3 variants per product, and each SKU's stock at 2–3 locations. Same output on every call.
 */
export function demoCatalogue(count = DEMO_SKU_COUNT) {
  const rnd = prng(20261121);
  const skus = [];
  const stock = [];
  const perVendor = Math.ceil(count / DEMO_VENDORS.length);
  for (const vendor of DEMO_VENDORS) {
    const counters = Object.fromEntries(vendor.categories.map((c) => [c, 0]));
    let made = 0;
    let product = 0;
    while (made < perVendor && skus.length < count) {
      const category = vendor.categories[product % vendor.categories.length];
      product++;
      const productNo = Math.ceil(product / vendor.categories.length);
      const productId = `P-${vendor.prefix}-${category}-${String(productNo).padStart(3, "0")}`;
      const productName = `${vendor.name.split(" ")[0]} ${rnd.pick(ADJECTIVES)} ${CATEGORY_NAMES[category]} ${productNo}`;
      const variants = Math.min(rnd.int(1, 3), perVendor - made, count - skus.length);
      const colours = rnd.shuffle(VARIANTS);
      for (let v = 0; v < variants; v++) {
        const n = ++counters[category];
        const sku = `${vendor.prefix}-${category}-${String(n).padStart(4, "0")}`;
        const reorderPoint = rnd.int(5, 60);
        const allowBackorder = rnd.chance(0.03);
        skus.push({
          sku,
          vendorId: vendor.id,
          productId,
          productName,
          name: `${productName} – ${colours[v]}`,
          reorderPoint,
          safetyStock: Math.floor(reorderPoint / 3),
          maxStock: reorderPoint * rnd.int(5, 12),
          leadTimeDays: rnd.int(3, 21),
          allowBackorder,
          softBufferPct: 10,
          perishable: false,
          status: "active",
        });
        const places = rnd.shuffle(DEMO_LOCATIONS).slice(0, rnd.int(2, 3));
        for (const loc of places) {
          // Mostly healthy stock, some low, a few empty.
          const r = rnd.next();
          const onHand = r < 0.05 ? 0 : r < 0.2 ? rnd.int(1, reorderPoint) : rnd.int(reorderPoint, reorderPoint * 6);
          stock.push({ sku, locationId: loc.id, onHand });
        }
        made++;
      }
    }
  }
  return { vendors: DEMO_VENDORS.map(({ id, name }) => ({ id, name })), locations: DEMO_LOCATIONS, skus, stock };
}

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

/** Run fn over items, `concurrency` at a time; the first failure stops the rest and is thrown. */
async function pool(items, concurrency, fn) {
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await fn(items[i], i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  const results = await Promise.allSettled(workers);
  const rejected = results.find((r) => r.status === "rejected");
  if (rejected) throw rejected.reason;
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
