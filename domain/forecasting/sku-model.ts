/**
 * Fitting one SKU's forecast model from its daily sales and its pools' profiles. Pure.
 *
 * 1. Classify the last 52 weeks by ADI/CV² (`demand-classification.ts`).
 * 2. Calendar factors: start from the narrowest pool's profile and let the SKU's own sales move
 *    it as far as they are credible. Weekday factor d becomes poolₐ × (Yₐ + κ)/(Mₐ + κ), where Yₐ
 *    is the SKU's units on that weekday and Mₐ the units the pool profile expected; that is the
 *    posterior mean of a gamma(κ, κ) prior on the multiplier under Poisson sales (Bühlmann
 *    credibility), so κ = 100 ≈ a prior standard deviation of 10 % on each factor. The yearly
 *    profile gets the same treatment per calendar month (with a year of history), smoothed
 *    into two Fourier harmonics.
 * 3. Trend: a log-linear Poisson fit of the last 52 weeks over the calendar factors, shrunk
 *    towards no growth by its own precision (prior sd `growthPriorSdPerYear`), and damped
 *    over the horizon (Gardner & McKenzie's damped trend, φ per day).
 * 4. Method: smooth/erratic → `decomposition` (level by the exponentially weighted ratio
 *    estimator; α from a grid by in-sample one-step MSE plus the growth uncertainty that a long
 *    memory would carry into the level); intermittent/lumpy/inactive → SBA or TSB with the
 *    calendar factors as exposure, whichever has the lower in-sample one-step MSE; no history →
 *    the pool's average SKU.
 * 5. Intervals from the method's own errors: the daily dispersion from its one-step residuals;
 *    the level error as the estimators' parameter uncertainty plus the residual excess of
 *    weekly in-sample rolling origins over the last year (predicted vs actual 7/30/90-day
 *    totals), which `fitForecastModels` pools across a pool's SKUs (`level-error.ts`).
 */
import { classifyDemand, CLASSIFICATION_DAYS } from "./demand-classification";
import { dayNumber, yearAngle, weekdayOf } from "./calendar";
import { makeProfile, profileFactors, type CalendarProfile } from "./calendar-profile";
import { dayDistribution } from "./daily-distribution";
import type { DemandClassification, ForecastMethod, ForecastModel, LevelErrorEvidence, PoolProfile, SalesHistory } from "./forecast-model";
import { ratioLevels, sbaRates, tsbRates } from "./level-estimators";
import { combineLevelError, NO_LEVEL_ERROR, parameterLevelError, residualLevelError } from "./level-error";
import { poolChain } from "./pool-profiles";

export interface ModelOptions {
  /** κ for weekday factors: units of evidence at which a SKU's own pattern gets half the weight. */
  weekdayCredibility: number;
  /** κ for monthly (yearly-season) factors. */
  seasonCredibility: number;
  /** Prior standard deviation of yearly log growth (0.25 ≈ ±28 % a year). */
  growthPriorSdPerYear: number;
  /** Trend damping per day: growth beyond ~1/(1 − φ) days is not extrapolated. */
  damping: number;
  /** Grid for the decomposition level's α. */
  alphas: readonly number[];
  /** Grids for SBA's α and TSB's (α, β). */
  crostonAlphas: readonly number[];
  tsbBetas: readonly number[];
  /** Below this many days of history: pool factors, level blended with the pool's, no trend. */
  shortHistoryDays: number;
  /** Weight, in days, of the pool's average SKU level as the level's starting value. */
  priorWeightDays: number;
  /** Horizons (days) at which the level error is measured. */
  levelErrorHorizons: readonly number[];
  /** Whether to measure the in-sample rolling-origin evidence (not needed when a pool's calibration replaces it). */
  inSampleEvidence: boolean;
}

