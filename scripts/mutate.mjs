#!/usr/bin/env node
/**
 * Mutation testing of the rule code, without dependencies (`npm run mutate`).
 *
 * StrykerJS cannot drive the workers test pool, so this plants the bugs listed in
 * scripts/mutations.mjs one at a time: it replaces an exact snippet of a source file, runs
 * the workerd test files named for it (`npx vitest run --config vitest.config.ts <files>`),
 * and puts the file back. A mutant is caught when a test fails (or the run hangs past the
 * timeout); it survives when every test passes. A survivor is a gap in the tests, unless
 * the list explains it as an equivalent mutant. A snippet that is no longer in its file
 * (the code moved) is "site missing". The run exits non-zero on any unexplained survivor,
 * missing site or error, so the list must be kept current.
 *
 * Safety: it refuses to start when `git status --porcelain` shows a file it would mutate
 * as changed, writes the original back in a `finally`, on SIGINT/SIGTERM/SIGHUP and on a
 * crash, and keeps a journal (node_modules/.cache/edge-inventory-mutate/) so that even
 * after a SIGKILL the next run (or `--restore`) puts the file back first.
 *
 *   node scripts/mutate.mjs                  every mutation (a baseline run first)
 *   node scripts/mutate.mjs --only <id>[,id]  some of them (repeatable)
 *   node scripts/mutate.mjs --list           the list, and whether every site is found
 *   options: --timeout <s> (per mutation, default 300), --no-baseline, --verbose, --restore
 *
 * Plain ESM for Node 22 (vitest needs it; `--list` runs on any Node ≥ 18). Not part of
 * `npm test`: a full run takes several minutes.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { QUIET_ENV } from "./local-stack/wrangler-cli.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const STATE_DIR = join(ROOT, "node_modules", ".cache", "edge-inventory-mutate");
const JOURNAL = join(STATE_DIR, "journal.json");
/** Where a moved snippet is looked for. */
const SOURCE_DIRS = ["domain", "durable-objects", "workers", "queues", "services", "repositories"];

/**
 * @typedef {object} Mutation
 * @property {string} id
 * @property {string} kind
 * @property {string} file
 * @property {string} find
 * @property {string} replace
 * @property {string} description
 * @property {string[]} tests
 * @property {string} [equivalent]
 */

// ---------------------------------------------------------------------- arguments

function parseArgs(argv) {
  const args = { list: false, only: [], timeoutS: 300, baseline: true, verbose: false, restore: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v === undefined || v === "") throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--list") args.list = true;
    else if (a === "--only" || a.startsWith("--only=")) args.only.push(...value().split(",").filter(Boolean));
    else if (a === "--timeout" || a.startsWith("--timeout=")) {
      args.timeoutS = Number(value());
      if (!(args.timeoutS > 0)) throw new UsageError("--timeout takes a positive number of seconds");
    } else if (a === "--no-baseline") args.baseline = false;
    else if (a === "--verbose") args.verbose = true;
    else if (a === "--restore") args.restore = true;
    else if (a === "--help" || a === "-h") args.help = true;
    else throw new UsageError(`unknown argument ${a}`);
  }
  return args;
}

class UsageError extends Error {}

const USAGE = `usage: node scripts/mutate.mjs [--list] [--only <id>[,<id>]] [--timeout <s>] [--no-baseline] [--verbose] [--restore]`;

// ------------------------------------------------------------------------- helpers

const rel = (abs) => relative(ROOT, abs) || ".";
const abs = (file) => resolve(ROOT, file);

/** Non-overlapping occurrences of `needle` in `text`, as start offsets. */
function occurrences(text, needle) {
  const at = [];
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) at.push(i);
  return at;
}

const lineOf = (text, offset) => text.slice(0, offset).split("\n").length;

/** `text` with the one occurrence at `offset` of `from` replaced by `to` (no `$` patterns). */
function spliceAt(text, offset, from, to) {
  return text.slice(0, offset) + to + text.slice(offset + from.length);
}

function tsFiles(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(p));
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) out.push(p);
  }
  return out;
}

/** Files under SOURCE_DIRS holding the snippet exactly once (where moved code went). */
function whereNow(find) {
  const found = [];
  for (const dir of SOURCE_DIRS) {
    for (const file of tsFiles(abs(dir))) {
      const text = readFileSync(file, "utf8");
      const at = occurrences(text, find);
      if (at.length === 1) found.push(`${rel(file)}:${lineOf(text, at[0])}`);
    }
  }
  return found;
}

