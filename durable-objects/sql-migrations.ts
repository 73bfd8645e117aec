/**
 * Versioned schema for a Durable Object's SQLite storage. `PRAGMA user_version` is not
 * available in Durable Objects, so the version lives in a one-row table.
 */

/** One step of a DO's schema. Versions start at 1 and increase by one. */
export interface SqlMigration {
  version: number;
  name: string;
  statements: readonly string[];
}

/**
 * Brings `sql` up to the last migration's version, in one synchronous transaction. Call it
 * from the constructor under `ctx.blockConcurrencyWhile` so no request sees an old schema.
 */
export function migrateSchema(storage: DurableObjectStorage, migrations: readonly SqlMigration[]): number {
  return storage.transactionSync(() => {
    const sql = storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS _schema_version (version INTEGER NOT NULL)");
    const row = sql.exec<{ version: number }>("SELECT version FROM _schema_version").toArray()[0];
    let current = row?.version ?? 0;
    if (row === undefined) sql.exec("INSERT INTO _schema_version (version) VALUES (0)");
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      if (migration.version !== current + 1) {
        throw new Error(`schema migration ${migration.version} (${migration.name}) follows ${current}`);
      }
      for (const statement of migration.statements) sql.exec(statement);
      sql.exec("UPDATE _schema_version SET version = ?", migration.version);
      current = migration.version;
    }
    return current;
  });
}