export const DEFAULT_MODEL_OPTIONS: ModelOptions = Object.freeze({
  weekdayCredibility: 100,
  seasonCredibility: 100,
  growthPriorSdPerYear: 0.25,
  damping: 0.99,
  alphas: Object.freeze([0.005, 0.01, 0.02, 0.04, 0.08, 0.15]),
  crostonAlphas: Object.freeze([0.05, 0.1, 0.2, 0.3]),
  tsbBetas: Object.freeze([0.005, 0.01, 0.02, 0.05]),
  shortHistoryDays: 56,
  priorWeightDays: 7,
  levelErrorHorizons: Object.freeze([7, 30, 90]),
  inSampleEvidence: true,
});

/** History used for fitting: two years is enough for factors and trend, and bounds the work. */
const FIT_WINDOW_DAYS = 2 * 364;

/** Σ φʰ for h = 1 … days: the damped number of days of growth (Gardner & McKenzie 1985). */
export function dampedDays(damping: number, days: number): number {
  if (damping >= 1) return days;
  return (damping * (1 - damping ** days)) / (1 - damping);
}

/** The pool a history's factors come from: its narrowest pool that was fitted. */
export function poolFor(history: Pick<SalesHistory, "pools">, pools: ReadonlyMap<string, PoolProfile>): PoolProfile {
  const chain = poolChain(history);
  for (let i = chain.length - 1; i >= 0; i--) {
    const pool = pools.get(chain[i]!);
    if (pool !== undefined) return pool;
  }
  throw new RangeError("no pool profile for the root pool: fit the pools first");
}

/**
 * Fits one SKU (see the module comment). `pools` must hold the root pool and should hold the
 * SKU's pools (from `fitPoolProfiles` over the same or a larger set of histories); a pool's
 * calibrated residual level error, when set, is used instead of the SKU's own evidence.
 */
export function fitForecastModel(history: SalesHistory, pools: ReadonlyMap<string, PoolProfile>, options: Partial<ModelOptions> = {}): ForecastModel {
  const opts = { ...DEFAULT_MODEL_OPTIONS, ...options };
  if (!history.units.every((u) => u >= 0 && Number.isFinite(u))) {
    throw new RangeError(`units of ${history.sku} must be finite and ≥ 0 (returns are not demand)`);
  }
  const pool = poolFor(history, pools);
  const demand = classifyDemand(history.units);
  const n = history.units.length;
  if (n === 0) return coldStart(history, pool, demand);

  const origin = dayNumber(history.origin);
  const w = Math.min(n, FIT_WINDOW_DAYS);
  const first = origin - w + 1;
  const y = Float64Array.from(history.units.slice(n - w));
  const poolFactors = profileFactors(pool.profile, first, w);
  const short = n < opts.shortHistoryDays;
  const profile = short ? pool.profile : ownProfile(y, poolFactors, first, pool.profile, opts);
  const factors = profile === pool.profile ? poolFactors : profileFactors(profile, first, w);
  const evalFrom = Math.max(1, w - CLASSIFICATION_DAYS);
  const regular = demand.class === "smooth" || demand.class === "erratic";
  return short || regular
    ? fitDecomposition(history, pool, demand, profile, y, factors, evalFrom, short, opts)
    : fitCroston(history, pool, demand, profile, y, factors, evalFrom, opts);
}

