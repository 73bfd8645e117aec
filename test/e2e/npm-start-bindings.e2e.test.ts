/**
 * `npm start` runs the whole system in its fast mode — the deploy bundle in Miniflare directly,
 * not `wrangler dev` — and every binding of wrangler.toml works there. Real npm, real
 * processes, real HTTP on 127.0.0.1, nothing called directly:
 *
 * - the process tree is the Miniflare server and its workerd (no wrangler dev), and what it
 *   was given counts exactly wrangler.toml's queue producers, consumers and dead-letter queues;
 * - a hard reservation holds units in the SKU's Durable Object (through the coordinator);
 * - a stock change of a SKU in each of the four EVENTS partitions (`partitionOf`) reaches the
 *   D1 read model (`GET /api/v2/inventory`, `inventory_levels`) through that partition's queue
 *   and consumer: one missing consumer leaves its SKU's row behind and fails this test;
 * - a vendor's CSV sync completes through the SYNC queue and its consumer and changes the
 *   SKU object's count;
 * - a webhook to a receiver on this machine arrives through the WEBHOOKS queue (allowed
 *   because npm start runs with ENVIRONMENT=development);
 * - the dashboard is served beside the API, whose CORS lets exactly its origin in
 *   (DASHBOARD_ORIGINS passed to the Worker);
 * - the crons fire by hand, as README shows: `/cdn-cgi/handler/scheduled` and
 *   `/cdn-cgi/local/scheduled`.
 *
 * The queue waits are bounded polls (local queues deliver within a second or two).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { partitionOf } from "../../domain/event-partitions";
import { demoCatalogue, getFreePort, ROOT } from "../../scripts/local-stack.mjs";
import { descendants, sleep } from "./dashboard-stack";

const DEMO_SKUS = 40;
const PARTITIONS = 4;
let work = "";
let api = "";
let dashboard = "";
let npm: ChildProcess | null = null;
let output = "";
let keys: { checkout: string; operator: string; vendor: string; vendorId: string };
let receiver: Server;
let receiverUrl = "";
const received: { event: string; body: any }[] = [];

/** Live (non-zombie) processes whose ancestry leads to `root`, root included, with their command lines. */
function tree(root: number): { pid: number; cmd: string }[] {
  return descendants(root).map((pid) => {
    let cmd = "";
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch {}
    return { pid, cmd };
  });
}

async function call(key: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined && typeof body !== "string" ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, body: json, text, headers: res.headers };
}

/** Polls `probe` until it returns a value other than undefined, for at most `ms`; fails with `what`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`not within ${ms / 1000} s: ${what}`);
    await sleep(250);
  }
}

/** The D1 read model's row (GET /api/v2/inventory, inventory_levels) of a SKU at a location, or null. */
async function readModelRow(sku: string, locationId: string) {
  const res = await call(keys.operator, "GET", `/api/v2/inventory?skuPrefix=${encodeURIComponent(sku)}&limit=100`);
  expect(res.status).toBe(200);
  return (
    (res.body.items as { sku: string; locationId: string; onHand: number; reserved: number }[]).find((r) => r.sku === sku && r.locationId === locationId) ??
    null
  );
}

/** The SKU object's count at a location (GET /api/v2/inventory/{sku}, the Durable Object). */
async function objectLevel(sku: string, locationId: string) {
  const res = await call(keys.operator, "GET", `/api/v2/inventory/${sku}`);
  expect(res.status).toBe(200);
  return res.body.locations.find((l: { locationId: string }) => l.locationId === locationId) as { onHand: number; reserved: number; available: number };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "edge-inventory-npm-start-bindings-"));
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      let json: any = null;
      try {
        json = JSON.parse(body);
      } catch {}
      received.push({ event: String(req.headers["x-edgeinventory-event"] ?? ""), body: json });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
  const address = receiver.address();
  receiverUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook`;

  const port = await getFreePort();
  const dashboardPort = await getFreePort();
  npm = spawn("npm", ["start"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DASHBOARD_PORT: String(dashboardPort),
      EDGE_INVENTORY_STATE: join(work, ".state"),
      EDGE_INVENTORY_DEMO_SKUS: String(DEMO_SKUS),
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  npm.stdout!.on("data", (d) => (output += d));
  npm.stderr!.on("data", (d) => (output += d));
  const deadline = Date.now() + 300_000;
  while (!output.includes("More examples: README.md")) {
    if (npm.exitCode !== null || npm.signalCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up within 300 s:\n${output}`);
    await sleep(200);
  }
  api = `http://127.0.0.1:${port}`;
  dashboard = `http://127.0.0.1:${dashboardPort}`;
  keys = JSON.parse(await readFile(join(work, ".state", "demo-keys.json"), "utf8")).keys;
}, 360_000);

