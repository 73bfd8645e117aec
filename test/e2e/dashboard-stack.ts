/**
 * The stack the dashboard's browser tests drive: real `npm start` (API, objects, D1, queues,
 * the dashboard, a 40-SKU demo) on free ports with its state in a temporary folder, and a
 * headless Chromium. `stop()` ends npm's whole process tree (SIGTERM, then SIGKILL of what is
 * left after 30 s) and deletes the folder; a start that fails stops what it started.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { getFreePort, ROOT } from "../../scripts/local-stack.mjs";

export const CHROMIUM = "/usr/bin/chromium";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Live processes whose ancestry leads to `root` (for cleanup after a failure). */
export function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z") parentOf.set(Number(name), Number(fields[1]));
    } catch {}
  }
  const found = new Set<number>(parentOf.has(root) ? [root] : []);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if (!found.has(pid) && found.has(ppid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found];
}

export interface DashboardStack {
  /** The temporary folder (`.state` is in it). */
  work: string;
  api: string;
  dashboard: string;
  keys: { operator: string; vendor: string; checkout: string; vendorId: string };
  context: BrowserContext;
  /** What npm start printed so far. */
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts the stack and the browser (`name` names the temporary folder). */
export async function startDashboardStack(name: string, browser: { acceptDownloads?: boolean } = {}): Promise<DashboardStack> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  const work = await mkdtemp(join(tmpdir(), `edge-inventory-${name}-`));
  let npm: ChildProcess | null = null;
  let context: BrowserContext | null = null;
  let output = "";
  const stop = async () => {
    await context?.close().catch(() => {});
    if (npm?.pid) {
      try {
        process.kill(npm.pid, "SIGTERM");
      } catch {}
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && descendants(npm.pid).length > 0) await sleep(100);
      for (const pid of descendants(npm.pid)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
    }
    await rm(work, { recursive: true, force: true });
  };
  try {
    const port = await getFreePort();
    const dashboardPort = await getFreePort();
    npm = spawn("npm", ["start"], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        DASHBOARD_PORT: String(dashboardPort),
        EDGE_INVENTORY_STATE: join(work, ".state"),
        EDGE_INVENTORY_DEMO_SKUS: "40",
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    npm.stdout!.on("data", (d) => (output += d));
    npm.stderr!.on("data", (d) => (output += d));
    const deadline = Date.now() + 300_000;
    while (!output.includes("More examples: README.md")) {
      if (npm.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`npm start did not come up within 300 s:\n${output}`);
      await sleep(200);
    }
    const dashboard = /dashboard at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? "";
    if (dashboard !== `http://127.0.0.1:${dashboardPort}`) throw new Error(`the dashboard is not at port ${dashboardPort}:\n${output}`);
    const keys = JSON.parse(await readFile(join(work, ".state", "demo-keys.json"), "utf8")).keys;
    context = await chromium.launchPersistentContext(await mkdtemp(join(work, "chromium-")), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 800 },
      locale: "en-GB",
      ...(browser.acceptDownloads ? { acceptDownloads: true } : {}),
    });
    return { work, api: `http://127.0.0.1:${port}`, dashboard, keys, context, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
