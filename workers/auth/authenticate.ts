/**
 * `authenticate(...scopes)`: a middleware factory that checks `Authorization: Bearer <key>`
 * against D1 (by key id, digest compared in constant time) and admits only the given scopes.
 * Keys of suspended vendors are refused (403). Verified keys are remembered in this isolate
 * for KEY_CACHE_MS, so revocation and suspension take effect within that time.
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

const KEY_CACHE_MS = 30_000;
/** Key digest → principal, for keys verified in the last KEY_CACHE_MS. */
const verified = new TtlCache<string, Principal>(KEY_CACHE_MS, 1000);

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