afterAll(async () => {
  if (npm?.pid) {
    const running = tree(npm.pid).map((p) => p.pid);
    try {
      process.kill(npm.pid, "SIGTERM");
    } catch {}
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && tree(npm.pid).length > 0) await sleep(100);
    for (const pid of running) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
  }
  await new Promise((r) => receiver?.close(r));
  if (work) await rm(work, { recursive: true, force: true });
}, 60_000);

describe("npm start: every binding in the Miniflare mode", { timeout: 120_000 }, () => {
  it("runs the deploy bundle in Miniflare (no wrangler dev), given all of wrangler.toml's queues, consumers and dead-letter queues", () => {
    const cmds = tree(npm!.pid!).map((p) => p.cmd);
    expect(cmds.some((c) => c.includes("scripts/local-stack/miniflare-server.mjs"))).toBe(true);
    expect(cmds.some((c) => /\bworkerd\b.* serve /.test(c))).toBe(true);
    expect(cmds.filter((c) => /wrangler(\.js)? dev\b/.test(c))).toEqual([]);

    const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
    const count = (re: RegExp) => (toml.match(re) ?? []).length;
    const producers = count(/^\[\[queues\.producers\]\]/gm);
    const consumers = count(/^\[\[queues\.consumers\]\]/gm);
    const deadLetters = count(/^dead_letter_queue\s*=/gm);
    expect(producers).toBeGreaterThanOrEqual(7);
    const line =
      /\[start\] Miniflare: D1 ([A-Z_0-9, ]+); Durable Objects SKU_INVENTORY, RESERVATION_COORDINATOR; (\d+) queue producers, (\d+) consumers \((\d+) dead-letter queues\)/.exec(
        output,
      );
    expect(line, output).not.toBeNull();
    // Every D1 database of wrangler.toml: DB and the read databases (issue 19 item 2: M = 4).
    const d1 = [...toml.matchAll(/^\[\[d1_databases\]\]\s*\nbinding = "([A-Z_0-9]+)"/gm)].map((m) => m[1]);
    expect(d1).toEqual(["DB", "READ_0", "READ_1", "READ_2", "READ_3"]);
    expect(line![1]!.split(", ")).toEqual(d1);
    // The consumers include one per dead-letter queue (wrangler.toml gives each its own block).
    expect(line!.slice(2).map(Number)).toEqual([producers, consumers, deadLetters]);
  });

  it("a hard reservation holds units in the SKU's Durable Object", async () => {
    const sku = "ACME-TENT-0001";
    const { locationId } = demoCatalogue(DEMO_SKUS).stock.find((s) => s.sku === sku)!;
    const before = await objectLevel(sku, locationId);
    expect(before.available).toBeGreaterThanOrEqual(3);
    const res = await call(
      keys.checkout,
      "POST",
      "/api/v2/inventory/reserve",
      { type: "hard", reference: "bindings-e2e-1", items: [{ sku, quantity: 3, locationId }] },
      { "idempotency-key": "bindings-e2e-reserve-1" },
    );
    expect(res.status, res.text).toBe(201);
    expect(res.body.lines).toEqual([expect.objectContaining({ sku, locationId, quantity: 3 })]);
    const after = await objectLevel(sku, locationId);
    expect(after.reserved).toBe(before.reserved + 3);
    expect(after.available).toBe(before.available - 3);
    // The reservation's event reaches the read model too.
    await eventually(`${sku}@${locationId} reserved ${after.reserved} in inventory_levels`, async () =>
      (await readModelRow(sku, locationId))?.reserved === after.reserved ? true : undefined,
    );
  });

  it("a stock change of a SKU in each EVENTS partition reaches the D1 read model through that partition's consumer", async () => {
    const catalogue = demoCatalogue(DEMO_SKUS);
    const picks = Array.from({ length: PARTITIONS }, (_, partition) => {
      const sku = catalogue.skus.map((s) => s.sku).find((s) => s !== "ACME-TENT-0001" && partitionOf(s, PARTITIONS) === partition);
      expect(sku, `a demo SKU in partition ${partition}`).toBeDefined();
      return { partition, sku: sku!, locationId: catalogue.stock.find((s) => s.sku === sku)!.locationId };
    });
    for (const [i, p] of picks.entries()) {
      const res = await call(keys.operator, "PATCH", `/api/v2/inventory/${p.sku}`, { locationId: p.locationId, onHand: 901 + i, reason: "cycle_count" });
      expect(res.status, res.text).toBe(200);
    }
    const late: string[] = [];
    const deadline = Date.now() + 60_000;
    for (const [i, p] of picks.entries()) {
      for (;;) {
        if ((await readModelRow(p.sku, p.locationId))?.onHand === 901 + i) break;
        if (Date.now() > deadline) {
          late.push(`partition ${p.partition} (EVENTS_${p.partition}): ${p.sku}@${p.locationId}`);
          break;
        }
        await sleep(250);
      }
    }
    expect(late, "changes that never reached inventory_levels").toEqual([]);
  });

  it("a vendor's CSV sync completes through the SYNC queue and its consumer and changes the SKU object", async () => {
    const sku = "ACME-TENT-0002";
    const { locationId } = demoCatalogue(DEMO_SKUS).stock.find((s) => s.sku === sku)!;
    const target = (await objectLevel(sku, locationId)).onHand + 1;
    const res = await call(keys.vendor, "POST", "/api/v2/inventory/sync", `sku,location_id,quantity\n${sku},${locationId},${target}\n`, {
      "content-type": "text/csv",
      "idempotency-key": "bindings-e2e-sync-1",
    });
    expect(res.status, res.text).toBe(202);
    expect(res.body.accepted).toBe(1);
    const job = await eventually(`sync job ${res.body.jobId} completed`, async () => {
      const got = await call(keys.vendor, "GET", `/api/v2/sync/${res.body.jobId}`);
      return got.body?.status === "completed" ? got.body : undefined;
    });
    expect(job.status).toBe("completed");
    expect((await objectLevel(sku, locationId)).onHand).toBe(target);
  });

  it("a webhook to a receiver on this machine arrives through the WEBHOOKS queue", async () => {
    const sub = await call(keys.operator, "POST", "/api/v2/webhooks", { url: receiverUrl, eventTypes: ["inventory.updated"], vendorId: keys.vendorId });
    expect(sub.status, sub.text).toBe(201);
    // The vendor's last demo SKU (the subscription is the demo vendor's).
    const catalogue = demoCatalogue(DEMO_SKUS);
    const sku = catalogue.skus.filter((s) => s.vendorId === keys.vendorId).at(-1)!.sku;
    const { locationId } = catalogue.stock.find((s) => s.sku === sku)!;
    const res = await call(keys.operator, "PATCH", `/api/v2/inventory/${sku}`, { locationId, onHand: 777, reason: "cycle_count" });
    expect(res.status, res.text).toBe(200);
    const delivery = await eventually(`the inventory.updated webhook of ${sku}`, async () =>
      received.find((r) => r.event === "inventory.updated" && JSON.stringify(r.body).includes(`"${sku}"`) && JSON.stringify(r.body).includes('"onHand":777')),
    );
    expect(delivery.body).toBeTruthy();
  });

  it("serves the dashboard beside the API, and the API lets exactly its origin in", async () => {
    const page = await fetch(`${dashboard}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toMatch(/<html/i);
    const config = await (await fetch(`${dashboard}/config.js`)).text();
    expect(config).toContain(api);
    const preflight = (origin: string) =>
      fetch(`${api}/api/v2/skus/ACME-TENT-0001`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
      });
    expect((await preflight(dashboard)).headers.get("access-control-allow-origin")).toBe(dashboard);
    expect((await preflight("http://127.0.0.1:1")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("fires the crons by hand, at README's /cdn-cgi/handler/scheduled and at /cdn-cgi/local/scheduled", async () => {
    for (const path of ["/cdn-cgi/handler/scheduled", "/cdn-cgi/local/scheduled"]) {
      const res = await fetch(`${api}${path}?cron=${encodeURIComponent("* * * * *")}&format=json`);
      expect(res.status, path).toBe(200);
      expect(await res.json()).toEqual({ outcome: "ok", noRetry: false });
    }
    // Any other handler path is a 404.
    expect((await fetch(`${api}/cdn-cgi/handler/email`)).status).toBe(404);
  });
});
