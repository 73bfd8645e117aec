// `npm start`: the whole system on this machine, with demo data.
//
//   .state/ (repo root)  ← D1, Durable Objects, cache and demo-keys.json, all in one folder
//   1. apply D1 migrations and create demo API keys (once; kept in .state/demo-keys.json)
//   2. wrangler dev on http://127.0.0.1:8787 (PORT=… to change)
//   3. the dashboard (dashboard/dist, built when its sources are newer) on http://127.0.0.1:8788
//      (PORT+1, or DASHBOARD_PORT), a static server of its own beside the API; the API lets
//      that origin in (DASHBOARD_ORIGINS passed to wrangler dev)
//   4. seed demo vendors, 12 fulfilment centres, 3,000 SKUs and their stock — the first time
//      only: later starts keep whatever operators changed
//
//   npm start -- --reset    delete .state/ first and start afresh (new keys, new demo data)
//
// Stays in the foreground and stops completely (wrangler and its workerd children, the port
// freed) on SIGINT, SIGTERM or SIGHUP — sent to npm, to this process or to the whole group —
// and when its parent process dies (e.g. npm killed by a process manager).
//
// Environment: PORT (default 8787); EDGE_INVENTORY_STATE (the state folder, default .state/);
// EDGE_INVENTORY_DEMO_SKUS (catalogue size, default 3000; the tests use fewer); DASHBOARD_PORT
// (default PORT+1, or any free port when that one is taken).

import { existsSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join, relative, resolve } from "node:path";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  // Run by hand on the machine's Node 20: nothing is created, and the fix is one command.
  console.error(
    `[start] this needs the project's pinned Node 22 (this is Node ${process.versions.node}).\n` +
      "[start] run it as `npm start`: that installs the dependencies (Node 22 among them) if needed and runs on them.",
  );
  process.exit(1);
}

const { DEMO_SKU_COUNT, QUIET_ENV, ROOT, demoKeysPath, prepareState, readDemoKeys, seedDemoData, startWorker, updateDemoKeys } = await import(
  "./local-stack.mjs"
);
const { bannerExamples } = await import("./demo-examples.mjs");
const { buildDashboard } = await import("./dashboard-build.mjs");
const { startDashboardServer } = await import("./dashboard-server.mjs");

Object.assign(process.env, QUIET_ENV);

const stateDir = resolve(process.env.EDGE_INVENTORY_STATE ?? join(ROOT, ".state"));
const port = Number(process.env.PORT ?? 8787);
const baseUrl = `http://127.0.0.1:${port}`;
const skuCount = Number(process.env.EDGE_INVENTORY_DEMO_SKUS ?? DEMO_SKU_COUNT);
// `npm start -- --reset`, or `npm start --reset` (npm passes unknown flags as npm_config_*).
const reset = process.argv.includes("--reset") || process.env.npm_config_reset === "true";
const log = (msg) => console.log(`[start] ${msg}`);

let worker = null;
let dashboard = null;
/** Why the dashboard is not served, when it is not. */
let dashboardProblem = "";
let shuttingDown = false;

async function shutdown(code, why) {
  if (shuttingDown) return;
  shuttingDown = true;
  if (why) log(why);
  await dashboard?.close();
  if (worker) {
    log("stopping wrangler…");
    await worker.stop();
  }
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => void shutdown(0, `${signal}: shutting down`));
// A parent that dies without passing a signal on (npm killed by a process manager, a closed
// terminal's shell) re-parents this process: notice it and stop, so nothing is orphaned.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void shutdown(0, "the parent process is gone: shutting down");
}, 250).unref();

