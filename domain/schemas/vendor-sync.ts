/**
 * Input schemas of the vendor channel endpoints (issue 16): the `format` of a sync upload,
 * and `PUT /api/v2/vendors/{vendorId}/sync-settings` — the domain's settings
 * (`VendorSyncSettingsSchema`, every rule and limit of it) plus the pull's auth header,
 * which is stored but never shown whole again.
 */
import { z } from "zod";
import { VendorSyncSettingsSchema } from "../vendor-sync-settings";
import { SyncIngestQuery } from "./sync";

/** What a sync upload is read as: `auto` detects from the header (or the ISA). */
export const SYNC_UPLOAD_FORMATS = ["auto", "ours", "shopify", "generic", "x12"] as const;
export const SyncUploadFormat = z.enum(SYNC_UPLOAD_FORMATS);

/** `POST /api/v2/inventory/sync` query string, with the file's format. */
export const SyncUploadQuery = SyncIngestQuery.extend({
  /** Default: the vendor's setting, else `auto`. JSON bodies are always ours. */
  format: SyncUploadFormat.optional(),
});

/** Limits of the settings beyond the domain's own (README "Vendor channels"). */
export const SYNC_SETTINGS_LIMITS = {
  /** Entries in the location-name table. */
  maxLocationNames: 1000,
  /** Characters of a location name in the table. */
  maxLocationNameLength: 200,
  /** Characters of the pull's auth header value. */
  maxAuthValueLength: 4096,
  /** The PUT body, bytes. */
  maxBodyBytes: 64 * 1024,
} as const;

/** Headers a pull may not set: the fetch sets them itself, or they are not credentials. */
const RESERVED_HEADERS = new Set([
  "host",
  "content-length",
  "content-type",
  "if-none-match",
  "if-modified-since",
  "accept",
  "accept-encoding",
  "connection",
  "transfer-encoding",
]);

/** The header a pull sends to authenticate (`Authorization: Bearer …`, `X-Api-Key: …`). */
export const PullAuth = z.strictObject({
  header: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, "an HTTP header name: 1–64 letters, digits and '-'")
    .refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), "a header the pull sets itself; use Authorization or your own X-… header"),
  value: z
    .string()
    .min(1)
    .max(SYNC_SETTINGS_LIMITS.maxAuthValueLength)
    .regex(/^[\x20-\x7e]+$/, "visible ASCII and spaces only (no line breaks)"),
});

/**
 * The PUT body: the settings, and `pullAuth` — an object sets it, `null` removes it,
 * absent keeps the stored one (so a client that only read the masked hint can save
 * other changes without knowing the secret).
 */
export const VendorSyncSettingsBody = VendorSyncSettingsSchema.safeExtend({
  pullAuth: PullAuth.nullable().optional(),
}).superRefine((s, ctx) => {
  const names = Object.keys(s.locationNames);
  if (names.length > SYNC_SETTINGS_LIMITS.maxLocationNames) {
    ctx.addIssue({ code: "custom", path: ["locationNames"], message: `at most ${SYNC_SETTINGS_LIMITS.maxLocationNames} location names` });
  }
  for (const name of names) {
    if (name.length > SYNC_SETTINGS_LIMITS.maxLocationNameLength) {
      ctx.addIssue({
        code: "custom",
        path: ["locationNames", name.slice(0, 40)],
        message: `a location name is at most ${SYNC_SETTINGS_LIMITS.maxLocationNameLength} characters`,
      });
    }
  }
  if (s.pullAuth != null && s.method !== "pull_url") ctx.addIssue({ code: "custom", path: ["pullAuth"], message: "an auth header is for method pull_url" });
});
export type VendorSyncSettingsInput = z.output<typeof VendorSyncSettingsBody>;

/** `GET /api/v2/vendors/{vendorId}/sync-health`. */
export const SyncHealthQuery = z.strictObject({});
