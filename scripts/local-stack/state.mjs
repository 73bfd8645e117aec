// The state folder: the D1 migrations applied, the demo API keys created once and kept in
// `<stateDir>/demo-keys.json`, and that file read and updated.

import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { generateApiKey } from "./api-keys.mjs";
import { applyMigrations, executeSql, readDatabaseBindings, sqlString } from "./d1-local.mjs";
import { DEMO_SKU_COUNT } from "./demo-catalogue.mjs";
import { DEMO_PLANNING_DAYS, demoPlanningSql } from "./demo-planning.mjs";

export const DEMO_VENDOR_ID = "V-ACME";
export const DEMO_KEYS_FILE = "demo-keys.json";

async function readJson(file) {
  return JSON.parse(await readFile(file, "utf8"));
}

async function writeJsonAtomic(file, value) {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + "\n", { mode: 0o600 });
  await rename(tmp, file);
}

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
 * The demo API keys of `stateDir`: the ones kept in `<stateDir>/demo-keys.json`, or new ones
 * (one per scope) with the SQL that stores them — and, with `demoSales` (npm start), the
 * planning demo data (`demoPlanningSql`) for the first `skuCount` SKUs of the demo catalogue.
 * Nothing is written: whoever runs the SQL then saves `demo` with `writeDemoState`.
 *
 * @param {string} stateDir
 * @param {{baseUrl?: string, demoSales?: boolean, skuCount?: number}} [options]
 * @returns {Promise<{demo: {baseUrl: string, keys: {checkout: string, operator: string, vendor: string, vendorId: string}, stockSeeded?: boolean},
 *   steps: {label: string, sql: string, database?: string}[]}>} steps is empty when the keys exist already; a step runs in
 *   the D1 database `database` (a binding: `DB`, the default, or a read database `READ_<i>`).
 */
export async function demoStatePlan(stateDir, { baseUrl = "http://127.0.0.1:8787", demoSales = false, skuCount = DEMO_SKU_COUNT } = {}) {
  const existing = await readDemoKeys(stateDir);
  if (existing?.keys?.checkout && existing.keys.operator && existing.keys.vendor) return { demo: existing, steps: [] };

  const now = Date.now();
  const scopes = [
    { scope: "checkout", name: "demo checkout", vendorId: null },
    { scope: "operator", name: "demo operator", vendorId: null },
    { scope: "vendor", name: "demo vendor (Acme Outdoor)", vendorId: DEMO_VENDOR_ID },
  ];
  const generated = scopes.map((s) => ({ ...s, ...generateApiKey() }));
  const keysSql = [
    // The vendor key's vendor_id references vendors(id): the vendor row goes first.
    `INSERT OR IGNORE INTO vendors (id, name) VALUES (${sqlString(DEMO_VENDOR_ID)}, 'Acme Outdoor');`,
    ...generated.map(
      (k) =>
        `INSERT OR IGNORE INTO api_keys (id, name, scope, vendor_id, key_hash, created_at) VALUES (` +
        [k.id, k.name, k.scope, k.vendorId, k.hash].map(sqlString).join(", ") +
        `, ${now});`,
    ),
  ].join("\n");
  const steps = [{ label: "creating demo API keys…", sql: `${keysSql}\n` }];
  // First start only: the planning demo data (issue 15), loaded straight into D1: the sales
  // and the planning settings into each vendor's read database (issue 19 item 2).
  if (demoSales) {
    for (const { database, sql } of await demoPlanningSql({ skuCount })) {
      const what = `last ${DEMO_PLANNING_DAYS} days of sales and planning settings (${database})`;
      steps.push({ label: `loading the demo's ${what}…`, sql, database });
    }
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
  return { demo, steps };
}

/** Writes `<stateDir>/demo-keys.json` whole (after the keys' SQL ran). */
export async function writeDemoState(stateDir, demo) {
  await writeJsonAtomic(demoKeysPath(stateDir), demo);
}

/**
 * Apply the D1 migrations to `stateDir` (the same folder `wrangler dev --persist-to` uses) and
 * make sure there are demo API keys (`wrangler d1 … --local`, before the Worker starts). Keys
 * are generated once and kept in `<stateDir>/demo-keys.json`; a later call reuses them.
 *
 * @param {string} stateDir
 * With `demoSales` (npm run dev), the first call also loads the planning demo data
 * (`demoPlanningSql`) for the first `skuCount` SKUs of the demo catalogue.
 *
 * @param {{baseUrl?: string, log?: (msg: string) => void, demoSales?: boolean, skuCount?: number}} [options]
 * @returns {Promise<{baseUrl: string, keys: {checkout: string, operator: string, vendor: string, vendorId: string}, stockSeeded?: boolean}>}
 */
export async function prepareState(stateDir, { baseUrl = "http://127.0.0.1:8787", log = () => {}, demoSales = false, skuCount = DEMO_SKU_COUNT } = {}) {
  stateDir = resolve(stateDir);
  await mkdir(stateDir, { recursive: true });

  log("applying D1 migrations…");
  // DB and every read database (READ_<i>): one schema for all (issue 19 item 2).
  for (const binding of ["DB", ...readDatabaseBindings()]) await applyMigrations(stateDir, binding);

  const { demo, steps } = await demoStatePlan(stateDir, { baseUrl, demoSales, skuCount });
  if (steps.length === 0) return demo;
  for (const step of steps) {
    log(step.label);
    await executeSql(stateDir, step.sql, step.database);
  }
  await writeDemoState(stateDir, demo);
  return demo;
}
