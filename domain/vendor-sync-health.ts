/**
 * The sync health rule, per vendor and method: the last success, a **stale** flag after a
 * configurable silence (no success for `staleAfterMs` since the last success, or since
 * monitoring began for a vendor that never succeeded), and a **`sync.failed`** alert when
 * the failures in a row reach `failureAlertAfter` — once per streak, not on every further
 * failure; the next success ends the streak and says the alert can be resolved.
 *
 * The state is folded attempt by attempt (`recordSyncAttempt`), so it can live in a row
 * and be updated as attempts finish; an attempt older than the last one recorded is
 * ignored (attempts may be reported twice or late). Times are epoch milliseconds passed
 * in: nothing here reads a clock. Pure.
 */
import type { SyncMethod } from "./vendor-sync-settings";

export interface SyncAttempt {
  vendorId: string;
  method: SyncMethod;
  /** When the attempt finished. */
  at: number;
  ok: boolean;
  /** Why it failed (shown in the alert). */
  error?: string | null;
}

export interface SyncHealthPolicy {
  staleAfterMs: number;
  failureAlertAfter: number;
}

export interface SyncHealthState {
  vendorId: string;
  method: SyncMethod;
  /** When monitoring began (the settings were enabled): silence counts from here until a first success. */
  monitoredSince: number;
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  consecutiveFailures: number;
  /** The first failure of the current streak. */
  failingSince: number | null;
  lastError: string | null;
  /** `sync.failed` was raised for the current streak. */
  alerted: boolean;
}

export interface SyncFailedAlert {
  type: "sync.failed";
  vendorId: string;
  method: SyncMethod;
  consecutiveFailures: number;
  failingSince: number;
  lastError: string | null;
}

export interface SyncHealthStatus {
  vendorId: string;
  method: SyncMethod;
  lastSuccessAt: number | null;
  /** Time since the last success (or since monitoring began). */
  silentForMs: number;
  stale: boolean;
  consecutiveFailures: number;
  /** The streak reached the alert threshold. */
  failing: boolean;
}

/** The state of a vendor and method before any attempt. */
export function initialSyncHealth(vendorId: string, method: SyncMethod, monitoredSince: number): SyncHealthState {
  return {
    vendorId,
    method,
    monitoredSince,
    lastAttemptAt: null,
    lastSuccessAt: null,
    lastFailureAt: null,
    consecutiveFailures: 0,
    failingSince: null,
    lastError: null,
    alerted: false,
  };
}

/**
 * Folds one attempt into the state. Returns the new state, the `sync.failed` alert when
 * this attempt made the streak reach the threshold, and `recovered` when a success ended a
 * streak that had raised one.
 */
export function recordSyncAttempt(
  state: SyncHealthState,
  attempt: SyncAttempt,
  policy: SyncHealthPolicy,
): { state: SyncHealthState; alert: SyncFailedAlert | null; recovered: boolean } {
  if (attempt.vendorId !== state.vendorId || attempt.method !== state.method || (state.lastAttemptAt !== null && attempt.at < state.lastAttemptAt)) {
    return { state, alert: null, recovered: false };
  }
  if (attempt.ok) {
    const next: SyncHealthState = {
      ...state,
      lastAttemptAt: attempt.at,
      lastSuccessAt: attempt.at,
      consecutiveFailures: 0,
      failingSince: null,
      alerted: false,
    };
    return { state: next, alert: null, recovered: state.alerted };
  }
  const next: SyncHealthState = {
    ...state,
    lastAttemptAt: attempt.at,
    lastFailureAt: attempt.at,
    consecutiveFailures: state.consecutiveFailures + 1,
    failingSince: state.failingSince ?? attempt.at,
    lastError: attempt.error ?? null,
  };
  let alert: SyncFailedAlert | null = null;
  if (!state.alerted && next.consecutiveFailures >= policy.failureAlertAfter) {
    next.alerted = true;
    alert = {
      type: "sync.failed",
      vendorId: state.vendorId,
      method: state.method,
      consecutiveFailures: next.consecutiveFailures,
      failingSince: next.failingSince!,
      lastError: next.lastError,
    };
  }
  return { state: next, alert, recovered: false };
}

/** The health of a vendor and method at `now`. Stale is strictly more silence than `staleAfterMs`. */
export function syncHealthStatus(state: SyncHealthState, now: number, policy: SyncHealthPolicy): SyncHealthStatus {
  const silentForMs = Math.max(0, now - (state.lastSuccessAt ?? state.monitoredSince));
  return {
    vendorId: state.vendorId,
    method: state.method,
    lastSuccessAt: state.lastSuccessAt,
    silentForMs,
    stale: silentForMs > policy.staleAfterMs,
    consecutiveFailures: state.consecutiveFailures,
    failing: state.consecutiveFailures >= policy.failureAlertAfter,
  };
}