/** The `decomposition` method: level × weekday × season × damped trend. */
function fitDecomposition(
  history: SalesHistory,
  pool: PoolProfile,
  demand: DemandClassification,
  profile: CalendarProfile,
  y: Float64Array,
  factors: Float64Array,
  evalFrom: number,
  short: boolean,
  opts: ModelOptions,
): ForecastModel {
  const w = y.length;
  const trend = short ? { growth: 0, variance: 0 } : shrunkGrowth(y, factors, Math.max(0, w - CLASSIFICATION_DAYS), opts);
  const growth = trend.growth;
  const exposure = new Float64Array(w);
  for (let t = 0; t < w; t++) exposure[t] = factors[t]! * Math.exp(growth * (t - (w - 1)));
  const prior = { level: pool.skuLevel, weight: opts.priorWeightDays };
  const lead30 = dampedDays(opts.damping, 30);
  let best: { alpha: number; mse: number; score: number; levels: Float64Array } = {
    alpha: opts.alphas[0]!,
    mse: Infinity,
    score: Infinity,
    levels: new Float64Array(0),
  };
  for (const alpha of opts.alphas) {
    const levels = ratioLevels(y, exposure, alpha, prior);
    const mse = oneStepMse(y, (t) => levels[t - 1]! * exposure[t]!, evalFrom);
    // A long memory averages more noise away but carries an error in the growth further: add
    // the expected squared error that the growth's uncertainty puts on a day 30 days out.
    let scale = 0;
    for (let t = evalFrom; t < w; t++) scale += (levels[t - 1]! * exposure[t]!) ** 2;
    scale /= Math.max(1, w - evalFrom);
    const score = mse + scale * trend.variance * (meanAge(alpha, w) + lead30) ** 2;
    if (score < best.score) best = { alpha, mse, score, levels };
  }
  const levels = best.levels;
  const dispersion = residualDispersion(y, (t) => levels[t - 1]! * exposure[t]!, evalFrom);
  const uncertainty = levelUncertainty(y, exposure, levels, best.alpha, dispersion, prior);
  const model: ForecastModel = {
    sku: history.sku,
    origin: history.origin,
    method: "decomposition",
    demand,
    reason: short
      ? `only ${y.length} days of history (< ${opts.shortHistoryDays}): level × weekday × season with ${pool.key}'s factors, ` +
        `level blended with its average SKU (${opts.priorWeightDays} days' weight), no trend`
      : `${describeClass(demand)}: level × weekday × season × trend; level α ${best.alpha} ` +
        `(lowest in-sample one-step MSE + growth-uncertainty penalty of ${opts.alphas.length}), growth ${formatGrowth(growth)}`,
    pool: pool.key,
    profile,
    level: levels[w - 1]!,
    growth,
    damping: opts.damping,
    dispersion,
    occurrence: null,
    levelError: NO_LEVEL_ERROR,
    fit: {
      alpha: best.alpha,
      beta: null,
      candidates: [{ method: "decomposition", mse: best.mse }],
      parameterError: parameterLevelError(uncertainty.relativeVariance[w - 1]!, trend.variance, uncertainty.age[w - 1]!, (d) => dampedDays(opts.damping, d)),
      evidence: null,
    },
  };
  const evidence = !opts.inSampleEvidence
    ? null
    : levelEvidence(
        model,
        y,
        factors,
        (o) => levels[o]! * Math.exp(growth * (o - (w - 1))),
        (o) => uncertainty.relativeVariance[o]!,
        opts,
      );
  return withLevelError(model, evidence, pool, "continuous");
}

