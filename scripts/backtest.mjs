// npm run backtest: rolling-origin backtest of the demand forecaster (domain/forecasting, issue
// 15) against seasonal naive and the seed's method (seed 004's ForecastingEngine, re-implemented
// here as a baseline only), on (a) synthetic series with known truth and (b) the demo's sales
// history (scripts/demo-sales.mjs). Prints markdown tables.
//
// Node cannot import the domain's TypeScript, so it is bundled in memory with esbuild (already
// in node_modules through wrangler) and imported from a data: URL. No new dependencies.
//
// Rolling origins: 8 weekly origins, the last one 90 days before the end of the data, each
// forecasting 90 days; every series is cut at the origin (pools, models and the calibration
// refit included), so nothing after the origin is seen.
//
// Options: --origins N (weekly origins, default 8), --skus N (first N demo SKUs, default all),
// --synthetic N (synthetic series, default 600), --suite synthetic|demo (default both).
// Experiments: --lags 90,120 (calibration lags), --model '{"damping":0.98}' (model options).

import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { prng } from "./local-stack.mjs";
import { categoryOf, demoSalesHistory, sampleUnits } from "./demo-sales.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
// Experiments only (defaults: the domain's).
const BATCH_OPTIONS = {
  ...(arg("lags", null) === null ? {} : { calibrationLags: arg("lags", "").split(",").map(Number) }),
  ...(arg("model", null) === null ? {} : { models: JSON.parse(arg("model", "{}")) }),
};
const HORIZONS = [7, 30, 90];
const MAX_H = 90;
const MS_PER_DAY = 86_400_000;
const isoDay = (n) => new Date(n * MS_PER_DAY).toISOString().slice(0, 10);
const dayNumber = (iso) => Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / MS_PER_DAY;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

async function loadForecasting() {
  const out = await build({
    entryPoints: [join(ROOT, "domain/forecasting/index.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    logLevel: "silent",
  });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);
}

// ---------------------------------------------------------------------------------------------
// Data sets: every series is { sku, pools, firstDay (day number), units: Int32Array, truth? }
// ---------------------------------------------------------------------------------------------

/**
 * Synthetic series with known truth: 4 pools with their own weekday pattern and yearly season,
 * levels log-normal (median 1.5/day, so a third are intermittent), yearly growth N(0, 20 %),
 * negative-binomial noise (dispersion 0.1), and 10 % launched in the last 150 days (so the
 * earliest origins see some with no history at all). Fixed seed.
 */
function syntheticSeries(count, endDay) {
  const r = prng(15_2026);
  const end = dayNumber(endDay);
  const days = 3 * 364;
  const pools = [
    { key: "pool:summer", week: [1.2, 1.1, 1, 1, 0.95, 0.85, 0.9], amp: 0.5, peak: 180 },
    { key: "pool:winter", week: [1.1, 1.15, 1.05, 1, 0.95, 0.9, 0.85], amp: 0.7, peak: 10 },
    { key: "pool:xmas", week: [1.3, 1.0, 0.95, 0.95, 0.95, 0.9, 0.95], amp: 0.2, peak: 300, xmas: 1.0 },
    { key: "pool:flat", week: [1.05, 1.05, 1, 1, 1, 0.95, 0.95], amp: 0.1, peak: 100 },
  ];
  const out = [];
  for (let i = 0; i < count; i++) {
    const pool = pools[i % pools.length];
    const level = Math.exp(Math.log(1.5) + 1.3 * normal(r));
    const growth = (0.2 * normal(r)) / 365;
    const first = r.chance(0.1) ? end - r.int(0, 150) : end - days + 1;
    const units = new Int32Array(end - first + 1);
    const truth = new Float64Array(end - first + 1);
    for (let d = first; d <= end; d++) {
      const doy = (d - dayNumber("2020-01-01")) % 365.2425;
      let s = pool.amp * Math.cos((2 * Math.PI * (doy - pool.peak)) / 365.2425);
      if (pool.xmas) {
        const gap = Math.abs(doy - 346) % 365.2425;
        s += pool.xmas * Math.exp(-((Math.min(gap, 365.2425 - gap) / 10) ** 2));
      }
      const mean = level * pool.week[(d + 4) % 7] * Math.exp(s) * Math.exp(growth * (d - end));
      truth[d - first] = mean;
      units[d - first] = sampleUnits(r, mean, 0.1);
    }
    out.push({ sku: `SYN-${String(i).padStart(4, "0")}`, pools: [pool.key], firstDay: first, units, truth, dispersion: 0.1 });
  }
  return out;
}

function normal(r) {
  const u = 1 - r.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.next());
}

