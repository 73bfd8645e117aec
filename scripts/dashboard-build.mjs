// The dashboard's build (`npm run dashboard:build`, and `npm start` when the sources are newer
// than dashboard/dist): vite build, then the size of the JavaScript a first visit loads
// (the entry and what index.html preloads, gzipped), checked against the budget.
//
//   npm run dashboard:build                 build and print the sizes; exit 1 over budget
//   DASHBOARD_API_BASE=https://api.example.com npm run dashboard:build
//                                           also write dist/config.js pointing at that API
//                                           (for `wrangler pages deploy dashboard/dist`)
//
// Plain ESM for Node 22; vite is a dev dependency.

import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DASHBOARD_DIR = join(ROOT, "dashboard");
export const DASHBOARD_DIST = join(DASHBOARD_DIR, "dist");
/** The budget: the JavaScript of a first load, gzipped. */
export const FIRST_LOAD_BUDGET_BYTES = 200 * 1024;
const STAMP = ".built";

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** True when dashboard/dist is missing or older than any source (src/, public/, index.html, vite.config.ts, package-lock.json). */
export function dashboardStale() {
  const stamp = join(DASHBOARD_DIST, STAMP);
  if (!existsSync(stamp) || !existsSync(join(DASHBOARD_DIST, "index.html"))) return true;
  const built = statSync(stamp).mtimeMs;
  const sources = ["src", "public", "index.html", "vite.config.ts"].map((p) => join(DASHBOARD_DIR, p));
  sources.push(join(ROOT, "package-lock.json"));
  return sources.some((p) => newestMtime(p) > built);
}

/**
 * The gzipped size of the JavaScript a first visit downloads: index.html's module scripts and
 * modulepreload links (chunks loaded later, such as the chart library, are not counted), and
 * of all JavaScript in dist.
 * @returns {{firstLoad: number, firstLoadFiles: string[], allJs: number}}
 */
export function measureDashboard(dist = DASHBOARD_DIST) {
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const refs = new Set();
  for (const m of html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)) refs.add(m[1]);
  for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) refs.add(m[1]);
  const gz = (file) => gzipSync(readFileSync(file)).length;
  const firstLoadFiles = [...refs].map((r) => join(dist, r.replace(/^\.?\//, "")));
  const firstLoad = firstLoadFiles.reduce((sum, f) => sum + gz(f), 0);
  const assets = join(dist, "assets");
  const allJs = readdirSync(assets)
    .filter((f) => f.endsWith(".js"))
    .reduce((sum, f) => sum + gz(join(assets, f)), 0);
  return { firstLoad, firstLoadFiles: firstLoadFiles.map((f) => relative(dist, f)), allJs };
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

/** `window.EDGE_INVENTORY_CONFIG` for a given API base (empty: the page's own origin). */
export function configJs(apiBase) {
  return `// Written by scripts/dashboard-build.mjs or the local dashboard server.\nwindow.EDGE_INVENTORY_CONFIG = ${JSON.stringify({ apiBase: apiBase ?? "" })};\n`;
}

/**
 * Builds dashboard/dist (when `force`, or when the sources are newer) and reports its size.
 * @param {{force?: boolean, log?: (msg: string) => void, apiBase?: string}} [options]
 * @returns {Promise<{built: boolean, firstLoad: number, allJs: number, firstLoadFiles: string[]}>}
 */
export async function buildDashboard({ force = false, log = console.log, apiBase } = {}) {
  let built = false;
  if (force || dashboardStale()) {
    const started = Date.now();
    const { build } = await import("vite");
    // A production build whatever NODE_ENV the caller has (vitest sets "test", which would make
    // Vite pick Preact's development build).
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      await build({ configFile: join(DASHBOARD_DIR, "vite.config.ts"), mode: "production", logLevel: "warn" });
    } finally {
      if (nodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = nodeEnv;
    }
    writeFileSync(join(DASHBOARD_DIST, STAMP), `${new Date().toISOString()}\n`);
    built = true;
    log(`dashboard built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  if (apiBase !== undefined) writeFileSync(join(DASHBOARD_DIST, "config.js"), configJs(apiBase));
  const size = measureDashboard();
  log(`dashboard first load: ${kb(size.firstLoad)} of gzipped JavaScript (budget ${kb(FIRST_LOAD_BUDGET_BYTES)}); all JavaScript ${kb(size.allJs)} gzipped`);
  return { built, ...size };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  try {
    const apiBase = process.env.DASHBOARD_API_BASE;
    const result = await buildDashboard({ force: true, log: (m) => console.log(`[dashboard] ${m}`), apiBase });
    if (apiBase !== undefined) console.log(`[dashboard] dist/config.js: API at ${apiBase || "the page's own origin"}`);
    if (result.firstLoad > FIRST_LOAD_BUDGET_BYTES) {
      console.error(`[dashboard] over budget: ${kb(result.firstLoad)} > ${kb(FIRST_LOAD_BUDGET_BYTES)} (${result.firstLoadFiles.join(", ")})`);
      process.exit(1);
    }
  } catch (err) {
    console.error(`[dashboard] ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}