/** SBA or TSB (intermittent, lumpy or inactive demand), whichever fits better in-sample. */
function fitCroston(
  history: SalesHistory,
  pool: PoolProfile,
  demand: DemandClassification,
  profile: CalendarProfile,
  y: Float64Array,
  factors: Float64Array,
  evalFrom: number,
  opts: ModelOptions,
): ForecastModel {
  const w = y.length;
  type Candidate = { method: ForecastMethod; alpha: number; beta: number | null; mse: number; rates: Float64Array; probabilities: Float64Array };
  const candidates: Candidate[] = [];
  for (const alpha of opts.crostonAlphas) {
    const s = sbaRates(y, factors, alpha);
    const mse = oneStepMse(y, (t) => (Number.isNaN(s.rates[t - 1]!) ? 0 : s.rates[t - 1]! * factors[t]!), evalFrom);
    candidates.push({ method: "sba", alpha, beta: null, mse, ...s });
    for (const beta of opts.tsbBetas) {
      const b = tsbRates(y, factors, alpha, beta);
      const bm = oneStepMse(y, (t) => b.rates[t - 1]! * factors[t]!, evalFrom);
      candidates.push({ method: "tsb", alpha, beta, mse: bm, ...b });
    }
  }
  const bestOf = (m: ForecastMethod) => candidates.filter((c) => c.method === m).reduce((a, b) => (b.mse < a.mse ? b : a));
  const sba = bestOf("sba");
  const tsb = bestOf("tsb");
  // With no sale in the window SBA has nothing to smooth; TSB's probability has decayed.
  const chosen = demand.class === "inactive" || Number.isNaN(sba.rates[w - 1]!) || tsb.mse < sba.mse ? tsb : sba;
  const other = chosen === tsb ? sba : tsb;
  const rateAt = (o: number) => (Number.isNaN(chosen.rates[o]!) ? 0 : chosen.rates[o]!);
  const probability = Number.isNaN(chosen.probabilities[w - 1]!) ? 0 : chosen.probabilities[w - 1]!;
  // Parameter uncertainty of the rate: the frequency is a discounted average over about
  // (2 − β)/β days (SBA: (2 − α)/α sale intervals), the size over (2 − α)/α sale days.
  const memory = (s: number) => (2 - s) / s;
  let meanFactor = 0;
  for (let t = evalFrom; t < w; t++) meanFactor += factors[t]!;
  meanFactor /= Math.max(1, w - evalFrom);
  const pDay = Math.min(0.95, probability * meanFactor);
  const frequencyVariance = chosen.method === "tsb" ? (1 - pDay) / Math.max(1e-9, pDay * memory(chosen.beta!)) : (1 - pDay) / memory(chosen.alpha);
  const rateVariance = pDay > 0 ? frequencyVariance + demand.cv2 / memory(chosen.alpha) : 0;
  const model: ForecastModel = {
    sku: history.sku,
    origin: history.origin,
    method: chosen.method,
    demand,
    reason:
      demand.class === "inactive"
        ? `no sale in the last ${demand.days} days: TSB, whose demand probability decays while nothing sells`
        : `${describeClass(demand)}: ${chosen.method.toUpperCase()} (α ${chosen.alpha}${chosen.beta === null ? "" : `, β ${chosen.beta}`}) ` +
          `with calendar exposure, in-sample one-step MSE ${chosen.mse.toFixed(3)} vs ` +
          `${other.method.toUpperCase()} ${other.mse.toFixed(3)}`,
    pool: pool.key,
    profile,
    level: rateAt(w - 1),
    growth: 0,
    damping: opts.damping,
    dispersion: 0,
    occurrence: { probability, sizeCv2: demand.cv2 },
    levelError: NO_LEVEL_ERROR,
    fit: {
      alpha: chosen.alpha,
      beta: chosen.beta,
      candidates: [
        { method: sba.method, mse: sba.mse },
        { method: tsb.method, mse: tsb.mse },
      ],
      parameterError: parameterLevelError(rateVariance, 0, 0, (d) => d),
      evidence: null,
    },
  };
  const evidence = opts.inSampleEvidence ? levelEvidence(model, y, factors, rateAt, () => rateVariance, opts) : null;
  return withLevelError(model, evidence, pool, "intermittent");
}

/** A SKU without history: the pool's average SKU, with the spread between SKUs as level error. */
function coldStart(history: SalesHistory, pool: PoolProfile, demand: DemandClassification): ForecastModel {
  // Not knowing which SKU of the pool this will be like is a level error shared by every day.
  const parameterError = parameterLevelError(pool.skuLevelCv2, 0, 0, (d) => d);
  return {
    sku: history.sku,
    origin: history.origin,
    method: "pool_fallback",
    demand,
    reason: `no sales history: the average SKU of ${pool.key} (${pool.skus} SKUs, ${pool.skuLevel.toFixed(2)} units/day deseasonalised) × its factors`,
    pool: pool.key,
    profile: pool.profile,
    level: pool.skuLevel,
    growth: 0,
    damping: 1,
    dispersion: 0,
    occurrence: null,
    levelError: combineLevelError(parameterError, pool.levelError?.continuous ?? NO_LEVEL_ERROR),
    fit: { alpha: 0, beta: null, candidates: [], parameterError, evidence: null },
  };
}

