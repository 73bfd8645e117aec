/**
 * Vendors' sync settings (issue 16): read and replace them (operators, or the vendor itself),
 * with the pull's auth secret stored but only ever shown as a masked hint, and a pull URL
 * held to the webhook target rules (`domain/webhook-targets.ts`): in production it cannot
 * name a private, loopback or link-local address or a private-use name.
 */
import type { VendorSyncSettingsRow } from "../d1/schema";
import type { VendorSyncSettingsInput } from "../domain/schemas/vendor-sync";
import { webhookUrlProblem } from "../domain/webhook-targets";
import { parseVendorSyncSettings, syncHealthPolicy, syncIntervalMinutes, type VendorSyncSettings } from "../domain/vendor-sync-settings";
import { findVendor } from "../repositories/vendors";
import { findVendorSyncSettings, saveVendorSyncSettings } from "../repositories/vendor-sync-settings";
import { ApiError } from "./api-error";
import { webhookTargetPolicy } from "./environment";
import { actorOf, canManageVendor, type Principal } from "./principal";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** What the API shows of a secret: its last four characters when it is long enough to spare them. */
export function maskedHint(secret: string): string {
  return secret.length >= 12 ? `••••${secret.slice(-4)}` : "••••";
}

/** 404 for an unknown vendor; 403 for a vendor key of another vendor. */
export async function checkVendorAccess(env: Env, principal: Principal, vendorId: string): Promise<void> {
  if (!canManageVendor(principal, vendorId)) {
    throw new ApiError(403, "forbidden", "vendor keys see and change their own sync settings only", [
      { path: ["path", "vendorId"], message: "give your own vendor id" },
    ]);
  }
  if ((await findVendor(env.DB, vendorId)) === undefined) throw new ApiError(404, "vendor_not_found", `no vendor ${vendorId}`, { vendorId });
}

/** A stored row's settings, validated again (a row from an older version that no longer validates is treated as absent). */
export function settingsOfRow(row: VendorSyncSettingsRow | undefined): VendorSyncSettings | null {
  if (row === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(row.settings);
  } catch {
    return null;
  }
  const parsed = parseVendorSyncSettings(value);
  return parsed.ok ? parsed.settings : null;
}

/** A vendor's stored settings, or null when it has none. */
export async function vendorSyncSettingsOf(env: Env, vendorId: string): Promise<VendorSyncSettings | null> {
  return settingsOfRow(await findVendorSyncSettings(env.DB, vendorId));
}

/** The settings as the API shows them: the settings, the masked auth header, the pull's state. */
export function syncSettingsJson(row: VendorSyncSettingsRow) {
  const settings = settingsOfRow(row);
  const policy = settings === null ? null : syncHealthPolicy(settings);
  return {
    vendorId: row.vendorId,
    settings,
    pullAuth: row.pullAuthHeader === null ? null : { header: row.pullAuthHeader, hint: row.pullAuthHint },
    intervalMinutes: row.intervalMinutes,
    staleAfterMinutes: policy === null ? null : policy.staleAfterMs / 60_000,
    pull:
      row.method === "pull_url"
        ? {
            nextPullAt: iso(row.nextPullAt),
            lastPullAt: iso(row.lastPullAt),
            lastOutcome: row.lastPullOutcome,
            lastStatus: row.lastPullStatus,
            lastError: row.lastPullError,
            lastJobId: row.pullJobId,
            etag: row.pullEtag,
            lastModified: row.pullLastModified,
          }
        : null,
    version: row.version,
    updatedBy: row.updatedBy,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/** The caller's view of a vendor's settings; 404 `sync_settings_not_found` when none were saved. */
export async function getSyncSettings(env: Env, principal: Principal, vendorId: string) {
  await checkVendorAccess(env, principal, vendorId);
  const row = await findVendorSyncSettings(env.DB, vendorId);
  if (row === undefined) {
    throw new ApiError(404, "sync_settings_not_found", `vendor ${vendorId} has no sync settings; PUT them to start`, { vendorId });
  }
  return syncSettingsJson(row);
}

/**
 * Replaces a vendor's settings. A `pull_url` vendor's first pull is due at once when the
 * settings are new, enabled or point somewhere new; otherwise the due time is kept.
 */
export async function putSyncSettings(env: Env, principal: Principal, vendorId: string, input: VendorSyncSettingsInput, now = Date.now()) {
  await checkVendorAccess(env, principal, vendorId);
  const { pullAuth, ...settings } = input;
  if (settings.pullUrl !== undefined) {
    const problem = webhookUrlProblem(settings.pullUrl, webhookTargetPolicy(env));
    if (problem !== null) throw ApiError.invalid("invalid sync settings", [{ path: ["body", "pullUrl"], message: problem, code: "invalid_pull_url" }]);
  }
  const previous = await findVendorSyncSettings(env.DB, vendorId);
  const before = settingsOfRow(previous);
  const pulled = settings.enabled && settings.method === "pull_url";
  const wasPulled = before !== null && before.enabled && before.method === "pull_url";
  const sameTarget = before?.pullUrl === settings.pullUrl && pullAuth === undefined;
  const nextPullAt = !pulled ? null : wasPulled && sameTarget && previous?.nextPullAt != null ? previous.nextPullAt : now;
  const auth =
    pullAuth === undefined
      ? settings.method === "pull_url"
        ? undefined
        : null
      : pullAuth === null
        ? null
        : { header: pullAuth.header, secret: pullAuth.value, hint: maskedHint(pullAuth.value) };
  const row = await saveVendorSyncSettings(env.DB, {
    vendorId,
    settings: JSON.stringify(settings satisfies VendorSyncSettings),
    enabled: settings.enabled,
    method: settings.method,
    intervalMinutes: syncIntervalMinutes(settings),
    auth,
    nextPullAt,
    resetCursor: before?.pullUrl !== settings.pullUrl,
    updatedBy: actorOf(principal),
    now,
  });
  return { created: previous === undefined, json: syncSettingsJson(row) };
}
