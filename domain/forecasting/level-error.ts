/**
 * The level error of a forecast: the relative error shared by every day of a horizon (the
 * level, the trend and the calendar factors being off), as opposed to each day's own noise.
 * Pure.
 *
 * It has two parts, added as relative variances:
 * - the parameter part, from the estimators themselves: the variance of the discounted level
 *   estimate, and the growth's posterior variance times the squared number of days it is
 *   extrapolated over (from the mean age of the data behind the level to the forecast day) —
 *   an error in the growth rate moves both the level estimate and every day after it;
 * - the residual part, from the method's own in-sample rolling-origin errors: whatever the
 *   horizon-total errors show beyond the daily noise and the parameter part (level drift,
 *   promotions, misfit), pooled over a pool's SKUs by `fitForecastModels`.
 */
import type { LevelError, LevelErrorEvidence } from "./forecast-model";

/** Lead times (days) at which a model's level error is tabulated; linear in between. */
export const LEVEL_ERROR_HORIZONS: readonly number[] = Object.freeze([1, 7, 14, 30, 60, 90, 180, 365]);

/** No level error. */
export const NO_LEVEL_ERROR: LevelError = Object.freeze({ horizons: [], relativeVariance: [] }) as unknown as LevelError;

/** The level error (relative variance) at an h-day lead or horizon: linear between tabulated horizons, flat outside. */
export function levelErrorAt(error: LevelError, days: number): number {
  const { horizons, relativeVariance } = error;
  if (horizons.length === 0) return 0;
  if (days <= horizons[0]!) return relativeVariance[0]!;
  for (let i = 1; i < horizons.length; i++) {
    if (days <= horizons[i]!) {
      const f = (days - horizons[i - 1]!) / (horizons[i]! - horizons[i - 1]!);
      return relativeVariance[i - 1]! + f * (relativeVariance[i]! - relativeVariance[i - 1]!);
    }
  }
  return relativeVariance[relativeVariance.length - 1]!;
}

/**
 * The parameter part for an h-day horizon total: `levelVariance` + `growthVariance` ×
 * (`age` + the mean damped lead over the h days)², tabulated at `LEVEL_ERROR_HORIZONS`
 * (`dampedDays(j)` is Σφⁱ for i = 1 … j). Tables are per horizon total; a single day at lead h
 * reads the h entry, which slightly understates its growth part — daily intervals are
 * dominated by daily noise anyway.
 */
export function parameterLevelError(levelVariance: number, growthVariance: number, age: number, dampedDays: (days: number) => number): LevelError {
  const relativeVariance = LEVEL_ERROR_HORIZONS.map((h) => {
    let lead = 0;
    for (let j = 1; j <= h; j++) lead += dampedDays(j);
    return levelVariance + growthVariance * (age + lead / h) ** 2;
  });
  return { horizons: [...LEVEL_ERROR_HORIZONS], relativeVariance };
}

/** The residual part from rolling-origin evidence: Σ weighted excess / Σ weighted predicted², at least 0, per horizon. */
export function residualLevelError(evidence: Pick<LevelErrorEvidence, "horizons" | "excess" | "scale">): LevelError {
  return {
    horizons: [...evidence.horizons],
    relativeVariance: evidence.excess.map((e, i) => (evidence.scale[i]! > 0 ? Math.max(0, e / evidence.scale[i]!) : 0)),
  };
}

/** Parameter part plus residual part, tabulated at `LEVEL_ERROR_HORIZONS`. */
export function combineLevelError(parameter: LevelError, residual: LevelError): LevelError {
  return {
    horizons: [...LEVEL_ERROR_HORIZONS],
    relativeVariance: LEVEL_ERROR_HORIZONS.map((h) => levelErrorAt(parameter, h) + levelErrorAt(residual, h)),
  };
}