function demoSeries(limit) {
  const history = demoSalesHistory();
  const skus = limit ? history.skus.slice(0, limit) : history.skus;
  return {
    endDay: history.endDay,
    series: skus.map((s) => ({
      sku: s.sku,
      pools: [`category:${categoryOf(s.sku)}`, `vendor:${s.vendorId}/category:${categoryOf(s.sku)}`],
      firstDay: dayNumber(s.firstDay),
      units: s.units,
    })),
  };
}

/** The series' units up to and including day `origin` (empty if it starts later). */
function upTo(s, origin) {
  const n = origin - s.firstDay + 1;
  return n <= 0 ? new Int32Array(0) : s.units.subarray(0, n);
}

/** Actual units on the `h` days after `origin` (0 before the series starts). */
function actuals(s, origin) {
  const out = new Float64Array(MAX_H);
  for (let h = 1; h <= MAX_H; h++) {
    const i = origin + h - s.firstDay;
    out[h - 1] = i >= 0 && i < s.units.length ? s.units[i] : 0;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Forecasters. Each returns, per series, { mean: Float64Array(90), lo80/hi80/lo95/hi95 daily
// arrays, total: { [H]: { lo80, hi80, lo95, hi95 } } } for one origin.
// ---------------------------------------------------------------------------------------------

function issue15Forecaster(F) {
  return (series, origin) => {
    const histories = series.map((s) => ({ sku: s.sku, pools: s.pools, origin: isoDay(origin), units: Array.from(upTo(s, origin)) }));
    const { models } = F.fitForecastModels(histories, BATCH_OPTIONS);
    return models.map((m) => {
      const f = F.forecastDemand(m, MAX_H, HORIZONS);
      const out = emptyForecast();
      f.days.forEach((d, i) => {
        out.mean[i] = d.mean;
        out.lo80[i] = d.p80.lower;
        out.hi80[i] = d.p80.upper;
        out.lo95[i] = d.p95.lower;
        out.hi95[i] = d.p95.upper;
      });
      for (const t of f.horizons) out.total[t.days] = { lo80: t.p80.lower, hi80: t.p80.upper, lo95: t.p95.lower, hi95: t.p95.upper };
      out.method = m.method;
      out.demandClass = m.demand.class;
      return out;
    });
  };
}

function emptyForecast() {
  return {
    mean: new Float64Array(MAX_H),
    lo80: new Float64Array(MAX_H),
    hi80: new Float64Array(MAX_H),
    lo95: new Float64Array(MAX_H),
    hi95: new Float64Array(MAX_H),
    total: {},
  };
}

function quantile(sorted, q) {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i];
}

/**
 * Seasonal naive: each day repeats the same weekday of the last week. Intervals from its own
 * in-sample errors over the last year: daily from the errors of y[t] − y[t − 7], totals from
 * the errors of "last week repeated" H-day totals at weekly past origins.
 */
function seasonalNaiveForecaster() {
  return (series, origin) =>
    series.map((s) => {
      const y = upTo(s, origin);
      const n = y.length;
      const out = emptyForecast();
      const at = (i) => (i >= 0 && i < n ? y[i] : 0);
      for (let h = 1; h <= MAX_H; h++) out.mean[h - 1] = at(n - 7 + ((h - 1) % 7));
      const errs = [];
      for (let t = Math.max(7, n - 364); t < n; t++) errs.push(y[t] - y[t - 7]);
      errs.sort((a, b) => a - b);
      const [q025, q10, q90, q975] = [0.025, 0.1, 0.9, 0.975].map((q) => quantile(errs, q));
      for (let i = 0; i < MAX_H; i++) {
        out.lo95[i] = Math.max(0, out.mean[i] + q025);
        out.lo80[i] = Math.max(0, out.mean[i] + q10);
        out.hi80[i] = Math.max(0, out.mean[i] + q90);
        out.hi95[i] = Math.max(0, out.mean[i] + q975);
      }
      for (const H of HORIZONS) {
        const e = [];
        for (let o = n - 1 - H; o >= Math.max(7, n - 1 - H - 357); o -= 7) {
          let p = 0;
          let a = 0;
          for (let h = 1; h <= H; h++) {
            p += y[o - 7 + ((h - 1) % 7) + 1];
            a += y[o + h];
          }
          e.push(a - p);
        }
        e.sort((a, b) => a - b);
        let p = 0;
        for (let h = 0; h < H; h++) p += out.mean[h];
        out.total[H] = {
          lo95: Math.max(0, p + quantile(e, 0.025)),
          lo80: Math.max(0, p + quantile(e, 0.1)),
          hi80: p + quantile(e, 0.9),
          hi95: p + quantile(e, 0.975),
        };
      }
      return out;
    });
}

/**
 * Seed 004's ForecastingEngine.generateForecast, faithfully (as a baseline; its flaws are the
 * point): the history is the last 365 days' rows *with sales* (its SQL groups order lines by
 * date, so days without sales are missing); fewer than 30 rows → the category-based forecast;
 * base = mean of the last 30 rows; weekday and month factors = mean of rows on that
 * weekday/month ÷ mean of all rows — multiplied onto a base that already contains the current
 * month's seasonality (the double count); trend = least-squares slope over row index, added as
 * trend × i for forecast day i = 0, 1, …; holiday factors keyed `${getMonth()}-${getDate()}`
 * with a 0-based month, so '11-25'…'11-28' hit 25–28 December and '12-24'/'12-25' never match;
 * predictions rounded; interval ± 1.96 × the standard deviation of the rows (80 %: ± 1.2816 ×,
 * the same construction), lower bound clipped at 0. Its "today" (i = 0) is taken as the first
 * day after the origin. Horizon totals: the seed has none; we sum its daily bounds.
 * Category fallback: the seed averages order-line quantities per product-day over 90 days; with
 * daily totals only, the closest is the mean units on days with sales over the category's SKUs'
 * last 90 days; bounds 0.5× and 1.5×.
 */
function seedForecaster() {
  const holidays = new Map([
    ["11-25", 2.5],
    ["11-26", 2.5],
    ["11-27", 2.0],
    ["11-28", 1.8],
    ["12-24", 1.5],
    ["12-25", 0.5],
  ]);
  return (series, origin) => {
    const categoryAvg = new Map();
    for (const s of series) {
      const key = s.pools[0] ?? "*";
      const y = upTo(s, origin);
      const agg = categoryAvg.get(key) ?? { sum: 0, n: 0 };
      for (let i = Math.max(0, y.length - 90); i < y.length; i++) {
        if (y[i] > 0) {
          agg.sum += y[i];
          agg.n++;
        }
      }
      categoryAvg.set(key, agg);
    }
    return series.map((s) => {
      const y = upTo(s, origin);
      const rows = [];
      for (let i = Math.max(0, y.length - 365); i < y.length; i++) {
        if (y[i] > 0) rows.push({ day: origin - (y.length - 1 - i), q: y[i] });
      }
      const out = emptyForecast();
      if (rows.length < 30) {
        const agg = categoryAvg.get(s.pools[0] ?? "*");
        const base = agg && agg.n > 0 ? agg.sum / agg.n : 1;
        for (let i = 0; i < MAX_H; i++) {
          out.mean[i] = Math.round(base);
          out.lo80[i] = out.lo95[i] = Math.round(base * 0.5);
          out.hi80[i] = out.hi95[i] = Math.round(base * 1.5);
        }
      } else {
        const recent = rows.slice(-30);
        const base = recent.reduce((a, r) => a + r.q, 0) / recent.length;
        const overall = rows.reduce((a, r) => a + r.q, 0) / rows.length;
        const dt = new Array(7).fill(0);
        const dc = new Array(7).fill(0);
        const mt = new Array(12).fill(0);
        const mc = new Array(12).fill(0);
        for (const r of rows) {
          const d = new Date(r.day * MS_PER_DAY);
          dt[d.getUTCDay()] += r.q;
          dc[d.getUTCDay()]++;
          mt[d.getUTCMonth()] += r.q;
          mc[d.getUTCMonth()]++;
        }
        const dow = dt.map((t, i) => (dc[i] > 0 ? t / dc[i] / overall : 1));
        const month = mt.map((t, i) => (mc[i] > 0 ? t / mc[i] / overall : 1));
        const n = rows.length;
        let sx = 0;
        let sy = 0;
        let sxy = 0;
        let sx2 = 0;
        rows.forEach((r, i) => {
          sx += i;
          sy += r.q;
          sxy += i * r.q;
          sx2 += i * i;
        });
        const trend = (n * sxy - sx * sy) / (n * sx2 - sx * sx);
        const mean = sy / n;
        const sd = Math.sqrt(rows.reduce((a, r) => a + (r.q - mean) ** 2, 0) / n);
        for (let i = 0; i < MAX_H; i++) {
          const d = new Date((origin + 1 + i) * MS_PER_DAY);
          const seasonal = dow[d.getUTCDay()] * month[d.getUTCMonth()];
          const holiday = holidays.get(`${d.getUTCMonth()}-${d.getUTCDate()}`) ?? 1;
          const p = Math.max(0, (base + trend * i) * seasonal * holiday);
          out.mean[i] = Math.round(p);
          out.lo95[i] = Math.max(0, Math.round(p - 1.96 * sd));
          out.hi95[i] = Math.round(p + 1.96 * sd);
          out.lo80[i] = Math.max(0, Math.round(p - 1.2816 * sd));
          out.hi80[i] = Math.round(p + 1.2816 * sd);
        }
      }
      for (const H of HORIZONS) {
        const sum = (a) => a.subarray(0, H).reduce((x, v) => x + v, 0);
        out.total[H] = { lo80: sum(out.lo80), hi80: sum(out.hi80), lo95: sum(out.lo95), hi95: sum(out.hi95) };
      }
      return out;
    });
  };
}

/** The synthetic suite's truth: the true mean, with the true negative-binomial quantiles. */
function oracleForecaster(F) {
  return (series, origin) =>
    series.map((s) => {
      const out = emptyForecast();
      const variance = new Float64Array(MAX_H);
      for (let h = 1; h <= MAX_H; h++) {
        const i = origin + h - s.firstDay;
        const m = i >= 0 ? s.truth[i] : 0;
        out.mean[h - 1] = m;
        variance[h - 1] = i < 0 ? 0 : s.variance ? s.variance[i] : m + s.dispersion * m * m;
        const [a, b, c, d] = F.countQuantiles(m, variance[h - 1], [0.025, 0.1, 0.9, 0.975]);
        out.lo95[h - 1] = a;
        out.lo80[h - 1] = b;
        out.hi80[h - 1] = c;
        out.hi95[h - 1] = d;
      }
      for (const H of HORIZONS) {
        let m = 0;
        let v = 0;
        for (let h = 0; h < H; h++) {
          m += out.mean[h];
          v += variance[h];
        }
        const [a, b, c, d] = F.countQuantiles(m, v, [0.025, 0.1, 0.9, 0.975]);
        out.total[H] = { lo95: a, lo80: b, hi80: c, hi95: d };
      }
      return out;
    });
}

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

function newAcc() {
  return { absDay: 0, absTot: 0, sumY: 0, sumYTot: 0, signed: 0, in80: 0, in95: 0, days: 0, tin80: 0, tin95: 0, totals: 0, se: 0 };
}

function addSku(acc, H, f, y) {
  let tp = 0;
  let ta = 0;
  for (let h = 0; h < H; h++) {
    const e = f.mean[h] - y[h];
    acc.absDay += Math.abs(e);
    acc.se += e * e;
    acc.signed += e;
    acc.sumY += y[h];
    if (y[h] >= f.lo80[h] && y[h] <= f.hi80[h]) acc.in80++;
    if (y[h] >= f.lo95[h] && y[h] <= f.hi95[h]) acc.in95++;
    acc.days++;
    tp += f.mean[h];
    ta += y[h];
  }
  acc.absTot += Math.abs(tp - ta);
  acc.sumYTot += ta;
  const t = f.total[H];
  if (t) {
    if (ta >= t.lo80 && ta <= t.hi80) acc.tin80++;
    if (ta >= t.lo95 && ta <= t.hi95) acc.tin95++;
    acc.totals++;
  }
}

const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : "–");
const signedPct = (x) => (Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)} %` : "–");

function row(acc, withCoverage = true) {
  return {
    wape: acc.absDay / acc.sumY,
    totalErr: acc.absTot / acc.sumYTot,
    bias: acc.signed / acc.sumY,
    cov80: withCoverage && acc.days ? acc.in80 / acc.days : NaN,
    cov95: withCoverage && acc.days ? acc.in95 / acc.days : NaN,
    tcov80: acc.totals ? acc.tin80 / acc.totals : NaN,
    tcov95: acc.totals ? acc.tin95 / acc.totals : NaN,
    mse: acc.se / Math.max(1, acc.days),
  };
}

/** Sums forecasts (point only) and actuals over series: the bottom-up total-demand forecast. */
function sumForecasts(forecasts, actualsList) {
  const f = emptyForecast();
  const y = new Float64Array(MAX_H);
  forecasts.forEach((fc, i) => {
    for (let h = 0; h < MAX_H; h++) {
      f.mean[h] += fc.mean[h];
      y[h] += actualsList[i][h];
    }
  });
  f.lo80.fill(NaN);
  f.hi80.fill(NaN);
  f.lo95.fill(NaN);
  f.hi95.fill(NaN);
  return { f, y };
}

async function runSuite(name, series, endDay, forecasters, origins) {
  const end = dayNumber(endDay);
  const last = end - MAX_H;
  const originDays = Array.from({ length: origins }, (_, k) => last - 7 * (origins - 1 - k));
  // The total-demand series, fitted directly as one more series.
  const firstDay = Math.min(...series.map((s) => s.firstDay));
  const total = new Int32Array(end - firstDay + 1);
  for (const s of series) {
    s.units.forEach((u, i) => {
      total[s.firstDay - firstDay + i] += u;
    });
  }
  const totalSeries = [{ sku: "TOTAL", pools: [], firstDay, units: total }];
  if (series[0]?.truth) {
    // The oracle of the total: Σ true means, Σ true variances (the series are independent).
    const truth = new Float64Array(total.length);
    const variance = new Float64Array(total.length);
    for (const s of series) {
      s.truth.forEach((m, i) => {
        truth[s.firstDay - firstDay + i] += m;
        variance[s.firstDay - firstDay + i] += m + s.dispersion * m * m;
      });
    }
    Object.assign(totalSeries[0], { truth, variance });
  }

  const results = {};
  for (const [label, make] of forecasters) {
    const t0 = performance.now();
    const acc = {};
    for (const H of HORIZONS) {
      acc[H] = { sku: newAcc(), bottomUp: newAcc(), direct: newAcc(), slow: newAcc(), byMethod: new Map() };
    }
    const slowShare = { n: 0 };
    const classes = new Map();
    for (const origin of originDays) {
      // A SKU that starts selling after the origin does not exist yet at the origin.
      const live = series.filter((s) => s.firstDay <= origin);
      const forecasts = make(live, origin);
      const ys = live.map((s) => actuals(s, origin));
      const slowIdx = new Set();
      forecasts.forEach((f, i) => {
        if (f.method !== undefined) classes.set(f.method, (classes.get(f.method) ?? 0) + 1);
      });
      // "Intermittent" SKUs: ADI ≥ 1.32 over the last 364 days (same rule as the forecaster).
      live.forEach((s, i) => {
        const y = upTo(s, origin);
        const from = Math.max(0, y.length - 364);
        let nz = 0;
        for (let t = from; t < y.length; t++) if (y[t] > 0) nz++;
        if (y.length - from >= 56 && nz > 0 && (y.length - from) / nz >= 1.32) slowIdx.add(i);
      });
      slowShare.n += slowIdx.size;
      const { f: bu, y: ty } = sumForecasts(forecasts, ys);
      const direct = make(totalSeries, origin)[0];
      const directY = actuals(totalSeries[0], origin);
      for (const H of HORIZONS) {
        forecasts.forEach((f, i) => {
          addSku(acc[H].sku, H, f, ys[i]);
          if (f.method !== undefined) {
            if (!acc[H].byMethod.has(f.method)) acc[H].byMethod.set(f.method, newAcc());
            addSku(acc[H].byMethod.get(f.method), H, f, ys[i]);
          }
          if (slowIdx.has(i)) addSku(acc[H].slow, H, f, ys[i]);
        });
        addSku(acc[H].bottomUp, H, bu, ty);
        addSku(acc[H].direct, H, direct, directY);
      }
    }
    results[label] = { acc, seconds: (performance.now() - t0) / 1000, classes, slowPerOrigin: slowShare.n / originDays.length };
  }
  return { name, originDays, results };
}

function printSuite(suite, skuCount) {
  const { name, originDays, results } = suite;
  console.log(`\n### ${name}\n`);
  console.log(
    `${skuCount} series; ${originDays.length} weekly origins ${isoDay(originDays[0])} … ${isoDay(originDays.at(-1))}; ` +
      `horizons ${HORIZONS.join("/")} days. WAPE = Σ|forecast − actual| / Σ actual over days; ` +
      `total error = Σ|forecast total − actual total| / Σ actual totals; bias = Σ(forecast − actual) / Σ actual; ` +
      `coverage = share of actual days (or totals) inside the interval. Levels: *per SKU* = every SKU × origin × day ` +
      `(volume-weighted; daily noise dominates); *total, bottom-up* = the sum of the SKU forecasts against total demand ` +
      `(no intervals: SKU intervals do not add up); *total, own fit* = the method run on the total-demand series as ` +
      `one series (its coverage rests on ${originDays.length} totals per horizon, so it is anecdotal).\n`,
  );
  console.log("| horizon | method | level | daily WAPE | total error | bias | daily cov. 80 / 95 | total cov. 80 / 95 |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const H of HORIZONS) {
    for (const [label, r] of Object.entries(results)) {
      const s = row(r.acc[H].sku);
      const b = row(r.acc[H].bottomUp, false);
      const d = row(r.acc[H].direct);
      console.log(
        `| ${H} d | ${label} | per SKU | ${pct(s.wape)} | ${pct(s.totalErr)} | ${signedPct(s.bias)} | ${pct(s.cov80)} / ${pct(s.cov95)} | ${pct(s.tcov80)} / ${pct(s.tcov95)} |`,
      );
      console.log(`| ${H} d | ${label} | total, bottom-up | ${pct(b.wape)} | ${pct(b.totalErr)} | ${signedPct(b.bias)} | – | – |`);
      console.log(
        `| ${H} d | ${label} | total, own fit | ${pct(d.wape)} | ${pct(d.totalErr)} | ${signedPct(d.bias)} | ${pct(d.cov80)} / ${pct(d.cov95)} | ${pct(d.tcov80)} / ${pct(d.tcov95)} |`,
      );
    }
  }
  const first = Object.values(results)[0];
  console.log(
    `\nIntermittent SKUs (ADI ≥ 1.32 over their last 364 days, ≥ 56 days of history; about ${Math.round(first.slowPerOrigin)} per origin), per SKU:\n`,
  );
  console.log("| horizon | method | daily MSE | daily WAPE | total error | bias | daily cov. 80 / 95 | total cov. 80 / 95 |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const H of HORIZONS) {
    for (const [label, r] of Object.entries(results)) {
      const s = row(r.acc[H].slow);
      console.log(
        `| ${H} d | ${label} | ${s.mse.toFixed(3)} | ${pct(s.wape)} | ${pct(s.totalErr)} | ${signedPct(s.bias)} | ${pct(s.cov80)} / ${pct(s.cov95)} | ${pct(s.tcov80)} / ${pct(s.tcov95)} |`,
      );
    }
  }
  const ours = results["issue 15"];
  if (ours && ours.classes.size > 0) {
    console.log(`\nIssue 15 by the method it chose (SKU × origin: ${[...ours.classes].map(([k, v]) => `${k} ${v}`).join(", ")}), per SKU:\n`);
    console.log("| horizon | method chosen | share of actual units | daily WAPE | total error | bias | daily cov. 80 / 95 | total cov. 80 / 95 |");
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const H of HORIZONS) {
      const all = ours.acc[H].sku.sumY;
      for (const [method, a] of [...ours.acc[H].byMethod].sort()) {
        const s = row(a);
        console.log(
          `| ${H} d | ${method} | ${pct(a.sumY / all)} | ${pct(s.wape)} | ${pct(s.totalErr)} | ${signedPct(s.bias)} | ${pct(s.cov80)} / ${pct(s.cov95)} | ${pct(s.tcov80)} / ${pct(s.tcov95)} |`,
        );
      }
    }
  }
  console.log(
    `\nRun time: ${Object.entries(results)
      .map(([k, v]) => `${k} ${v.seconds.toFixed(1)} s`)
      .join(", ")}.`,
  );
}

