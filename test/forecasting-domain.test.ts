/**
 * The pure forecasting module (issue 15), called directly: demand classification, count
 * quantiles, recovery of a known-truth series (level, weekday factors, trend), SBA/TSB beating
 * the naive forecasts on intermittent demand, the category fallback for a SKU with no history,
 * interval coverage on synthetic data, the stockout date and lead-time demand. Every series is
 * generated from a fixed seed (support/synthetic-demand.ts); no clock is read.
 */
import { describe, expect, it } from "vitest";
import {
  classifyDemand,
  countQuantiles,
  dayNumber,
  expectedStockout,
  FLAT_PROFILE,
  fitForecastModels,
  forecastDemand,
  hurdleQuantiles,
  leadTimeDemand,
  type ForecastModel,
  type SalesHistory,
} from "../domain/forecasting";
import { seeded, simulate, type TruthSpec } from "./support/synthetic-demand";

const ORIGIN = "2026-06-30";
const WEEKDAY = [1.3, 1.1, 1, 1, 0.9, 0.8, 0.9]; // Sunday first

const normalise = (w: readonly number[]) => {
  const m = w.reduce((a, b) => a + b, 0) / w.length;
  return w.map((x) => x / m);
};
const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0);

/** A hand-made model: flat calendar, constant level, no noise beyond Poisson. */
function flatModel(level: number): ForecastModel {
  return {
    sku: "FLAT",
    origin: "2026-01-10",
    method: "decomposition",
    demand: { class: "smooth", adi: 1, cv2: 0.1, days: 364, demandDays: 364 },
    reason: "test",
    pool: "*",
    profile: FLAT_PROFILE,
    level,
    growth: 0,
    damping: 1,
    dispersion: 0,
    occurrence: null,
    levelError: { horizons: [], relativeVariance: [] },
    fit: { alpha: 0.1, beta: null, candidates: [], parameterError: { horizons: [], relativeVariance: [] }, evidence: null },
  };
}

describe("demand classification (ADI / CV²)", () => {
  it("computes ADI and CV² of the non-zero days and applies the 1.32 / 0.49 cut-offs", () => {
    // 8 days, 4 with sales of 2, 4, 2, 4: ADI 8/4 = 2, sizes mean 3, variance 1 → CV² 1/9.
    const c = classifyDemand([0, 2, 0, 4, 0, 2, 0, 4]);
    expect(c.adi).toBe(2);
    expect(c.cv2).toBeCloseTo(1 / 9, 12);
    expect(c.class).toBe("intermittent");
    expect(classifyDemand([5, 6, 5, 6, 5, 6, 5]).class).toBe("smooth");
    expect(classifyDemand([1, 30, 1, 25, 2, 40, 1]).class).toBe("erratic");
    expect(classifyDemand([0, 0, 1, 0, 0, 40, 0, 0, 2]).class).toBe("lumpy");
    expect(classifyDemand([]).class).toBe("new");
    expect(classifyDemand([0, 0, 0]).class).toBe("inactive");
  });

  it("looks at the last 364 days only", () => {
    const old = new Array(400).fill(0);
    const recent = new Array(364).fill(3);
    expect(classifyDemand([...old, ...recent])).toMatchObject({ class: "smooth", adi: 1, days: 364, demandDays: 364 });
  });
});

describe("count quantiles", () => {
  it("Poisson quantiles match the CDF of Poisson(4)", () => {
    // F(1) = 0.0916, F(2) = 0.2381, F(6) = 0.8893, F(7) = 0.9489, F(8) = 0.9786.
    expect(countQuantiles(4, 4, [0.025, 0.1, 0.9, 0.975])).toEqual([1, 2, 7, 8]);
  });

  it("negative binomial when the variance exceeds the mean", () => {
    // mean 4, variance 12: size r = 2, P(0) = (1/3)² = 0.111 ≥ 0.1, so Q(0.1) = 0.
    const [lo, hi] = countQuantiles(4, 12, [0.1, 0.9]);
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(7);
  });

  it("large means stay accurate (normal limit)", () => {
    const [lo, hi] = countQuantiles(10_000, 10_000, [0.025, 0.975]);
    expect(lo).toBeGreaterThanOrEqual(10_000 - 197);
    expect(lo).toBeLessThanOrEqual(10_000 - 195);
    expect(hi).toBeGreaterThanOrEqual(10_000 + 195);
    expect(hi).toBeLessThanOrEqual(10_000 + 197);
  });

  it("hurdle: zero up to the no-sale probability, then 1 + a count", () => {
    expect(hurdleQuantiles(0.2, 1, 0, [0.5, 0.79, 0.81, 0.99])).toEqual([0, 0, 1, 1]);
    expect(hurdleQuantiles(0, 3, 1, [0.99])).toEqual([0]);
  });
});