function describeClass(d: DemandClassification): string {
  const adi = Number.isFinite(d.adi) ? d.adi.toFixed(2) : "∞";
  return `${d.class} (ADI ${adi} ${d.adi < 1.32 ? "<" : "≥"} 1.32, CV² ${d.cv2.toFixed(2)} ${d.cv2 < 0.49 ? "<" : "≥"} 0.49)`;
}

function formatGrowth(g: number): string {
  const yearly = Math.expm1(g * 365) * 100;
  return `${yearly >= 0 ? "+" : ""}${yearly.toFixed(1)} %/year`;
}

/** Mean age in days of exponentially weighted data over a window of `w` days: Σ k(1 − α)ᵏ / Σ (1 − α)ᵏ. */
function meanAge(alpha: number, w: number): number {
  const q = 1 - alpha;
  const qw = q ** w;
  const total = (1 - qw) / alpha;
  const weighted = (q * (1 - qw) - w * qw * alpha) / (alpha * alpha);
  return weighted / total;
}

/** Mean squared one-step error from day `from` on. */
function oneStepMse(y: Float64Array, predict: (t: number) => number, from: number): number {
  let s = 0;
  let n = 0;
  for (let t = from; t < y.length; t++) {
    const e = y[t]! - predict(t);
    s += e * e;
    n++;
  }
  return n > 0 ? s / n : 0;
}

/** Method-of-moments negative-binomial dispersion of one-step residuals: Σ[(y − ŷ)² − ŷ] / Σ ŷ², at least 0. */
function residualDispersion(y: Float64Array, predict: (t: number) => number, from: number): number {
  let excess = 0;
  let scale = 0;
  for (let t = from; t < y.length; t++) {
    const p = predict(t);
    excess += (y[t]! - p) ** 2 - p;
    scale += p * p;
  }
  return scale > 0 ? Math.max(0, excess / scale) : 0;
}

/**
 * For the ratio estimator with discount α: after each day, the relative variance of the level
 * estimate (Σ w²·Var(y) / (level·Σ w·m)², with Var(y) = μ + dispersion·μ² at the estimate) and
 * the mean age of its data (Σ w·age·m / Σ w·m, in days).
 */
function levelUncertainty(
  y: Float64Array,
  exposure: Float64Array,
  levels: Float64Array,
  alpha: number,
  dispersion: number,
  prior: { level: number; weight: number },
): { relativeVariance: Float64Array; age: Float64Array } {
  const w = y.length;
  const relativeVariance = new Float64Array(w);
  const age = new Float64Array(w);
  const keep = 1 - alpha;
  let sm = prior.weight * (w > 0 ? exposure[0]! : 0);
  let sv = 0;
  let sa = 0;
  for (let t = 0; t < w; t++) {
    const level = t > 0 ? levels[t - 1]! : prior.level;
    const mu = level * exposure[t]!;
    sa = keep * (sa + sm);
    sm = keep * sm + exposure[t]!;
    sv = keep * keep * sv + mu + dispersion * mu * mu;
    const expected = levels[t]! * sm;
    relativeVariance[t] = expected > 0 ? sv / (expected * expected) : 0;
    age[t] = sm > 0 ? sa / sm : 0;
  }
  return { relativeVariance, age };
}

/**
 * Log-linear Poisson fit of `y` over `[from, y.length)`: log E[yₜ] = a + b·(t − last) + log fₜ.
 * Newton's method on the two parameters; returns b, its Fisher information and the fit's means.
 */
