// Process helpers for the benchmark and the crash drill: CPU time of a process tree from
// /proc, and stopping the drill's runtime. The PID helpers themselves (a process's stat, its
// descendants, stopping exactly the PIDs we started) live in scripts/local-stack/processes.mjs,
// shared with `npm start`. Linux only (reads /proc). Never signals anything by name, only by PID.

import { identify, processTree, stillRunning, stopPids } from "../../scripts/local-stack/processes.mjs";

export { alive, identify, processTree, procStat, stillRunning, stopPids } from "../../scripts/local-stack/processes.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU seconds (user + system) of each process in the tree rooted at `pid`, keyed by PID,
 * plus the total. Subtract two samples with `cpuDelta`.
 */
export function cpuSample(pid) {
  const byPid = {};
  for (const st of processTree(pid)) byPid[st.pid] = { comm: st.comm, user: st.utime, system: st.stime };
  return { at: Date.now(), byPid };
}

/** CPU seconds the tree used between two samples (processes present in `after`). */
export function cpuDelta(before, after) {
  let user = 0;
  let system = 0;
  const byComm = {};
  for (const [pid, a] of Object.entries(after.byPid)) {
    const b = before.byPid[pid] ?? { user: 0, system: 0 };
    const du = a.user - b.user;
    const ds = a.system - b.system;
    user += du;
    system += ds;
    byComm[a.comm] = (byComm[a.comm] ?? 0) + du + ds;
  }
  return { seconds: user + system, user, system, byComm, wallSeconds: (after.at - before.at) / 1000 };
}

/**
 * Stops the runtime: wrangler and every process below it (workerd, esbuild), each by PID.
 * SIGKILL for the crash; SIGTERM (then SIGKILL after a bounded wait) for the final stop.
 */
export async function stopRuntime(handle, signal) {
  const records = identify(handle.pid);
  if (signal === "SIGKILL") {
    for (const pid of stillRunning(records)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    const until = Date.now() + 10_000;
    while (stillRunning(records).length && Date.now() < until) await sleep(25);
  } else {
    await handle.stop();
    const left = records.filter((r) => stillRunning([r]).length);
    if (left.length) await stopPids(left, { graceMs: 3_000 });
  }
  await Promise.race([handle.exited, sleep(5_000)]);
  const survivors = stillRunning(records);
  if (survivors.length) throw new Error(`runtime processes survived ${signal}: ${survivors.join(", ")}`);
  return records;
}
