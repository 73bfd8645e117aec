// Starts the system the way the benchmark runs it: the production bundle from
// `wrangler deploy --dry-run --outdir`, served by Miniflare (the copy wrangler itself uses,
// so the same workerd) with bindings derived from wrangler.toml by wrangler's own
// `unstable_getMiniflareWorkerOptions`, request logging, tracing and the local explorer
// off, persistence in a fresh temporary folder. Miniflare runs in a child Node process
// (bench/lib/miniflare-server.mjs) so the server's CPU time can be measured apart from the
// load generator's.

import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generateApiKey } from "../../scripts/local-stack/api-keys.mjs";
import { childEnv, logDir, QUIET_ENV, ROOT, runWrangler, WRANGLER_DIR } from "../../scripts/local-stack/wrangler-cli.mjs";
import { identify, processTree, stillRunning, stopPids } from "./proc.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const CONFIG = join(ROOT, "wrangler.toml");

// wrangler reads these at import time too.
Object.assign(process.env, QUIET_ENV);

/** Filesystem type and mount point holding `path` (from /proc/mounts), e.g. {type: "ext4", mount: "/"}. */
export function filesystemOf(path) {
  let best = { type: "unknown", mount: "", device: "" };
  try {
    for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
      const [device, mount, type] = line.split(" ");
      if (!mount) continue;
      const m = mount.replace(/\\040/g, " ");
      if ((path === m || path.startsWith(m.endsWith("/") ? m : `${m}/`)) && m.length >= best.mount.length) best = { type, mount: m, device };
    }
  } catch {}
  return best;
}

/** The Miniflare package wrangler uses (so its workerd matches), else the top-level one. */
export function miniflareEntry() {
  for (const dir of [join(WRANGLER_DIR, "node_modules", "miniflare"), join(ROOT, "node_modules", "miniflare")]) {
    const entry = join(dir, "dist", "src", "index.js");
    if (existsSync(entry)) return { entry, dir };
  }
  throw new Error("miniflare not found under node_modules/wrangler/node_modules or node_modules");
}

export async function versions() {
  const read = async (p) => {
    try {
      return JSON.parse(await readFile(p, "utf8")).version;
    } catch {
      return null;
    }
  };
  const mfDir = miniflareEntry().dir;
  const workerdDirs = [join(mfDir, "..", "workerd"), join(WRANGLER_DIR, "node_modules", "workerd"), join(ROOT, "node_modules", "workerd")];
  let workerd = null;
  for (const d of workerdDirs) if (!workerd) workerd = await read(join(d, "package.json"));
  return {
    node: process.version,
    wrangler: await read(join(WRANGLER_DIR, "package.json")),
    miniflare: await read(join(mfDir, "package.json")),
    workerd,
  };
}

/** `wrangler deploy --dry-run --outdir <dir>`: the bundle production would get. */
export async function buildBundle(outDir, stateDir) {
  const started = Date.now();
  await runWrangler(["deploy", "--dry-run", "--outdir", outDir, "--config", CONFIG], { env: { WRANGLER_LOG_PATH: logDir(stateDir) }, timeoutMs: 120_000 });
  return { dir: outDir, script: join(outDir, "index.js"), ms: Date.now() - started };
}

let wranglerApi;
async function wrangler() {
  wranglerApi ??= await import(pathToFileURL(join(WRANGLER_DIR, "wrangler-dist", "cli.js")).href);
  return wranglerApi;
}

/** Miniflare (v4-shaped) options for wrangler.toml's bindings, serving the bundle. */
export async function miniflareOptions(bundle, stateDir, { queueConsumers = true } = {}) {
  const { unstable_getMiniflareWorkerOptions } = await wrangler();
  const { workerOptions } = unstable_getMiniflareWorkerOptions(CONFIG);
  // Diagnostic only (BENCH_QUEUE_CONSUMERS=off): producers stay, nothing consumes, so the
  // event pipeline's share of the CPU can be told apart. Not the benchmark's mode.
  if (!queueConsumers) workerOptions.queueConsumers = {};
  // The bundle is one ES module: no module rules; module paths are relative to its folder.
  delete workerOptions.modulesRules;
  return {
    ...workerOptions,
    name: "edge-inventory",
    rootPath: bundle.dir,
    modules: true,
    scriptPath: bundle.script,
    host: "127.0.0.1",
    port: 0,
    cf: false,
    verbose: false,
    logRequests: false,
    unsafeLocalExplorer: false,
    unsafeObservability: false,
    unsafeInspectDurableObjects: false,
    telemetry: { enabled: false },
    resourcePersistencePath: join(stateDir, "state"),
  };
}

