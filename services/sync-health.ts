/**
 * Sync health per vendor and method (issue 16): every finished attempt — a push that became
 * a job or was refused, a pull that fetched or failed — is folded into the vendor's row
 * (`domain/vendor-sync-health.ts`); when the failures in a row reach the vendor's
 * `failureAlertAfter`, a `sync.failed` event goes to the vendor's and the operators'
 * webhook subscriptions (once per streak) and the row says `alerted` until a success.
 *
 * What counts: a success is a file that became a sync job with at least one item accepted
 * (or nothing wrong in it), or a pull whose feed had not changed (304, or the same bytes);
 * a failure is a file refused whole (unreadable, unknown format), a job whose every item was
 * refused, or a pull that could not fetch.
 */
import type { VendorSyncHealthRow } from "../d1/schema";
import { SYNC_FAILED_EVENT_TYPE } from "../domain/sync-jobs";
import {
  initialSyncHealth,
  recordSyncAttempt,
  syncHealthStatus,
  type SyncFailedAlert,
  type SyncHealthPolicy,
  type SyncHealthState,
} from "../domain/vendor-sync-health";
import { DEFAULT_FAILURE_ALERT_AFTER, DEFAULT_STALE_INTERVALS, SYNC_TIER_MINUTES, syncHealthPolicy, type SyncMethod } from "../domain/vendor-sync-settings";
import { findHealthRow, saveHealthState, vendorHealthRows } from "../repositories/vendor-sync-health";
import { findVendorSyncSettings } from "../repositories/vendor-sync-settings";
import { findVendor } from "../repositories/vendors";
import { fanOutVendorEvent } from "./webhook-fanout";
import { settingsOfRow } from "./sync-settings";