function logLinearFit(y: Float64Array, factors: Float64Array, from: number): { slope: number; information: number; means: Float64Array } {
  const last = y.length - 1;
  let sy = 0;
  let sf = 0;
  for (let t = from; t <= last; t++) {
    sy += y[t]!;
    sf += factors[t]!;
  }
  const means = new Float64Array(y.length);
  if (sy === 0 || sf === 0) return { slope: 0, information: 0, means };
  let a = Math.log(sy / sf);
  let b = 0;
  let information = 0;
  for (let iter = 0; iter < 25; iter++) {
    let g0 = 0;
    let g1 = 0;
    let h00 = 0;
    let h01 = 0;
    let h11 = 0;
    for (let t = from; t <= last; t++) {
      const x = t - last;
      const m = Math.exp(a + b * x) * factors[t]!;
      const r = y[t]! - m;
      g0 += r;
      g1 += r * x;
      h00 += m;
      h01 += m * x;
      h11 += m * x * x;
    }
    const det = h00 * h11 - h01 * h01;
    information = det > 0 ? det / h00 : 0; // information about b with a profiled out
    if (!(det > 0)) break;
    const da = (h11 * g0 - h01 * g1) / det;
    const db = (h00 * g1 - h01 * g0) / det;
    a += Math.max(-2, Math.min(2, da));
    b += Math.max(-0.01, Math.min(0.01, db));
    if (Math.abs(da) < 1e-9 && Math.abs(db) < 1e-12) break;
  }
  for (let t = from; t <= last; t++) means[t] = Math.exp(a + b * (t - last)) * factors[t]!;
  return { slope: b, information, means };
}

/**
 * Log growth per day from the last 52 weeks, shrunk towards 0: with the Fisher information I
 * (reduced for over-dispersion) and prior precision P = 1/sd², the posterior mean is b·I/(I + P)
 * and its variance 1/(I + P) — a noisy slow mover keeps almost no trend, a steady seller its own.
 */
function shrunkGrowth(y: Float64Array, factors: Float64Array, from: number, opts: ModelOptions): { growth: number; variance: number } {
  const priorPrecision = 1 / (opts.growthPriorSdPerYear / 365) ** 2;
  if (y.length - from < 28) return { growth: 0, variance: 0 };
  const fit = logLinearFit(y, factors, from);
  let excess = 0;
  let scale = 0;
  let mean = 0;
  for (let t = from; t < y.length; t++) {
    const m = fit.means[t]!;
    excess += (y[t]! - m) ** 2 - m;
    scale += m * m;
    mean += m;
  }
  mean /= y.length - from;
  const dispersion = scale > 0 ? Math.max(0, excess / scale) : 0;
  const information = fit.information / (1 + dispersion * mean);
  return { growth: (fit.slope * information) / (information + priorPrecision), variance: 1 / (information + priorPrecision) };
}

/**
 * The SKU's own calendar profile: the pool's, moved by credibility-weighted multipliers per
 * weekday and (with a year of history) per calendar month — see the module comment.
 */
