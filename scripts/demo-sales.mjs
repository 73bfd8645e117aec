// The demo's sales history: a deterministic, plausible daily sales history for every SKU of
// the demo catalogue (scripts/local-stack/demo-catalogue.mjs demoCatalogue), generated with the project's
// seeded PRNG. `npm run backtest` forecasts it; the seeding script can load the same history
// into D1's daily_sales (dailySalesRows splits it per location).
//
// What makes it retail-like, per SKU: a popularity shared by the variants of a product
// (log-normal, so a quarter of the SKUs are slow movers under ~0.5 units/day); the vendor's
// weekly pattern (online shops sell most on Sunday and Monday); the category's yearly season
// (tents in summer, skis in January, toys before Christmas — LAMP is summer camping for Acme
// and winter home lighting for Casa Bella); a yearly growth or decline; a slow random walk of
// the level; Black Friday; a vendor-wide sale each spring; two unannounced one-week
// promotions a year; gamma–Poisson (negative binomial) noise; launches during the history and
// a few discontinued SKUs whose sales fade to nothing.
//
// Every SKU has its own PRNG stream seeded from its id, so a subset of the catalogue gets the
// same series as the full one. Plain ESM for Node, no dependencies.

import { DEMO_VENDORS, demoCatalogue } from "./local-stack/demo-catalogue.mjs";
import { prng } from "./local-stack/prng.mjs";

/** The demo history's last day (the demo catalogue's own seed date is 2026-11-21). */
export const DEMO_SALES_END_DAY = "2026-11-20";
/** Three years of days, so yearly seasonality is seen three times. */
export const DEMO_SALES_DAYS = 3 * 364 + 3;

const MS_PER_DAY = 86_400_000;
const dayNumber = (iso) => Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / MS_PER_DAY;
const isoDay = (n) => new Date(n * MS_PER_DAY).toISOString().slice(0, 10);

/** Day of year (0-based) of a day number. */
function dayOfYear(n) {
  return n - Date.UTC(new Date(n * MS_PER_DAY).getUTCFullYear(), 0, 1) / MS_PER_DAY;
}

/** Cyclic distance in days between two days of the year. */
const cyclic = (a, b) => {
  const d = Math.abs(a - b) % 365;
  return Math.min(d, 365 - d);
};

/**
 * Yearly season of each category, as log-multipliers: `amp` × cos around the peak day of year,
 * plus an optional pre-Christmas bump (`xmas`, about two weeks wide, centred on 12 December).
 * Per vendor where one category means different things.
 */
const SEASONS = {
  TENT: { peak: 171, amp: 0.6 },
  PACK: { peak: 190, amp: 0.35 },
  BAG: { peak: 195, amp: 0.5 },
  STOVE: { peak: 215, amp: 0.45 },
  "V-ACME/LAMP": { peak: 190, amp: 0.3 },
  "V-CASA/LAMP": { peak: 350, amp: 0.4, xmas: 0.3 },
  SKI: { peak: 15, amp: 1.0 },
  JACKET: { peak: 325, amp: 0.6 },
  GLOVE: { peak: 355, amp: 0.8 },
  HELMET: { peak: 20, amp: 0.7 },
  BIKE: { peak: 130, amp: 0.5 },
  LIGHT: { peak: 300, amp: 0.4 },
  LOCK: { peak: 150, amp: 0.3 },
  TYRE: { peak: 115, amp: 0.4 },
  RUG: { peak: 320, amp: 0.25 },
  MUG: { peak: 340, amp: 0.1, xmas: 0.8 },
  CHAIR: { peak: 100, amp: 0.2 },
  BLOCKS: { peak: 340, amp: 0.15, xmas: 1.1 },
  PUZZLE: { peak: 20, amp: 0.3, xmas: 0.9 },
  DOLL: { peak: 340, amp: 0.1, xmas: 1.2 },
  BOOK: { peak: 340, amp: 0.15, xmas: 0.8 },
};

/** Weekly pattern of online retail, Sunday first (busiest Sunday/Monday, quietest Friday/Saturday). */
const WEEK = [1.15, 1.12, 1.02, 0.98, 0.95, 0.88, 0.9];

/** FNV-1a of a string: the seed of a SKU's own PRNG stream. */
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Standard normal from two uniforms (Box–Muller). */
function normal(rnd) {
  const u = 1 - rnd.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.next());
}

