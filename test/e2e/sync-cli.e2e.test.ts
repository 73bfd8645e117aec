/**
 * The vendor CLI (`npm run sync`, scripts/sync-cli.mjs) end to end, as a vendor runs it:
 * against a real `wrangler dev`, a CSV file (BOM, CRLF, quoted fields, one bad row) sent in
 * several batches is applied, the summary names the errors' URL and the bad row's line,
 * and `--errors-out` writes it; running the same command again resumes (same jobs,
 * nothing applied twice); a JSON-lines delta feed works. Vendor files (test/fixtures/sync-cli/):
 * `--format shopify` on a current Shopify export, `--format auto` on a 17-column one and
 * `--format x12` on an 846 with a malformed and a bad set each become one job with exact
 * counts and errors at their file lines and segments. Against a stand-in server on
 * 127.0.0.1: 429 is retried after its Retry-After and 5xx with backoff, with the same
 * Idempotency-Key every time.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { prepareState, ROOT, startWorker, type DemoKeys, type WorkerHandle } from "../../scripts/local-stack.mjs";

let stateDir = "";
let workDir = "";
let keys: DemoKeys;
let worker: WorkerHandle | null = null;

const SKUS = Array.from({ length: 150 }, (_, i) => `CLI-${String(i).padStart(4, "0")}`);
const LOCATIONS = ["FC-CLI-A", "FC-CLI-B"];

async function call(key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${worker!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Runs the CLI with the Node that runs this test; resolves with its exit code and output. */
/** Runs the CLI with the key in EDGE_INVENTORY_KEY (the documented form). */
function cli(args: string[], key: string, timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "scripts/sync-cli.mjs"), ...args], {
      cwd: ROOT,
      env: { ...process.env, EDGE_INVENTORY_KEY: key },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sync CLI timed out after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function onHand(sku: string, locationId: string): Promise<{ onHand: number; version: number }> {
  const res = await call(keys.operator, "GET", `/api/v2/inventory/${sku}`);
  expect(res.status).toBe(200);
  return { onHand: res.body.locations.find((l: { locationId: string }) => l.locationId === locationId)?.onHand ?? 0, version: res.body.version };
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "edge-inventory-cli-e2e-"));
  workDir = await mkdtemp(join(tmpdir(), "edge-inventory-cli-files-"));
  ({ keys } = await prepareState(stateDir));
  worker = await startWorker({ stateDir });
  for (const [i, id] of LOCATIONS.entries()) {
    const res = await call(keys.operator, "PUT", `/api/v2/locations/${id}`, {
      name: id,
      type: "warehouse",
      countryCode: "FR",
      city: "Lyon",
      latitude: 45.76,
      longitude: 4.84 + i,
    });
    expect(res.status).toBe(201);
  }
  const batch = await call(keys.operator, "POST", "/api/v2/skus/batch", {
    items: SKUS.map((sku) => ({ sku, vendorId: keys.vendorId, productId: "P-CLI", name: sku })),
  });
  expect(batch.status).toBe(200);
});

afterAll(async () => {
  try {
    await worker?.stop();
  } finally {
    if (stateDir !== "") await rm(stateDir, { recursive: true, force: true });
    if (workDir !== "") await rm(workDir, { recursive: true, force: true });
  }
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    const output = worker?.output().trim();
    if (output) console.error(`--- wrangler dev output ---\n${output.slice(-4000)}`);
  });
});