describe("recovering a known-truth series", () => {
  it("pooled weekday factors, the level and the trend come back within the noise", () => {
    const next = seeded(20260630);
    const specs: TruthSpec[] = Array.from({ length: 40 }, (_, i) => ({
      level: 20 + i,
      weekday: WEEKDAY,
      seasonAmplitude: 0.4,
      seasonPeakDay: 180,
      growth: i === 0 ? Math.log(1.3) / 365 : 0, // SKU 0 grows 30 % a year
      dispersion: 0.05,
    }));
    const sims = specs.map((s) => simulate(next, s, ORIGIN, 728, 28));
    const histories: SalesHistory[] = sims.map((s, i) => ({ sku: `T-${i}`, pools: ["category:T"], origin: ORIGIN, units: s.history }));
    const { pools, models } = fitForecastModels(histories);

    const pool = pools.find((p) => p.key === "category:T")!;
    normalise(WEEKDAY).forEach((w, d) => {
      expect(Math.abs(pool.profile.weekday[d]! - w)).toBeLessThan(0.02);
    });

    // Each SKU's 28-day expected demand (level × weekday × season × trend) against the true
    // means: the estimate's own noise (level, growth and seasonal deviations from two years of
    // 20–60 units a day) is a few per cent, so every SKU within 15 % (about 3 sd), the mean
    // absolute error under 5 % and the sum over SKUs within 1 %.
    let forecast = 0;
    let truth = 0;
    let absolute = 0;
    models.forEach((m, i) => {
      expect(m.method).toBe("decomposition");
      const f = sum(forecastDemand(m, 28, [28]).days.map((d) => d.mean));
      const t = sum(sims[i]!.futureMeans);
      expect(Math.abs(f / t - 1)).toBeLessThan(0.15);
      absolute += Math.abs(f / t - 1);
      forecast += f;
      truth += t;
    });
    expect(absolute / models.length).toBeLessThan(0.05);
    expect(Math.abs(forecast / truth - 1)).toBeLessThan(0.01);

    // Trend: one year of 20–60 units a day pins yearly growth to about ±5 % (1 sd). The growing
    // SKU's +30 % comes back between +15 % and +45 %; the flat ones within ±15 % each and
    // ±5 % on average.
    const yearly = (m: ForecastModel) => Math.expm1(m.growth * 365);
    expect(yearly(models[0]!)).toBeGreaterThan(0.15);
    expect(yearly(models[0]!)).toBeLessThan(0.45);
    const flat = models.slice(1).map((m) => Math.abs(yearly(m)));
    for (const g of flat) expect(g).toBeLessThan(0.15);
    expect(sum(flat) / flat.length).toBeLessThan(0.05);
  });

  it("a SKU's own weekday pattern wins over its pool's when it has the volume", () => {
    const next = seeded(7);
    const base = { seasonAmplitude: 0, seasonPeakDay: 0, growth: 0, dispersion: 0 };
    const flat = Array.from({ length: 30 }, () => simulate(next, { ...base, level: 10, weekday: [1, 1, 1, 1, 1, 1, 1] }, ORIGIN, 400, 0));
    const own = simulate(next, { ...base, level: 200, weekday: [2, 1, 1, 1, 1, 1, 1] }, ORIGIN, 400, 0);
    const histories: SalesHistory[] = [
      ...flat.map((s, i) => ({ sku: `F-${i}`, pools: ["category:F"], origin: ORIGIN, units: s.history })),
      { sku: "OWN", pools: ["category:F"], origin: ORIGIN, units: own.history },
    ];
    const { models } = fitForecastModels(histories);
    const m = models.at(-1)!;
    // Truth: Sunday 2/(8/7) = 1.75, other days 0.875.
    expect(m.profile.weekday[0]).toBeGreaterThan(1.6);
    expect(m.profile.weekday[3]).toBeLessThan(0.95);
  });
});

