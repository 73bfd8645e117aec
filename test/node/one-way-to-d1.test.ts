/**
 * One way to D1 (issue 10, item 6): every query goes through drizzle's builders over the
 * tables of `d1/schema.ts`, so renaming a column fails to compile instead of failing at run
 * time. A raw `.prepare(` (a hand-written SQL string with hand-typed rows) anywhere in the
 * Worker's code fails here, with the file and line. The one exception is `repositories/d1-sql.ts`
 * binding SQL that drizzle built from the schema (`StatementTemplate`, `statementOf`: the text
 * comes from a builder's `toSQL()`, never from a string in our code); its lines are listed
 * exactly below, so any other prepare there fails too.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
/** Every folder of Worker and Durable Object code that could reach D1. */
const SCANNED = ["repositories", "services", "workers", "queues", "durable-objects"];

const RAW_PREPARE = /\.prepare\s*\(/;

/** The prepares of drizzle-built SQL in `repositories/d1-sql.ts` (see the module comment). */
const DRIZZLE_BUILT = [
  "repositories/d1-sql.ts: return db.prepare(built.sql).bind(...fillPlaceholders(built.params, values));",
  "repositories/d1-sql.ts: return db.prepare(built.sql).bind(...built.params);",
];
/** `file: text` of a found line (without its line number). */
const withoutLine = (found: string) => found.replace(/:\d+: /, ": ");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(ROOT, dir))) {
    const rel = `${dir}/${name}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (name.endsWith(".ts")) out.push(rel);
  }
  return out;
}

/** `file:line: text` of every line of `text` that calls `.prepare(`. */
function rawPrepares(file: string, text: string): string[] {
  return text.split("\n").flatMap((line, i) => (RAW_PREPARE.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
}

describe("one way to D1", () => {
  it("the scan finds a raw prepare (positive control) and passes drizzle code", () => {
    const planted = ["const db = env.DB;", '  const row = await db.prepare("SELECT 1").first();', "  await drizzle(db).select().from(skus).all();"].join("\n");
    expect(rawPrepares("fixture.ts", planted)).toEqual(['fixture.ts:2: const row = await db.prepare("SELECT 1").first();']);
    expect(rawPrepares("fixture.ts", "env.DB\n  .prepare (`UPDATE x`)")).toHaveLength(1);
    expect(rawPrepares("fixture.ts", "await drizzle(db).update(skus).set({ name }).run();")).toEqual([]);
  });

  it("the scan reads the folders (a file known to use drizzle is among them)", () => {
    const files = SCANNED.flatMap(sourceFiles);
    expect(files).toContain("repositories/event-projections.ts");
    expect(files).toContain("durable-objects/sku-inventory.ts");
    expect(files.length).toBeGreaterThan(100);
  });

  it("no Worker or object code calls D1's raw prepare: only d1-sql.ts binds what drizzle built, in exactly its two places", () => {
    const found = SCANNED.flatMap(sourceFiles).flatMap((file) => rawPrepares(file, readFileSync(path.join(ROOT, file), "utf8")));
    expect(found.map(withoutLine).filter((line) => !DRIZZLE_BUILT.includes(line))).toEqual([]);
    expect(found.map(withoutLine).sort()).toEqual([...DRIZZLE_BUILT].sort());
  });
});