function ownProfile(y: Float64Array, poolFactors: Float64Array, first: number, pool: CalendarProfile, opts: ModelOptions): CalendarProfile {
  const w = y.length;
  // Expected units under the pool profile and the SKU's own overall trend.
  const { means } = logLinearFit(y, poolFactors, 0);
  const weekdayY = new Float64Array(7);
  const weekdayM = new Float64Array(7);
  for (let t = 0; t < w; t++) {
    const d = weekdayOf(first + t);
    weekdayY[d]! += y[t]!;
    weekdayM[d]! += means[t]!;
  }
  const kw = opts.weekdayCredibility;
  const weekdayLog = pool.weekday.map((f, d) => Math.log(f) + Math.log((weekdayY[d]! + kw) / (weekdayM[d]! + kw)));
  let yearly = [...pool.yearly];
  if (w >= 365) {
    const weekdayShift = weekdayLog.map((v, d) => Math.exp(v) / pool.weekday[d]!);
    const monthY = new Float64Array(12);
    const monthM = new Float64Array(12);
    for (let t = 0; t < w; t++) {
      const day = first + t;
      const phase = (yearAngle(day) / (2 * Math.PI)) % 1;
      const bin = Math.min(11, Math.floor((phase < 0 ? phase + 1 : phase) * 12));
      monthY[bin]! += y[t]!;
      monthM[bin]! += means[t]! * weekdayShift[weekdayOf(day)]!;
    }
    const ks = opts.seasonCredibility;
    const logRatio = Array.from(monthY, (v, c) => Math.log((v + ks) / (monthM[c]! + ks)));
    // Project the twelve monthly log-multipliers onto two harmonics; dividing by sinc(πk/12)
    // undoes the averaging over each month's width.
    const harmonics = 2;
    if (yearly.length < 2 * harmonics) yearly = [...yearly, ...new Array<number>(2 * harmonics - yearly.length).fill(0)];
    for (let k = 1; k <= harmonics; k++) {
      let a = 0;
      let b = 0;
      logRatio.forEach((v, c) => {
        const theta = (2 * Math.PI * (c + 0.5)) / 12;
        a += v * Math.cos(k * theta);
        b += v * Math.sin(k * theta);
      });
      const x = (Math.PI * k) / 12;
      const sinc = Math.sin(x) / x;
      yearly[2 * k - 2]! += a / 6 / sinc;
      yearly[2 * k - 1]! += b / 6 / sinc;
    }
  }
  return makeProfile(weekdayLog, yearly);
}

/**
 * Weekly in-sample rolling origins over the last year: for each horizon H and origin o, the
 * predicted H-day total (the estimate at o carried forward with the calendar factors and the
 * damped growth) against the actual, minus the daily noise and the level estimate's own
 * variance that the model already expects.
 */
function levelEvidence(
  model: ForecastModel,
  y: Float64Array,
  factors: Float64Array,
  levelAt: (o: number) => number,
  levelVarianceAt: (o: number) => number,
  opts: ModelOptions,
): LevelErrorEvidence {
  const w = y.length;
  const horizons = [...opts.levelErrorHorizons];
  const excess = horizons.map(() => 0);
  const scale = horizons.map(() => 0);
  const origins = horizons.map(() => 0);
  const warm = Math.min(56, Math.floor(w / 4));
  const longest = Math.max(0, ...horizons);
  const growthAt = Float64Array.from({ length: longest + 1 }, (_, j) => Math.exp(model.growth * dampedDays(model.damping, j)));
  horizons.forEach((h, i) => {
    for (let o = w - 1 - h; o >= Math.max(warm, w - 1 - h - 357); o -= 7) {
      const level = levelAt(o);
      let predicted = 0;
      let actual = 0;
      let noise = 0;
      for (let j = 1; j <= h; j++) {
        const mean = level * factors[o + j]! * growthAt[j]!;
        predicted += mean;
        actual += y[o + j]!;
        noise += dayDistribution(model, mean, factors[o + j]!).variance;
      }
      const expected = noise + predicted * predicted * levelVarianceAt(o);
      const weight = expected > 0 ? 1 / expected : 0;
      excess[i]! += ((actual - predicted) ** 2 - expected) * weight;
      scale[i]! += predicted * predicted * weight;
      origins[i]!++;
    }
  });
  return { horizons, excess, scale, origins };
}

/** The model's level error: its parameter part plus its pool's calibrated residual part (or, before calibration, its own). */
function withLevelError(model: ForecastModel, evidence: LevelErrorEvidence | null, pool: PoolProfile, family: "continuous" | "intermittent"): ForecastModel {
  const residual = pool.levelError?.[family] ?? (evidence === null ? NO_LEVEL_ERROR : residualLevelError(evidence));
  return { ...model, levelError: combineLevelError(model.fit.parameterError, residual), fit: { ...model.fit, evidence } };
}
