/**
 * Known-truth daily demand for the forecasting tests: seeded, so every run sees the same
 * series. The generator is the demo's (`scripts/local-stack/prng.mjs`, no Node imports, so
 * the workerd suite can load it); `npm run backtest` uses it for its own synthetic series.
 */
import { prng } from "../../scripts/local-stack/prng.mjs";

/** A seeded uniform [0, 1) source (mulberry32). */
export function seeded(seed: number): () => number {
  return prng(seed).next;
}

function normal(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

function gamma(next: () => number, shape: number): number {
  if (shape < 1) return gamma(next, shape + 1) * (1 - next()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(next);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    if (Math.log(1 - next()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

function poisson(next: () => number, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda >= 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(next)));
  let k = 0;
  let p = Math.exp(-lambda);
  let cdf = p;
  const u = next();
  while (u > cdf && k < 1000) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

/** A count with the given mean and variance mean + dispersion × mean² (gamma–Poisson). */
export function sampleCount(next: () => number, mean: number, dispersion: number): number {
  if (dispersion <= 0) return poisson(next, mean);
  return poisson(next, mean * gamma(next, 1 / dispersion) * dispersion);
}

export interface TruthSpec {
  /** Deseasonalised daily mean on the last history day. */
  level: number;
  /** Weekday multipliers, Sunday first (need not average 1). */
  weekday: readonly number[];
  /** Yearly log-amplitude and peak day of year (cosine). */
  seasonAmplitude: number;
  seasonPeakDay: number;
  /** Log growth per day. */
  growth: number;
  dispersion: number;
}

const MS_PER_DAY = 86_400_000;
const dayNo = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / MS_PER_DAY;

/** The true mean of day number `day` (origin = day number of the last history day). */
export function trueMean(spec: TruthSpec, day: number, origin: number): number {
  const doy = (day - dayNo("2020-01-01")) % 365.2425;
  const season = Math.exp(spec.seasonAmplitude * Math.cos((2 * Math.PI * (doy - spec.seasonPeakDay)) / 365.2425));
  return spec.level * spec.weekday[(((day + 4) % 7) + 7) % 7]! * season * Math.exp(spec.growth * (day - origin));
}

/**
 * `historyDays` days of sales ending on `origin` (YYYY-MM-DD) and `futureDays` after it, with
 * the true means of the future days.
 */
export function simulate(
  next: () => number,
  spec: TruthSpec,
  origin: string,
  historyDays: number,
  futureDays: number,
): { history: number[]; future: number[]; futureMeans: number[] } {
  const o = dayNo(origin);
  const history: number[] = [];
  const future: number[] = [];
  const futureMeans: number[] = [];
  for (let d = o - historyDays + 1; d <= o + futureDays; d++) {
    const m = trueMean(spec, d, o);
    const u = sampleCount(next, m, spec.dispersion);
    if (d <= o) history.push(u);
    else {
      future.push(u);
      futureMeans.push(m);
    }
  }
  return { history, future, futureMeans };
}
