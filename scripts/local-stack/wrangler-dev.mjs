// `wrangler dev` for this repo on 127.0.0.1: start it in its own process group, wait until
// GET /healthz answers, and stop it (and its workerd children) again — also when this process
// exits without stopping it.

import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { assertPortFree, getFreePort } from "./ports.mjs";
import { ANSI, childEnv, logDir, NODE, ROOT, WRANGLER } from "./wrangler-cli.mjs";

/** Wrangler processes still running, stopped on exit so none outlives its parent. */
const running = new Set();
process.once("exit", () => {
  for (const pid of running) {
    try {
      process.kill(-pid, "SIGTERM");
    } catch {}
  }
});

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

/**
 * Start `wrangler dev` for this repo on 127.0.0.1, persisting to `stateDir`, and wait until
 * `GET /healthz` answers 200.
 *
 * @param {{stateDir: string, port?: number, inspectorPort?: number, timeoutMs?: number,
 *          onOutput?: (chunk: string) => void, config?: string, vars?: Record<string, string>}} options
 *   port defaults to a free port; inspectorPort too (so two runs never clash);
 *   onOutput receives wrangler's output as it arrives (it is captured either way);
 *   config overrides the wrangler config file (default: the repo's wrangler.toml);
 *   vars are extra `[vars]` for this run (`--var NAME:value`, e.g. the local dashboard's origin
 *   as DASHBOARD_ORIGINS).
 * @returns {Promise<{url: string, port: number, pid: number, output: () => string,
 *          exited: Promise<{code: number|null, signal: string|null}>, stop: () => Promise<void>}>}
 */
export async function startWorker({ stateDir, port, inspectorPort, timeoutMs = 60_000, onOutput, config, vars = {} } = {}) {
  if (!stateDir) throw new Error("startWorker: stateDir is required");
  stateDir = resolve(stateDir);
  port ??= await getFreePort();
  inspectorPort ??= await getFreePort();
  // Make sure nobody else answers /healthz on our port.
  await assertPortFree(port);

  const args = [
    WRANGLER,
    "dev",
    "--local",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-ip",
    "127.0.0.1",
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    stateDir,
    "--log-level",
    "warn",
    "--show-interactive-dev-session=false",
    ...(config ? ["--config", resolve(config)] : []),
    // wrangler splits NAME:value at the first colon only, so URLs pass as they are.
    ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
  // detached: wrangler leads its own process group, so a terminal's Ctrl-C reaches only our
  // parent process (which then stops wrangler cleanly), and a stuck stop can take down
  // wrangler's workerd children with the group.
  const child = spawn(NODE, args, {
    cwd: ROOT,
    env: childEnv({ WRANGLER_LOG_PATH: logDir(stateDir) }),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const pid = child.pid;
  running.add(pid);

  const MAX_OUTPUT = 64 * 1024;
  let output = "";
  const onData = (d) => {
    const s = d.toString();
    output = (output + s.replace(ANSI, "")).slice(-MAX_OUTPUT);
    onOutput?.(s);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);

  let exitInfo = null;
  const exited = new Promise((resolvePromise) => {
    child.on("exit", (code, signal) => {
      exitInfo = { code, signal };
      running.delete(pid);
      resolvePromise(exitInfo);
    });
    child.on("error", (err) => {
      output += `\n[spawn error] ${err.message}`;
      exitInfo ??= { code: null, signal: null };
      running.delete(pid);
      resolvePromise(exitInfo);
    });
  });

  let stopping = null;
  const stop = () =>
    (stopping ??= (async () => {
      if (pid === undefined) return;
      if (!exitInfo) {
        try {
          process.kill(pid, "SIGTERM");
        } catch {}
        let timer;
        const gone = await Promise.race([exited.then(() => true), new Promise((r) => (timer = setTimeout(() => r(false), 10_000)))]);
        clearTimeout(timer);
        if (!gone) {
          try {
            process.kill(-pid, "SIGKILL");
          } catch {}
          await exited;
        }
      }
      // wrangler has exited; give its workerd children (same process group) a moment to go too,
      // so the state folder is closed before anyone reuses it.
      const deadline = Date.now() + 5_000;
      while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
      if (groupAlive(pid)) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {}
      }
    })());

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitInfo) {
      await stop();
      throw new Error(`wrangler dev exited before it was ready (${exitInfo.signal ?? `exit ${exitInfo.code}`}):\n${output}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer GET /healthz with 200 within ${timeoutMs} ms:\n${output}`);
    }
    await sleep(150);
  }

  return { url, port, pid, output: () => output, exited, stop };
}
