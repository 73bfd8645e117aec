// The runtime a crash drill kills and restarts: `wrangler dev` (scripts/local-stack) on a
// temporary state folder that outlives each crash. Whatever the drill started is stopped and
// the folder removed on every way out (lifecycle.mjs), the crash itself is SIGKILL to wrangler
// and all its children by PID (proc.mjs), and a failure prints wrangler's last output.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startWorker } from "../../scripts/local-stack.mjs";
import { bounded } from "./lifecycle.mjs";
import { stopRuntime } from "./proc.mjs";

/**
 * One drill's runtime. `label` prefixes its log lines (`[label] …`); the whole drill is
 * stopped after `deadlineMs`.
 *
 * @param {{ label: string, deadlineMs: number }} options
 */
export function drillRuntime({ label, deadlineMs }) {
  const log = (msg) => process.stderr.write(`[${label}] ${msg}\n`);
  let worker = null;
  let stateDir = null;
  const { cleanup, run } = bounded({
    label,
    log,
    deadlineMs,
    overrun: `drill exceeded ${deadlineMs / 60_000} min`,
    cleanup: async () => {
      if (worker) await stopRuntime(worker, "SIGTERM").catch(() => {});
      worker = null;
      if (stateDir) await rm(stateDir, { recursive: true, force: true, maxRetries: 3 });
    },
  });
  return {
    log,
    /** Stops the runtime and removes the state folder (once; later calls wait for the first). */
    cleanup,
    /** Creates the drill's state folder (`<tmpdir>/<prefix>XXXXXX`) and returns its path. */
    async createStateDir(prefix) {
      stateDir = await mkdtemp(join(tmpdir(), prefix));
      return stateDir;
    },
    /** Starts `wrangler dev` on the state folder; resolves with its handle and how long the start took. */
    async start() {
      const t0 = performance.now();
      worker = await startWorker({ stateDir, timeoutMs: 90_000 });
      return { handle: worker, ms: performance.now() - t0 };
    },
    /** The crash: SIGKILL to wrangler and every process below it; resolves with the processes killed. */
    async crash() {
      const killed = await stopRuntime(worker, "SIGKILL");
      worker = null;
      return killed;
    },
    /** Runs the drill's `main` (resolving with the exit code) under lifecycle.mjs's `bounded`. */
    run: (main) => run(main, { tail: () => worker && `[${label}] wrangler output (tail):\n${worker.output().slice(-3000)}` }),
  };
}
