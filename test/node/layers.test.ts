/**
 * The folders are the layers (README "Architecture"): nothing imports from a layer above it.
 *
 *   entry            workers/index.ts, workers/app.ts, workers/scheduled.ts
 *   HTTP | consumers workers/** (routes, http, auth, availability, openapi) | queues/**  (siblings)
 *   services         services/**
 *   stubs + D1       repositories/**
 *   objects          durable-objects/**   (their own entry in the runtime; domain/ and d1/schema.ts only)
 *   schema           d1/**
 *   domain           domain/**            (pure: imports nothing outside domain/)
 *
 * Every relative import (value or type) of every source file is checked, so a new upward
 * import fails here with the file, the import and both layers named.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const SOURCE_DIRS = ["workers", "queues", "services", "repositories", "durable-objects", "d1", "domain"];

type Layer = "entry" | "http" | "consumers" | "services" | "repositories" | "objects" | "schema" | "domain";
const RANK: Record<Layer, number> = { entry: 6, http: 5, consumers: 5, services: 4, repositories: 3, objects: 2, schema: 1, domain: 0 };
const ENTRY = new Set(["workers/index.ts", "workers/app.ts", "workers/scheduled.ts"]);

function layerOf(file: string): Layer {
  if (ENTRY.has(file)) return "entry";
  const top = file.split("/")[0];
  switch (top) {
    case "workers":
      return "http";
    case "queues":
      return "consumers";
    case "services":
      return "services";
    case "repositories":
      return "repositories";
    case "durable-objects":
      return "objects";
    case "d1":
      return "schema";
    case "domain":
      return "domain";
    default:
      throw new Error(`no layer for ${file}`);
  }
}

/** Why `from` may not import `to` (the file `target`), or null when it may. */
function violation(from: Layer, to: Layer, target?: string): string | null {
  if (from === to) return null;
  if (RANK[to] > RANK[from]) return "imports a layer above it";
  if (RANK[to] === RANK[from]) return "imports a sibling layer (HTTP routes and queue consumers share only what is below them)";
  // The objects are reached through stubs and never call services or repositories. Besides
  // domain/ they may import the D1 schema, so their one D1 read (the outbox confirmation,
  // `processed_events`) goes through drizzle with typed columns like every other query.
  if (from === "objects" && to !== "domain" && !(to === "schema" && (target === undefined || target === "d1/schema.ts")))
    return "a Durable Object imports only domain/ and d1/schema.ts";
  return null;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(ROOT, dir))) {
    const rel = `${dir}/${name}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) {
      if (name !== "migrations" && name !== "node_modules") out.push(...sourceFiles(rel));
    } else if (name.endsWith(".ts")) out.push(rel);
  }
  return out;
}

function resolveImport(from: string, spec: string): string {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  for (const candidate of [`${base}.ts`, `${base}/index.ts`, base]) {
    try {
      if (statSync(path.join(ROOT, candidate)).isFile()) return candidate;
    } catch {}
  }
  throw new Error(`${from}: cannot resolve ${spec}`);
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']/g;

function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  return [...text.matchAll(IMPORT)].map((m) => resolveImport(file, m[1]!));
}

describe("layers", () => {
  it("the rule rejects upward, sibling and object-to-D1 imports (positive controls)", () => {
    expect(violation("consumers", "http")).toMatch(/sibling/);
    expect(violation("http", "consumers")).toMatch(/sibling/);
    expect(violation("services", "http")).toMatch(/above/);
    expect(violation("repositories", "services")).toMatch(/above/);
    expect(violation("domain", "repositories")).toMatch(/above/);
    expect(violation("objects", "repositories")).toMatch(/above/);
    expect(violation("objects", "services")).toMatch(/above/);
    expect(violation("objects", "schema", "d1/other.ts")).toMatch(/only domain\/ and d1\/schema.ts/);
    expect(violation("objects", "schema", "d1/schema.ts")).toBeNull();
    expect(violation("http", "services")).toBeNull();
    expect(violation("consumers", "repositories")).toBeNull();
    expect(violation("entry", "consumers")).toBeNull();
    expect(layerOf("workers/index.ts")).toBe("entry");
    expect(layerOf("queues/events.consumer.ts")).toBe("consumers");
  });

  it("the scan sees imports (a file known to import services is found doing so)", () => {
    const found = importsOf("queues/events.consumer.ts").map(layerOf);
    expect(found).toContain("services");
  });

  it("no source file imports from a layer above it or from a sibling", () => {
    const files = SOURCE_DIRS.flatMap(sourceFiles);
    expect(files.length).toBeGreaterThan(150);
    const problems: string[] = [];
    for (const file of files) {
      for (const target of importsOf(file)) {
        const why = violation(layerOf(file), layerOf(target), target);
        if (why) problems.push(`${file} (${layerOf(file)}) → ${target} (${layerOf(target)}): ${why}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
