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
