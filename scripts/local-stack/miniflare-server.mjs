// Child process: runs the Worker bundle in Miniflare (its own workerd), applies the D1
// migrations, inserts the given vendors, API keys and SQL, prints one `READY {json}` line and
// serves until SIGTERM/SIGINT or until its parent goes away (stdin closes). Started by
// scripts/local-stack/miniflare.mjs for `npm start` and for the benchmark
// (bench/lib/stack.mjs); its PID and its workerd child are the "server processes" whose CPU
// time the benchmark measures.
//
// argv[2]: path of a JSON file {miniflarePath, options, migrations: [{name, statements}],
// vendors?: [{id, name}], keys?: [{id, name, scope, vendorId?, hash}], statements?: (string | {database, sql})[],
// logLevel?: "none" | "warn"}. With logLevel "warn" (npm start) Miniflare's warnings and the
// Worker's console.warn / console.error and uncaught exceptions go to stderr, as
// `wrangler dev --log-level warn` shows them; "none" (the benchmark) keeps all of it quiet.

import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const { Log, LogLevel, Miniflare, NoOpLog, convertV4MiniflareOptions } = await import(pathToFileURL(config.miniflarePath).href);

let mf;
let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  const timer = setTimeout(() => process.exit(code || 1), 10_000);
  timer.unref();
  try {
    await mf?.dispose();
  } catch {}
  process.exit(code);
}
process.on("SIGTERM", () => shutdown(0));
process.on("SIGINT", () => shutdown(0));
process.stdin.on("end", () => shutdown(0));
process.stdin.on("error", () => shutdown(0));
process.stdin.resume();

/** The Worker's warnings and errors (console.warn/error, uncaught exceptions) to stderr; its plain logs dropped. */
function warningsToStderr({ level, message }) {
  if (level === "warn" || level === "error") process.stderr.write(`${message}\n`);
}

try {
  const logging = config.logLevel === "warn" ? { log: new Log(LogLevel.WARN), handleStructuredLogs: warningsToStderr } : { log: new NoOpLog() };
  const options = convertV4MiniflareOptions({ ...config.options, ...logging });
  mf = new Miniflare(options);
  const url = await mf.ready;

  const db = await mf.getD1Database("DB");
  const started = Date.now();
  // Every D1 database gets the migrations: DB and the read model's READ_<i> (issue 19 item 2) share one schema.
  const app = config.options.workers?.[0] ?? config.options;
  for (const binding of Object.keys(app.d1Databases ?? { DB: true })) {
    const target = await mf.getD1Database(binding);
    await target
      .prepare(
        "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)",
      )
      .run();
    for (const migration of config.migrations) {
      const done = await target.prepare("SELECT 1 FROM d1_migrations WHERE name = ?").bind(migration.name).first();
      if (done) continue;
      await target.batch([
        ...migration.statements.map((s) => target.prepare(s)),
        target.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(migration.name),
      ]);
    }
  }
  for (const v of config.vendors ?? []) {
    await db.prepare("INSERT OR IGNORE INTO vendors (id, name) VALUES (?, ?)").bind(v.id, v.name).run();
  }
  for (const k of config.keys ?? []) {
    await db
      .prepare("INSERT OR IGNORE INTO api_keys (id, name, scope, vendor_id, key_hash) VALUES (?, ?, ?, ?, ?)")
      .bind(k.id, k.name, k.scope, k.vendorId ?? null, k.hash)
      .run();
  }
  // Further SQL (npm start's demo keys and planning data), in batches per database: each batch
  // is one transaction. A statement is SQL for DB, or {database, sql} for another binding.
  const byDatabase = new Map();
  for (const s of config.statements ?? []) {
    const [database, sql] = typeof s === "string" ? ["DB", s] : [s.database, s.sql];
    if (!byDatabase.has(database)) byDatabase.set(database, []);
    byDatabase.get(database).push(sql);
  }
  for (const [database, statements] of byDatabase) {
    const target = await mf.getD1Database(database);
    for (let i = 0; i < statements.length; i += 50) await target.batch(statements.slice(i, i + 50).map((s) => target.prepare(s)));
  }
  process.stdout.write(`READY ${JSON.stringify({ url: url.href.replace(/\/$/, ""), pid: process.pid, migrateMs: Date.now() - started })}\n`);
} catch (err) {
  process.stderr.write(`miniflare-server: ${err?.stack ?? err}\n`);
  await shutdown(1);
}
