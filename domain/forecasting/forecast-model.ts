/**
 * The plain data that goes into and comes out of forecasting — what a REORDER job reads from
 * D1 and stores back. Pure types.
 *
 * Stored per SKU: a `ForecastModel` (a few dozen numbers: level, growth, calendar factors,
 * noise and level-error parameters, and why the method was chosen), not 90 rows of forecast;
 * `forecastDemand` turns a model into the days, horizons and intervals an API shows.
 * Stored per pool (category, vendor × category): a `PoolProfile`, the factors its SKUs borrow.
 */
import type { CalendarProfile } from "./calendar-profile";

/** The root pool every SKU belongs to. */
export const ROOT_POOL = "*";

/** One SKU's daily sales up to the forecast origin. */
export interface SalesHistory {
  sku: string;
  /**
   * Pools the SKU borrows seasonal and weekday factors from, broadest first, e.g.
   * `["category:TENT", "vendor:V-ACME/category:TENT"]`; every SKU is also in the root pool
   * `"*"`. A key names one pool in one place of the hierarchy (its parent is the key before it).
   */
  pools: readonly string[];
  /** The last complete day of sales (`YYYY-MM-DD`, UTC): forecasts start the day after. */
  origin: string;
  /**
   * Units sold per day, oldest first, ending on `origin` (so the first day is
   * `origin − (units.length − 1)`). Days without sales are 0; it starts when the SKU started
   * selling (or its records begin). Empty: a SKU with no history.
   */
  units: readonly number[];
}

/** Syntetos–Boylan–Croston demand classes, plus SKUs with no history or no recent demand. */
export type DemandClass = "smooth" | "erratic" | "intermittent" | "lumpy" | "new" | "inactive";

export interface DemandClassification {
  class: DemandClass;
  /** Average inter-demand interval: days per day with a sale (Infinity without sales). */
  adi: number;
  /** Squared coefficient of variation of the sizes of non-zero days (0 without sales). */
  cv2: number;
  /** Days looked at (the last 364 at most) and how many of them had a sale. */
  days: number;
  demandDays: number;
}

/**
 * How each method forecasts:
 * - `decomposition`: level × weekday × season × trend; the level is an exponentially
 *   weighted ratio estimate over the deseasonalised history, the trend a shrunken log-linear
 *   growth, damped over the horizon;
 * - `sba`: Croston's method with the Syntetos–Boylan bias correction, with time measured in
 *   calendar exposure (a quiet day counts as less time), times the calendar factors;
 * - `tsb`: Teunter–Syntetos–Babai (demand probability updated every day, so a SKU that stops
 *   selling fades out), with the same calendar exposure;
 * - `pool_fallback`: no history; the pool's average SKU level × the pool's factors.
 */
export type ForecastMethod = "decomposition" | "sba" | "tsb" | "pool_fallback";

/**
 * Relative variance of the level error at a lead time or for a horizon total (the error shared
 * by every day of the horizon: level, trend and seasonal misfit), linear between the tabulated
 * horizons (see `level-error.ts`).
 */
export interface LevelError {
  horizons: number[];
  relativeVariance: number[];
}

/**
 * Rolling-origin sums behind the residual part of the level error: for each horizon,
 * Σ wₒ[(actual − predicted)² − V] and Σ wₒ·predicted², where V is the variance the model already
 * expects (daily noise + predicted² × parameter part) and wₒ = 1/V. Pools add up their SKUs'
 * sums; the ratio is then the precision-weighted estimate of the residual relative variance,
 * in which a slow mover's noisy total counts for less than a steady seller's but big sellers
 * do not drown everyone else (as an unweighted Σ excess / Σ predicted² would).
 */
export interface LevelErrorEvidence {
  horizons: number[];
  excess: number[];
  scale: number[];
  origins: number[];
}

/** A pool's calendar factors and cold-start level. */
export interface PoolProfile {
  key: string;
  parent: string | null;
  profile: CalendarProfile;
  /** Deseasonalised mean daily units of the pool's SKUs over their last 28 days: the level of a SKU with no history. */
  skuLevel: number;
  /** Relative variance of that level across the pool's SKUs (how unsure a cold start is). */
  skuLevelCv2: number;
  /** SKUs, days and units the factors were estimated from. */
  skus: number;
  days: number;
  units: number;
  /**
   * The residual part of the level error of the pool's continuous and intermittent models,
   * calibrated from their rolling-origin evidence (set by `fitForecastModels`).
   */
  levelError: { continuous: LevelError; intermittent: LevelError } | null;
}

/** One SKU's fitted forecast model: everything `forecastDemand` needs. */
export interface ForecastModel {
  sku: string;
  origin: string;
  method: ForecastMethod;
  demand: DemandClassification;
  /** Why this method, in a sentence (classification and the comparison that decided). */
  reason: string;
  /** The narrowest pool the factors came from. */
  pool: string;
  profile: CalendarProfile;
  /** Deseasonalised daily units at the origin (for `sba`/`tsb`: the demand rate). */
  level: number;
  /** Log growth per day (0.001 ≈ +44 % a year), applied as exp(growth × Σφʰ) after the origin. */
  growth: number;
  /** Trend damping φ per day. */
  damping: number;
  /** Extra-Poisson variance of daily units: Var = mean + dispersion × mean². */
  dispersion: number;
  /** For `sba`/`tsb`: probability of a sale on an average day, and the CV² of a sale day's units. */
  occurrence: { probability: number; sizeCv2: number } | null;
  /** Parameter part + residual part, by lead time. */
  levelError: LevelError;
  /** Fit details: smoothing constants, in-sample errors of the candidates, the level error's parts. */
  fit: {
    alpha: number;
    beta: number | null;
    candidates: { method: ForecastMethod; mse: number }[];
    parameterError: LevelError;
    evidence: LevelErrorEvidence | null;
  };
}

/** A prediction interval in whole units. */
export interface Interval {
  lower: number;
  upper: number;
}

export interface DayForecast {
  day: string;
  /** Expected units (not rounded). */
  mean: number;
  p80: Interval;
  p95: Interval;
}

export interface HorizonForecast {
  /** Days after the origin covered (1 … days). */
  days: number;
  mean: number;
  p80: Interval;
  p95: Interval;
}

/** What an API shows for one SKU: daily forecasts and horizon totals with their intervals. */
export interface DemandForecast {
  sku: string;
  origin: string;
  method: ForecastMethod;
  days: DayForecast[];
  horizons: HorizonForecast[];
}