/** Gamma(shape, 1) (Marsaglia & Tsang 2000; shape < 1 by the boost u^(1/shape)). */
function gamma(rnd, shape) {
  if (shape < 1) return gamma(rnd, shape + 1) * (1 - rnd.next()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x;
    let v;
    do {
      x = normal(rnd);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rnd.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Poisson(λ): inversion below 30, the normal approximation (rounded, ≥ 0) above. */
function poisson(rnd, lambda) {
  if (lambda <= 0) return 0;
  if (lambda >= 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(rnd)));
  let k = 0;
  let p = Math.exp(-lambda);
  let cdf = p;
  const u = rnd.next();
  while (u > cdf && k < 1000) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

/**
 * A count with mean `mean` and variance mean + dispersion × mean² (gamma–Poisson mixture), or
 * Poisson when dispersion is 0.
 */
export function sampleUnits(rnd, mean, dispersion) {
  if (mean <= 0) return 0;
  if (dispersion <= 0) return poisson(rnd, mean);
  const shape = 1 / dispersion;
  return poisson(rnd, (mean * gamma(rnd, shape)) / shape);
}

/** The category key of a demo SKU id (`ACME-TENT-0001` → `TENT`). */
export const categoryOf = (sku) => sku.split("-")[1];

/** Black Friday (the day after the fourth Thursday of November) of a year, as a day number. */
function blackFriday(year) {
  const nov1 = Date.UTC(year, 10, 1) / MS_PER_DAY;
  const firstThursday = nov1 + ((4 - ((nov1 + 4) % 7) + 7) % 7);
  return firstThursday + 21 + 1;
}

/**
 * The demo sales history: for each SKU, units per day from its first day (its launch, or the
 * start of the history) to `endDay`. Deterministic for given arguments.
 */
export function demoSalesHistory({ catalogue = demoCatalogue(), endDay = DEMO_SALES_END_DAY, days = DEMO_SALES_DAYS } = {}) {
  const end = dayNumber(endDay);
  const start = end - days + 1;
  // Vendor-level features: a jittered weekly pattern and a spring sale.
  const vendorWeek = new Map();
  const vendorSale = new Map();
  for (const v of DEMO_VENDORS) {
    const r = prng(hash(`week:${v.id}`));
    vendorWeek.set(
      v.id,
      WEEK.map((w) => w * Math.exp(0.05 * normal(r))),
    );
    vendorSale.set(v.id, 60 + r.int(0, 60)); // day of year the 4-day sale starts
  }
  const blackFridays = new Set();
  for (let y = new Date(start * MS_PER_DAY).getUTCFullYear(); y <= new Date(end * MS_PER_DAY).getUTCFullYear(); y++) {
    const bf = blackFriday(y);
    for (const d of [bf, bf + 1, bf + 2, bf + 3]) blackFridays.add(d);
  }
  const doyOf = Int32Array.from({ length: days }, (_, i) => dayOfYear(start + i));
  const popularity = new Map();
  const series = catalogue.skus.map((s) => {
    const r = prng(hash(s.sku));
    const category = categoryOf(s.sku);
    const season = SEASONS[`${s.vendorId}/${category}`] ?? SEASONS[category];
    // Variants of one product share its popularity; each variant takes a share of it.
    if (!popularity.has(s.productId)) {
      const pr = prng(hash(s.productId));
      popularity.set(s.productId, Math.exp(Math.log(1.6) + 1.3 * normal(pr)));
    }
    const base = popularity.get(s.productId) * Math.exp(0.4 * normal(r));
    const growth = (0.05 + 0.25 * normal(r)) / 365;
    const dispersion = 0.05 + 0.25 * r.next();
    const week = vendorWeek.get(s.vendorId).map((w) => w * Math.exp(0.03 * normal(r)));
    const seasonShift = r.int(-10, 10);
    // Lifecycle: ~8 % launched during the history (30-day ramp-up), ~4 % fading out.
    const launched = r.chance(0.08) ? start + r.int(60, days - 45) : start;
    const fadeFrom = r.chance(0.04) ? end - r.int(60, 400) : Infinity;
    const promos = [];
    for (let y = 0; y < Math.ceil(days / 365) * 2; y++) promos.push(start + r.int(0, days - 1));
    const promoLift = 1.5 + r.next();
    const units = new Int32Array(end - launched + 1);
    let drift = 0;
    for (let d = launched; d <= end; d++) {
      drift = 0.995 * drift + 0.007 * normal(r);
      const doy = doyOf[d - start] - seasonShift;
      const phase = (2 * Math.PI * (doy - season.peak)) / 365;
      let logSeason = season.amp * Math.cos(phase);
      if (season.xmas) logSeason += season.xmas * Math.exp(-((cyclic(doy, 346) / 12) ** 2));
      let mean = base * week[(d + 4) % 7] * Math.exp(logSeason - season.amp * 0.25) * Math.exp(growth * (d - end) + drift);
      if (launched > start && d - launched < 30) mean *= (d - launched + 1) / 30;
      if (d >= fadeFrom) mean *= Math.exp(-(d - fadeFrom) / 30);
      if (blackFridays.has(d)) mean *= 1.8;
      const saleDay = doyOf[d - start] - vendorSale.get(s.vendorId);
      if (saleDay >= 0 && saleDay < 4) mean *= 1.3;
      if (promos.some((p) => d >= p && d < p + 7)) mean *= promoLift;
      units[d - launched] = sampleUnits(r, mean, dispersion);
    }
    return { sku: s.sku, vendorId: s.vendorId, category, firstDay: isoDay(launched), units };
  });
  return { startDay: isoDay(start), endDay, days, skus: series };
}

/**
 * The history as D1 `daily_sales` rows ({ sku, locationId, day, units }, days with sales only):
 * each SKU's daily units are split over the locations that stock it in the demo catalogue,
 * with fixed per-SKU location shares (a binomial draw per unit).
 */
export function* dailySalesRows(history, catalogue = demoCatalogue()) {
  const places = new Map();
  for (const row of catalogue.stock) {
    if (!places.has(row.sku)) places.set(row.sku, []);
    places.get(row.sku).push(row.locationId);
  }
  for (const s of history.skus) {
    const locations = places.get(s.sku) ?? [];
    if (locations.length === 0) continue;
    const r = prng(hash(`split:${s.sku}`));
    const weights = locations.map(() => 0.5 + r.next());
    const total = weights.reduce((a, b) => a + b, 0);
    const first = dayNumber(s.firstDay);
    for (let i = 0; i < s.units.length; i++) {
      let left = s.units[i];
      if (left === 0) continue;
      let share = total;
      const day = isoDay(first + i);
      for (let j = 0; j < locations.length; j++) {
        let here = left;
        if (j < locations.length - 1) {
          here = 0;
          const p = weights[j] / share;
          for (let u = 0; u < left; u++) if (r.next() < p) here++;
        }
        if (here > 0) yield { sku: s.sku, locationId: locations[j], day, units: here };
        left -= here;
        share -= weights[j];
      }
    }
  }
}
