// The local D1 databases in a state folder (the one `wrangler dev --persist-to` uses):
// apply the migrations, run SQL against one. Every call is `wrangler d1 … --local`.
// `DB` and the read model's `READ_0 … READ_<M−1>` (issue 19 item 2) all get the same schema.

import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logDir, ROOT, runWrangler } from "./wrangler-cli.mjs";

/** The read model's D1 bindings in wrangler.toml (`READ_0`, `READ_1`, …), in partition order. */
export function readDatabaseBindings() {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const found = [...toml.matchAll(/^binding = "READ_(\d+)"/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
  // Consecutive from 0, as the Worker counts them (domain/read-partitions.ts readDbsOf).
  const bindings = [];
  while (found.includes(bindings.length)) bindings.push(`READ_${bindings.length}`);
  return bindings;
}

/** A SQL string literal (NULL for null/undefined), quotes doubled. */
export const sqlString = (v) => (v === null || v === undefined ? "NULL" : `'${String(v).replaceAll("'", "''")}'`);

/** Apply wrangler.toml's D1 migrations to the local database `binding` (default `DB`) in `stateDir`. */
export async function applyMigrations(stateDir, binding = "DB") {
  // Non-interactive (stdin is not a TTY, CI=true): wrangler answers its own confirm prompt.
  await runWrangler(["d1", "migrations", "apply", binding, "--local", "--persist-to", stateDir], {
    env: { CI: "true", WRANGLER_LOG_PATH: logDir(stateDir) },
  });
}

/**
 * Run `sql` against the local database `binding` (default `DB`) in `stateDir` (`wrangler d1
 * execute --file`). The SQL goes through a private temporary file (mode 600: it may hold key
 * hashes), removed afterwards.
 */
export async function executeSql(stateDir, sql, binding = "DB") {
  const tmp = await mkdtemp(join(tmpdir(), "edge-inventory-sql-"));
  try {
    const file = join(tmp, "statements.sql");
    await writeFile(file, sql, { mode: 0o600 });
    await runWrangler(["d1", "execute", binding, "--local", "--persist-to", stateDir, "--file", file, "--yes"], {
      env: { WRANGLER_LOG_PATH: logDir(stateDir) },
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
