// The deploy bundle served by Miniflare directly: `npm start`'s runtime and the benchmark's
// (bench/lib/stack.mjs), one implementation.
//
//   1. `wrangler deploy --dry-run --outdir <dir>` builds exactly what production would get.
//   2. wrangler's own `unstable_getMiniflareWorkerOptions` turns wrangler.toml into Miniflare
//      options, so every binding follows the config: D1, the Durable Objects, every queue
//      producer and consumer (the dead-letter queues' too), the rate limiters, the crons.
//   3. The Miniflare that ships inside wrangler (so the same workerd as `wrangler dev`) serves
//      it on 127.0.0.1 with request logging, tracing, the local explorer, the inspector and
//      telemetry off, in a child Node process (scripts/local-stack/miniflare-server.mjs)
//      that applies the D1 migrations before it says READY.
//
// No dev proxy in front of each request (wrangler dev's), so it answers about 3× what
// `wrangler dev` does (BENCHMARKS.md), but nothing reloads on edits: `npm run dev` does that.
// Persisted state has wrangler dev's layout (`<persistTo>/v3/{d1,do,cache,…}`), so `npm start`,
// `npm run dev` and `wrangler d1 … --local --persist-to` all work on the same folder.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { assertPortFree, getFreePort } from "./ports.mjs";
import { identify, processTree, stillRunning, stopPids } from "./processes.mjs";
import { childEnv, logDir, ROOT, runWrangler, WRANGLER_DIR } from "./wrangler-cli.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const CONFIG = join(ROOT, "wrangler.toml");
/** The Worker's name in Miniflare: wrangler.toml's `name`, so Durable Objects persist where wrangler dev puts them. */
const WORKER_NAME = "edge-inventory";

/** The Miniflare package wrangler uses (so its workerd matches), else the top-level one. */
export function miniflareEntry() {
  for (const dir of [join(WRANGLER_DIR, "node_modules", "miniflare"), join(ROOT, "node_modules", "miniflare")]) {
    const entry = join(dir, "dist", "src", "index.js");
    if (existsSync(entry)) return { entry, dir };
  }
  throw new Error("miniflare not found under node_modules/wrangler/node_modules or node_modules");
}

/** `wrangler deploy --dry-run --outdir <dir>`: the bundle production would get (wrangler's logs under `<logStateDir>/logs`). */
export async function buildBundle(outDir, logStateDir) {
  const started = Date.now();
  await runWrangler(["deploy", "--dry-run", "--outdir", outDir, "--config", CONFIG], { env: { WRANGLER_LOG_PATH: logDir(logStateDir) }, timeoutMs: 120_000 });
  return { dir: outDir, script: join(outDir, "index.js"), ms: Date.now() - started };
}

let wranglerApi;
async function wrangler() {
  wranglerApi ??= await import(pathToFileURL(join(WRANGLER_DIR, "wrangler-dist", "cli.js")).href);
  return wranglerApi;
}

/**
 * `wrangler dev` answers `/cdn-cgi/handler/*` as the older name of Miniflare's `/cdn-cgi/local/*`
 * (its dev proxy rewrites the path); README and the tests trigger the crons through
 * `/cdn-cgi/handler/scheduled?cron=…&time=…`. Miniflare alone knows only the new path, so a
 * second, tiny Worker on the route `*\/cdn-cgi/handler/*` passes a scheduled trigger on to the
 * app's own scheduled handler (the same `Fetcher.scheduled()` call Miniflare's own endpoint
 * makes) and answers as that endpoint does. Every other request goes straight to the app.
 */
