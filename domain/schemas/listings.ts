/**
 * Query and path schemas of the listings the dashboard reads (sync jobs, API keys, vendors)
 * and of a dead letter's id. Cursors are keyset positions (`cursor.ts`), tagged per listing.
 */
import { z } from "zod";
import { SYNC_JOB_STATUSES } from "../sync-jobs";
import { VendorId } from "./common";
import { cursorParam } from "./cursor";

const limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

const isoTime = z.iso.datetime({ offset: true }).transform((v) => Date.parse(v));

export const SYNC_JOBS_CURSOR = "sj1";
/** `GET /api/v2/sync`: newest first; `since` keeps jobs created at or after a time. */
export const SyncJobListQuery = z.strictObject({
  vendorId: VendorId.optional(),
  status: z.enum(SYNC_JOB_STATUSES).optional(),
  since: isoTime.optional(),
  cursor: cursorParam(SYNC_JOBS_CURSOR, z.tuple([z.int().nonnegative(), z.string().max(64)])).optional(),
  limit: limit(500, 50),
});
export type SyncJobListQuery = z.infer<typeof SyncJobListQuery>;

/** An API key's id: the 12 lowercase letters and digits after `eik_` in the key. */
export const ApiKeyId = z.string().regex(/^[a-z0-9]{12}$/, "not an API key id");

export const API_KEYS_CURSOR = "ak1";
/** `GET /api/v2/api-keys`: newest first. */
export const ApiKeyListQuery = z.strictObject({
  vendorId: VendorId.optional(),
  scope: z.enum(["checkout", "vendor", "operator"]).optional(),
  /** active: not revoked; revoked; default both. */
  status: z.enum(["active", "revoked"]).optional(),
  cursor: cursorParam(API_KEYS_CURSOR, z.tuple([z.int().nonnegative(), z.string().max(64)])).optional(),
  limit: limit(500, 100),
});
export type ApiKeyListQuery = z.infer<typeof ApiKeyListQuery>;

export const VENDORS_CURSOR = "vn1";
/** `GET /api/v2/vendors`: by id; `q` matches a part of the name or of the id, case-insensitively. */
export const VendorListQuery = z.strictObject({
  q: z.string().trim().min(1).max(64).optional(),
  status: z.enum(["active", "suspended"]).optional(),
  cursor: cursorParam(VENDORS_CURSOR, z.tuple([z.string().max(64)])).optional(),
  limit: limit(500, 100),
});
export type VendorListQuery = z.infer<typeof VendorListQuery>;

/**
 * A dead letter's id: `<queue>:<message id>` (its D1 key; queue names never hold a colon).
 * The listing returns it as `id`.
 */
export const DeadLetterId = z
  .string()
  .max(300)
  .regex(/^[a-z0-9-]{1,64}:[\x21-\x7e]{1,200}$/, "not a dead letter id (<queue>:<message id>, as listed)")
  .transform((id) => {
    const colon = id.indexOf(":");
    return { queue: id.slice(0, colon), messageId: id.slice(colon + 1) };
  });

/** The listing's id of a dead letter. */
export function deadLetterId(queue: string, messageId: string): string {
  return `${queue}:${messageId}`;
}
