/**
 * The lockfile check behind `.ci/run` and `npm start`/`npm test`'s install step
 * (scripts/lockfile-drift.mjs): entries that differ only by other platforms' optional builds
 * are harmless; every other difference is drift that must fail CI.
 */
import { describe, expect, it } from "vitest";
import { isOtherPlatformOptional, lockfileDrift, missingFromLockfile } from "../../scripts/lockfile-drift.mjs";

const linux = { platform: "linux", arch: "x64" };
const workerd = (os: string, cpu: string) => ({ version: "1.20261117.1", integrity: "sha512-x", cpu: [cpu], os: [os], optional: true, dev: true });
const base = {
  name: "edge-inventory",
  version: "0.1.0",
  lockfileVersion: 3,
  requires: true,
  packages: {
    "": { name: "edge-inventory", devDependencies: { wrangler: "4.164.0" } },
    "node_modules/wrangler": { version: "4.164.0", dev: true },
    "node_modules/@cloudflare/workerd-linux-64": workerd("linux", "x64"),
  },
};
const withPackages = (extra: Record<string, unknown>, drop: string[] = []) => {
  const packages: Record<string, unknown> = { ...base.packages, ...extra };
  for (const k of drop) delete packages[k];
  return { ...base, packages };
};

describe("lockfile drift", () => {
  it("other platforms' optional builds added by the registry are not drift", () => {
    const installed = withPackages({
      "node_modules/@cloudflare/workerd-darwin-64": workerd("darwin", "x64"),
      "node_modules/@cloudflare/workerd-darwin-arm64": workerd("darwin", "arm64"),
      "node_modules/@cloudflare/workerd-windows-64": workerd("win32", "x64"),
    });
    expect(lockfileDrift(base, installed, linux)).toEqual({
      platformOnly: [
        "node_modules/@cloudflare/workerd-darwin-64 added",
        "node_modules/@cloudflare/workerd-darwin-arm64 added",
        "node_modules/@cloudflare/workerd-windows-64 added",
      ],
      drift: [],
    });
    // …and the reverse: the registry stopped serving them.
    expect(lockfileDrift(installed, base, linux).drift).toEqual([]);
  });

  it("anything else is drift: a changed version, a new package, this platform's build, a top-level change", () => {
    expect(lockfileDrift(base, withPackages({ "node_modules/wrangler": { version: "4.165.0", dev: true } }), linux).drift).toEqual([
      "node_modules/wrangler changed",
    ]);
    expect(lockfileDrift(base, withPackages({ "node_modules/left-pad": { version: "1.3.0" } }), linux).drift).toEqual(["node_modules/left-pad added"]);
    // The build this machine installs is never "another platform's".
    expect(lockfileDrift(base, withPackages({}, ["node_modules/@cloudflare/workerd-linux-64"]), linux).drift).toEqual([
      "node_modules/@cloudflare/workerd-linux-64 removed",
    ]);
    // An optional package without platform constraints is a real dependency change.
    expect(lockfileDrift(base, withPackages({ "node_modules/fsevents-like": { version: "1.0.0", optional: true } }), linux).drift).toEqual([
      "node_modules/fsevents-like added",
    ]);
    expect(lockfileDrift(base, { ...base, version: "0.2.0" }, linux).drift).toEqual(["(top level) version"]);
    expect(lockfileDrift(base, withPackages({ "": { name: "edge-inventory", devDependencies: { wrangler: "4.165.0" } } }), linux).drift).toEqual([
      "(root) changed",
    ]);
  });

  it("platform rules follow npm's os/cpu lists, negations included", () => {
    expect(isOtherPlatformOptional(workerd("darwin", "arm64"), linux)).toBe(true);
    expect(isOtherPlatformOptional(workerd("linux", "arm64"), linux)).toBe(true);
    expect(isOtherPlatformOptional(workerd("linux", "x64"), linux)).toBe(false);
    expect(isOtherPlatformOptional({ optional: true, os: ["!linux"] }, linux)).toBe(true);
    expect(isOtherPlatformOptional({ optional: true, os: ["!win32"] }, linux)).toBe(false);
    expect(isOtherPlatformOptional({ os: ["darwin"] }, linux)).toBe(false); // not optional: a required package
    expect(isOtherPlatformOptional(undefined, linux)).toBe(false);
  });

  it("reads npm ci's Missing lines", () => {
    const output = [
      "npm error Missing: @cloudflare/workerd-darwin-64@1.20261102.1 from lock file",
      "npm error Missing: @cloudflare/workerd-windows-64@1.20261117.1 from lock file",
      "npm error Missing: left-pad@1.3.0 from lock file",
    ].join("\n");
    expect(missingFromLockfile(output)).toEqual(["@cloudflare/workerd-darwin-64", "@cloudflare/workerd-windows-64", "left-pad"]);
  });
});
