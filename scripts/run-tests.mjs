// `npm test`: every suite in order, with output a newcomer can read and one summary at the end.
//
//   1. types    `wrangler types --check` (the committed Env is current) and `tsc`
//      lint     Biome: the tree is formatted and the linter finds no error (`npm run format` fixes the format)
//   2. workers  the workerd suite (vitest.config.ts): real D1, Durable Objects, queues, Cache API
//   3. node     the Node-side suite (vitest.e2e.config.ts): scripts' own tests, end-to-end tests
//               against a real local stack, `npm start` itself (README examples, signals)
//   4. drill    the crash drills: reservations (bench/crash-drill.mjs, 3 cycles of SIGKILL under
//               load) and queue-driven work (bench/queue-crash-drill.mjs: a sync job and an
//               event burst, SIGKILL mid-way; then, on a runtime of its own, 2 cycles of
//               transfers and purchase-order receipts killed mid-load)
//
// Every stage runs even if an earlier one failed; the exit status is non-zero if any failed.
// The last line is `N passed, N failed` (tests of the two vitest suites plus one per
// type-check and drill stage).
//
// Runtime noise: tests that kill Durable Objects on purpose (`abortAllDurableObjects()`,
// crash recovery) make workerd print an exception line and a stack of addresses for each
// broken pipe. Those lines, and only those, are left out of the output and counted in one line.
// Everything else passes through unchanged.

import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";
import { ANSI, QUIET_ENV, ROOT } from "./local-stack/wrangler-cli.mjs";

Object.assign(process.env, QUIET_ENV);
// The project's tools (vitest, wrangler, tsc, the pinned Node 22) first, also when run by hand.
process.env.PATH = `${join(ROOT, "node_modules", ".bin")}${delimiter}${process.env.PATH ?? ""}`;

// workerd's own lines for objects that a test aborted deliberately, and the stack line after each.
const NOISE = [
  /^exception = kj\/async-io\.c\+\+:\d+: disconnected: read end of pipe was aborted/,
  /^exception = workerd\/api\/unsafe\.c\+\+:\d+: failed: jsg\.Error: Application called abortAllDurableObjects\(\)/,
  /^exception = workerd\/.*: (disconnected|failed): .*(broken|aborted|abortAllDurableObjects)/,
];
const STACK = /^stack: (\S*workerd@[0-9a-f]+ ?)+$/;

let hidden = 0;

