// The local D1 database in a state folder (the one `wrangler dev --persist-to` uses):
// apply the migrations, run SQL against it. Every call is `wrangler d1 … --local`.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { d1Bindings } from "./miniflare.mjs";
import { logDir, runWrangler } from "./wrangler-cli.mjs";

/** A SQL string literal (NULL for null/undefined), quotes doubled. */
export const sqlString = (v) => (v === null || v === undefined ? "NULL" : `'${String(v).replaceAll("'", "''")}'`);

/** Apply wrangler.toml's D1 migrations to every local D1 database in `stateDir`. */
export async function applyMigrations(stateDir) {
  for (const binding of await d1Bindings()) {
    // Non-interactive (stdin is not a TTY, CI=true): wrangler answers its own confirm prompt.
    await runWrangler(["d1", "migrations", "apply", binding, "--local", "--persist-to", stateDir], {
      env: { CI: "true", WRANGLER_LOG_PATH: logDir(stateDir) },
    });
  }
}

/**
 * Run `sql` against the local DB in `stateDir` (`wrangler d1 execute --file`). The SQL goes
 * through a private temporary file (mode 600: it may hold key hashes), removed afterwards.
 */
export async function executeSql(stateDir, sql) {
  const tmp = await mkdtemp(join(tmpdir(), "edge-inventory-sql-"));
  try {
    const file = join(tmp, "statements.sql");
    await writeFile(file, sql, { mode: 0o600 });
    await runWrangler(["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--file", file, "--yes"], {
      env: { WRANGLER_LOG_PATH: logDir(stateDir) },
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