describe("npm run sync against wrangler dev", () => {
  const csvPath = () => join(workDir, "stock.csv");
  const errorsPath = () => join(workDir, "errors.csv");
  let firstJobs: string[] = [];

  test("a CSV file in batches: applied, summary with the errors' URL and line, errors file written", async () => {
    // 300 rows (150 SKUs × 2 locations) plus one bad row, in batches of 120: 3 jobs.
    const lines = ["\ufeffsku,location_id,quantity"];
    for (const sku of SKUS) for (const [k, loc] of LOCATIONS.entries()) lines.push(k === 0 ? `"${sku}",${loc},${10 + k}` : `${sku},"${loc}","${10 + k}"`);
    lines.splice(100, 0, "CLI-0001,FC-CLI-A,lots");
    await writeFile(csvPath(), `${lines.join("\r\n")}\r\n`);

    const run = await cli([csvPath(), "--url", worker!.url, "--batch-size", "120", "--errors-out", errorsPath()], keys.vendor);
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(run.stdout).toMatch(/301 items · 300 applied · 0 unchanged · 0 held for review · 1 errors/);
    firstJobs = [...run.stdout.matchAll(/^ {2}(sync_[0-9a-f]{32}) /gm)].map((m) => m[1]!);
    expect(firstJobs).toHaveLength(3);
    expect(run.stdout).toContain(`${worker!.url}/api/v2/sync/${firstJobs[0]}/errors?format=csv`);
    expect(run.stdout).toContain("line 101: invalid_quantity: quantity must be an integer (CLI-0001 @ FC-CLI-A)");
    // Not a terminal: plain progress lines, no bar.
    expect(run.stderr).toMatch(/batch 3: 61 items → job sync_/);
    expect(run.stderr).not.toContain("\r");
    // The key never shows, and a CSV file's jobs say csv.
    expect(run.stdout + run.stderr).not.toContain(keys.vendor);
    for (const jobId of firstJobs) {
      const job = await fetch(`${worker!.url}/api/v2/sync/${jobId}`, { headers: { authorization: `Bearer ${keys.vendor}` } });
      expect((await job.json()).source).toBe("csv");
    }

    const errors = (await readFile(errorsPath(), "utf8")).trim().split("\r\n");
    expect(errors).toEqual([
      "job,item,row,sku,location_id,quantity,code,message",
      `${firstJobs[0]},99,101,CLI-0001,FC-CLI-A,lots,invalid_quantity,quantity must be an integer`,
    ]);
    expect(await onHand("CLI-0000", "FC-CLI-A")).toEqual({ onHand: 10, version: 2 });
    expect((await onHand("CLI-0149", "FC-CLI-B")).onHand).toBe(11);
  });

  test("the same command again resumes: the same jobs, nothing applied twice", async () => {
    const before = await onHand("CLI-0100", "FC-CLI-B");
    const run = await cli([csvPath(), "--url", worker!.url, "--batch-size", "120"], keys.vendor);
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(run.stderr.match(/already sent: resumed/g)).toHaveLength(3);
    expect([...run.stdout.matchAll(/^ {2}(sync_[0-9a-f]{32}) /gm)].map((m) => m[1])).toEqual(firstJobs);
    expect(await onHand("CLI-0100", "FC-CLI-B")).toEqual(before);
  });

  test("a JSON-lines delta feed", async () => {
    const path = join(workDir, "delta.jsonl");
    await writeFile(
      path,
      `${SKUS.slice(0, 10)
        .map((sku) => JSON.stringify({ sku, locationId: "FC-CLI-A", quantity: -4 }))
        .join("\n")}\n`,
    );
    const run = await cli([path, "--url", worker!.url, "--mode", "delta"], keys.vendor);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/10 items · 10 applied/);
    expect((await onHand("CLI-0009", "FC-CLI-A")).onHand).toBe(6);
    expect((await onHand("CLI-0010", "FC-CLI-A")).onHand).toBe(10);
  });

  test("bad arguments and a bad key stop it with exit status 2", async () => {
    expect((await cli([csvPath()], "")).code).toBe(2);
    const wrongKey = await cli([csvPath(), "--url", worker!.url], "eik_aaaaaaaaaaaa_" + "A".repeat(32));
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toContain("HTTP 401 unauthorized");
    expect(wrongKey.stdout + wrongKey.stderr).not.toContain("A".repeat(32));
  });
});

