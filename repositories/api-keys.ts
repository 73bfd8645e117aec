/** API key rows in D1. */
import { and, desc, eq, isNotNull, isNull, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { apiKeys, type ApiKeyRow } from "../d1/schema";
import type { Scope } from "../domain/api-keys";

export async function findApiKey(db: D1Database, id: string): Promise<ApiKeyRow | undefined> {
  return drizzle(db).select().from(apiKeys).where(eq(apiKeys.id, id)).get();
}

export async function insertApiKey(
  db: D1Database,
  row: { id: string; name: string; scope: Scope; vendorId: string | null; channel: string | null; keyHash: string },
): Promise<ApiKeyRow> {
  return drizzle(db).insert(apiKeys).values(row).returning().get();
}

/** A key as listed: everything but its hash. */
export type ApiKeyListRow = Omit<ApiKeyRow, "keyHash">;

const listColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  scope: apiKeys.scope,
  vendorId: apiKeys.vendorId,
  channel: apiKeys.channel,
  createdAt: apiKeys.createdAt,
  revokedAt: apiKeys.revokedAt,
  revokedBy: apiKeys.revokedBy,
};

/** Keys newest first (createdAt, then id, descending) after the keyset position `after`; never the hash. */
export async function listApiKeys(
  db: D1Database,
  f: {
    vendorId?: string | undefined;
    scope?: Scope | undefined;
    status?: "active" | "revoked" | undefined;
    after?: readonly [number, string] | undefined;
    limit: number;
  },
): Promise<ApiKeyListRow[]> {
  const k = apiKeys;
  const conditions: SQL[] = [];
  if (f.vendorId !== undefined) conditions.push(eq(k.vendorId, f.vendorId));
  if (f.scope !== undefined) conditions.push(eq(k.scope, f.scope));
  if (f.status === "active") conditions.push(isNull(k.revokedAt));
  if (f.status === "revoked") conditions.push(isNotNull(k.revokedAt));
  if (f.after !== undefined) conditions.push(sql`(${k.createdAt}, ${k.id}) < (${f.after[0]}, ${f.after[1]})`);
  return drizzle(db)
    .select(listColumns)
    .from(k)
    .where(and(...conditions))
    .orderBy(desc(k.createdAt), desc(k.id))
    .limit(f.limit)
    .all();
}

/** Marks a key revoked once (a revoked key keeps its first time and actor); returns the key as it stands, or undefined if unknown. */
export async function revokeApiKey(db: D1Database, id: string, by: string, now: number): Promise<ApiKeyListRow | undefined> {
  const d = drizzle(db);
  await d
    .update(apiKeys)
    .set({ revokedAt: now, revokedBy: by })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .run();
  return d.select(listColumns).from(apiKeys).where(eq(apiKeys.id, id)).get();
}
