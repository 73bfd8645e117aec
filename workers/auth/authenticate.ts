/**
 * `authenticate(...scopes)`: a middleware factory that checks `Authorization: Bearer <key>`
 * against D1 (by key id, digest compared in constant time) and admits only the given scopes.
 * Keys of suspended vendors are refused (403). Verified keys are remembered in this isolate
 * for KEY_CACHE_MS, so a suspension takes effect within that time. A revocation takes effect
 * at once on the isolate that served it (`forgetApiKey`) and within KEY_CACHE_MS on every
 * other isolate (each still holds the key it verified until its entry expires; there is no
 * cross-isolate signal).
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { ApiError } from "../../services/api-error";
import { findApiKey } from "../../repositories/api-keys";
import { findVendor } from "../../repositories/vendors";
import { TtlCache } from "../../repositories/ttl-cache";
import { apiKeyId, keyMatchesHash, type Scope } from "../../domain/api-keys";
import { sha256Hex } from "../../domain/hashing";
import type { Principal } from "../../services/principal";

/** How long an isolate trusts a key it verified: the bound on a revocation reaching every isolate. */
export const KEY_CACHE_MS = 30_000;
const KEY_CACHE_ENTRIES = 1000;
/** Key digest → principal, for keys verified in the last KEY_CACHE_MS. */
const verified = new TtlCache<string, Principal>(KEY_CACHE_MS, KEY_CACHE_ENTRIES);
/** Key id → the digest it was cached under (the cache is keyed by the whole key's digest, never by id alone). */
const digestOfKey = new Map<string, string>();

/** Drops a key from this isolate's cache (after revoking it): its next request here is checked against D1. */
export function forgetApiKey(keyId: string): void {
  const digest = digestOfKey.get(keyId);
  if (digest !== undefined) verified.delete(digest);
  digestOfKey.delete(keyId);
}

const challenge = { "WWW-Authenticate": 'Bearer realm="edge-inventory"' };

/** Resolves the caller's principal, or throws 401. */
async function principalOf(env: Env, header: string | undefined): Promise<Principal> {
  // The scheme name is case-insensitive (RFC 9110 §11.1).
  const match = /^Bearer +([^\s]+)$/i.exec((header ?? "").trim());
  if (match === null) {
    throw new ApiError(401, "unauthorized", "send Authorization: Bearer <api key>", undefined, challenge);
  }
  const key = match[1]!;
  const id = apiKeyId(key);
  if (id === null) throw new ApiError(401, "unauthorized", "the API key is not valid", undefined, challenge);
  const digest = await sha256Hex(key);
  const cached = verified.get(digest);
  if (cached !== undefined) return cached;
  const row = await findApiKey(env.DB, id);
  if (row === undefined || row.revokedAt !== null || !(await keyMatchesHash(key, row.keyHash))) {
    throw new ApiError(401, "unauthorized", "the API key is not valid", undefined, challenge);
  }
  const principal: Principal = { keyId: row.id, scope: row.scope, vendorId: row.vendorId, channel: row.scope === "checkout" ? row.channel : null };
  if (row.vendorId !== null && (await findVendor(env.DB, row.vendorId))?.status !== "active") {
    throw new ApiError(403, "vendor_suspended", `vendor ${row.vendorId} is suspended; its keys are disabled`);
  }
  verified.set(digest, principal);
  // Same order and bound as the cache, so the id of every cached key is still here.
  digestOfKey.delete(row.id);
  digestOfKey.set(row.id, digest);
  if (digestOfKey.size > KEY_CACHE_ENTRIES) digestOfKey.delete(digestOfKey.keys().next().value!);
  return principal;
}

/** Admits callers whose key has one of `scopes`; sets `principal` for the handler. */
export function authenticate(...scopes: Scope[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const principal = await principalOf(c.env, c.req.header("authorization"));
    if (!scopes.includes(principal.scope)) {
      throw new ApiError(403, "forbidden", `this endpoint needs a ${scopes.join(" or ")} key; yours is ${principal.scope}`);
    }
    c.set("principal", principal);
    await next();
  });
}