async function main() {
  const t0 = performance.now();
  const F = await loadForecasting();
  const origins = Number(arg("origins", 8));
  const suite = arg("suite", "both");
  console.log(`## Forecast backtest output (${new Date().toISOString().slice(0, 10)}; node ${process.version})`);
  if (suite === "both" || suite === "synthetic") {
    const endDay = "2026-11-20";
    const series = syntheticSeries(Number(arg("synthetic", 600)), endDay);
    const res = await runSuite(
      "(a) Synthetic series with known truth",
      series,
      endDay,
      [
        ["issue 15", issue15Forecaster(F)],
        ["seasonal naive", seasonalNaiveForecaster()],
        ["seed 004", seedForecaster()],
        ["oracle (true mean)", oracleForecaster(F)],
      ],
      origins,
    );
    printSuite(res, series.length);
  }
  if (suite === "both" || suite === "demo") {
    const limit = Number(arg("skus", 0)) || undefined;
    const { endDay, series } = demoSeries(limit);
    const res = await runSuite(
      "(b) The demo's sales history (scripts/demo-sales.mjs)",
      series,
      endDay,
      [
        ["issue 15", issue15Forecaster(F)],
        ["seasonal naive", seasonalNaiveForecaster()],
        ["seed 004", seedForecaster()],
      ],
      origins,
    );
    printSuite(res, series.length);
  }
  console.log(`\nTotal run time ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
}

await main();
