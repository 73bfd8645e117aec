// Running the project's wrangler from Node: where it is, which Node runs it, the environment
// every child gets (quiet and local), and a one-shot `wrangler …` call. Shared by the local
// stack (scripts/local-stack/) and the benchmark's stack (bench/lib/stack.mjs).

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (the folder holding wrangler.toml). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The project's wrangler package folder and its CLI entry. */
export const WRANGLER_DIR = join(ROOT, "node_modules", "wrangler");
export const WRANGLER = join(WRANGLER_DIR, "bin", "wrangler.js");
// wrangler 4.16x needs Node >= 22.12. Under npm scripts process.execPath is the pinned Node 22
// (node_modules/.bin comes first on PATH); if this module was loaded by an older Node, use the
// pinned binary directly.
const PINNED_NODE = join(ROOT, "node_modules", "node", "bin", "node");
const [major, minor] = process.versions.node.split(".").map(Number);
/** The Node binary that runs wrangler. */
export const NODE = major > 22 || (major === 22 && minor >= 12) || !existsSync(PINNED_NODE) ? process.execPath : PINNED_NODE;

/** Env vars that keep wrangler and workerd quiet and local (see README.md, "Quiet and local"). */
export const QUIET_ENV = Object.freeze({
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
  X_LOCAL_OBSERVABILITY: "false",
  X_LOCAL_EXPLORER: "false",
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC (0x1b).
export const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/**
 * The environment for a wrangler (or Miniflare) child: this process's env, QUIET_ENV, then
 * `extra`, with node_modules/.bin first on PATH.
 */
export function childEnv(extra = {}) {
  // node_modules/.bin first, so anything wrangler launches through `#!/usr/bin/env node`
  // runs on the pinned Node 22 even when this module was started by hand.
  const bin = join(ROOT, "node_modules", ".bin");
  const path = process.env.PATH ?? "";
  return {
    ...process.env,
    PATH: path.split(delimiter)[0] === bin ? path : `${bin}${delimiter}${path}`,
    ...QUIET_ENV,
    ...extra,
  };
}

/** wrangler's debug logs go to `<stateDir>/logs` (not ~/.config/.wrangler/logs): one folder for everything. */
export const logDir = (stateDir) => join(stateDir, "logs");

/**
 * Run wrangler to completion; resolves with its output, rejects with it on a non-zero exit.
 * With `timeoutMs`, SIGKILL after that long (the call then rejects).
 */
export function runWrangler(args, { env = {}, cwd = ROOT, timeoutMs } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(NODE, [WRANGLER, ...args], {
      cwd,
      env: childEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = timeoutMs ? setTimeout(() => child.kill("SIGKILL"), timeoutMs) : null;
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(out);
      else reject(new Error(`wrangler ${args.slice(0, 3).join(" ")} failed (${signal ?? `exit ${code}`}):\n${out.replace(ANSI, "")}`));
    });
  });
}