describe("intermittent demand", () => {
  it("SBA/TSB are chosen for slow movers and beat naive and seasonal naive on MSE and horizon totals", () => {
    const next = seeded(15);
    const specs: TruthSpec[] = Array.from({ length: 120 }, (_, i) => ({
      level: 0.15 + (i % 6) * 0.08,
      weekday: WEEKDAY,
      seasonAmplitude: 0.3,
      seasonPeakDay: 200,
      growth: 0,
      dispersion: 0.2,
    }));
    const sims = specs.map((s) => simulate(next, s, ORIGIN, 728, 90));
    const histories: SalesHistory[] = sims.map((s, i) => ({ sku: `S-${i}`, pools: ["category:S"], origin: ORIGIN, units: s.history }));
    const { models } = fitForecastModels(histories);

    let ours = 0;
    let naive = 0;
    let seasonalNaive = 0;
    let oursTotal = 0;
    let naiveTotal = 0;
    let seasonalTotal = 0;
    models.forEach((m, i) => {
      expect(["intermittent", "lumpy"]).toContain(m.demand.class);
      expect(["sba", "tsb"]).toContain(m.method);
      expect(m.reason).toMatch(/ADI .* ≥ 1\.32/);
      const { history, future } = sims[i]!;
      const f = forecastDemand(m, 90, [90]).days.map((d) => d.mean);
      const last = history.at(-1)!;
      const lastWeek = history.slice(-7);
      future.forEach((y, h) => {
        ours += (y - f[h]!) ** 2;
        naive += (y - last) ** 2;
        seasonalNaive += (y - lastWeek[h % 7]!) ** 2;
      });
      const actual = sum(future);
      oursTotal += Math.abs(actual - sum(f));
      naiveTotal += Math.abs(actual - 90 * last);
      seasonalTotal += Math.abs(actual - sum(future.map((_, h) => lastWeek[h % 7]!)));
    });
    expect(ours).toBeLessThan(0.8 * naive);
    expect(ours).toBeLessThan(0.8 * seasonalNaive);
    expect(oursTotal).toBeLessThan(0.8 * naiveTotal);
    expect(oursTotal).toBeLessThan(0.8 * seasonalTotal);
  });

  it("TSB lets a SKU that stopped selling fade out", () => {
    const next = seeded(99);
    const spec: TruthSpec = { level: 0.5, weekday: WEEKDAY, seasonAmplitude: 0, seasonPeakDay: 0, growth: 0, dispersion: 0 };
    const { history } = simulate(next, spec, ORIGIN, 728, 0);
    history.fill(0, history.length - 200);
    const { models } = fitForecastModels([{ sku: "GONE", pools: [], origin: ORIGIN, units: history }]);
    expect(models[0]!.method).toBe("tsb");
    expect(sum(forecastDemand(models[0]!, 30, [30]).days.map((d) => d.mean))).toBeLessThan(0.5);
  });
});

describe("category fallback", () => {
  it("a SKU with no history forecasts its category's average SKU with the category's factors", () => {
    const next = seeded(3);
    const spec: TruthSpec = { level: 4, weekday: WEEKDAY, seasonAmplitude: 0.5, seasonPeakDay: 180, growth: 0, dispersion: 0.1 };
    const sims = Array.from({ length: 30 }, () => simulate(next, spec, ORIGIN, 728, 30));
    const histories: SalesHistory[] = [
      ...sims.map((s, i) => ({ sku: `C-${i}`, pools: ["category:C"], origin: ORIGIN, units: s.history })),
      { sku: "NEW", pools: ["category:C"], origin: ORIGIN, units: [] },
    ];
    const { pools, models } = fitForecastModels(histories);
    const fresh = models.at(-1)!;
    const pool = pools.find((p) => p.key === "category:C")!;
    expect(fresh.method).toBe("pool_fallback");
    expect(fresh.demand.class).toBe("new");
    expect(fresh.pool).toBe("category:C");
    expect(fresh.level).toBe(pool.skuLevel);
    expect(fresh.profile).toEqual(pool.profile);
    expect(fresh.reason).toContain("category:C");
    const f = sum(forecastDemand(fresh, 30, [30]).days.map((d) => d.mean));
    const truth = sum(sims[0]!.futureMeans);
    expect(Math.abs(f / truth - 1)).toBeLessThan(0.1);
    // The weekday pattern is the category's: Sunday above Friday.
    const days = forecastDemand(fresh, 7, [7]).days;
    const byWeekday = new Map(days.map((d) => [new Date(`${d.day}T00:00:00Z`).getUTCDay(), d.mean]));
    expect(byWeekday.get(0)!).toBeGreaterThan(byWeekday.get(5)! * 1.4);
  });
});