/** The D1 migrations named in wrangler.toml (migrations_dir), split into statements. */
export async function d1Migrations() {
  const { unstable_readConfig, unstable_splitSqlQuery } = await wrangler();
  const config = unstable_readConfig({ config: CONFIG });
  const d1 = config.d1_databases.find((d) => d.binding === "DB");
  const dir = resolve(ROOT, d1?.migrations_dir ?? "migrations");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  const out = [];
  for (const name of files) {
    const sql = await readFile(join(dir, name), "utf8");
    out.push({
      name,
      statements: unstable_splitSqlQuery(sql)
        .map((s) => s.trim())
        .filter(Boolean),
    });
  }
  return out;
}

/**
 * Builds the bundle and starts Miniflare on 127.0.0.1 with fresh state, migrations applied
 * and a checkout and an operator key. Returns {url, pid, keys, stop(), serverPids(), ...}.
 */
export async function startMiniflareStack({ log = () => {}, readyTimeoutMs = 90_000, queueConsumers = true } = {}) {
  const tmp = await mkdtemp(join(tmpdir(), "edge-inventory-bench-"));
  let child;
  let stderr = "";
  let known = [];
  const stop = async () => {
    if (child) {
      const records = [...known, ...identify(child.pid)];
      // SIGTERM to the Miniflare host: it disposes workerd. Then any straggler, by PID.
      if (child.exitCode === null && child.signalCode === null) await stopPids([child.pid], { graceMs: 10_000 });
      const left = records.filter((r) => stillRunning([r]).length > 0);
      if (left.length) {
        const { stillAlive } = await stopPids(left, { graceMs: 3_000 });
        if (stillAlive.length) process.stderr.write(`[stack] could not stop PIDs ${stillAlive.join(", ")}\n`);
      }
    }
    await rm(tmp, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    log("bundling (wrangler deploy --dry-run)…");
    const bundle = await buildBundle(join(tmp, "bundle"), tmp);
    const options = await miniflareOptions(bundle, tmp, { queueConsumers });
    const migrations = await d1Migrations();
    const keys = {
      checkout: { ...generateApiKey(), scope: "checkout", name: "bench checkout" },
      operator: { ...generateApiKey(), scope: "operator", name: "bench operator" },
    };
    const configFile = join(tmp, "server.json");
    await writeFile(configFile, JSON.stringify({ miniflarePath: miniflareEntry().entry, options, migrations, keys: Object.values(keys) }), { mode: 0o600 });
    log("starting Miniflare…");
    const started = Date.now();
    child = spawn(process.execPath, [join(HERE, "miniflare-server.mjs"), configFile], {
      cwd: tmp,
      env: childEnv(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-32_768)));
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
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`Miniflare server exited (${signal ?? code}) before it was ready:\n${stderr}`));
      });
    });
    child.stdout.resume();
    // Remember the server's processes now, so stop() can reach them even if the host dies first.
    known = identify(child.pid);
    return {
      stateFilesystem: filesystemOf(tmp),
      tmpDir: tmp,
      url: ready.url,
      pid: child.pid,
      mode: "miniflare",
      startMs: Date.now() - started,
      bundleMs: bundle.ms,
      bundleBytes: (await readFile(bundle.script)).byteLength,
      keys: { checkout: keys.checkout.key, operator: keys.operator.key },
      bindings: {
        d1: Object.keys(options.d1Databases ?? {}),
        durableObjects: Object.fromEntries(Object.entries(options.durableObjects ?? {}).map(([k, v]) => [k, v])),
        queueProducers: Object.keys(options.queueProducers ?? {}),
        queueConsumers: Object.keys(options.queueConsumers ?? {}),
        ratelimits: Object.keys(options.ratelimits ?? {}),
      },
      serverPids: () => processTree(child.pid).map((p) => ({ pid: p.pid, comm: p.comm })),
      stderr: () => stderr,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
