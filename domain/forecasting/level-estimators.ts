/**
 * The one-pass level estimators behind the forecasting methods. Pure.
 *
 * Each runs through a history once and returns, for every day t, the estimate after seeing day
 * t — so `estimate[t − 1]` is the genuine one-step-ahead forecast of day t (used to choose
 * smoothing constants and to measure residuals) and `estimate[o]` is what a forecast made at
 * origin o would have used (the in-sample rolling origins that calibrate intervals).
 */

/**
 * Exponentially weighted ratio estimate of the level: Σ wₛ yₛ / Σ wₛ mₛ with weights
 * (1 − α)^(t − s), where mₛ is day s's exposure (calendar factor × trend). It is the Poisson
 * maximum-likelihood level under exponential discounting, so days the profile expects to be
 * quiet count for less — unlike smoothing the noisy deseasonalised ratios yₛ/mₛ, which lets a
 * single sale in a quiet week swing the level. `prior` acts as `weight` days of demand at
 * `level`, discounted like the data.
 */
export function ratioLevels(units: ArrayLike<number>, exposure: ArrayLike<number>, alpha: number, prior: { level: number; weight: number }): Float64Array {
  const n = units.length;
  const out = new Float64Array(n);
  const m0 = n > 0 ? exposure[0]! : 1;
  let sy = prior.weight * prior.level * m0;
  let sm = prior.weight * m0;
  const keep = 1 - alpha;
  for (let t = 0; t < n; t++) {
    sy = keep * sy + units[t]!;
    sm = keep * sm + exposure[t]!;
    out[t] = sm > 0 ? sy / sm : prior.level;
  }
  return out;
}

export interface CrostonState {
  /** Demand rate per unit of exposure after each day (NaN before the first sale). */
  rates: Float64Array;
  /** Probability of a sale per unit of exposure after each day. */
  probabilities: Float64Array;
}

/*
 * Both Croston-type estimators below measure time in exposure — the calendar factor of each
 * day — instead of in days: a day the profile expects to be half as busy counts as half a day.
 * With a flat profile they are exactly the textbook methods. Smoothing deseasonalised sizes
 * instead would be biased low: in a busy season sales are more frequent but no larger, so
 * dividing sizes by the factor and multiplying back the (unchanged) frequency under-counts.
 */

/**
 * Croston's method with the Syntetos–Boylan approximation (SBA; Syntetos & Boylan, "The
 * accuracy of intermittent demand estimates", IJF 21, 2005): on each sale day, smooth the size
 * z and the interval x (exposure since the previous sale) with α; the rate is
 * (1 − α/2) z / x, the correction removing Croston's upward bias.
 */
export function sbaRates(units: ArrayLike<number>, exposure: ArrayLike<number>, alpha: number): CrostonState {
  const n = units.length;
  const rates = new Float64Array(n).fill(NaN);
  const probabilities = new Float64Array(n).fill(NaN);
  let z = NaN;
  let x = NaN;
  let since = 0;
  for (let t = 0; t < n; t++) {
    since += exposure[t]!;
    const d = units[t]!;
    if (d > 0) {
      if (Number.isNaN(z)) {
        z = d;
        x = since;
      } else {
        z += alpha * (d - z);
        x += alpha * (since - x);
      }
      since = 0;
    }
    if (!Number.isNaN(z)) {
      rates[t] = ((1 - alpha / 2) * z) / x;
      probabilities[t] = 1 / x;
    }
  }
  return { rates, probabilities };
}

/**
 * Teunter–Syntetos–Babai (Teunter, Syntetos & Babai, "Intermittent demand: linking forecasting
 * to inventory obsolescence", EJOR 214, 2011): the probability of a sale p is smoothed every
 * day with β (towards 1 on a sale day, towards 0 otherwise) and the size z on sale days with α;
 * the rate is p·z. Unlike Croston, a SKU that stops selling sees its forecast decay. With
 * exposure, p is the β-discounted ratio Σ sale days / Σ exposure (exponential smoothing of the
 * sale indicator when the exposure is 1), started from the first four weeks.
 */
export function tsbRates(units: ArrayLike<number>, exposure: ArrayLike<number>, alpha: number, beta: number): CrostonState {
  const n = units.length;
  const rates = new Float64Array(n);
  const probabilities = new Float64Array(n);
  const warm = Math.min(n, 28);
  let hits = 0;
  let sum = 0;
  let seen = 0;
  for (let t = 0; t < warm; t++) {
    seen += exposure[t]!;
    if (units[t]! > 0) {
      hits++;
      sum += units[t]!;
    }
  }
  // Start in the steady state of the first four weeks' frequency (discounted sums of 1/β days).
  let sales = warm > 0 ? hits / warm / beta : 0;
  let time = warm > 0 ? seen / warm / beta : 0;
  let z = hits > 0 ? sum / hits : NaN;
  const keep = 1 - beta;
  for (let t = 0; t < n; t++) {
    const d = units[t]!;
    sales = keep * sales + (d > 0 ? 1 : 0);
    time = keep * time + exposure[t]!;
    if (d > 0) z = Number.isNaN(z) ? d : z + alpha * (d - z);
    const p = time > 0 ? sales / time : 0;
    probabilities[t] = p;
    rates[t] = Number.isNaN(z) ? 0 : p * z;
  }
  return { rates, probabilities };
}