/** Where a mutation's snippet is: `{ ok, line, text }` or `{ ok: false, problem }`. */
function locate(m) {
  const file = abs(m.file);
  if (!existsSync(file)) return { ok: false, problem: `file ${m.file} does not exist` };
  const text = readFileSync(file, "utf8");
  const at = occurrences(text, m.find);
  if (at.length === 1) return { ok: true, offset: at[0], line: lineOf(text, at[0]), text };
  if (at.length === 0) {
    const moved = whereNow(m.find);
    return { ok: false, problem: `snippet not in ${m.file}${moved.length > 0 ? `; found in ${moved.join(", ")} (update \`file\`)` : ""}` };
  }
  return { ok: false, problem: `snippet occurs ${at.length} times in ${m.file} (lines ${at.map((o) => lineOf(text, o)).join(", ")}); make it unique` };
}

/** Checks the list's shape; returns the problems found. */
function validate(mutations) {
  const problems = [];
  const ids = new Set();
  for (const [i, m] of mutations.entries()) {
    const name = m?.id ?? `#${i}`;
    for (const field of ["id", "kind", "file", "find", "replace", "description"]) {
      if (typeof m?.[field] !== "string" || (field !== "replace" && m[field] === "")) problems.push(`${name}: \`${field}\` must be a string`);
    }
    if (!Array.isArray(m?.tests) || m.tests.length === 0) problems.push(`${name}: \`tests\` must list at least one test file`);
    else for (const t of m.tests) if (!existsSync(abs(t))) problems.push(`${name}: test file ${t} does not exist`);
    if (m?.find === m?.replace) problems.push(`${name}: \`replace\` equals \`find\``);
    if (m?.equivalent !== undefined && (typeof m.equivalent !== "string" || m.equivalent.length < 10))
      problems.push(`${name}: \`equivalent\` must explain why`);
    if (ids.has(m?.id)) problems.push(`${name}: duplicate id`);
    ids.add(m?.id);
  }
  return problems;
}

/** TypeScript's syntax errors in a mutated file (the compiler is a dev dependency already); null if it cannot be loaded. */
function syntaxErrors(fileName, text) {
  let ts;
  try {
    ts = createRequire(join(ROOT, "package.json"))("typescript");
  } catch {
    return null;
  }
  const out = ts.transpileModule(text, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ESNext, module: ts.ModuleKind.ESNext },
  });
  return (out.diagnostics ?? []).map((d) => {
    const where = d.file && d.start !== undefined ? `:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : "";
    return `${fileName}${where} ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
  });
}

/** The quiet, local-only env of `npm run test:workers` (its leading NAME=value words). */
function quietEnv() {
  try {
    const script = JSON.parse(readFileSync(abs("package.json"), "utf8")).scripts?.["test:workers"] ?? "";
    const env = {};
    for (const word of script.split(/\s+/)) {
      const m = /^([A-Z][A-Z0-9_]*)=(\S*)$/.exec(word);
      if (m === null) break;
      env[m[1]] = m[2];
    }
    return Object.keys(env).length > 0 ? env : QUIET_ENV;
  } catch {
    return QUIET_ENV;
  }
}

