// `npm start`: the whole system on this machine, with demo data. `npm run dev`: the same on
// `wrangler dev`, which rebuilds and reloads when a source file changes.
//
//   .state/ (repo root)  ← D1, Durable Objects, cache and demo-keys.json, all in one folder
//                          (wrangler dev's layout: both commands run on the same state)
//   1. npm start: the deploy bundle (`wrangler deploy --dry-run`) in Miniflare directly
//      (scripts/local-stack/miniflare.mjs, the benchmark's runtime: no dev proxy, about 3× the
//      requests per second of wrangler dev), every binding from wrangler.toml — D1, the Durable
//      Objects, every queue producer and consumer with their dead-letter queues, the rate
//      limiters; it applies the D1 migrations and, the first time, creates the demo API keys
//      (kept in .state/demo-keys.json) as it starts.
//      npm run dev: D1 migrations and keys through `wrangler d1 … --local`, then wrangler dev.
//      Either way on http://127.0.0.1:8787 (PORT=… to change); the crons fire by hand, as
//      `curl "$B/cdn-cgi/handler/scheduled?cron=…"` (README).
//   2. the dashboard (dashboard/dist, built when its sources are newer) on http://127.0.0.1:8788
//      (PORT+1, or DASHBOARD_PORT), a static server of its own beside the API; the API lets
//      that origin in (DASHBOARD_ORIGINS passed to the Worker)
//   3. seed demo vendors, 12 fulfilment centres, 3,000 SKUs and their stock — the first time
//      only: later starts keep whatever operators changed
//
//   npm start -- --reset    delete .state/ first and start afresh (new keys, new demo data)
//   npm run dev -- --reset  the same, on wrangler dev
//
// Stays in the foreground and stops completely (Miniflare or wrangler and their workerd
// children, the port freed) on SIGINT, SIGTERM or SIGHUP — sent to npm, to this process or to
// the whole group — and when its parent process dies (e.g. npm killed by a process manager).
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

const {
  DEMO_SKU_COUNT,
  QUIET_ENV,
  ROOT,
  demoKeysPath,
  demoStatePlan,
  prepareState,
  readDemoKeys,
  seedDemoData,
  startMiniflareWorker,
  startWorker,
  updateDemoKeys,
  writeDemoState,
} = await import("./local-stack.mjs");
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
// `npm run dev` (scripts/start.mjs --dev): wrangler dev, reloading on edits.
const dev = process.argv.includes("--dev");
const runtime = dev ? "wrangler dev" : "Miniflare";
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
    log(`stopping ${runtime}…`);
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
  // wrangler dev: the migrations and the first start's keys and planning data through
  // `wrangler d1 … --local` first. Miniflare: planned here, applied by the server as it starts.
  const plan = dev ? null : await demoStatePlan(stateDir, { baseUrl, demoSales: true, skuCount });
  const demo = dev ? await prepareState(stateDir, { baseUrl, log, demoSales: true, skuCount }) : plan.demo;

  dashboard = await startDashboard();
  // The local dashboard's origin may call the API from the browser (workers/http/cors.ts);
  // a local run is a development configuration, so webhooks may go to a receiver on this
  // machine (http://127.0.0.1:…; domain/webhook-targets.ts). Deployments keep "production".
  const vars = { ENVIRONMENT: "development", ...(dashboard ? { DASHBOARD_ORIGINS: dashboard.origins.join(",") } : {}) };
  // Both run at warning level: pass on what they say (errors, uncaught exceptions).
  const onOutput = (chunk) => process.stderr.write(chunk);
  if (dev) {
    log("starting wrangler dev…");
    worker = await startWorker({ stateDir, port, vars, onOutput });
  } else {
    worker = await startMiniflareWorker({ stateDir, port, vars, onOutput, log, steps: plan.steps });
    if (plan.steps.length > 0) await writeDemoState(stateDir, demo);
    const b = worker.bindings;
    log(
      `Miniflare: D1 ${b.d1.join(", ")}; Durable Objects ${Object.keys(b.durableObjects).join(", ")}; ` +
        `${b.queueProducers.length} queue producers, ${b.queueConsumers.length} consumers (${b.deadLetterQueues.length} dead-letter queues); ` +
        `rate limiters ${b.ratelimits.join(", ")}; crons ${b.crons.map((c) => `"${c}"`).join(", ")} (fired by hand)`,
    );
  }
  await updateDemoKeys(stateDir, { baseUrl });
  worker.exited.then(({ code, signal }) => {
    if (shuttingDown) return;
    console.error(`[start] ${runtime} exited unexpectedly (${signal ?? `exit ${code}`})`);
    // Whatever it left running (workerd), by PID, then the dashboard; exit status 1.
    void shutdown(1);
  });

  const state = await readDemoKeys(stateDir);
  if (state?.demoSeeded || state?.stockSeeded) {
    log(`demo data already seeded: keeping the state as it is (\`${dev ? "npm run dev" : "npm start"} -- --reset\` starts afresh)`);
  } else {
    await seedDemoData(worker.url, demo.keys, { stateDir, log, skuCount });
    await updateDemoKeys(stateDir, { demoSeeded: true });
  }

  const { checkout, operator, vendor, vendorId } = demo.keys;
  const keysFile = relative(process.cwd(), demoKeysPath(stateDir)) || demoKeysPath(stateDir);
  console.log(`
edge-inventory is running at ${worker.url}  (${dev ? "wrangler dev: reloads when a source file changes" : "Miniflare, the deploy bundle: `npm run dev` reloads on edits"})
${dashboard ? `dashboard at ${dashboard.url}  (sign in with the operator or vendor key below)` : `dashboard: not available (${dashboardProblem})`}

  operator key  ${operator}
  checkout key  ${checkout}
  vendor key    ${vendor}   (${vendorId})
  keys file     ${keysFile}

Try:
${bannerExamples({ url: worker.url, keys: demo.keys })
  .map((l) => `  ${l}`)
  .join("\n")}

More examples: README.md ("Examples"). Ctrl-C stops it; data stays in ${relative(process.cwd(), stateDir) || stateDir}/ (${dev ? "npm run dev" : "npm start"} -- --reset starts afresh).`);
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
