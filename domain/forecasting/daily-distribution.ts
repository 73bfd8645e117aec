/**
 * The distribution of one day's units under a fitted model, shared by fitting (to measure
 * residual variance) and forecasting (to draw intervals). Pure.
 *
 * Continuous methods use Var = mean + dispersion × mean² (negative binomial). Croston-type
 * methods use the hurdle form: a sale happens with probability p (the smoothed occurrence
 * probability scaled by the day's calendar factor), and a sale day's units have mean mean/p and
 * the squared coefficient of variation seen in the history.
 */
import type { ForecastModel } from "./forecast-model";

export interface DayDistribution {
  mean: number;
  variance: number;
  /** Set for Croston-type methods: probability of a sale and the size of a sale day. */
  hurdle: { probability: number; sizeMean: number; sizeVariance: number } | null;
}

/** Occurrence probabilities are capped: a slow mover is never certain to sell on a given day. */
const MAX_DAILY_PROBABILITY = 0.95;

/** One day's distribution for a model, given its expected units and calendar factor. */
export function dayDistribution(model: Pick<ForecastModel, "dispersion" | "occurrence">, mean: number, calendarFactor: number): DayDistribution {
  if (model.occurrence === null || mean <= 0) {
    return { mean, variance: mean + model.dispersion * mean * mean, hurdle: null };
  }
  let probability = Math.min(MAX_DAILY_PROBABILITY, model.occurrence.probability * calendarFactor);
  let sizeMean = probability > 0 ? mean / probability : Infinity;
  if (!(sizeMean >= 1)) {
    sizeMean = 1;
    probability = Math.min(1, mean);
  }
  const sizeVariance = model.occurrence.sizeCv2 * sizeMean * sizeMean;
  return {
    mean,
    variance: Math.max(0, probability * (sizeVariance + sizeMean * sizeMean) - mean * mean),
    hurdle: { probability, sizeMean, sizeVariance },
  };
}
