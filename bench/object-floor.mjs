#!/usr/bin/env node
// `npm run bench:floor`: what the local runtime itself charges for a Durable Object's storage,
// below any code of ours — the floor under S2, S4 and S4c, which meet objects that are out of
// memory (workerd evicts an object after 10 s idle; Cloudflare hibernates one as soon).
//
// One tiny Worker, bundled here with esbuild, whose object runs the SKU object's real schema
// (durable-objects/sku-inventory.schema.ts through sql-migrations.ts) and then does one
// trivial statement per call: a read (SELECT) or a write (an upsert of one meta row). It is
// served by the Miniflare inside wrangler (the bench's workerd), state on this machine's
// TMPDIR like the bench's, and each step calls N objects one after another from inside the
// Worker, so HTTP and the load generator cost nothing per call. CPU is workerd's, from /proc.
//
//   create        first call: a new SQLite database, the schema, one write
//   warm read     a call to an object in memory, one SELECT
//   warm write    a call to an object in memory, one upsert (a commit)
//   eviction      what workerd spends evicting N idle objects (measured over the idle wait;
//                 after create, after the cold reads, and after the writes)
//   cold read     a call to an evicted object: start, schema check, one SELECT
//   cold write    a call to an evicted object: start, schema check, one upsert
//   cache put / delete (missing) / delete (present)   one Cache API call (L2's cost)
//
// Options (env): FLOOR_OBJECTS=<n> objects per step (default 1,000). Results print as a table
// and go to bench/results/floor.json. Bounded: N calls per step, a 25 s idle wait per
// eviction, a 10 min deadline.

import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { miniflareEntry } from "../scripts/local-stack/miniflare.mjs";
import { filesystemOf } from "./lib/stack.mjs";
import { cpuDelta, cpuSample } from "./lib/proc.mjs";
import { round } from "./lib/report.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const N = Number(process.env.FLOOR_OBJECTS) || 1_000;
/** Longer than workerd's 10 s idle eviction, so every object of the step is out of memory. */
const IDLE_MS = 25_000;
const DEADLINE_MS = 10 * 60_000;

const WORKER = `
import { DurableObject } from "cloudflare:workers";
import { SKU_INVENTORY_MIGRATIONS } from "${join(ROOT, "durable-objects/sku-inventory.schema.ts")}";
import { migrateSchema } from "${join(ROOT, "durable-objects/sql-migrations.ts")}";

export class Floor extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    migrateSchema(ctx.storage, SKU_INVENTORY_MIGRATIONS);
  }
  read() {
    return this.ctx.storage.sql.exec("SELECT value FROM meta WHERE key = 'floor'").toArray().length;
  }
  write() {
    this.ctx.storage.sql.exec("INSERT INTO meta (key, value) VALUES ('floor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", String(Date.now()));
    return 1;
  }
}

const key = (i) => new Request("https://floor.test/api/v2/availability/sku-" + i);

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const op = url.searchParams.get("op");
    const n = Number(url.searchParams.get("n"));
    for (let i = 0; i < n; i++) {
      if (op === "read") await env.FLOOR.getByName("sku-" + i).read();
      else if (op === "write") await env.FLOOR.getByName("sku-" + i).write();
      else if (op === "put") await caches.default.put(key(i), new Response('{"sku":"sku-' + i + '","available":5}', { headers: { "cache-control": "public, s-maxage=30" } }));
      else if (op === "delete") await caches.default.delete(key(i));
      else return new Response("unknown op", { status: 400 });
    }
    return new Response("ok");
  },
};
`;

const log = (line) => console.log(`[floor] ${line}`);

async function main() {
  const dir = await mkdtemp(join(tmpdir(), "edge-inventory-floor-"));
  let mf = null;
  const timer = setTimeout(() => {
    console.error(`[floor] deadline of ${DEADLINE_MS / 60_000} min passed`);
    process.exit(1);
  }, DEADLINE_MS);
  try {
    const entry = join(dir, "worker.js");
    await build({
      stdin: { contents: WORKER, resolveDir: ROOT, sourcefile: "floor-worker.js", loader: "js" },
      bundle: true,
      format: "esm",
      external: ["cloudflare:workers"],
      outfile: entry,
      logLevel: "warning",
    });
    const { Miniflare, convertV4MiniflareOptions } = await import(pathToFileURL(miniflareEntry().entry).href);
    mf = new Miniflare(
      convertV4MiniflareOptions({
        workers: [
          {
            name: "floor",
            rootPath: dir,
            modules: true,
            scriptPath: entry,
            compatibilityDate: "2025-09-01",
            durableObjects: { FLOOR: { className: "Floor", useSQLite: true } },
          },
        ],
        resourcePersistencePath: join(dir, "state"),
      }),
    );
    await mf.ready;
    log(`${N} objects per step; state on ${filesystemOf(dir).type} at ${dir}`);

    const results = {};
    const step = async (name, op) => {
      const before = cpuSample(process.pid);
      const started = Date.now();
      const res = await mf.dispatchFetch(`http://floor.test/?op=${op}&n=${N}`);
      if (res.status !== 200) throw new Error(`${name}: ${res.status} ${await res.text()}`);
      await res.text();
      const wallMs = Date.now() - started;
      const used = cpuDelta(before, cpuSample(process.pid));
      const workerd = used.byComm.workerd ?? 0;
      results[name] = { cpuMsPerCall: round((workerd * 1000) / N, 3), wallMsPerCall: round(wallMs / N, 3) };
      log(`${name.padEnd(22)} ${results[name].cpuMsPerCall.toFixed(3)} ms CPU per call (${results[name].wallMsPerCall.toFixed(3)} ms wall)`);
    };
    const idle = async (name) => {
      const before = cpuSample(process.pid);
      await sleep(IDLE_MS);
      const workerd = cpuDelta(before, cpuSample(process.pid)).byComm.workerd ?? 0;
      results[name] = { cpuMsPerCall: round((workerd * 1000) / N, 3) };
      log(`${name.padEnd(22)} ${results[name].cpuMsPerCall.toFixed(3)} ms CPU per object (over a ${IDLE_MS / 1000} s idle wait)`);
    };

    // The warm steps come right after the cold write, not after create: creating N objects
    // takes longer than workerd's 10 s idle eviction on a slow machine (the first ones are out
    // of memory again by its end), and a new database's background work ran into the next
    // step (a "warm" read measured 1.4–1.6 ms here, session 12). The cold write leaves every
    // object in memory within a few seconds.
    await step("create", "write");
    await idle("eviction after create");
    await step("cold read", "read");
    await idle("eviction after reads");
    await step("cold write", "write");
    await step("warm read", "read");
    await step("warm write", "write");
    await idle("eviction after writes");
    await step("cache put", "put");
    await step("cache delete (present)", "delete");
    await step("cache delete (missing)", "delete");

    const out = join(ROOT, "bench", "results", "floor.json");
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify({ at: new Date().toISOString(), objects: N, filesystem: filesystemOf(dir), results }, null, 2)}\n`);
    log(`written ${out}`);
  } finally {
    clearTimeout(timer);
    await mf?.dispose();
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

await main();