describe("interval coverage on synthetic data", () => {
  it("80 % and 95 % intervals cover close to their nominal rate (days and 30-day totals)", () => {
    const next = seeded(8080);
    const specs: TruthSpec[] = Array.from({ length: 240 }, (_, i) => ({
      level: [0.3, 1, 3, 10, 30][i % 5]!,
      weekday: WEEKDAY,
      seasonAmplitude: 0.4,
      seasonPeakDay: 200,
      growth: ((i % 7) - 3) * 0.0003,
      dispersion: 0.1,
    }));
    const sims = specs.map((s) => simulate(next, s, ORIGIN, 728 + 90, 30));
    const histories: SalesHistory[] = sims.map((s, i) => ({ sku: `K-${i}`, pools: ["category:K"], origin: ORIGIN, units: s.history }));
    const { models } = fitForecastModels(histories);
    let days = 0;
    let in80 = 0;
    let in95 = 0;
    let tin80 = 0;
    let tin95 = 0;
    models.forEach((m, i) => {
      const f = forecastDemand(m, 30, [30]);
      const future = sims[i]!.future;
      f.days.forEach((d, h) => {
        const y = future[h]!;
        days++;
        if (y >= d.p80.lower && y <= d.p80.upper) in80++;
        if (y >= d.p95.lower && y <= d.p95.upper) in95++;
      });
      const total = sum(future);
      const t = f.horizons[0]!;
      if (total >= t.p80.lower && total <= t.p80.upper) tin80++;
      if (total >= t.p95.lower && total <= t.p95.upper) tin95++;
    });
    // Whole-unit bounds cover at least their nominal rate, more for slow movers.
    expect(in80 / days).toBeGreaterThan(0.78);
    expect(in80 / days).toBeLessThan(0.95);
    expect(in95 / days).toBeGreaterThan(0.93);
    // 240 totals: ±6 points is about two standard errors of a coverage rate.
    expect(tin80 / models.length).toBeGreaterThan(0.74);
    expect(tin80 / models.length).toBeLessThan(0.9);
    expect(tin95 / models.length).toBeGreaterThan(0.89);
  });
});

describe("forecast, stockout date, lead-time demand", () => {
  it("a flat model forecasts its level every day from the day after the origin", () => {
    const f = forecastDemand(flatModel(10), 7, [7]);
    expect(f.days.map((d) => d.day)).toEqual(["2026-01-11", "2026-01-12", "2026-01-13", "2026-01-14", "2026-01-15", "2026-01-16", "2026-01-17"]);
    for (const d of f.days) expect(d.mean).toBeCloseTo(10, 10);
    expect(f.horizons[0]!.mean).toBeCloseTo(70, 9);
    // Poisson(70): the 95 % interval is about 70 ± 16.
    expect(f.horizons[0]!.p95.lower).toBeGreaterThanOrEqual(53);
    expect(f.horizons[0]!.p95.upper).toBeLessThanOrEqual(87);
  });

  it("the expected stockout is the first day cumulative demand reaches the position", () => {
    const m = flatModel(10);
    expect(expectedStockout(m, 25)).toEqual({ day: "2026-01-13", daysUntil: 3 });
    expect(expectedStockout(m, 30)).toEqual({ day: "2026-01-13", daysUntil: 3 });
    expect(expectedStockout(m, 0)).toEqual({ day: "2026-01-10", daysUntil: 0 });
    expect(expectedStockout(m, 10_000)).toEqual({ day: null, daysUntil: null });
    expect(expectedStockout(flatModel(0), 5)).toEqual({ day: null, daysUntil: null });
  });

  it("lead-time demand is the sum of the daily means with Poisson spread", () => {
    const lt = leadTimeDemand(flatModel(50), 10);
    expect(lt.mean).toBeCloseTo(500, 9);
    expect(lt.sd).toBeCloseTo(Math.sqrt(500), 9);
    expect(leadTimeDemand(flatModel(50), 2.5).mean).toBeCloseTo(125, 9);
  });

  it("day numbers round-trip and reject non-days", () => {
    expect(dayNumber("1970-01-02")).toBe(1);
    expect(() => dayNumber("2026-02-30")).toThrow(RangeError);
    expect(() => dayNumber("yesterday")).toThrow(RangeError);
  });
});