describe("vendor files through npm run sync against wrangler dev", () => {
  const FIXTURES = join(ROOT, "test/fixtures/sync-cli");
  /** The job's error report, as [item, row, sku, locationId, quantity, code]. */
  async function errorsOf(jobId: string): Promise<unknown[][]> {
    const res = await call(keys.vendor, "GET", `/api/v2/sync/${jobId}/errors?limit=100`);
    expect(res.status).toBe(200);
    return res.body.items.map((e: Record<string, unknown>) => [e.item, e.row, e.sku, e.locationId, e.quantity, e.code]);
  }
  const jobOf = (stdout: string) => stdout.match(/→ job (sync_[0-9a-f]{32})/)![1]!;

  beforeAll(async () => {
    // The vendor's own names for our two locations, as its exports spell them.
    const res = await call(keys.vendor, "PUT", `/api/v2/vendors/${keys.vendorId}/sync-settings`, {
      enabled: true,
      method: "push_csv",
      format: "auto",
      locationNames: { "Lyon North DC": "FC-CLI-A", LYN: "FC-CLI-A", "Lyon South DC": "FC-CLI-B" },
    });
    expect([200, 201]).toContain(res.status);
  });

  test("--format shopify: a current export (BOM, CRLF, quoted commas) becomes one job with exact results and per-line errors", async () => {
    const run = await cli([join(FIXTURES, "shopify-current.csv"), "--url", worker!.url, "--format", "shopify"], keys.vendor);
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(run.stderr).toMatch(/read as shopify_current → job sync_[0-9a-f]{32} · 6 items, accepted 3, rejected 3/);
    expect(run.stdout).toMatch(/6 items · 2 applied · 1 unchanged · 0 held for review · 3 errors/);
    const jobId = jobOf(run.stderr);
    const job = await call(keys.vendor, "GET", `/api/v2/sync/${jobId}`);
    expect(job.body).toMatchObject({
      source: "shopify_current",
      status: "completed_with_errors",
      counts: { received: 6, accepted: 3, rejected: 3, applied: 2, unchanged: 1, conflicts: 0, errors: 3, pending: 0 },
    });
    // Lines of the file (the header is line 1); the blank On hand (new) on line 3 is no item.
    expect(await errorsOf(jobId)).toEqual([
      [2, 5, "-", "Lyon North DC", "5", "invalid_item"],
      [3, 6, "CLI-0102", "Grenoble DC", "6", "unknown_location"],
      [4, 7, "CLI-0103", "FC-CLI-B", "-2", "out_of_range"],
    ]);
    expect(run.stdout).toContain("line 6: unknown_location:");
    expect([
      await onHand("CLI-0100", "FC-CLI-A"),
      await onHand("CLI-0100", "FC-CLI-B"),
      await onHand("CLI-0101", "FC-CLI-A"),
      await onHand("CLI-0103", "FC-CLI-B"),
      await onHand("CLI-0104", "FC-CLI-B"),
    ]).toEqual([
      // Version 2 after the CSV test's two locations: +1 for each value applied, none for unchanged or refused ones.
      { onHand: 14, version: 3 },
      { onHand: 11, version: 3 },
      { onHand: 10, version: 2 },
      { onHand: 11, version: 2 },
      { onHand: 13, version: 3 },
    ]);
  });

  test("--format auto on a 17-column Shopify export: detected, loosely matched names, 'not stocked' and blanks skipped", async () => {
    const run = await cli([join(FIXTURES, "shopify-long-legacy.csv"), "--url", worker!.url, "--format", "auto"], keys.vendor);
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(run.stderr).toMatch(/read as shopify_long_legacy → job sync_[0-9a-f]{32} · 3 items, accepted 2, rejected 1/);
    expect(run.stdout).toMatch(/3 items · 1 applied · 1 unchanged · 0 held for review · 1 errors/);
    const jobId = jobOf(run.stderr);
    expect(await errorsOf(jobId)).toEqual([[2, 6, "CLI-0122", "Villeurbanne Store", "3", "unknown_location"]]);
    expect([
      (await onHand("CLI-0120", "FC-CLI-A")).onHand,
      (await onHand("CLI-0120", "FC-CLI-B")).onHand,
      (await onHand("CLI-0121", "FC-CLI-B")).onHand,
    ]).toEqual([12, 11, 11]);
  });

  test("--format x12: an 846 whose good set applies while a malformed and a bad set apply nothing, errors at their segments", async () => {
    const file = join(FIXTURES, "stock-846.edi");
    const run = await cli([file, "--url", worker!.url, "--format", "x12"], keys.vendor);
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(run.stderr).toMatch(/read as x12_846 → job sync_[0-9a-f]{32} · 5 items, accepted 3, rejected 2/);
    expect(run.stderr).toContain("X12 set 846 0001: 3 items");
    expect(run.stderr).toContain("X12 set 846 0002: failed, 1 errors, nothing applied");
    expect(run.stderr).toContain("X12 set 846 0003: failed, 1 errors, nothing applied");
    expect(run.stdout).toMatch(/5 items · 2 applied · 1 unchanged · 0 held for review · 2 errors/);
    const jobId = jobOf(run.stderr);
    const errors = await call(keys.vendor, "GET", `/api/v2/sync/${jobId}/errors?limit=100`);
    expect(
      errors.body.items.map((e: { item: number; row: number; code: string; message: string }) => [
        e.item,
        e.row,
        e.code,
        e.message.match(/^X12 (\w+)/)?.[1],
        e.message.match(/\[(.*)\]/)?.[1],
      ]),
    ).toEqual([
      [3, 18, "invalid_item", "malformed_segment", "set 846 0002 in group 501, segment 17 (Q#Y), position 5 in the set"],
      [4, 24, "invalid_item", "invalid_element", "set 846 0003 in group 501, segment 23 (QTY), position 5 in the set, element 2"],
    ]);
    expect([
      (await onHand("CLI-0110", "FC-CLI-A")).onHand,
      (await onHand("CLI-0111", "FC-CLI-A")).onHand,
      (await onHand("CLI-0112", "FC-CLI-B")).onHand,
    ]).toEqual([15, 10, 16]);
    // Nothing of the failed sets: their SKUs keep the CSV test's 10.
    expect([(await onHand("CLI-0113", "FC-CLI-A")).onHand, (await onHand("CLI-0114", "FC-CLI-A")).onHand]).toEqual([10, 10]);
    // Detected without --format, the same file is the same job (its key is derived from the bytes and format): resumed.
    const again = await cli([file, "--url", worker!.url], keys.vendor);
    expect(again.stderr).toContain(`read as x12_846 → job ${jobId} (already sent: resumed)`);
    expect((await onHand("CLI-0110", "FC-CLI-A")).onHand).toBe(15);
  });
});

