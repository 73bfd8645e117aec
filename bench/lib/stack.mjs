// Starts the system the way the benchmark runs it: the production bundle from
// `wrangler deploy --dry-run --outdir`, served by Miniflare (the copy wrangler itself uses,
// so the same workerd) with bindings derived from wrangler.toml by wrangler's own
// `unstable_getMiniflareWorkerOptions`, request logging, tracing and the local explorer
// off, persistence in a fresh temporary folder. Miniflare runs in a child Node process
// (scripts/local-stack/miniflare-server.mjs) so the server's CPU time can be measured apart
// from the load generator's. The launcher is scripts/local-stack/miniflare.mjs, the one
// `npm start` runs on too; this file adds the benchmark's fresh state, keys and report fields.

import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateApiKey } from "../../scripts/local-stack/api-keys.mjs";
import { appWorkerOptions, buildBundle, d1Migrations, miniflareEntry, miniflareOptions, startMiniflare } from "../../scripts/local-stack/miniflare.mjs";
import { QUIET_ENV, ROOT, WRANGLER_DIR } from "../../scripts/local-stack/wrangler-cli.mjs";

export { buildBundle, d1Migrations, miniflareEntry } from "../../scripts/local-stack/miniflare.mjs";

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

/**
 * Builds the bundle and starts Miniflare on 127.0.0.1 with fresh state, migrations applied
 * and a checkout and an operator key. Returns {url, pid, keys, stop(), serverPids(), ...}.
 */
export async function startMiniflareStack({ log = () => {}, readyTimeoutMs = 90_000, queueConsumers = true, inspectorPort = 0 } = {}) {
  const tmp = await mkdtemp(join(tmpdir(), "edge-inventory-bench-"));
  let server = null;
  const stop = async () => {
    await server?.stop();
    await rm(tmp, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    log("bundling (wrangler deploy --dry-run)…");
    const bundle = await buildBundle(join(tmp, "bundle"), tmp);
    const options = await miniflareOptions(bundle, join(tmp, "state"), { queueConsumers });
    // BENCH_PROFILE (bench/lib/profiler.mjs): workerd's inspector on 127.0.0.1.
    if (inspectorPort) options.inspectorPort = inspectorPort;
    const migrations = await d1Migrations();
    const keys = {
      checkout: { ...generateApiKey(), scope: "checkout", name: "bench checkout" },
      operator: { ...generateApiKey(), scope: "operator", name: "bench operator" },
    };
    log("starting Miniflare…");
    server = await startMiniflare({ workDir: tmp, options, migrations, keys: Object.values(keys), readyTimeoutMs });
    return {
      stateFilesystem: filesystemOf(tmp),
      tmpDir: tmp,
      url: server.url,
      pid: server.pid,
      mode: "miniflare",
      inspectorPort,
      workerName: appWorkerOptions(options).name,
      startMs: server.startMs,
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
      serverPids: server.serverPids,
      stderr: server.stderr,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
