#!/usr/bin/env node
// Makes sure node_modules matches package-lock.json before `npm start` and `npm test`
// (their `prestart`/`pretest` step), and does CI's clean install (`--ci`).
//
//   node scripts/ensure-install.mjs        install from the lockfile only if node_modules is
//                                          missing or older than the lockfile; silent otherwise
//   node scripts/ensure-install.mjs --ci   always a clean install from the lockfile
//
// It runs on whatever `node` is first on PATH — on a fresh machine the system's Node 20,
// since the pinned Node 22 (devDependency "node") arrives with the install — so it is plain
// ESM that any Node ≥ 18 runs, with no dependencies.
//
// The install is `npm ci`. If npm ci refuses the lockfile only because the registry now
// serves optional builds for other platforms that the lockfile does not list (see
// scripts/lockfile-drift.mjs), it installs with `npm install` instead, checks that the
// lockfile changed in nothing but those entries, and puts the committed lockfile back. Any
// other difference between package.json, the lockfile and the registry fails, as CI must.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { lockfileDrift, missingFromLockfile } from "./lockfile-drift.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const LOCK = join(ROOT, "package-lock.json");
const MODULES = join(ROOT, "node_modules");
// Written after a successful install: the hash of the package-lock.json it installed (the
// lockfile lists every dependency of package.json; a change to scripts needs no install).
const STAMP = join(MODULES, ".edge-inventory-install");
const say = (msg) => console.error(`[install] ${msg}`);

function fingerprint() {
  return createHash("sha256").update(readFileSync(LOCK)).digest("hex");
}

/** Why node_modules needs an install, or null when it matches the lockfile. */
function staleReason() {
  if (!existsSync(join(MODULES, ".bin", "node")) || !existsSync(join(MODULES, "wrangler"))) {
    return "node_modules is missing";
  }
  if (existsSync(STAMP)) {
    return readFileSync(STAMP, "utf8").trim() === fingerprint() ? null : "node_modules is older than package-lock.json";
  }
  // Installed by hand (npm install / npm ci): trust npm's own record if it is newer than the lockfile.
  const hidden = join(MODULES, ".package-lock.json");
  if (existsSync(hidden) && statSync(hidden).mtimeMs >= statSync(LOCK).mtimeMs) {
    writeFileSync(STAMP, `${fingerprint()}\n`);
    return null;
  }
  return "node_modules is older than package-lock.json";
}

function npm(args, { capture = false } = {}) {
  const result = spawnSync("npm", args, {
    cwd: ROOT,
    encoding: "utf8",
    stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit",
    env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false", npm_config_update_notifier: "false" },
  });
  if (result.error) throw result.error;
  const output = capture ? `${result.stdout}${result.stderr}` : "";
  return { status: result.status ?? 1, output };
}

// Lines npm prints on every install here that say nothing actionable (Node 20 vs the engines
// of the Node 22 tooling; install scripts that still run). Dropped from the echo, not hidden
// from a failure: a failed install prints everything.
const NOISE = /^npm warn (EBADENGINE|install-scripts)|^npm warn\s*$/;

function echo(output) {
  const lines = output.split("\n").filter((l) => l.trim() !== "" && !NOISE.test(l));
  if (lines.length > 0) console.error(lines.join("\n"));
}

function cleanInstall() {
  const ci = npm(["ci", "--no-audit", "--no-fund"], { capture: true });
  if (ci.status === 0) return echo(ci.output);

  const missing = missingFromLockfile(ci.output);
  if (missing.length === 0) {
    console.error(ci.output);
    throw new Error("npm ci failed (output above)");
  }
  say(
    `npm ci: the lockfile lacks ${missing.length} package(s) (${[...new Set(missing)].join(", ")}); checking whether they are only other platforms' optional builds…`,
  );
  const committedText = readFileSync(LOCK, "utf8");
  const install = npm(["install", "--no-audit", "--no-fund"], { capture: true });
  const installedText = readFileSync(LOCK, "utf8");
  // Put the committed lockfile back whatever happened: the check below is against it.
  writeFileSync(LOCK, committedText);
  if (install.status !== 0) {
    console.error(install.output);
    throw new Error("npm install failed (output above)");
  }
  const { platformOnly, drift } = lockfileDrift(JSON.parse(committedText), JSON.parse(installedText), {
    platform: process.platform,
    arch: process.arch,
  });
  if (drift.length > 0) {
    throw new Error(
      `package-lock.json is out of step with package.json or the registry (run \`npm install\` and commit the lockfile):\n  ${drift.join("\n  ")}`,
    );
  }
  echo(install.output);
  say(`installed; the lockfile differs only by other platforms' optional builds (${platformOnly.length}), which this machine never installs`);
}

const ciMode = process.argv.includes("--ci");
try {
  const reason = ciMode ? "clean install for CI" : staleReason();
  if (reason !== null) {
    say(`${reason}: installing from package-lock.json (npm ci)…`);
    cleanInstall();
    writeFileSync(STAMP, `${fingerprint()}\n`);
  }
} catch (err) {
  say(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