describe("retries, against a stand-in server", () => {
  test("429 waits for Retry-After, 5xx backs off; every attempt carries the same Idempotency-Key", async () => {
    const posts: { key: string | undefined; at: number }[] = [];
    const answers = [
      (res: ServerResponse) =>
        res
          .writeHead(429, { "retry-after": "1", "content-type": "application/json" })
          .end('{"error":{"code":"rate_limited","message":"slow down","details":null}}'),
      (res: ServerResponse) =>
        res.writeHead(503, { "content-type": "application/json" }).end('{"error":{"code":"retry_later","message":"busy","details":null}}'),
      (res: ServerResponse) =>
        res
          .writeHead(202, { "content-type": "application/json" })
          .end(JSON.stringify({ jobId: "sync_" + "a".repeat(32), status: "queued", received: 1, accepted: 1, rejected: 0 })),
    ];
    const job = {
      jobId: "sync_" + "a".repeat(32),
      status: "completed",
      counts: { received: 1, accepted: 1, rejected: 0, applied: 1, unchanged: 0, conflicts: 0, errors: 0, pending: 0 },
    };
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on("end", () => {
        if (req.method === "POST") {
          posts.push({ key: req.headers["idempotency-key"] as string | undefined, at: Date.now() });
          answers[Math.min(posts.length - 1, answers.length - 1)]!(res);
        } else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(job));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const path = join(workDir, "one.jsonl");
      await writeFile(path, '{"sku":"X-1","locationId":"L1","quantity":1}\n');
      const run = await cli([path, "--url", url], "eik_x");
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(posts).toHaveLength(3);
      expect(new Set(posts.map((p) => p.key)).size).toBe(1);
      expect(posts[0]!.key).toMatch(/^cli1-[0-9a-f]{48}$/);
      expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(950);
      expect(run.stderr).toContain("rate limited; retrying in 1 s");
      expect(run.stderr).toContain("HTTP 503; retrying in");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
