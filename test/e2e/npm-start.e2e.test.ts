/**
 * `npm start` itself, as a newcomer runs it: the real npm, the real scripts, a real wrangler
 * dev, talked to over HTTP on 127.0.0.1.
 *
 * - On a fresh state it comes up with the demo data, and every command in its banner and
 *   every example block of README.md marked `<!-- readme-test -->` works as shown: the blocks
 *   run verbatim in bash (only `B=http://127.0.0.1:8787` gets this test's port), and each
 *   `curl` answers the status its `# → NNN` comment names (2xx where there is none).
 * - It stops completely — npm, the start script, wrangler and workerd gone, the port free —
 *   on SIGTERM or SIGINT to the npm process, SIGTERM to the start script, SIGINT to the whole
 *   group (a terminal's Ctrl-C), and when npm is killed outright (its parent dies).
 * - A restart keeps an operator's change to the demo data; `npm start -- --reset` starts afresh.
 *
 * The demo catalogue is cut to its first 300 SKUs (EDGE_INVENTORY_DEMO_SKUS) to keep the
 * first start short: the SKUs the examples use are generated first and are identical.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { demoCatalogue, getFreePort, ROOT } from "../../scripts/local-stack.mjs";
import { descendants, sleep } from "./dashboard-stack";

const DEMO_SKUS = "300";
let work: string;
let stateDir: string;
let port: number;
let base: string;
const started: ChildProcess[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "edge-inventory-npm-start-"));
  stateDir = join(work, ".state");
  port = await getFreePort();
  base = `http://127.0.0.1:${port}`;
});

/** Whatever a failed test left running: only processes this file started (and their children). */
async function killLeftovers(): Promise<void> {
  for (const child of started.splice(0)) {
    for (const pid of descendants(child.pid!)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
  }
  for (let i = 0; i < 100 && !(await portFree(port)); i++) await sleep(100);
}

afterEach(killLeftovers);

afterAll(async () => {
  await killLeftovers();
  await rm(work, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function portFree(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(p, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

interface Running {
  npm: ChildProcess;
  output: () => string;
  /** npm, the start script, wrangler and its workerd children, as running now. */
  tree: () => number[];
}

/** `npm start [args]` from the repository, on this test's state folder and port; resolves once the banner is out. */
async function npmStart(args: string[] = [], env: Record<string, string> = {}): Promise<Running> {
  const npm = spawn("npm", ["start", ...(args.length ? ["--", ...args] : [])], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), EDGE_INVENTORY_STATE: stateDir, EDGE_INVENTORY_DEMO_SKUS: DEMO_SKUS, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so the test can send a group signal like a terminal's Ctrl-C.
    detached: true,
  });
  started.push(npm);
  let output = "";
  npm.stdout!.on("data", (d) => (output += d));
  npm.stderr!.on("data", (d) => (output += d));
  const deadline = Date.now() + 300_000;
  while (!output.includes("More examples: README.md")) {
    if (npm.exitCode !== null || npm.signalCode !== null) throw new Error(`npm start exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up within 300 s:\n${output}`);
    await sleep(200);
  }
  return { npm, output: () => output, tree: () => descendants(npm.pid!) };
}

/** Signals `target`, then waits until every process of the tree is gone and the port is free. */
async function expectStopsCompletely(run: Running, send: () => void): Promise<void> {
  const tree = run.tree();
  // npm, the start script, wrangler (node) and workerd at least.
  expect(tree.length).toBeGreaterThanOrEqual(4);
  send();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (tree.some(alive) || !(await portFree(port)))) await sleep(100);
  expect(
    tree
      .filter(alive)
      .map((pid) => `${pid} ${existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").slice(0, 120) : ""}`),
  ).toEqual([]);
  expect(await portFree(port)).toBe(true);
}

const startScriptPid = (run: Running) => run.tree().find((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("scripts/start.mjs"))!;

/** Runs shell lines in bash with `curl` wrapped to log each answer's status; returns the statuses and the output. */
async function runShell(script: string, cwd: string): Promise<{ statuses: string[]; stdout: string; stderr: string; code: number | null }> {
  const statusLog = join(work, `statuses-${Date.now()}.log`);
  await writeFile(statusLog, "");
  const wrapper = [
    "set -euo pipefail",
    // Every curl of the script: its body to stdout as usual, its status appended to the log.
    `curl() { local body; body=$(mktemp); local code; code=$(command curl -sS -o "$body" -w '%{http_code}' "$@"); cat "$body"; rm -f "$body"; echo "$code" >> ${JSON.stringify(statusLog)}; }`,
    script,
  ].join("\n");
  const result = spawnSync("bash", ["-c", wrapper], { cwd, encoding: "utf8", timeout: 120_000 });
  const statuses = (await readFile(statusLog, "utf8")).split("\n").filter(Boolean);
  return { statuses, stdout: result.stdout, stderr: result.stderr, code: result.status };
}

/** The status each `curl` of a block should answer: its `# → NNN` comment, or 2xx. */
function expectedStatuses(block: string): string[] {
  const expected: string[] = [];
  for (const line of block.split("\n")) {
    if (/(^|\$\()curl\s/.test(line.trim())) expected.push("2xx");
    const m = /^#\s*→\s*(\d{3})\b/.exec(line.trim());
    if (m && expected.length > 0) expected[expected.length - 1] = m[1]!;
  }
  return expected;
}

const matchesStatus = (got: string, want: string) => (want === "2xx" ? /^2\d\d$/.test(got) : got === want);

/** README.md's example blocks marked for this test, in order. */
function readmeBlocks(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  return [...readme.matchAll(/<!-- readme-test -->\s*\n```sh\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
}

describe("npm start", { timeout: 600_000 }, () => {
  it("comes up on a fresh state with the demo data; the banner's and the README's examples work as shown; SIGTERM to npm stops it all", async () => {
    const run = await npmStart();
    expect(run.output()).toContain("seeded 5 vendors, 12 locations, 300 SKUs");

    // The banner's commands, as printed (indented two spaces under "Try:").
    const banner = run.output().split("Try:\n")[1]!.split("\nMore examples")[0]!;
    const bannerScript = banner
      .split("\n")
      .map((l) => l.replace(/^ {2}/, ""))
      .join("\n");
    const fromBanner = await runShell(bannerScript, work);
    expect(fromBanner.code, fromBanner.stderr).toBe(0);
    const bannerWant = expectedStatuses(bannerScript);
    expect(bannerWant.length).toBeGreaterThanOrEqual(4);
    expect(fromBanner.statuses.length).toBe(bannerWant.length);
    fromBanner.statuses.forEach((got, i) => {
      expect(matchesStatus(got, bannerWant[i]!), `banner curl #${i + 1}: ${got} vs ${bannerWant[i]}`).toBe(true);
    });

    // The README's example blocks, in one shell (later blocks use earlier variables).
    const blocks = readmeBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const script = blocks.join("\n").replaceAll("B=http://127.0.0.1:8787", `B=${base}`);
    expect(script).toContain(`B=${base}`);
    const fromReadme = await runShell(script, work);
    expect(fromReadme.code, `${fromReadme.stderr}\n${fromReadme.stdout}`).toBe(0);
    const want = expectedStatuses(script);
    expect(want).toContain("409");
    expect(fromReadme.statuses.length, fromReadme.stdout).toBe(want.length);
    fromReadme.statuses.forEach((got, i) => {
      expect(matchesStatus(got, want[i]!), `README curl #${i + 1}: got ${got}, README says ${want[i]}`).toBe(true);
    });
    // The replayed reserve says so.
    expect(fromReadme.stdout).toMatch(/Idempotent-Replayed: true/i);

    // Planning demo (issue 15, "Done when"): the first start loaded recent sales; the nightly
    // REORDER cron, triggered by hand, forecasts every SKU, opens a suggestion exactly for those
    // at or below their reorder point and, once the run's chunks are planned, drafts one purchase
    // order per vendor × receiving location with exactly those SKUs (none for the rest).
    const keys = JSON.parse(await readFile(join(stateDir, "demo-keys.json"), "utf8")).keys;
    const auth = { authorization: `Bearer ${keys.operator}` };
    const sales = await (await fetch(`${base}/api/v2/daily-sales?sku=ACME-TENT-0001`, { headers: auth })).json();
    expect(sales.totalUnits).toBeGreaterThan(0);
    const cron = await fetch(`${base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("0 2 * * *")}`);
    expect(cron.status).toBe(200);
    const skus = demoCatalogue(300).skus.map((s) => s.sku);
    const plans = new Map<string, boolean>();
    const deadline = Date.now() + 180_000;
    while (plans.size < skus.length && Date.now() < deadline) {
      for (const sku of skus.filter((s) => !plans.has(s))) {
        const f = await fetch(`${base}/api/v2/forecasts/${sku}`, { headers: auth });
        const body = await f.json();
        // A reorder is drafted when the position is at or below the reorder point and there is room to order (max stock).
        if (f.status === 200 && body.plan !== null) plans.set(sku, body.plan.shouldReorder && body.plan.orderQuantity > 0);
      }
      if (plans.size < skus.length) await sleep(1000);
    }
    expect(plans.size).toBe(skus.length);
    /** Suggestions with this status: SKU → its vendor × location group. */
    const suggestionsWith = async (status: string) => {
      const out = new Map<string, string>();
      for (let page: string | null = ""; page !== null; ) {
        const list = await (
          await fetch(`${base}/api/v2/reorder-suggestions?status=${status}&limit=500${page ? `&cursor=${page}` : ""}`, { headers: auth })
        ).json();
        for (const s of list.items) out.set(s.sku, `${s.vendorId}/${s.locationId}`);
        page = list.nextCursor;
      }
      return out;
    };
    const below = [...plans].filter(([, reorder]) => reorder).map(([sku]) => sku);
    expect(below.length).toBeGreaterThan(0);
    expect(below.length).toBeLessThan(skus.length);
    // Open, or already accepted into a drafted purchase order.
    let accepted = new Map<string, string>();
    const drafting = Date.now() + 60_000;
    for (;;) {
      const open = await suggestionsWith("open");
      accepted = await suggestionsWith("accepted");
      expect([...open.keys(), ...accepted.keys()].sort()).toEqual([...below].sort());
      if (open.size === 0 || Date.now() > drafting) break;
      await sleep(500);
    }
    expect([...accepted.keys()].sort()).toEqual([...below].sort());
    const drafted: { vendorId: string; locationId: string; createdBy: string; lines: { sku: string }[] }[] = [];
    for (let page: string | null = ""; page !== null; ) {
      const list = await (await fetch(`${base}/api/v2/purchase-orders?limit=100${page ? `&cursor=${page}` : ""}`, { headers: auth })).json();
      drafted.push(...list.items.filter((p: { createdBy: string }) => p.createdBy === "operator:key_system-reorder"));
      page = list.nextCursor;
    }
    // One order per vendor × location (one more per 200 lines, the order's cap), its lines exactly that group's SKUs below their reorder point.
    const groups = new Map<string, string[]>();
    for (const [sku, group] of accepted) groups.set(group, [...(groups.get(group) ?? []), sku].sort());
    const ordered = new Map<string, { orders: number; skus: string[] }>();
    for (const p of drafted) {
      const g = ordered.get(`${p.vendorId}/${p.locationId}`) ?? { orders: 0, skus: [] };
      ordered.set(`${p.vendorId}/${p.locationId}`, { orders: g.orders + 1, skus: [...g.skus, ...p.lines.map((l) => l.sku)].sort() });
    }
    expect(new Map([...ordered].sort())).toEqual(new Map([...groups].sort().map(([g, skus]) => [g, { orders: Math.ceil(skus.length / 200), skus }])));

    await expectStopsCompletely(run, () => process.kill(run.npm.pid!, "SIGTERM"));
  });

  it("a restart keeps an operator's change (no re-seeding); SIGINT to npm stops it all", async () => {
    const keys = JSON.parse(await readFile(join(stateDir, "demo-keys.json"), "utf8")).keys;
    let run = await npmStart();
    expect(run.output()).toContain("demo data already seeded");
    const auth = { authorization: `Bearer ${keys.operator}` };
    const sku = await (await fetch(`${base}/api/v2/skus/ACME-TENT-0001`, { headers: auth })).json();
    expect(sku.reorderPoint).toBe(25);
    const put = await fetch(`${base}/api/v2/skus/ACME-TENT-0001`, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ productId: sku.productId, name: sku.name, reorderPoint: 99 }),
    });
    expect(put.status, await put.clone().text()).toBe(200);
    await expectStopsCompletely(run, () => process.kill(run.npm.pid!, "SIGINT"));

    run = await npmStart();
    const got = await fetch(`${base}/api/v2/skus/ACME-TENT-0001`, { headers: { authorization: `Bearer ${keys.operator}` } });
    expect((await got.json()).reorderPoint).toBe(99);
    await expectStopsCompletely(run, () => process.kill(startScriptPid(run), "SIGTERM"));
  });

  it("SIGINT to the whole group (a terminal's Ctrl-C) stops it all", async () => {
    const run = await npmStart();
    await expectStopsCompletely(run, () => process.kill(-run.npm.pid!, "SIGINT"));
  });

  it("npm killed outright (the parent dies) stops it all", async () => {
    const run = await npmStart();
    await expectStopsCompletely(run, () => process.kill(run.npm.pid!, "SIGKILL"));
  });

  it("npm start -- --reset starts afresh: new keys, the demo's own values", async () => {
    const before = JSON.parse(await readFile(join(stateDir, "demo-keys.json"), "utf8")).keys;
    const run = await npmStart(["--reset"], { EDGE_INVENTORY_DEMO_SKUS: "20" });
    expect(run.output()).toContain("--reset: deleting");
    const after = JSON.parse(await readFile(join(stateDir, "demo-keys.json"), "utf8")).keys;
    expect(after.operator).not.toBe(before.operator);
    const old = await fetch(`${base}/api/v2/skus/ACME-TENT-0001`, { headers: { authorization: `Bearer ${before.operator}` } });
    expect(old.status).toBe(401);
    const got = await fetch(`${base}/api/v2/skus/ACME-TENT-0001`, { headers: { authorization: `Bearer ${after.operator}` } });
    expect((await got.json()).reorderPoint).toBe(25);
    await expectStopsCompletely(run, () => process.kill(run.npm.pid!, "SIGTERM"));
  });
});
