import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/local-stack.mjs";
import { type DashboardStack, sleep, startDashboardStack } from "./dashboard-stack";

const SHOTS = join(ROOT, "test-results", "dashboard");
const AXE_SOURCE = readFileSync(join(ROOT, "node_modules", "axe-core", "axe.min.js"), "utf8");
const DEMO_VENDORS = ["V-ACME", "V-NORD", "V-VELO", "V-CASA", "V-KIDS"];
/** The vendor this file moves (the vendor key's V-ACME stays where it is). */
const MOVED = "V-VELO";

let _work: string;
let stack: DashboardStack | undefined;
let api: string;
let dashboard: string;
let keys: { operator: string; vendor: string; checkout: string; vendorId: string };
let context: BrowserContext;

/** A count as the page formats it (the browser runs with locale en-GB). */
const num = (n: number) => new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 }).format(n);

/** The API as a script would call it (to check what the page shows). */
// biome-ignore lint/suspicious/noExplicitAny: the JSON of whichever route is called, read by each test as it needs
async function call(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

interface Load {
  queues: Record<"events" | "webhooks" | "sync" | "reorder", { partition: number; queue: string; batches: number; messages: number }[]>;
  databases: { binding: string; batches: number; statements: number; events: number; applied: number }[];
}

/** The counters the page shows (queues' messages and batches, databases' writes), to compare two reads. */
const countsOf = (load: Load) => JSON.stringify([Object.values(load.queues).map((q) => q.map((p) => [p.messages, p.batches])), load.databases]);

/** max/mean and the reading the page should give, computed here from the counts. */
function expectedReading(counts: number[]): { reading: string; ratio: string | null } {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return { reading: "idle", ratio: null };
  const r = Math.max(...counts) / (total / counts.length);
  return { reading: r <= 1.2 ? "balanced" : "imbalanced", ratio: r.toFixed(2) };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** No serious or critical axe-core violation on the view as it is. */
async function expectAccessible(page: Page, view: string): Promise<void> {
  // Evaluated over the DevTools protocol, so the page's CSP (script-src 'self') does not apply.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (ctx: unknown, opts: unknown) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
  });
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad, `${view}: ${JSON.stringify(bad, null, 2)}`).toEqual([]);
}

/** A new tab, signed in with `key`. */
async function signedIn(key: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  page.on("pageerror", (err) => {
    throw err;
  });
  await page.goto(`${dashboard}/`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: /Overview/ }).waitFor();
  return page;
}

