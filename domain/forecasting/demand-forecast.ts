/**
 * Turning a stored model into what an API shows: daily forecasts, horizon totals, intervals,
 * the expected stockout day and lead-time demand. Pure; the origin is the model's, nothing
 * reads the clock.
 */
import { dayNumber, isoDay } from "./calendar";
import { profileFactors } from "./calendar-profile";
import { countQuantiles, hurdleQuantiles } from "./count-distribution";
import { dayDistribution } from "./daily-distribution";
import type { DayForecast, DemandForecast, ForecastModel, HorizonForecast, Interval } from "./forecast-model";
import { levelErrorAt } from "./level-error";
import { dampedDays } from "./sku-model";

/** Interval probabilities: 80 % and 95 % central intervals. */
const PROBS = [0.025, 0.1, 0.9, 0.975] as const;

/** Expected units for each of the `days` days after the origin. */
export function dailyMeans(model: ForecastModel, days: number): Float64Array {
  const factors = profileFactors(model.profile, dayNumber(model.origin) + 1, days);
  const out = new Float64Array(days);
  for (let h = 1; h <= days; h++) {
    out[h - 1] = model.level * factors[h - 1]! * Math.exp(model.growth * dampedDays(model.damping, h));
  }
  return out;
}

function interval(q: readonly number[], lo: number, hi: number): Interval {
  return { lower: q[lo]!, upper: q[hi]! };
}

/**
 * The forecast for `days` days after the origin (default 90) with 80 % and 95 % intervals per
 * day, and totals with intervals for each of `horizons` (default 7, 30, 90; each ≤ days).
 * A day's interval is from its count distribution (negative binomial, or hurdle for
 * Croston-type models) widened by the level error at that lead time; a total's is the
 * negative binomial with the summed daily variance plus the level error, which is shared by
 * every day of the horizon and so grows with the square of the total.
 */
export function forecastDemand(model: ForecastModel, days = 90, horizons: readonly number[] = [7, 30, 90]): DemandForecast {
  const start = dayNumber(model.origin) + 1;
  const factors = profileFactors(model.profile, start, days);
  const means = dailyMeans(model, days);
  const out: DayForecast[] = [];
  const noise = new Float64Array(days);
  for (let h = 1; h <= days; h++) {
    const mean = means[h - 1]!;
    const dist = dayDistribution(model, mean, factors[h - 1]!);
    noise[h - 1] = dist.variance;
    const c = levelErrorAt(model.levelError, h);
    const q =
      dist.hurdle === null
        ? countQuantiles(mean, dist.variance + c * mean * mean, PROBS)
        : hurdleQuantiles(dist.hurdle.probability, dist.hurdle.sizeMean, dist.hurdle.sizeVariance, PROBS);
    out.push({ day: isoDay(start + h - 1), mean, p80: interval(q, 1, 2), p95: interval(q, 0, 3) });
  }
  const totals: HorizonForecast[] = horizons
    .filter((h) => h >= 1 && h <= days)
    .map((h) => {
      let mean = 0;
      let variance = 0;
      for (let j = 0; j < h; j++) {
        mean += means[j]!;
        variance += noise[j]!;
      }
      variance += levelErrorAt(model.levelError, h) * mean * mean;
      const q = countQuantiles(mean, variance, PROBS);
      return { days: h, mean, p80: interval(q, 1, 2), p95: interval(q, 0, 3) };
    });
  return { sku: model.sku, origin: model.origin, method: model.method, days: out, horizons: totals };
}

/** Expected demand over the first `leadTimeDays` days after the origin and its standard deviation (daily noise plus level error). */
export function leadTimeDemand(model: ForecastModel, leadTimeDays: number): { mean: number; sd: number } {
  const days = Math.max(0, Math.ceil(leadTimeDays));
  if (days === 0) return { mean: 0, sd: 0 };
  const start = dayNumber(model.origin) + 1;
  const factors = profileFactors(model.profile, start, days);
  const means = dailyMeans(model, days);
  let mean = 0;
  let variance = 0;
  for (let j = 0; j < days; j++) {
    // A fractional lead time counts its last day in part.
    const part = Math.min(1, leadTimeDays - j);
    mean += part * means[j]!;
    variance += part * dayDistribution(model, means[j]!, factors[j]!).variance;
  }
  variance += levelErrorAt(model.levelError, leadTimeDays) * mean * mean;
  return { mean, sd: Math.sqrt(variance) };
}

/**
 * When the stock position runs out at the expected demand: the first day after the origin on
 * which cumulative expected demand reaches `stockPosition`. `daysUntil` is that day's offset
 * from the origin (1 = tomorrow; 0 when the position is already ≤ 0), `day` its date; both
 * null when the stock lasts beyond `maxDays` (or nothing is expected to sell).
 */
export function expectedStockout(model: ForecastModel, stockPosition: number, maxDays = 365): { day: string | null; daysUntil: number | null } {
  const origin = dayNumber(model.origin);
  if (stockPosition <= 0) return { day: model.origin, daysUntil: 0 };
  const means = dailyMeans(model, maxDays);
  let cumulative = 0;
  for (let h = 1; h <= maxDays; h++) {
    cumulative += means[h - 1]!;
    if (cumulative >= stockPosition) return { day: isoDay(origin + h), daysUntil: h };
  }
  return { day: null, daysUntil: null };
}
