/**
 * API keys after they are issued: the list (metadata only — never the hash, and the key
 * itself was shown once at issue) and revocation. Operators see and revoke every key; a
 * vendor key sees and revokes its own vendor's keys only (another vendor's look absent).
 */
import type { Scope } from "../domain/api-keys";
import { findApiKey, listApiKeys, revokeApiKey, type ApiKeyListRow } from "../repositories/api-keys";
import { ApiError } from "./api-error";
import { actorOf, type Principal } from "./principal";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A key as the API shows it. */
export function apiKeyJson(row: ApiKeyListRow) {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    vendorId: row.vendorId,
    channel: row.channel,
    status: row.revokedAt === null ? ("active" as const) : ("revoked" as const),
    createdAt: iso(row.createdAt),
    revokedAt: iso(row.revokedAt),
    revokedBy: row.revokedBy,
  };
}

/** A page of the keys the caller may see, and the (createdAt, id) to continue after. */
export async function listApiKeysForCaller(
  env: Env,
  principal: Principal,
  query: {
    vendorId?: string | undefined;
    scope?: Scope | undefined;
    status?: "active" | "revoked" | undefined;
    cursor?: [number, string] | undefined;
    limit: number;
  },
) {
  if (principal.scope === "vendor" && query.vendorId !== undefined && query.vendorId !== principal.vendorId) {
    throw new ApiError(403, "forbidden", "vendor keys see their own keys only", [{ path: ["query", "vendorId"], message: "omit vendorId, or give your own" }]);
  }
  const rows = await listApiKeys(env.DB, {
    vendorId: principal.scope === "vendor" ? principal.vendorId! : query.vendorId,
    scope: query.scope,
    status: query.status,
    after: query.cursor,
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return { items: page.map(apiKeyJson), next: rows.length > query.limit && last !== undefined ? ([last.createdAt, last.id] as const) : null };
}

/**
 * Revokes a key (idempotent: a revoked key is answered as it stands, with its first
 * revocation's time and actor). 404 `api_key_not_found` for an unknown key and, for a vendor
 * key, for another vendor's. The caller drops the key from its own isolate's cache.
 */
export async function revokeApiKeyForCaller(env: Env, principal: Principal, id: string, now = Date.now()) {
  const row = await findApiKey(env.DB, id);
  if (row === undefined || (principal.scope === "vendor" && row.vendorId !== principal.vendorId)) {
    throw new ApiError(404, "api_key_not_found", `no API key ${id}`, { id });
  }
  const revoked = await revokeApiKey(env.DB, id, actorOf(principal), now);
  return apiKeyJson(revoked!);
}