/** Opens a view by its nav link and waits for its heading. */
async function openView(page: Page, link: string, heading: string | RegExp): Promise<void> {
  const nav = page.getByRole("navigation", { name: "Views", exact: true });
  if (!(await nav.isVisible())) await page.getByRole("button", { name: "Menu" }).click();
  await nav.getByRole("link", { name: link, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

/** A key figure's value by its exact label. */
const kpiValue = (page: Page, label: string) =>
  page
    .locator(".kpi")
    .filter({ has: page.locator("dt").getByText(label, { exact: true }) })
    .locator(".kpi-value");

/** A vendor's placement and moves through the API. */
async function vendorMoves(vendorId: string) {
  const res = await call("GET", `/api/v2/read-partitions/moves?vendorId=${vendorId}`, keys.operator);
  expect(res.status).toBe(200);
  return res.body as {
    items: { id: string; state: string; from: number; to: number; rowsCopied: number }[];
    placement: { partition: number; pinned: boolean; databaseExists: boolean };
  };
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startDashboardStack("dashboard-partitions");
  ({ _work, api, dashboard, keys, context } = stack);
}, 360_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

describe("dashboard: Partitions", { timeout: 180_000 }, () => {
  let page: Page;

  it("an operator opens Partitions: M = 4 and the load counters as the API gives them, each spread read against 1.2", async () => {
    page = await signedIn(keys.operator);
    await openView(page, "Partitions", "Partitions");
    expect((await call("GET", "/api/v2/read-partitions", keys.operator)).body).toEqual({ partitions: 4 });
    await expect.poll(() => kpiValue(page, "Read databases (M)").textContent()).toBe("4");
    await expect.poll(() => kpiValue(page, "Moves under way").textContent()).toBe("0");
    await page.getByText("No vendor has been moved yet").waitFor();

    // The counters move while the demo's background work drains: compare the page with the
    // API only when the API answered the same just before and just after the page's read.
    const queueTable = page.getByRole("region", { name: "Queue messages per partition" });
    const dbTable = page.getByRole("region", { name: "Writes per database" });
    let shown: Load | null = null;
    for (let attempt = 0; attempt < 20 && shown === null; attempt++) {
      const before = (await call("GET", "/api/v2/diagnostics/load", keys.operator)).body as Load;
      // Each read of the counters carries its own time (`at`, in the table's data-at).
      const readAt = await queueTable.locator("table").getAttribute("data-at");
      await page.getByRole("button", { name: "Refresh the counts" }).click();
      await expect.poll(() => queueTable.locator("table").getAttribute("data-at")).not.toBe(readAt);
      const cells = await queueTable
        .locator("tbody tr")
        .evaluateAll((rows) => rows.map((r) => [r.getAttribute("data-queue"), [...r.querySelectorAll("td[data-partition] .count")].map((c) => c.textContent)]));
      const dbCells = await dbTable
        .locator("tbody tr")
        .evaluateAll((rows) => rows.map((r) => [r.getAttribute("data-binding"), [...r.querySelectorAll("td")].map((c) => c.textContent)]));
      const after = (await call("GET", "/api/v2/diagnostics/load", keys.operator)).body as Load;
      if (countsOf(before) !== countsOf(after)) {
        await sleep(1_000);
        continue;
      }
      shown = after;
      const kinds = [
        ["EVENTS", after.queues.events],
        ["WEBHOOKS", after.queues.webhooks],
        ["SYNC", after.queues.sync],
        ["REORDER", after.queues.reorder],
      ] as const;
      expect(cells).toEqual(kinds.map(([name, parts]) => [name, parts.map((p) => num(p.messages))]));
      expect(dbCells).toEqual(after.databases.map((d) => [d.binding, [d.batches, d.statements, d.events, d.applied].map(num)]));
    }
    expect(shown, "the load counters never held still for one page read").not.toBeNull();
    const load = shown!;
    // The demo's stock went through EVENTS and the projection into the read databases: not an empty table.
    expect(load.queues.events.reduce((n, p) => n + p.messages, 0)).toBeGreaterThan(0);
    expect(load.databases.map((d) => d.binding)).toEqual(["DB", "READ_0", "READ_1", "READ_2", "READ_3"]);
    expect(load.queues.events).toHaveLength(4);

    // Each queue's reading and the read databases' statement spread, as computed here.
    for (const [name, parts] of [
      ["EVENTS", load.queues.events],
      ["WEBHOOKS", load.queues.webhooks],
      ["SYNC", load.queues.sync],
      ["REORDER", load.queues.reorder],
    ] as const) {
      const row = queueTable.locator(`tr[data-queue="${name}"]`);
      const want = expectedReading(parts.map((p) => p.messages));
      if (want.ratio === null) {
        expect(await row.locator(".reading").textContent()).toBe("no messages counted yet");
      } else {
        expect(await row.locator(".reading").textContent()).toBe(want.reading);
        expect(await row.locator(".ratio").textContent()).toBe(`max/mean ${want.ratio} ${want.reading === "balanced" ? "≤" : ">"} 1.20`);
      }
    }
    const reads = load.databases.filter((d) => d.binding.startsWith("READ_"));
    const statements = expectedReading(reads.map((d) => d.statements));
    expect(statements.ratio).not.toBeNull();
    const spread = page.locator('[data-spread="statements"]');
    expect(await spread.locator(".reading").textContent()).toBe(statements.reading);
    expect(await spread.locator(".ratio").textContent()).toContain(`max/mean ${statements.ratio}`);
    await shot(page, "operator-partitions");
    await expectAccessible(page, "partitions");
  });

  it("pins every vendor only after a confirmation, and says how many the API pinned", async () => {
    const before = await Promise.all(DEMO_VENDORS.map(vendorMoves));
    const unpinned = before.filter((v) => !v.placement.pinned).length;
    expect(unpinned).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Pin every vendor…" }).click();
    const confirm = page.getByRole("group", { name: "Pin every vendor?" });
    await confirm.getByText(/Nothing is moved/).waitFor();
    // "Not now" pins nobody.
    await confirm.getByRole("button", { name: "Not now" }).click();
    await page.getByRole("button", { name: "Pin every vendor…" }).waitFor();
    expect((await Promise.all(DEMO_VENDORS.map(vendorMoves))).filter((v) => !v.placement.pinned).length).toBe(unpinned);

    await page.getByRole("button", { name: "Pin every vendor…" }).click();
    await page.getByRole("button", { name: "Pin every vendor now" }).click();
    await page
      .getByRole("status")
      .getByText(unpinned === 1 ? "Pinned 1 vendor to the read database it is in now." : `Pinned ${unpinned} vendors to the read database each is in now.`)
      .waitFor();
    const after = await Promise.all(DEMO_VENDORS.map(vendorMoves));
    // Every vendor pinned where it was; nobody moved; a second pin has nothing left to do.
    expect(after.map((v) => v.placement)).toEqual(before.map((v) => ({ partition: v.placement.partition, pinned: true, databaseExists: true })));
    expect((await call("POST", "/api/v2/read-partitions/pin", keys.operator)).body).toEqual({ pinned: 0 });
  });

  it("starts a move of a demo vendor (its input checked, the API's refusals shown on their fields), lists it and follows it to the switch", async () => {
    const { placement, items } = await vendorMoves(MOVED);
    expect(items).toEqual([]);
    const from = placement.partition;
    const to = (from + 1) % 4;
    const form = page.getByRole("form", { name: "Start a move" });
    const vendorField = form.getByLabel("Vendor id");
    const target = form.getByLabel("Move to read database");

    // A malformed id is caught here: nothing is sent.
    await vendorField.fill("not a vendor!");
    await target.selectOption(`${to}`);
    await form.getByRole("button", { name: "Start the move" }).click();
    await form.getByText("Not sent: fix the field marked below.").waitFor();
    await expect.poll(() => vendorField.getAttribute("aria-invalid")).toBe("true");
    expect(await form.locator("#mv-vendor-error").textContent()).toMatch(/^The vendor id must be 1–64 characters/);
    expect((await call("GET", "/api/v2/read-partitions/moves", keys.operator)).body.items).toEqual([]);

    // The vendor's current database: the page says where it is; the API refuses a move there, in its words, on the target field.
    await vendorField.fill(MOVED);
    await form.getByText(`Its rows are in READ_${from} now`).waitFor();
    await target.selectOption(`${from}`);
    expect(await target.locator("option:checked").textContent()).toBe(`READ_${from} (where it is now)`);
    await form.getByRole("button", { name: "Start the move" }).click();
    await expect.poll(() => form.locator("#mv-to-error").textContent()).toBe(`vendor ${MOVED} is in read database ${from} already`);
    await form
      .locator(".state.error", { hasText: "Error 409" })
      .locator("code", { hasText: /^already_there$/ })
      .waitFor();
    expect(await target.getAttribute("aria-invalid")).toBe("true");
    expect((await vendorMoves(MOVED)).items).toEqual([]);

    // A real move: started, then listed as the API lists it, under the vendor (in the URL) and among every vendor's.
    await target.selectOption(`${to}`);
    await form.getByRole("button", { name: "Start the move" }).click();
    const started = form.getByRole("status").filter({ hasText: /^Move rmv_[0-9a-f]{24} started/ });
    await started.waitFor();
    const listed = await vendorMoves(MOVED);
    expect(listed.items).toHaveLength(1);
    const move = listed.items[0]!;
    expect(move).toMatchObject({ from, to, state: "draining" });
    expect(await started.textContent()).toBe(`Move ${move.id} started: ${MOVED} from READ_${from} to READ_${to}, now draining.`);
    expect(new URL(page.url()).hash).toBe(`#/partitions?vendor=${MOVED}`);
    const vendorTable = page.getByRole("region", { name: `${MOVED}'s moves` });
    const vendorRow = vendorTable.locator(`tr[data-move="${move.id}"]`);
    await vendorRow.waitFor();
    expect(await vendorRow.locator("td").nth(0).textContent()).toBe(`READ_${from} → READ_${to}`);
    const recentRow = page.getByRole("region", { name: "Recent moves of every vendor" }).locator(`tr[data-move="${move.id}"]`);
    await recentRow.waitFor();
    expect(await recentRow.getByRole("link").textContent()).toBe(MOVED);
    await expect.poll(() => kpiValue(page, "Moves under way").textContent()).toBe("1");
    // Until the switch the vendor's rows stay where they were.
    expect(await page.locator(".placement").textContent()).toMatch(new RegExp(`^${MOVED}'s rows are in READ_${from} \\(stored`));

    // A second move of the same vendor while this one is open: the API's 409, on the vendor field.
    await target.selectOption(`${(from + 2) % 4}`);
    await form.getByRole("button", { name: "Start the move" }).click();
    await expect.poll(() => form.locator("#mv-vendor-error").textContent()).toBe(`vendor ${MOVED} is being moved already`);
    await form
      .locator(".state.error", { hasText: "Error 409" })
      .locator("code", { hasText: /^move_in_progress$/ })
      .waitFor();
    expect((await vendorMoves(MOVED)).items.map((m) => m.id)).toEqual([move.id]);
    await shot(page, "operator-partitions-move-started");
    await expectAccessible(page, "partitions, a move started");

    // The page follows the open move (each read advances it): after the 30 s drain it copies and switches.
    await expect.poll(() => vendorRow.locator(".move-state").textContent(), { timeout: 120_000, intervals: [1_000] }).toMatch(/^(switched|done)$/);
    const now = (await call("GET", `/api/v2/read-partitions/moves/${move.id}`, keys.operator)).body;
    expect(now.rowsCopied).toBeGreaterThan(0);
    await expect.poll(() => vendorRow.locator(".rows-copied").textContent()).toBe(num(now.rowsCopied));
    await expect.poll(() => page.locator(".placement").textContent()).toMatch(new RegExp(`^${MOVED}'s rows are in READ_${to} \\(stored`));
    expect((await vendorMoves(MOVED)).placement).toEqual({ partition: to, pinned: true, databaseExists: true });
    // The move form's note on where the vendor is follows the switch too.
    await expect.poll(() => form.locator("#mv-vendor-hint").textContent()).toMatch(new RegExp(`^Its rows are in READ_${to} now`));
    await shot(page, "operator-partitions-move-switched");
  });

  it("fits a phone without page overflow", async () => {
    const phone = await signedIn(keys.operator, { width: 390, height: 844 });
    await openView(phone, "Partitions", "Partitions");
    await phone.getByRole("region", { name: "Queue messages per partition" }).waitFor();
    await phone.getByRole("region", { name: "Writes per database" }).waitFor();
    await phone.getByRole("heading", { level: 3, name: "Recent moves of every vendor" }).waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(phone, "phone-partitions");
    await expectAccessible(phone, "partitions on a phone");
    await phone.close();
  });

  it("a vendor key has no Partitions entry, and the view refuses it in words", async () => {
    const vendor = await signedIn(keys.vendor);
    const nav = vendor.getByRole("navigation", { name: "Views", exact: true });
    await nav.getByRole("link", { name: "Stock", exact: true }).waitFor();
    expect(await nav.getByRole("link", { name: "Partitions" }).count()).toBe(0);
    await vendor.goto(`${dashboard}/#/partitions`);
    await vendor.getByRole("alert").getByText("This view is for operator keys.").waitFor();
    expect(await vendor.getByRole("heading", { level: 1, name: "Partitions" }).count()).toBe(0);
    // And the API it would read refuses the key.
    expect((await call("GET", "/api/v2/read-partitions/moves", keys.vendor)).status).toBe(403);
    await vendor.close();
  });
});
