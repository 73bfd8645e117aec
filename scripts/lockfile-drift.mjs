// Which differences between two package-lock.json files matter.
//
// The npm registry's set of optional platform builds changes over time (workerd's darwin and
// windows packages were once missing and are served now). A lockfile written while some were
// missing makes `npm ci` refuse it later ("Missing: @cloudflare/workerd-darwin-64@… from lock
// file"), although nothing this machine installs differs. `lockfileDrift` tells that case
// (entries only for other platforms' optional packages) from real drift (anything else).
//
// Plain ESM with no dependencies: it runs on the machine's Node (20) before anything is
// installed. Pure: no I/O.

/**
 * Whether a lockfile `packages` entry is an optional package built for another platform
 * than `platform`/`arch` (so this machine would never install it).
 *
 * @param {Record<string, unknown> | undefined} entry
 * @param {{platform: string, arch: string}} host
 */
export function isOtherPlatformOptional(entry, host) {
  if (!entry || entry.optional !== true) return false;
  const excluded = (list, value) => {
    if (!Array.isArray(list) || list.length === 0) return false;
    const allowed = list.filter((x) => !String(x).startsWith("!"));
    const denied = list.filter((x) => String(x).startsWith("!")).map((x) => String(x).slice(1));
    if (denied.includes(value)) return true;
    return allowed.length > 0 && !allowed.includes(value);
  };
  return excluded(entry.os, host.platform) || excluded(entry.cpu, host.arch);
}

function stable(value) {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, stable(value[k])]),
    );
  }
  return value;
}

const same = (a, b) => JSON.stringify(stable(a)) === JSON.stringify(stable(b));

/**
 * Compares the committed lockfile with the one `npm install` produced.
 *
 * @param {any} committed parsed package-lock.json as committed
 * @param {any} installed parsed package-lock.json after `npm install`
 * @param {{platform: string, arch: string}} host
 * @returns {{platformOnly: string[], drift: string[]}} `platformOnly`: paths that differ only by
 *   other platforms' optional builds (harmless); `drift`: every other difference (CI must fail).
 */
export function lockfileDrift(committed, installed, host) {
  const drift = [];
  const platformOnly = [];
  for (const key of new Set([...Object.keys(committed ?? {}), ...Object.keys(installed ?? {})])) {
    if (key === "packages") continue;
    if (!same(committed?.[key], installed?.[key])) drift.push(`(top level) ${key}`);
  }
  const before = committed?.packages ?? {};
  const after = installed?.packages ?? {};
  for (const path of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[path];
    const b = after[path];
    if (a !== undefined && b !== undefined) {
      if (!same(a, b)) drift.push(`${path || "(root)"} changed`);
    } else if (isOtherPlatformOptional(a ?? b, host)) {
      platformOnly.push(`${path} ${a === undefined ? "added" : "removed"}`);
    } else {
      drift.push(`${path || "(root)"} ${a === undefined ? "added" : "removed"}`);
    }
  }
  return { platformOnly, drift };
}

/**
 * The package names of npm ci's "Missing: NAME@VERSION from lock file" lines.
 *
 * @param {string} output npm's output
 */
export function missingFromLockfile(output) {
  return [...output.matchAll(/Missing: (\S+)@[^@\s]+ from lock file/g)].map((m) => m[1]);
}
