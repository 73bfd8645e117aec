/**
 * Quantiles of daily and multi-day unit counts, for prediction intervals. Pure.
 *
 * Units sold are counts, so interval bounds are whole units from a count distribution with the
 * forecast's mean and variance: Poisson when the variance does not exceed the mean, otherwise
 * the negative binomial with that mean and variance (the gamma–Poisson mixture, the usual
 * model for over-dispersed retail demand). Slow movers use a hurdle distribution: no sale with
 * probability 1 − p, otherwise 1 + a count (Syntetos & Boylan's demand-occurrence / demand-size
 * split, as in Croston's method).
 *
 * A quantile here is the smallest k with P(X ≤ k) ≥ q, so the central interval
 * [Q(α/2), Q(1 − α/2)] covers at least 1 − α; with small means the steps make it cover more.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, n = 9; relative error about 1e-15). */
function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Quantiles of a count with the given mean and variance (Poisson if `variance ≤ mean`, else
 * negative binomial), one per entry of `probs` (each in (0, 1), ascending).
 */
export function countQuantiles(mean: number, variance: number, probs: readonly number[]): number[] {
  const out = new Array<number>(probs.length).fill(0);
  if (!(mean > 0)) return out;
  const poisson = !(variance > mean * (1 + 1e-9));
  const sd = Math.sqrt(poisson ? mean : variance);
  // Negative binomial with size r and P(k) = Γ(k+r)/(Γ(r) k!) π^r (1−π)^k: mean r(1−π)/π,
  // variance mean + mean²/r.
  const r = poisson ? 0 : (mean * mean) / (variance - mean);
  const logPi = poisson ? 0 : Math.log(r / (r + mean));
  const log1mPi = poisson ? 0 : Math.log(mean / (r + mean));
  const logMean = Math.log(mean);
  // Mass more than 12 standard deviations below the mean is negligible for these unimodal laws.
  let k = Math.max(0, Math.floor(mean - 12 * sd));
  let logP = poisson ? -mean + k * logMean - logGamma(k + 1) : logGamma(k + r) - logGamma(r) - logGamma(k + 1) + r * logPi + k * log1mPi;
  let cdf = 0;
  let i = 0;
  const limit = mean + 60 * sd + 100;
  while (i < probs.length) {
    cdf += Math.exp(logP);
    while (i < probs.length && cdf >= probs[i]! - 1e-12) out[i++] = k;
    if (k > limit) {
      while (i < probs.length) out[i++] = k;
      break;
    }
    logP += poisson ? logMean - Math.log(k + 1) : Math.log((k + r) / (k + 1)) + log1mPi;
    k++;
  }
  return out;
}

/**
 * Quantiles of a hurdle count: 0 with probability `1 − pDemand`, otherwise 1 + a count whose
 * mean is `sizeMean − 1` and variance `sizeVariance` (so a demand day's size has mean
 * `sizeMean` ≥ 1).
 */
export function hurdleQuantiles(pDemand: number, sizeMean: number, sizeVariance: number, probs: readonly number[]): number[] {
  const p = Math.min(1, Math.max(0, pDemand));
  const pZero = 1 - p;
  const positive = probs.map((q) => (q <= pZero ? null : (q - pZero) / p));
  const sized = countQuantiles(
    Math.max(0, sizeMean - 1),
    Math.max(0, sizeVariance),
    positive.filter((q): q is number => q !== null),
  );
  let j = 0;
  return positive.map((q) => (q === null ? 0 : 1 + sized[j++]!));
}