function gitDirty(files) {
  const r = spawnSync("git", ["status", "--porcelain", "--", ...files], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git status failed: ${r.stderr.trim()}`);
  return r.stdout.split("\n").filter(Boolean);
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

// --------------------------------------------------------- the one mutated file

/** The mutation currently in a file, so every exit path can put the original back. */
let active = null;
/** The vitest process currently running (its own process group). */
let child = null;

function writeJournal(entry) {
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(JOURNAL, JSON.stringify(entry));
}

/**
 * Puts the original back. If someone else edited the file while it was mutated, only the
 * mutation is undone, so their edit survives. Synchronous: safe in signal and exit handlers.
 */
function restore(entry = active) {
  if (entry === null) return true;
  const file = abs(entry.file);
  let ok = true;
  const current = existsSync(file) ? readFileSync(file, "utf8") : null;
  if (current === entry.original) {
    // Nothing to do.
  } else if (current === entry.mutated) {
    writeFileSync(file, entry.original);
  } else {
    const at = current === null ? [] : occurrences(current, entry.replace);
    if (current !== null && at.length === 1 && entry.replace !== "") {
      writeFileSync(file, spliceAt(current, at[0], entry.replace, entry.find));
      console.error(`mutate: ${entry.file} was edited by someone else while mutated; undid only the mutation (${entry.id}) and kept their edit`);
    } else {
      const saved = join(STATE_DIR, `${entry.id}.original`);
      mkdirSync(STATE_DIR, { recursive: true });
      writeFileSync(saved, entry.original);
      console.error(
        `mutate: COULD NOT RESTORE ${entry.file}: it changed while mutated (${entry.id}). The original is in ${rel(saved)}; the mutation replaced\n  ${entry.find}\nwith\n  ${entry.replace}`,
      );
      ok = false;
    }
  }
  if (ok) rmSync(JOURNAL, { force: true });
  if (entry === active) active = null;
  return ok;
}

/** A journal left by a run that was killed: restore its file first. */
function recoverJournal() {
  if (!existsSync(JOURNAL)) return true;
  let entry;
  try {
    entry = JSON.parse(readFileSync(JOURNAL, "utf8"));
  } catch {
    rmSync(JOURNAL, { force: true });
    return true;
  }
  if (entry.root !== undefined && entry.root !== ROOT) {
    console.error(`mutate: the journal ${rel(JOURNAL)} belongs to a run in ${entry.root} (node_modules shared?); restore it from there`);
    return false;
  }
  if (entry.pid !== process.pid && isAlive(entry.pid)) {
    console.error(`mutate: another run (pid ${entry.pid}) has ${entry.file} mutated right now; wait for it to finish`);
    return false;
  }
  console.error(`mutate: a previous run (pid ${entry.pid}) left ${entry.file} mutated (${entry.id}); restoring it`);
  // Its vitest (own process group) may still be running on the mutant: stop it, if it is still that process.
  if (typeof entry.childPid === "number" && isAlive(entry.childPid)) {
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${entry.childPid}/cmdline`, "utf8");
    } catch {
      // Not Linux, or gone.
    }
    if (cmdline.includes("vitest")) {
      try {
        process.kill(-entry.childPid, "SIGTERM");
      } catch {
        // Gone.
      }
    }
  }
  return restore(entry);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

function killChild() {
  if (child === null || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // Already gone.
  }
}

for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
]) {
  process.on(signal, () => {
    killChild();
    const ok = restore();
    console.error(`\nmutate: ${signal}; ${ok ? "sources restored" : "see above"}`);
    process.exit(code);
  });
}
process.on("uncaughtException", (error) => {
  killChild();
  restore();
  console.error(error);
  process.exit(1);
});
process.on("exit", () => {
  killChild();
  restore();
});

// ----------------------------------------------------------------------- running

/**
 * Runs vitest on `tests`. Resolves to `{ code, timedOut, report, log, ms }`; `report` is
 * vitest's JSON report (or null).
 */
