/**
 * The partitioned read model in tests (issue 19 item 2): the read database (`READ_<n>`) that
 * holds a SKU's or a vendor's projection rows, and queries over all of them. Tests read
 * `inventory_levels`, `alerts`, `daily_sales`, `processed_events`, `alert_cursors`,
 * `location_daily_load` and `read_sku_facts` here, never in `env.DB`.
 */
import { env } from "cloudflare:workers";
import { readDbs, skuReadDb, vendorReadDb } from "../../repositories/read-partitions";
import { deliveryDb, deliveryStores } from "../../repositories/webhooks";

/** The read database of a SKU (its vendor's; by its own id without master data). */
export function readDbOfSku(sku: string): Promise<D1Database> {
  return skuReadDb(env, sku);
}

/** The read database of a vendor. */
export function readDbOfVendor(vendorId: string): Promise<D1Database> {
  return vendorReadDb(env, vendorId);
}

/** Every read database, in partition order. */
export function allReadDbs(): D1Database[] {
  return readDbs(env);
}

/** The rows of one query run in each of `dbs`, concatenated in their order. */
async function queryEach<T>(dbs: readonly D1Database[], query: string, binds: unknown[]): Promise<T[]> {
  const parts = await Promise.all(
    dbs.map(
      async (db) =>
        (
          await db
            .prepare(query)
            .bind(...binds)
            .all<T>()
        ).results,
    ),
  );
  return parts.flat();
}

/** One write run in each of `dbs`; the rows changed over all of them. */
async function runEach(dbs: readonly D1Database[], query: string, binds: unknown[]): Promise<number> {
  const results = await Promise.all(
    dbs.map((db) =>
      db
        .prepare(query)
        .bind(...binds)
        .run(),
    ),
  );
  return results.reduce((n, r) => n + r.meta.changes, 0);
}

/** The rows of one query run in every read database, concatenated in partition order. */
export async function queryAllReadDbs<T>(query: string, ...binds: unknown[]): Promise<T[]> {
  return queryEach<T>(allReadDbs(), query, binds);
}

/**
 * Runs one write in every read database (a SKU's master row is in its vendor's only, issue 19
 * item 3: `UPDATE skus …` written this way reaches it wherever it is). Returns the rows changed
 * over all of them.
 */
export async function runAllReadDbs(query: string, ...binds: unknown[]): Promise<number> {
  return runEach(allReadDbs(), query, binds);
}

/**
 * Webhook deliveries (issue 19): a delivery's row is in the read database its id names
 * (`whd_r<i>_…`), or in `env.DB` for an id without one (rows made before deliveries were
 * partitioned; tests insert such legacy rows on purpose).
 */
export function deliveryDbOf(deliveryId: string): D1Database {
  return deliveryDb(env, deliveryId);
}

/** One delivery row by id, from its store. */
export async function deliveryRow<T = Record<string, unknown>>(deliveryId: string, columns = "*"): Promise<T | null> {
  return deliveryDbOf(deliveryId).prepare(`SELECT ${columns} FROM webhook_deliveries WHERE id = ?`).bind(deliveryId).first<T>();
}

/** The rows of one query run in every store of deliveries (`env.DB` first, then the read databases). */
export async function queryAllDeliveryStores<T>(query: string, ...binds: unknown[]): Promise<T[]> {
  return queryEach<T>(
    deliveryStores(env).map((s) => s.db),
    query,
    binds,
  );
}

/** Runs one write in every store of deliveries; returns the rows changed over all of them. */
export async function runAllDeliveryStores(query: string, ...binds: unknown[]): Promise<number> {
  return runEach(
    deliveryStores(env).map((s) => s.db),
    query,
    binds,
  );
}
