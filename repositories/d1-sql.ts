/**
 * Building blocks for the drizzle queries of `repositories/`: the pieces of SQLite that
 * drizzle's builders lack, each written once over the columns of `d1/schema.ts` (never a
 * table or column name as a string), so a renamed column fails to compile everywhere.
 *
 * - `guardedRow`: `INSERT … SELECT <values> [FROM …] WHERE <guard>` (an insert that is a no-op
 *   unless a condition holds, e.g. "this event is not applied yet"), its values typed by the
 *   table's insert type and listed in table order; drizzle's select builder needs a FROM and
 *   its typed insert-select does not accept computed columns (`'whd_' || …`).
 * - `jsonEach` / `jsonValue`: rows read from one JSON parameter (`FROM json_each(?)`, `value ->> 'key'`).
 * - `inJson`: `col IN (SELECT value FROM json_each(?))`, one bound parameter for any number of
 *   values (D1 binds at most 100 per statement).
 * - `excluded`: `excluded.<column>` in an upsert's SET.
 * - `runBatch`: `drizzle(db).batch` over a list of any length (one D1 batch, one transaction).
 * - `StatementTemplate`: a statement drizzle builds once, with named placeholders, then binds
 *   per use; `statementOf` binds a query built now; `runStatements` runs them as one D1 batch.
 */
import { fillPlaceholders, getTableColumns, is, Placeholder, SQL, sql, type AnyColumn, type SQLWrapper } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/** One statement of a D1 batch, built by drizzle. */
export type D1Write = BatchItem<"sqlite">;

/**
 * The values of a new row: a value, an SQL expression or a placeholder (`sql.placeholder`,
 * for a `StatementTemplate`) per column; optional columns may be left out (their default).
 */
export type RowValues<T extends SQLiteTable> = { [K in keyof T["$inferInsert"]]: T["$inferInsert"][K] | SQL | Placeholder };

/** Every column of `table` (the schema has no generated columns), in table order, as an SQL expression: the given value, else the column's default (or NULL). */
export function rowOf<T extends SQLiteTable>(table: T, values: RowValues<T>): { [K in keyof T["$inferInsert"]]: SQL } {
  const given = values as Record<string, unknown>;
  const out: Record<string, SQL> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = given[key];
    if (value !== undefined) out[key] = is(value, SQL) ? value : sql`${sql.param(value, column)}`;
    else if (column.default !== undefined) out[key] = is(column.default, SQL) ? sql`${column.default}` : sql`${sql.param(column.default, column)}`;
    else out[key] = sql`null`;
  }
  return out as { [K in keyof T["$inferInsert"]]: SQL };
}

/**
 * `SELECT <row> [FROM <from>] WHERE <guard>` for `db.insert(table).select(…)`: the row (one, or
 * one per row of `from`) is inserted only where `guard` holds. SQLite needs the WHERE anyway
 * when such an insert has an ON CONFLICT clause (its parsing ambiguity).
 */
export function guardedRow<T extends SQLiteTable>(table: T, values: RowValues<T>, guard: SQL, from?: SQLWrapper): SQL {
  const source = from === undefined ? sql`` : sql` from ${from}`;
  return sql`select ${sql.join(Object.values(rowOf(table, values)), sql`, `)}${source} where ${guard}`;
}

/** A field of the current `json_each` row's object (`value ->> 'key'`). */
export function jsonValue(key: string): SQL {
  return sql`value ->> ${sql.raw(`'${key.replace(/'/g, "''")}'`)}`;
}

/** `json_each(?)` over `values` as a FROM source. */
export function jsonEach(values: unknown): SQL {
  return sql`json_each(${JSON.stringify(values)})`;
}

/**
 * `column IN (SELECT value FROM json_each(?))`: membership with one bound parameter — the
 * values, or a placeholder for their JSON array (`StatementTemplate`).
 */
export function inJson(column: SQLWrapper, values: readonly unknown[] | Placeholder): SQL {
  return sql`${column} IN (SELECT value FROM json_each(${is(values, Placeholder) ? values : JSON.stringify(values)}))`;
}

/** The value an upsert proposed for `column` (`excluded.<column>`). */
export function excluded(column: AnyColumn): SQL {
  return sql`excluded.${sql.identifier(column.name)}`;
}

/** Runs the statements as one D1 batch (one transaction), in order; [] for none. Results as drizzle maps them. */
export async function runBatch(db: D1Database, statements: readonly D1Write[]): Promise<unknown[]> {
  if (statements.length === 0) return [];
  return drizzle(db).batch(statements as unknown as [D1Write, ...D1Write[]]);
}

/** A drizzle query, as far as turning it into SQL goes. */
interface Buildable {
  toSQL(): { sql: string; params: unknown[] };
}

/**
 * A statement drizzle builds once (on first use), with a named placeholder (`sql.placeholder`)
 * for every value that varies, then bound per use with that use's values. For statements run
 * per batch on a hot path: the EVENTS consumer's, whose building by drizzle (walking the query's
 * chunks, every use) cost more CPU than D1's running them — 10 % of the server's samples in a
 * profile of S5 (`BENCH_PROFILE=S5`), 2–3 % of S1's. Only values may vary: the SQL text is
 * the same for every use and every database.
 */
export class StatementTemplate<Name extends string> {
  readonly #build: (d: DrizzleD1Database) => Buildable;
  #built: { sql: string; params: unknown[] } | undefined;

  constructor(build: (d: DrizzleD1Database) => Buildable) {
    this.#build = build;
  }

  /** The statement for `db` with the placeholders filled (each one needs its value; a column's placeholder is mapped by the column, as drizzle would). */
  bind(db: D1Database, values: Readonly<Record<Name, unknown>>): D1PreparedStatement {
    this.#built ??= this.#build(drizzle(db)).toSQL();
    const built = this.#built;
    return db.prepare(built.sql).bind(...fillPlaceholders(built.params, values));
  }
}

/** A drizzle query built now, as a D1 statement with its values bound (results come back as D1 gives them: rows keyed by column name). */
export function statementOf(db: D1Database, query: Buildable): D1PreparedStatement {
  const built = query.toSQL();
  return db.prepare(built.sql).bind(...built.params);
}

/** Runs D1 statements as one batch (one transaction), in order; [] for none. */
export async function runStatements(db: D1Database, statements: readonly D1PreparedStatement[]): Promise<D1Result[]> {
  if (statements.length === 0) return [];
  return db.batch([...statements]);
}