/** Passes a child's output through, line by line, minus the noise. */
function filtered(write) {
  let buffer = "";
  let skipStack = false;
  const line = (l) => {
    const plain = l.replace(ANSI, "");
    if (NOISE.some((re) => re.test(plain))) {
      hidden++;
      skipStack = true;
      return;
    }
    if (skipStack && STACK.test(plain)) {
      hidden++;
      skipStack = false;
      return;
    }
    skipStack = false;
    write(`${l}\n`);
  };
  return {
    push(chunk) {
      buffer += chunk;
      let i;
      while ((i = buffer.indexOf("\n")) >= 0) {
        line(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
    },
    end() {
      if (buffer) line(buffer);
      buffer = "";
    },
  };
}

/** Set by SIGINT/SIGTERM: the running stage's process gets the signal, and no later stage starts. */
let interrupted = null;

function run(command, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const out = filtered((s) => process.stdout.write(s));
    const err = filtered((s) => process.stderr.write(s));
    child.stdout.on("data", (d) => out.push(d.toString()));
    child.stderr.on("data", (d) => err.push(d.toString()));
    const stop = (signal) => {
      interrupted = signal;
      child.kill(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    child.on("close", (code, signal) => {
      out.end();
      err.end();
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

/** Runs a vitest config with a JSON report beside the normal one; returns its counts. */
async function vitest(config, dir) {
  const report = join(dir, `${config}.json`);
  const code = await run("vitest", ["run", "--config", config, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`]);
  try {
    const json = JSON.parse(await readFile(report, "utf8"));
    const failed = json.numFailedTests + (code !== 0 && json.numFailedTests === 0 ? 1 : 0);
    return { passed: json.numPassedTests, failed, skipped: json.numPendingTests + json.numTodoTests, failures: failuresOf(json) };
  } catch {
    // No report (vitest could not start): count the stage as one failure.
    return { passed: 0, failed: 1, skipped: 0 };
  }
}

/**
 * The failed tests of a vitest JSON report, each with its file and the first lines of its
 * message, so the summary (the end of the log, which is what a CI record keeps) names them.
 */
function failuresOf(json) {
  const out = [];
  for (const file of json.testResults ?? []) {
    const name = relative(process.cwd(), file.name ?? "");
    for (const t of file.assertionResults ?? []) {
      if (t.status !== "failed") continue;
      const message = (t.failureMessages ?? [])
        .join("\n")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .slice(0, 6);
      out.push({ test: `${name} > ${t.fullName}`, message });
    }
    // A file that failed to load or whose hooks failed has no failed test of its own.
    if (file.status === "failed" && !(file.assertionResults ?? []).some((t) => t.status === "failed")) {
      out.push({
        test: `${name} (file)`,
        message: String(file.message ?? "")
          .split("\n")
          .slice(0, 6),
      });
    }
  }
  return out;
}

const step = async (code) => ((await code) === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 });

const stages = [
  [
    "types",
    async () => {
      const a = await step(run("wrangler", ["types", "--check"]));
      const b = await step(run("tsc", ["-p", "tsconfig.json"]));
      return { passed: a.passed + b.passed, failed: a.failed + b.failed, skipped: 0 };
    },
  ],
  // Errors only: warnings and hints (style suggestions) are for `npm run lint`, not the test log.
  ["lint", () => step(run("biome", ["ci", ".", "--diagnostic-level=error"]))],
  ["workers", (dir) => vitest("vitest.config.ts", dir)],
  ["node", (dir) => vitest("vitest.e2e.config.ts", dir)],
  [
    "drill",
    async () => {
      const reservations = await step(run("node", ["bench/crash-drill.mjs"], { DRILL_CYCLES: "3" }));
      const sync = await step(run("node", ["bench/queue-crash-drill.mjs"], { SYNC_DRILL_CYCLES: "1", DRILL_PHASES: "sync,events" }));
      // Transfers and purchase orders, on a runtime of their own so their result counts apart.
      const inbound = await step(run("node", ["bench/queue-crash-drill.mjs"], { DRILL_PHASES: "inbound", INBOUND_DRILL_CYCLES: "2" }));
      const all = [reservations, sync, inbound];
      return { passed: all.reduce((n, r) => n + r.passed, 0), failed: all.reduce((n, r) => n + r.failed, 0), skipped: 0 };
    },
  ],
];

const only = process.argv.slice(2);
const dir = await mkdtemp(join(tmpdir(), "edge-inventory-test-"));
const results = [];
try {
  for (const [name, fn] of stages) {
    if (only.length > 0 && !only.includes(name)) continue;
    if (interrupted !== null) {
      console.log(`\n(${interrupted}: stages from ${name} on not run)`);
      break;
    }
    console.log(`\n━━ ${name} ━━`);
    const started = Date.now();
    const r = await fn(dir);
    results.push({ name, ...r, seconds: (Date.now() - started) / 1000 });
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

console.log("\n━━ summary ━━");
for (const r of results) {
  console.log(
    `${r.failed > 0 ? "FAIL" : "ok  "}  ${r.name.padEnd(8)} ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ""}  (${r.seconds.toFixed(0)} s)`,
  );
}
for (const r of results) {
  for (const f of r.failures ?? []) {
    console.log(`\n✗ ${r.name}: ${f.test}`);
    for (const line of f.message) console.log(`    ${line.slice(0, 400)}`);
  }
}
if (hidden > 0) {
  console.log(
    `(${hidden} lines of workerd noise left out: tests that abort Durable Objects on purpose make workerd print each broken pipe; see test/README.md)`,
  );
}
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}${interrupted !== null ? ` (interrupted by ${interrupted})` : ""}`);
process.exit(failed > 0 || interrupted !== null ? 1 : 0);