try {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT must be a TCP port number, not ${process.env.PORT}`);
  if (!Number.isInteger(skuCount) || skuCount < 5 || skuCount > DEMO_SKU_COUNT) {
    throw new Error(`EDGE_INVENTORY_DEMO_SKUS must be an integer from 5 to ${DEMO_SKU_COUNT}`);
  }
  if (reset && existsSync(stateDir)) {
    // Only a folder that holds our state (or nothing) is deleted: a mistyped EDGE_INVENTORY_STATE must not cost data.
    const entries = await readdir(stateDir);
    if (entries.length > 0 && !entries.includes("demo-keys.json") && !entries.includes("v3")) {
      throw new Error(`--reset: ${stateDir} does not look like an edge-inventory state folder (no demo-keys.json, no v3/); not deleting it`);
    }
    log(`--reset: deleting ${relative(process.cwd(), stateDir) || stateDir}`);
    await rm(stateDir, { recursive: true, force: true });
  }
  log(`state folder: ${relative(process.cwd(), stateDir) || "."}`);
  const demo = await prepareState(stateDir, { baseUrl, log, demoSales: true, skuCount });
  await updateDemoKeys(stateDir, { baseUrl });

  dashboard = await startDashboard();
  log("starting wrangler dev…");
  worker = await startWorker({
    stateDir,
    port,
    // The local dashboard's origin may call the API from the browser (workers/http/cors.ts);
    // a local run is a development configuration, so webhooks may go to a receiver on this
    // machine (http://127.0.0.1:…; domain/webhook-targets.ts). Deployments keep "production".
    vars: { ENVIRONMENT: "development", ...(dashboard ? { DASHBOARD_ORIGINS: dashboard.origins.join(",") } : {}) },
    // wrangler runs at --log-level warn: pass on what it says (errors, uncaught exceptions).
    onOutput: (chunk) => process.stderr.write(chunk),
  });
  worker.exited.then(({ code, signal }) => {
    if (shuttingDown) return;
    console.error(`[start] wrangler exited unexpectedly (${signal ?? `exit ${code}`})`);
    process.exit(1);
  });

  const state = await readDemoKeys(stateDir);
  if (state?.demoSeeded || state?.stockSeeded) {
    log("demo data already seeded: keeping the state as it is (`npm start -- --reset` starts afresh)");
  } else {
    await seedDemoData(worker.url, demo.keys, { stateDir, log, skuCount });
    await updateDemoKeys(stateDir, { demoSeeded: true });
  }

  const { checkout, operator, vendor, vendorId } = demo.keys;
  const keysFile = relative(process.cwd(), demoKeysPath(stateDir)) || demoKeysPath(stateDir);
  console.log(`
edge-inventory is running at ${worker.url}
${dashboard ? `dashboard at ${dashboard.url}  (sign in with the operator or vendor key below)` : `dashboard: not available (${dashboardProblem})`}

  operator key  ${operator}
  checkout key  ${checkout}
  vendor key    ${vendor}   (${vendorId})
  keys file     ${keysFile}

Try:
${bannerExamples({ url: worker.url, keys: demo.keys })
  .map((l) => `  ${l}`)
  .join("\n")}

More examples: README.md ("Examples"). Ctrl-C stops it; data stays in ${relative(process.cwd(), stateDir) || stateDir}/ (npm start -- --reset starts afresh).`);
} catch (err) {
  console.error(`[start] ${err instanceof Error ? err.message : err}`);
  await shutdown(1);
}

/**
 * Builds the dashboard if its sources changed and serves it on DASHBOARD_PORT (default PORT+1;
 * a free port when that one is taken and DASHBOARD_PORT was not given). A dashboard that
 * cannot be built or served leaves the API running and says why.
 */
async function startDashboard() {
  const explicit = process.env.DASHBOARD_PORT;
  const wanted = Number(explicit ?? port + 1);
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > 65535) throw new Error(`DASHBOARD_PORT must be a TCP port number, not ${explicit}`);
  try {
    await buildDashboard({ log });
  } catch (err) {
    dashboardProblem = `its build failed: ${err instanceof Error ? err.message : err}; npm run dashboard:build shows more`;
    console.error(`[start] dashboard: ${dashboardProblem}`);
    return null;
  }
  let server;
  try {
    server = await startDashboardServer({ port: wanted, apiBase: baseUrl });
  } catch (err) {
    if (explicit !== undefined) throw err;
    log(`dashboard: port ${wanted} is taken; using a free one (DASHBOARD_PORT chooses)`);
    server = await startDashboardServer({ port: 0, apiBase: baseUrl });
  }
  return { ...server, origins: [server.url, `http://localhost:${server.port}`] };
}
