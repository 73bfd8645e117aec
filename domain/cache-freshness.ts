/**
 * Stale-while-revalidate for a cached copy, as a pure rule: by its age (time since the copy
 * was read from its source of truth), a copy is served as it is (`fresh`), served while one
 * refresh runs in the background (`stale`), or not served at all (`expired`: the reader waits
 * for the source).
 */

/** How long a copy is fresh, and past what age it is never served (ms, `freshMs` ≤ `maxStaleMs`). */
export interface FreshnessPolicy {
  freshMs: number;
  maxStaleMs: number;
}

export type Freshness = "fresh" | "stale" | "expired";

/**
 * The freshness of a copy `ageMs` old. A negative age (a copy stamped by a clock a little
 * ahead of this one) counts as fresh: ages are clamped where copies are stamped, not here.
 */
export function freshnessOf(ageMs: number, policy: FreshnessPolicy): Freshness {
  if (ageMs < policy.freshMs) return "fresh";
  return ageMs < policy.maxStaleMs ? "stale" : "expired";
}

/**
 * How long a copy stays fresh by how long its source had gone unchanged when it was read: a
 * fraction of that quiet time (HTTP's heuristic freshness, RFC 9111 §4.2.2, suggests 10 %),
 * never less than `minFreshMs` nor more than `maxFreshMs`. A source that changed a moment ago
 * is read again soon; one quiet for hours is read again at most every `maxFreshMs`.
 */
export interface HeuristicFreshness {
  minFreshMs: number;
  maxFreshMs: number;
  /** The share of the quiet time a copy is fresh for (0 … 1). */
  fraction: number;
  maxStaleMs: number;
}

/**
 * The policy for a copy read at `readAt` of a source last changed at `changedAt` (ms; null or
 * unknown: the minimum). A `changedAt` after `readAt` (clocks apart) counts as no quiet time.
 * `maxFreshMs` must not exceed `maxStaleMs`.
 */
export function heuristicPolicy(readAt: number, changedAt: number | null, h: HeuristicFreshness): FreshnessPolicy {
  const quietMs = changedAt === null || !Number.isFinite(changedAt) ? 0 : Math.max(0, readAt - changedAt);
  const freshMs = Math.min(h.maxFreshMs, Math.max(h.minFreshMs, Math.floor(quietMs * h.fraction)));
  return { freshMs, maxStaleMs: h.maxStaleMs };
}