const HANDLER_PATHS_WORKER = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname !== "/cdn-cgi/handler/scheduled") return new Response("Not found: only /cdn-cgi/handler/scheduled is served here\\n", { status: 404 });
    const time = url.searchParams.get("time");
    const result = await env.APP.scheduled({ cron: url.searchParams.get("cron") ?? undefined, scheduledTime: time ? new Date(Number.parseInt(time, 10)) : undefined });
    const status = result.outcome === "ok" ? 200 : 500;
    return url.searchParams.get("format") === "json" ? Response.json(result, { status }) : new Response(result.outcome, { status });
  },
};
`;

/**
 * Miniflare (v4-shaped) options for wrangler.toml's bindings, serving `bundle`, persisting to
 * `persistPath` (Miniflare's `resourcePersistencePath`).
 *
 * - queueConsumers: false is a diagnostic of the benchmark (BENCH_QUEUE_CONSUMERS=off):
 *   producers stay, nothing consumes.
 * - port: 0 picks a free one.
 * - vars: `[vars]` overrides for this run (e.g. ENVIRONMENT, DASHBOARD_ORIGINS).
 * - triggerHandlers: serve `/cdn-cgi/local/scheduled` and `/cdn-cgi/handler/scheduled`, to
 *   fire the crons by hand as with wrangler dev (`npm start`; the benchmark has no use for it).
 */
export async function miniflareOptions(bundle, persistPath, { queueConsumers = true, port = 0, vars = {}, triggerHandlers = false } = {}) {
  const { unstable_getMiniflareWorkerOptions } = await wrangler();
  const { workerOptions } = unstable_getMiniflareWorkerOptions(CONFIG);
  if (!queueConsumers) workerOptions.queueConsumers = {};
  // The bundle is one ES module: no module rules; module paths are relative to its folder.
  delete workerOptions.modulesRules;
  const worker = {
    ...workerOptions,
    ...(Object.keys(vars).length > 0 ? { bindings: { ...workerOptions.bindings, ...vars } } : {}),
    name: WORKER_NAME,
    rootPath: bundle.dir,
    modules: true,
    scriptPath: bundle.script,
  };
  const shared = {
    host: "127.0.0.1",
    port,
    cf: false,
    verbose: false,
    logRequests: false,
    unsafeLocalExplorer: false,
    unsafeObservability: false,
    unsafeInspectDurableObjects: false,
    telemetry: { enabled: false },
    resourcePersistencePath: persistPath,
  };
  if (!triggerHandlers) return { ...worker, ...shared };
  const handlerPaths = {
    name: "cdn-cgi-handler-paths",
    modules: true,
    script: HANDLER_PATHS_WORKER,
    compatibilityDate: worker.compatibilityDate,
    compatibilityFlags: ["service_binding_extra_handlers"],
    routes: ["*/cdn-cgi/handler/*"],
    serviceBindings: { APP: WORKER_NAME },
  };
  // The app first: it is the fallback for every request no route names.
  return { ...shared, unsafeTriggerHandlers: true, workers: [worker, handlerPaths] };
}

/** The app Worker's options among `options` (flat, or the first of `workers`). */
export const appWorkerOptions = (options) => options.workers?.[0] ?? options;

/** The D1 migrations named in wrangler.toml (migrations_dir), split into statements. */
export async function d1Migrations() {
  const { unstable_readConfig } = await wrangler();
  const config = unstable_readConfig({ config: CONFIG });
  const d1 = config.d1_databases.find((d) => d.binding === "DB");
  const dir = resolve(ROOT, d1?.migrations_dir ?? "migrations");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  const out = [];
  for (const name of files) out.push({ name, statements: await splitSql(await readFile(join(dir, name), "utf8")) });
  return out;
}

/** A SQL script split into its statements (wrangler's own splitter, as `wrangler d1 execute` uses). */
export async function splitSql(sql) {
  const { unstable_splitSqlQuery } = await wrangler();
  return unstable_splitSqlQuery(sql)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Miniflare servers still running, stopped when this process exits so none outlives it. */
const running = new Set();
process.once("exit", () => {
  for (const pid of running) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {}
  }
});

/**
 * Starts the Miniflare server (scripts/local-stack/miniflare-server.mjs) with `options`
 * (from `miniflareOptions`) and waits for its READY line: workerd listening, the D1 migrations
 * applied (to every D1 database), then `vendors`, `keys` and `statements` inserted (a statement
 * is SQL for `DB`, or `{database, sql}` for another binding). With a fixed port it also waits
 * for `GET /healthz` to answer 200.
 *
 * @param {{workDir: string, options: object, migrations: {name: string, statements: string[]}[],
 *   vendors?: {id: string, name: string}[], keys?: object[], statements?: (string | {database: string, sql: string})[],
 *   logLevel?: "none"|"warn", detached?: boolean, readyTimeoutMs?: number,
 *   onOutput?: (chunk: string) => void}} args
 *   workDir holds server.json (mode 600: key hashes) and is the server's cwd; detached puts
 *   the server in its own process group (npm start: a terminal's Ctrl-C reaches only the
 *   parent, which stops the server); onOutput receives its stderr as it arrives.
 * @returns {Promise<{url: string, port: number, pid: number, startMs: number, exited: Promise<{code: number|null, signal: string|null}>,
 *   stderr: () => string, serverPids: () => {pid: number, comm: string}[], stop: () => Promise<void>}>}
 */
export async function startMiniflare({
  workDir,
  options,
  migrations,
  vendors,
  keys,
  statements,
  logLevel = "none",
  detached = false,
  readyTimeoutMs = 90_000,
  onOutput,
}) {
  const configFile = join(workDir, "server.json");
  await writeFile(configFile, JSON.stringify({ miniflarePath: miniflareEntry().entry, options, migrations, vendors, keys, statements, logLevel }), {
    mode: 0o600,
  });
  const started = Date.now();
  const child = spawn(process.execPath, [join(HERE, "miniflare-server.mjs"), configFile], {
    cwd: workDir,
    env: childEnv(),
    stdio: ["pipe", "pipe", "pipe"],
    detached,
  });
  running.add(child.pid);
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr = (stderr + d).slice(-32_768);
    onOutput?.(d.toString());
  });
  let exitInfo = null;
  const exited = new Promise((resolvePromise) => {
    child.on("exit", (code, signal) => {
      exitInfo = { code, signal };
      running.delete(child.pid);
      resolvePromise(exitInfo);
    });
    child.on("error", (err) => {
      stderr += `\n[spawn error] ${err.message}`;
      exitInfo ??= { code: null, signal: null };
      running.delete(child.pid);
      resolvePromise(exitInfo);
    });
  });

  let known = [];
  let stopping = null;
  const stop = () =>
    (stopping ??= (async () => {
      const records = [...known, ...identify(child.pid)];
      // SIGTERM to the Miniflare host: it disposes workerd. Then any straggler, by PID.
      if (child.exitCode === null && child.signalCode === null) await stopPids([child.pid], { graceMs: 10_000 });
      const left = records.filter((r) => stillRunning([r]).length > 0);
      if (left.length) {
        const { stillAlive } = await stopPids(left, { graceMs: 3_000 });
        if (stillAlive.length) process.stderr.write(`[stack] could not stop PIDs ${stillAlive.join(", ")}\n`);
      }
    })());

  try {
    const ready = await new Promise((resolvePromise, reject) => {
      let buf = "";
      const timer = setTimeout(() => reject(new Error(`Miniflare not ready within ${readyTimeoutMs} ms:\n${stderr}`)), readyTimeoutMs);
      child.stdout.on("data", (d) => {
        buf += d;
        const m = /^READY (.*)$/m.exec(buf);
        if (m) {
          clearTimeout(timer);
          resolvePromise(JSON.parse(m[1]));
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`Miniflare server exited (${signal ?? code}) before it was ready:\n${stderr}`));
      });
    });
    child.stdout.resume();
    // Read once at the server's start; it may hold key hashes and, on a first start, the demo's SQL.
    await rm(configFile, { force: true });
    // Remember the server's processes now, so stop() can reach them even if the host dies first.
    known = identify(child.pid);
    const url = ready.url;
    if (options.port) {
      // workerd listens once READY is out; make sure the app itself answers.
      for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
        try {
          const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
          await res.arrayBuffer();
          if (res.status === 200) break;
        } catch {}
        if (exitInfo || Date.now() > deadline) throw new Error(`Miniflare did not answer GET /healthz with 200 at ${url}:\n${stderr}`);
      }
    }
    return {
      url,
      port: Number(new URL(url).port),
      pid: child.pid,
      startMs: Date.now() - started,
      exited,
      stderr: () => stderr,
      serverPids: () => processTree(child.pid).map((p) => ({ pid: p.pid, comm: p.comm })),
      stop,
    };
  } catch (err) {
    await stop();
    await rm(configFile, { force: true });
    throw err;
  }
}

/** A one-line summary of the bindings in `options`, counted from what Miniflare was given. */
export function bindingsOf(options) {
  const app = appWorkerOptions(options);
  const consumers = Object.entries(app.queueConsumers ?? {});
  return {
    d1: Object.keys(app.d1Databases ?? {}),
    durableObjects: Object.fromEntries(Object.entries(app.durableObjects ?? {}).map(([k, v]) => [k, v])),
    queueProducers: Object.keys(app.queueProducers ?? {}),
    queueConsumers: consumers.map(([name]) => name),
    deadLetterQueues: consumers.map(([, c]) => c.deadLetterQueue).filter(Boolean),
    ratelimits: Object.keys(app.ratelimits ?? {}),
    crons: app.cronTriggers ?? [],
  };
}

/**
 * `npm start`'s runtime: the deploy bundle in Miniflare on 127.0.0.1:`port`, persisting to
 * `<stateDir>/v3` as `wrangler dev --persist-to <stateDir>` does (the bundle is rebuilt into
 * `<stateDir>/bundle` on each start, wrangler's logs go to `<stateDir>/logs`). Before it
 * answers, the D1 migrations not yet applied are applied and the `steps`' SQL (npm start: the
 * demo keys, the planning demo) is run. The crons fire by hand as with wrangler dev:
 * `/cdn-cgi/handler/scheduled?cron=…` (or `/cdn-cgi/local/scheduled`).
 *
 * The handle has the shape of `startWorker`'s (scripts/local-stack/wrangler-dev.mjs), plus
 * `bindings` (what Miniflare was given, for the banner and the tests).
 *
 * @param {{stateDir: string, port?: number, vars?: Record<string, string>, steps?: {label: string, sql: string, database?: string}[],
 *   timeoutMs?: number, onOutput?: (chunk: string) => void, log?: (msg: string) => void}} options
 */
export async function startMiniflareWorker({ stateDir, port, vars = {}, steps = [], timeoutMs = 120_000, onOutput, log = () => {} } = {}) {
  if (!stateDir) throw new Error("startMiniflareWorker: stateDir is required");
  stateDir = resolve(stateDir);
  await mkdir(stateDir, { recursive: true });
  port ??= await getFreePort();
  // Before the bundle is rebuilt: a second start on the same port (and state) stops here.
  await assertPortFree(port);
  log("bundling the Worker (wrangler deploy --dry-run)…");
  const bundle = await buildBundle(join(stateDir, "bundle"), stateDir);
  const options = await miniflareOptions(bundle, join(stateDir, "v3"), { port, vars, triggerHandlers: true });
  const statements = [];
  for (const step of steps)
    statements.push(...(await splitSql(step.sql)).map((sql) => (step.database && step.database !== "DB" ? { database: step.database, sql } : sql)));
  log("starting Miniflare, applying the D1 migrations…");
  for (const step of steps) log(step.label);
  const server = await startMiniflare({
    workDir: bundle.dir,
    options,
    migrations: await d1Migrations(),
    statements,
    logLevel: "warn",
    detached: true,
    readyTimeoutMs: timeoutMs,
    onOutput,
  });
  return { url: server.url, port, pid: server.pid, output: server.stderr, exited: server.exited, stop: server.stop, bindings: bindingsOf(options) };
}