function runVitest(tests, { name, logDir, timeoutS, verbose }) {
  const log = join(logDir, `${name}.log`);
  const json = join(logDir, `${name}.json`);
  rmSync(json, { force: true });
  const started = Date.now();
  const args = ["--no", "--", "vitest", "run", "--config", "vitest.config.ts", "--reporter=default", "--reporter=json", `--outputFile.json=${json}`, ...tests];
  return new Promise((resolvePromise) => {
    const chunks = [];
    child = spawn("npx", args, {
      cwd: ROOT,
      // npm scripts put node_modules/.bin (and its Node 22) first on PATH; do the same when run directly.
      env: { ...process.env, ...quietEnv(), PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}`, FORCE_COLOR: "0", NO_COLOR: "1", CI: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    if (active !== null) writeJournal({ ...active, childPid: child.pid });
    const take = (data) => {
      chunks.push(data);
      if (verbose) process.stdout.write(data);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killChild();
      setTimeout(() => {
        try {
          if (child !== null) process.kill(-child.pid, "SIGKILL");
        } catch {
          // Gone.
        }
      }, 5_000).unref();
    }, timeoutS * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      child = null;
      writeFileSync(log, Buffer.concat(chunks));
      let report = null;
      try {
        report = JSON.parse(readFileSync(json, "utf8"));
      } catch {
        // No report: the run did not get that far.
      }
      resolvePromise({ code: code ?? (signal ? 128 : 1), timedOut, report, log, ms: Date.now() - started });
    });
  });
}

/** Names of the failed tests in a vitest JSON report ("file › title"). */
function failedTests(report) {
  const names = [];
  for (const file of report?.testResults ?? []) {
    const failed = (file.assertionResults ?? []).filter((t) => t.status === "failed");
    for (const t of failed) names.push(`${rel(file.name)} › ${t.title}`);
    if (failed.length === 0 && file.status === "failed") names.push(`${rel(file.name)} (suite error)`);
  }
  return names;
}

/** Applies one mutation, runs its tests, restores the file. */
async function runOne(m, options) {
  const where = locate(m);
  if (!where.ok) return { status: "site missing", detail: where.problem };
  const dirty = gitDirty([m.file]);
  if (dirty.length > 0) return { status: "error", detail: `${m.file} was changed by someone else during the run (${dirty.join("; ")}); not mutated` };
  const mutated = spliceAt(where.text, where.offset, m.find, m.replace);
  const errors = syntaxErrors(m.file, mutated);
  if (errors !== null && errors.length > 0) return { status: "error", detail: `the mutant does not parse: ${errors.slice(0, 3).join("; ")}` };

  active = { root: ROOT, pid: process.pid, id: m.id, file: m.file, find: m.find, replace: m.replace, original: where.text, mutated };
  writeJournal(active);
  let run;
  try {
    writeFileSync(abs(m.file), mutated);
    run = await runVitest(m.tests, { name: m.id, ...options });
  } finally {
    // biome-ignore lint/correctness/noUnsafeFinally: a file left mutated outweighs whatever the run threw; stop with that.
    if (!restore()) throw new Error(`could not restore ${m.file}; stopping`);
  }
  const line = `${m.file}:${where.line}`;
  if (run.timedOut) return { status: "caught", how: `timeout after ${options.timeoutS} s`, ms: run.ms, line, log: run.log };
  if (run.code === 0) return { status: "survived", ms: run.ms, line, log: run.log };
  const failed = failedTests(run.report);
  if (failed.length > 0)
    return { status: "caught", how: failed[0] + (failed.length > 1 ? ` (+${failed.length - 1} more)` : ""), ms: run.ms, line, log: run.log };
  return { status: "error", detail: `vitest exited ${run.code} without a failed test; see ${run.log}`, ms: run.ms, line, log: run.log };
}

// -------------------------------------------------------------------------- main

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (!recoverJournal()) return 2;
  if (args.restore) return 0;

  const { MUTATIONS } = await import("./mutations.mjs");
  const problems = validate(MUTATIONS);
  if (problems.length > 0) {
    console.error(`mutate: scripts/mutations.mjs has problems:\n  ${problems.join("\n  ")}`);
    return 2;
  }
  const unknown = args.only.filter((id) => !MUTATIONS.some((m) => m.id === id));
  if (unknown.length > 0) {
    console.error(`mutate: no mutation ${unknown.join(", ")} (see --list)`);
    return 2;
  }
  const selected = args.only.length > 0 ? MUTATIONS.filter((m) => args.only.includes(m.id)) : MUTATIONS;

  if (args.list) {
    let missing = 0;
    for (const m of selected) {
      const where = locate(m);
      if (!where.ok) missing += 1;
      console.log(
        `${m.id.padEnd(30)} ${m.kind.padEnd(36)} ${where.ok ? `${m.file}:${where.line}` : `SITE MISSING: ${where.problem}`}${m.equivalent ? "  [equivalent]" : ""}\n${" ".repeat(31)}${m.description}\n${" ".repeat(31)}tests: ${m.tests.join(" ")}`,
      );
    }
    console.log(
      `\n${selected.length} mutations, ${new Set(selected.map((m) => m.kind)).size} rule kinds; ${missing === 0 ? "every site found" : `${missing} site(s) missing`}`,
    );
    return missing === 0 ? 0 : 1;
  }

  const found = selected.filter((m) => locate(m).ok);
  const dirty = gitDirty([...new Set(found.map((m) => m.file))]);
  if (dirty.length > 0) {
    console.error(`mutate: refusing to start: files it would mutate have uncommitted changes (commit or wait for them):\n  ${dirty.join("\n  ")}`);
    return 2;
  }

  const logDir = mkdtempSync(join(os.tmpdir(), "edge-inventory-mutate-"));
  const options = { logDir, timeoutS: args.timeoutS, verbose: args.verbose };
  const started = Date.now();
  console.log(`mutate: ${selected.length} mutation(s); logs in ${logDir}`);

  if (args.baseline && found.length > 0) {
    const tests = [...new Set(found.flatMap((m) => m.tests))].sort();
    process.stdout.write(`baseline: ${tests.length} test file(s) without any mutation … `);
    const base = await runVitest(tests, { name: "baseline", ...options });
    if (base.code !== 0 || base.timedOut) {
      console.log(`FAILED (${seconds(base.ms)})`);
      console.error(
        `mutate: the tests fail without any mutation, so no result would mean anything; see ${base.log}\n  ${failedTests(base.report).join("\n  ")}`,
      );
      return 2;
    }
    console.log(`pass (${seconds(base.ms)})`);
  }

  const results = [];
  for (const [i, m] of selected.entries()) {
    const tag = `[${String(i + 1).padStart(String(selected.length).length)}/${selected.length}] ${m.id}`;
    process.stdout.write(`${tag.padEnd(40)} `);
    const r = await runOne(m, options);
    results.push({ m, ...r });
    const label = r.status === "survived" && m.equivalent ? "survived (equivalent)" : r.status;
    const extra =
      r.status === "caught" ? ` by ${r.how}` : r.status === "survived" ? (m.equivalent ? "" : ` — ${m.description}; log ${r.log}`) : ` — ${r.detail}`;
    console.log(`${label}${r.ms !== undefined ? ` (${seconds(r.ms)})` : ""}${extra}`);
  }

  const count = (pred) => results.filter(pred).length;
  const caught = count((r) => r.status === "caught");
  const equivalent = count((r) => r.status === "survived" && r.m.equivalent);
  const survivors = results.filter((r) => r.status === "survived" && !r.m.equivalent);
  const missing = results.filter((r) => r.status === "site missing");
  const errors = results.filter((r) => r.status === "error");
  const staleEquivalent = results.filter((r) => r.status === "caught" && r.m.equivalent);
  const scored = caught + survivors.length + equivalent;
  const pct = (n, d) => (d === 0 ? "n/a" : `${((100 * n) / d).toFixed(1)}%`);

  console.log(`\n── mutation testing: ${results.length} mutation(s) in ${seconds(Date.now() - started)}`);
  console.log(
    `caught ${caught} · survived ${survivors.length + equivalent} (${equivalent} equivalent, explained) · site missing ${missing.length} · errors ${errors.length}`,
  );
  console.log(
    `score: ${caught}/${scored - equivalent} non-equivalent mutants caught = ${pct(caught, scored - equivalent)} (raw ${caught}/${scored} = ${pct(caught, scored)})`,
  );
  for (const r of survivors) console.log(`  SURVIVED ${r.m.id} (${r.line}): ${r.m.description}`);
  for (const r of results.filter((x) => x.status === "survived" && x.m.equivalent)) console.log(`  equivalent ${r.m.id}: ${r.m.equivalent}`);
  for (const r of missing) console.log(`  SITE MISSING ${r.m.id}: ${r.detail}`);
  for (const r of errors) console.log(`  ERROR ${r.m.id}: ${r.detail}`);
  for (const r of staleEquivalent) console.log(`  note: ${r.m.id} is marked equivalent but was caught; drop its \`equivalent\` note`);

  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(
    join(STATE_DIR, "last-run.json"),
    JSON.stringify(
      {
        at: new Date().toISOString(),
        caught,
        equivalent,
        survived: survivors.map((r) => r.m.id),
        missing: missing.map((r) => r.m.id),
        errors: errors.map((r) => r.m.id),
        results: results.map((r) => ({ id: r.m.id, status: r.status, how: r.how ?? r.detail ?? null, ms: r.ms ?? null })),
      },
      null,
      2,
    ),
  );
  return survivors.length === 0 && missing.length === 0 && errors.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if (error instanceof UsageError) {
      console.error(`mutate: ${error.message}\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    restore();
    console.error(error);
    process.exitCode = 1;
  },
);
