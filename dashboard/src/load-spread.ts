/**
 * How evenly counts spread over partitions: max ÷ mean, read against issue 19's bar (≤ 1.2 is
 * balanced). The same measure as `domain/event-partitions.ts` `partitionBalance` and the
 * benchmark's report (bench/lib/partition-load.mjs), computed here from the counters the API gives.
 */

/** Issue 19's bar: the busiest partition at most 20 % above the mean. */
export const BALANCE_BAR = 1.2;

/** Below this mean per partition the ratio says little (a handful of messages is uneven by chance). */
export const SMALL_SAMPLE_MEAN = 10;

export interface Spread {
  total: number;
  /** max ÷ mean; null when nothing was counted. */
  maxOverMean: number | null;
  reading: "balanced" | "imbalanced" | "idle";
  /** The mean is below SMALL_SAMPLE_MEAN: read the ratio with care. */
  small: boolean;
}

/** The spread of `counts` (one per partition). */
export function spreadOf(counts: readonly number[]): Spread {
  const total = counts.reduce((a, b) => a + b, 0);
  if (counts.length === 0 || total === 0) return { total, maxOverMean: null, reading: "idle", small: true };
  const mean = total / counts.length;
  const maxOverMean = Math.max(...counts) / mean;
  return { total, maxOverMean, reading: maxOverMean <= BALANCE_BAR ? "balanced" : "imbalanced", small: mean < SMALL_SAMPLE_MEAN };
}