/** The rule for a vendor without settings: the standard tier's (stale after 3 × 30 min, alert after 3 failures). */
export const DEFAULT_HEALTH_POLICY: SyncHealthPolicy = {
  staleAfterMs: DEFAULT_STALE_INTERVALS * SYNC_TIER_MINUTES.standard * 60_000,
  failureAlertAfter: DEFAULT_FAILURE_ALERT_AFTER,
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function stateOf(row: VendorSyncHealthRow): SyncHealthState {
  return {
    vendorId: row.vendorId,
    method: row.method,
    monitoredSince: row.monitoredSince,
    lastAttemptAt: row.lastAttemptAt,
    lastSuccessAt: row.lastSuccessAt,
    lastFailureAt: row.lastFailureAt,
    consecutiveFailures: row.consecutiveFailures,
    failingSince: row.failingSince,
    lastError: row.lastError,
    alerted: row.alerted,
  };
}

/** A vendor's health rule and when monitoring began: from its settings, else the defaults from the vendor's creation. */
async function policyOf(env: Env, vendorId: string): Promise<{ policy: SyncHealthPolicy; monitoredSince: number | null }> {
  const row = await findVendorSyncSettings(env.DB, vendorId);
  const settings = settingsOfRow(row);
  if (row !== undefined && settings !== null) return { policy: syncHealthPolicy(settings), monitoredSince: row.createdAt };
  const vendor = await findVendor(env.DB, vendorId);
  return { policy: DEFAULT_HEALTH_POLICY, monitoredSince: vendor?.createdAt ?? null };
}

/** The `sync.failed` event of a streak: one id per vendor, method and streak start, so deliveries dedupe. */
export function syncFailedEvent(alert: SyncFailedAlert, at: number) {
  return {
    id: `evt:sync-failed:${alert.vendorId}:${alert.method}:${alert.failingSince}`,
    type: SYNC_FAILED_EVENT_TYPE,
    occurredAt: new Date(at).toISOString(),
    vendorId: alert.vendorId,
    method: alert.method,
    consecutiveFailures: alert.consecutiveFailures,
    failingSince: new Date(alert.failingSince).toISOString(),
    lastError: alert.lastError,
    links: { health: `/api/v2/vendors/${alert.vendorId}/sync-health` },
  };
}

export interface AttemptReport {
  vendorId: string;
  method: SyncMethod;
  at: number;
  ok: boolean;
  error?: string | null;
  jobId?: string | null;
}

/**
 * Folds one attempt into the vendor's health and raises `sync.failed` when it completes a
 * streak. Never throws: health must not fail the sync it watches (a problem is logged).
 */
export async function reportSyncAttempt(env: Env, attempt: AttemptReport): Promise<{ alert: SyncFailedAlert | null }> {
  try {
    const { policy, monitoredSince } = await policyOf(env, attempt.vendorId);
    for (let tries = 0; tries < 4; tries++) {
      const previous = await findHealthRow(env.DB, attempt.vendorId, attempt.method);
      const state =
        previous === undefined ? initialSyncHealth(attempt.vendorId, attempt.method, Math.min(monitoredSince ?? attempt.at, attempt.at)) : stateOf(previous);
      const folded = recordSyncAttempt(
        state,
        { vendorId: attempt.vendorId, method: attempt.method, at: attempt.at, ok: attempt.ok, error: attempt.error ?? null },
        policy,
      );
      if (folded.state === state) return { alert: null };
      const event = folded.alert === null ? null : syncFailedEvent(folded.alert, attempt.at);
      const alertEventId = event !== null ? event.id : folded.recovered ? null : (previous?.alertEventId ?? null);
      const saved = await saveHealthState(
        env.DB,
        folded.state,
        previous,
        { alertEventId, lastJobId: attempt.jobId ?? previous?.lastJobId ?? null },
        attempt.at,
      );
      if (!saved) continue;
      if (event !== null) {
        console.warn(JSON.stringify({ event: "sync.failed", vendorId: attempt.vendorId, method: attempt.method, failures: folded.alert!.consecutiveFailures }));
        await fanOutVendorEvent(env, { eventId: event.id, eventType: event.type, payload: event }, attempt.vendorId, attempt.at);
      }
      if (folded.recovered) console.log(JSON.stringify({ event: "sync.recovered", vendorId: attempt.vendorId, method: attempt.method }));
      return { alert: folded.alert };
    }
    console.warn(JSON.stringify({ event: "sync.health_contended", vendorId: attempt.vendorId, method: attempt.method }));
  } catch (error) {
    console.error(JSON.stringify({ event: "sync.health_failed", vendorId: attempt.vendorId, error: error instanceof Error ? error.message : "unknown" }));
  }
  return { alert: null };
}

/**
 * A vendor's sync health at `now`: per method the last success, attempt and failure, the
 * failures in a row and whether they raised `sync.failed`; and `stale` — no successful sync
 * of any method for longer than the vendor's silence (`health.staleAfterMinutes`, default
 * three intervals), counted from when monitoring began for a vendor that never succeeded.
 */
export async function vendorSyncHealthJson(env: Env, vendorId: string, now: number) {
  const [{ policy, monitoredSince }, rows, settingsRow] = await Promise.all([
    policyOf(env, vendorId),
    vendorHealthRows(env.DB, vendorId),
    findVendorSyncSettings(env.DB, vendorId),
  ]);
  const methods = rows
    .map((row) => {
      const status = syncHealthStatus(stateOf(row), now, policy);
      return {
        method: row.method,
        lastSuccessAt: iso(row.lastSuccessAt),
        lastAttemptAt: iso(row.lastAttemptAt),
        lastFailureAt: iso(row.lastFailureAt),
        lastError: row.lastError,
        lastJobId: row.lastJobId,
        consecutiveFailures: row.consecutiveFailures,
        failingSince: iso(row.failingSince),
        failing: status.failing,
        alerted: row.alerted,
        stale: status.stale,
        silentForSeconds: Math.floor(status.silentForMs / 1000),
      };
    })
    .sort((a, b) => a.method.localeCompare(b.method));
  const lastSuccess = rows.reduce<number | null>((m, r) => (r.lastSuccessAt !== null && (m === null || r.lastSuccessAt > m) ? r.lastSuccessAt : m), null);
  const since = lastSuccess ?? Math.min(monitoredSince ?? now, ...rows.map((r) => r.monitoredSince));
  const silentForMs = Math.max(0, now - since);
  return {
    vendorId,
    checkedAt: iso(now),
    lastSuccessAt: iso(lastSuccess),
    stale: silentForMs > policy.staleAfterMs,
    staleAfterMinutes: policy.staleAfterMs / 60_000,
    silentForSeconds: Math.floor(silentForMs / 1000),
    failureAlertAfter: policy.failureAlertAfter,
    failing: methods.some((m) => m.failing),
    methods,
    pull:
      settingsRow?.method === "pull_url"
        ? {
            enabled: settingsRow.enabled,
            nextPullAt: iso(settingsRow.nextPullAt),
            lastPullAt: iso(settingsRow.lastPullAt),
            lastOutcome: settingsRow.lastPullOutcome,
            lastStatus: settingsRow.lastPullStatus,
            lastError: settingsRow.lastPullError,
            lastJobId: settingsRow.pullJobId,
          }
        : null,
  };
}
