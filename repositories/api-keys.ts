/** API key rows in D1. */
import { eq } from "drizzle-orm";
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
