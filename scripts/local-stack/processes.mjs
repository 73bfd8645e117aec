// Processes by PID, from /proc: a process's stat, its descendants, and stopping exactly the
// processes we started (never anything by name). Shared by the local stack (`npm start`'s
// Miniflare server, scripts/local-stack/miniflare.mjs) and the benchmark and drills
// (bench/lib/proc.mjs adds CPU sampling). Linux only.

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let clkTck = 100;
try {
  clkTck = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
} catch {}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Parses /proc/<pid>/stat; null when the process is gone. */
export function procStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // comm (field 2) may contain spaces and parentheses: split after the last ')'.
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const rest = text.slice(close + 2).split(" ");
  // rest[0] = state (field 3), rest[1] = ppid (4), rest[11] = utime (14), rest[12] = stime (15)
  return {
    pid,
    comm,
    state: rest[0],
    ppid: Number(rest[1]),
    utime: Number(rest[11]) / clkTck,
    stime: Number(rest[12]) / clkTck,
    // Field 22: start time in clock ticks since boot; with the PID it identifies a process.
    start: Number(rest[19]),
  };
}

/** All live processes' ppid map. */
function ppidMap() {
  const map = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st) map.set(st.pid, st);
  }
  return map;
}

/** `pid` and every live descendant of it (breadth-first), with their stats. */
export function processTree(pid) {
  const all = ppidMap();
  const out = [];
  const root = all.get(pid);
  if (!root) return out;
  out.push(root);
  for (let i = 0; i < out.length; i++) {
    for (const st of all.values()) if (st.ppid === out[i].pid) out.push(st);
  }
  return out;
}

export function alive(pid) {
  const st = procStat(pid);
  return st !== null && st.state !== "Z";
}

/** {pid, start} records for a tree, to signal later only if the PID still names that process. */
export function identify(pid) {
  return processTree(pid).map((p) => ({ pid: p.pid, start: p.start, comm: p.comm }));
}

/** The live PIDs among `records` that are still the same processes (no PID reuse). */
export function stillRunning(records) {
  return records
    .filter((r) => {
      const st = procStat(r.pid);
      return st !== null && st.state !== "Z" && st.start === r.start;
    })
    .map((r) => r.pid);
}

/**
 * Stops exactly these processes: `signal` (default SIGTERM) to each, waits up to `graceMs`
 * for all to exit, then SIGKILL to those left and waits a bounded time again. Takes PIDs or
 * {pid, start} records; a PID is signalled only while it still names the same process
 * (start time unchanged), so a recycled PID is never hit.
 */
export async function stopPids(targets, { signal = "SIGTERM", graceMs = 10_000 } = {}) {
  const records = targets.map((t) => (typeof t === "number" ? { pid: t, start: procStat(t)?.start } : t)).filter((r) => r.start !== undefined);
  const send = (sig) => {
    for (const pid of stillRunning(records)) {
      try {
        process.kill(pid, sig);
      } catch {}
    }
  };
  send(signal);
  const deadline = Date.now() + graceMs;
  while (stillRunning(records).length && Date.now() < deadline) await sleep(50);
  const left = stillRunning(records);
  if (left.length) send("SIGKILL");
  const hardDeadline = Date.now() + 5_000;
  while (stillRunning(records).length && Date.now() < hardDeadline) await sleep(50);
  return { escalated: left, stillAlive: stillRunning(records) };
}
