/**
 * Fitting a whole catalogue at once: pool profiles, every SKU's model, and the residual part
 * of the level error calibrated per pool from rolling-origin errors. Pure.
 *
 * Calibration is out of sample: for each lag in `calibrationLags` (default 90 days), the whole
 * fit is repeated on the histories cut `lag` days short, and its 7/30/90-day totals are compared
 * with what then sold. The excess of the squared error over what the model itself expects
 * (daily noise and parameter uncertainty), precision-weighted across SKUs
 * (`LevelErrorEvidence`), is the residual level error — level drift, seasonal and trend misfit
 * the model cannot see in its own fit. One
 * SKU's few origins cannot pin down a 95 % interval, but a pool's SKUs together can; each
 * model takes its narrowest pool's value (pools with fewer than `minSkus` SKUs of a family
 * inherit their parent's). Without enough history for any lag, each SKU's in-sample
 * rolling-origin evidence is pooled the same way instead.
 */
import { dayNumber, isoDay } from "./calendar";
import { profileFactors } from "./calendar-profile";
import { dayDistribution } from "./daily-distribution";
import { dailyMeans } from "./demand-forecast";
import { ROOT_POOL, type ForecastModel, type LevelError, type LevelErrorEvidence, type PoolProfile, type SalesHistory } from "./forecast-model";
import { combineLevelError, levelErrorAt, NO_LEVEL_ERROR, residualLevelError } from "./level-error";
import { fitPoolProfiles, poolChain, type PoolOptions } from "./pool-profiles";
import { DEFAULT_MODEL_OPTIONS, fitForecastModel, type ModelOptions } from "./sku-model";

export interface BatchOptions {
  pools: Partial<PoolOptions>;
  models: Partial<ModelOptions>;
  /** Fewest SKUs of a family a pool needs for its own level-error calibration. */
  minSkus: number;
  /** Days before the origin at which the out-of-sample calibration fits are made (each ≥ the longest horizon). */
  calibrationLags: readonly number[];
}

type Family = "continuous" | "intermittent";
const familyOf = (m: ForecastModel): Family => (m.method === "sba" || m.method === "tsb" ? "intermittent" : "continuous");

/**
 * Fits pools and models for every history (all with the same origin, in practice) and
 * calibrates the residual level error per pool. Returns the pools (with `levelError` set) and
 * one model per history, in order.
 */
export function fitForecastModels(histories: readonly SalesHistory[], options: Partial<BatchOptions> = {}): { pools: PoolProfile[]; models: ForecastModel[] } {
  const minSkus = options.minSkus ?? 20;
  const lags = options.calibrationLags ?? [90];
  const horizons = options.models?.levelErrorHorizons ?? DEFAULT_MODEL_OPTIONS.levelErrorHorizons;
  const outOfSample = lags.flatMap((lag) => holdoutEvidence(histories, lag, horizons, options));
  const useHoldout = outOfSample.length > 0;
  const pools = fitPoolProfiles(histories, options.pools);
  const byKey = new Map(pools.map((p) => [p.key, p]));
  const fitted = histories.map((h) => fitForecastModel(h, byKey, { ...options.models, inSampleEvidence: !useHoldout }));
  const evidence: { history: SalesHistory; family: Family; evidence: LevelErrorEvidence }[] = useHoldout
    ? outOfSample
    : fitted.flatMap((m, i) => (m.fit.evidence === null ? [] : [{ history: histories[i]!, family: familyOf(m), evidence: m.fit.evidence }]));

  // Σ evidence per pool and family, over every SKU whose chain includes the pool.
  const sums = new Map<string, { excess: number[]; scale: number[]; skus: number; horizons: number[] }>();
  for (const e of evidence) {
    for (const key of poolChain(e.history)) {
      const id = `${e.family}\u0000${key}`;
      let s = sums.get(id);
      if (s === undefined) {
        s = { excess: e.evidence.horizons.map(() => 0), scale: e.evidence.horizons.map(() => 0), skus: 0, horizons: e.evidence.horizons };
        sums.set(id, s);
      }
      e.evidence.excess.forEach((x, j) => {
        s.excess[j]! += x;
      });
      e.evidence.scale.forEach((x, j) => {
        s.scale[j]! += x;
      });
      s.skus++;
    }
  }
  const calibrated = (key: string, family: Family): LevelError | null => {
    const s = sums.get(`${family}\u0000${key}`);
    if (s === undefined || (s.skus < minSkus && key !== ROOT_POOL)) return null;
    return residualLevelError(s);
  };
  // Parents come first, so a pool without enough SKUs of its own inherits its parent's.
  for (const pool of pools) {
    const parent = pool.parent === null ? null : byKey.get(pool.parent)!.levelError;
    pool.levelError = {
      continuous: calibrated(pool.key, "continuous") ?? parent?.continuous ?? NO_LEVEL_ERROR,
      intermittent: calibrated(pool.key, "intermittent") ?? parent?.intermittent ?? NO_LEVEL_ERROR,
    };
  }
  const models = fitted.map((m) => {
    const residual = byKey.get(m.pool)!.levelError![familyOf(m)];
    return { ...m, levelError: combineLevelError(m.fit.parameterError, residual) };
  });
  return { pools, models };
}

/**
 * Refits everything on the histories cut `lag` days short and measures, per SKU, the excess of
 * the squared horizon-total error over the model's own expectation (see the module comment).
 * SKUs with no history at the cut, or horizons longer than the lag, are left out.
 */
function holdoutEvidence(
  histories: readonly SalesHistory[],
  lag: number,
  horizons: readonly number[],
  options: Partial<BatchOptions>,
): { history: SalesHistory; family: Family; evidence: LevelErrorEvidence }[] {
  const usable = horizons.filter((h) => h <= lag);
  const kept = histories.filter((h) => h.units.length > lag);
  if (usable.length === 0 || kept.length === 0) return [];
  const cut = kept.map((h) => ({ ...h, origin: isoDay(dayNumber(h.origin) - lag), units: h.units.slice(0, h.units.length - lag) }));
  const pools = new Map(fitPoolProfiles(cut, options.pools).map((p) => [p.key, p]));
  const longest = Math.max(...usable);
  return cut.map((h, i) => {
    const model = fitForecastModel(h, pools, { ...options.models, inSampleEvidence: false });
    const means = dailyMeans(model, longest);
    const factors = profileFactors(model.profile, dayNumber(h.origin) + 1, longest);
    const units = kept[i]!.units;
    const excess: number[] = [];
    const scale: number[] = [];
    for (const H of usable) {
      let predicted = 0;
      let actual = 0;
      let noise = 0;
      for (let j = 0; j < H; j++) {
        predicted += means[j]!;
        actual += units[h.units.length + j]!;
        noise += dayDistribution(model, means[j]!, factors[j]!).variance;
      }
      const parameter = levelErrorAt(model.fit.parameterError, H);
      // Precision weights 1/V, V the variance the model expects: see `LevelErrorEvidence`.
      const expected = noise + predicted * predicted * parameter;
      const weight = expected > 0 ? 1 / expected : 0;
      excess.push(((actual - predicted) ** 2 - expected) * weight);
      scale.push(predicted * predicted * weight);
    }
    return { history: kept[i]!, family: familyOf(model), evidence: { horizons: usable, excess, scale, origins: usable.map(() => 1) } };
  });
}
