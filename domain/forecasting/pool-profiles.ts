/**
 * Pool profiles: weekday and yearly factors estimated once per group of related SKUs (the
 * root, a category, a vendor × category), so a SKU with a short or sparse history borrows the
 * seasonality of its group instead of guessing it from a few sales. Pure.
 *
 * Each pool's factors come from a Poisson regression of the pool's total daily units on a
 * quadratic trend, weekday effects and a yearly Fourier series, with the parent pool's factors
 * and the number of SKUs selling that day as the offset. The weekday and yearly coefficients
 * are the pool's deviations from its parent, shrunk by a ridge penalty (a normal prior with
 * standard deviation `deviationPriorSd` on the log factor): a small pool keeps its parent's
 * shape, a large one shows its own — hierarchical pooling in the sense of Gelman & Hill,
 * "Data Analysis Using Regression and Multilevel/Hierarchical Models", ch. 12.
 */
import { dayNumber, weekdayOf, yearAngle } from "./calendar";
import { FLAT_PROFILE, makeProfile, profileFactors, type CalendarProfile } from "./calendar-profile";
import { ROOT_POOL, type PoolProfile, type SalesHistory } from "./forecast-model";
import { fitPoissonRegression } from "./poisson-regression";

export interface PoolOptions {
  /** Most recent days of history the factors are estimated from. */
  windowDays: number;
  /** Harmonics of the yearly Fourier series (6 resolves features about a month wide, such as a December peak). */
  yearlyHarmonics: number;
  /** Prior standard deviation of a child pool's log-factor deviation from its parent. */
  deviationPriorSd: number;
}

export const DEFAULT_POOL_OPTIONS: PoolOptions = Object.freeze({
  windowDays: 3 * 364,
  yearlyHarmonics: 6,
  deviationPriorSd: 0.1,
});

/** Days of recent history behind a pool's cold-start level. */
const RECENT_DAYS = 28;

interface PoolNode {
  key: string;
  parent: string | null;
  depth: number;
  members: number[];
}

/** The pool chain of a history, root first. */
export function poolChain(history: Pick<SalesHistory, "pools">): string[] {
  return [ROOT_POOL, ...history.pools.filter((p) => p !== ROOT_POOL)];
}

/**
 * Fits every pool named by the histories (and the root), parents before children. The window
 * ends on the latest origin among the histories.
 */
export function fitPoolProfiles(histories: readonly SalesHistory[], options: Partial<PoolOptions> = {}): PoolProfile[] {
  const opts = { ...DEFAULT_POOL_OPTIONS, ...options };
  const nodes = new Map<string, PoolNode>([[ROOT_POOL, { key: ROOT_POOL, parent: null, depth: 0, members: [] }]]);
  let lastDay = -Infinity;
  const origins = histories.map((h) => dayNumber(h.origin));
  histories.forEach((h, i) => {
    const chain = poolChain(h);
    chain.forEach((key, depth) => {
      let node = nodes.get(key);
      if (node === undefined) {
        node = { key, parent: chain[depth - 1] ?? null, depth, members: [] };
        nodes.set(key, node);
      }
      node.members.push(i);
    });
    if (h.units.length > 0) lastDay = Math.max(lastDay, origins[i]!);
  });
  const ordered = [...nodes.values()].sort((a, b) => a.depth - b.depth || (a.key < b.key ? -1 : 1));
  const fitted = new Map<string, PoolProfile>();
  if (lastDay === -Infinity) {
    for (const node of ordered) fitted.set(node.key, emptyPool(node));
    return [...fitted.values()];
  }
  const firstDay = lastDay - opts.windowDays + 1;
  const span = opts.windowDays;
  for (const node of ordered) {
    const parent = node.parent === null ? null : fitted.get(node.parent)!;
    const parentProfile = parent?.profile ?? FLAT_PROFILE;
    const totals = new Float64Array(span);
    const selling = new Float64Array(span);
    for (const i of node.members) {
      const units = histories[i]!.units;
      const start = origins[i]! - units.length + 1 - firstDay;
      for (let j = Math.max(0, -start); j < units.length && start + j < span; j++) {
        totals[start + j]! += units[j]!;
        selling[start + j]! += 1;
      }
    }
    const profile = fitPoolFactors(totals, selling, firstDay, parentProfile, node.parent === null, opts);
    const { skuLevel, skuLevelCv2 } = coldStartLevel(
      node.members.map((i) => histories[i]!),
      origins,
      node.members,
      profile,
    );
    let units = 0;
    let days = 0;
    for (let d = 0; d < span; d++) {
      units += totals[d]!;
      if (selling[d]! > 0) days++;
    }
    fitted.set(node.key, {
      key: node.key,
      parent: node.parent,
      profile,
      skuLevel,
      skuLevelCv2,
      skus: node.members.length,
      days,
      units,
      levelError: null,
    });
  }
  return [...fitted.values()];
}

function emptyPool(node: PoolNode): PoolProfile {
  return {
    key: node.key,
    parent: node.parent,
    profile: FLAT_PROFILE,
    skuLevel: 0,
    skuLevelCv2: 0,
    skus: node.members.length,
    days: 0,
    units: 0,
    levelError: null,
  };
}

/** The regression described in the module comment, for one pool. */
function fitPoolFactors(
  totals: Float64Array,
  selling: Float64Array,
  firstDay: number,
  parent: CalendarProfile,
  isRoot: boolean,
  opts: PoolOptions,
): CalendarProfile {
  const rowsAt: number[] = [];
  let units = 0;
  for (let d = 0; d < totals.length; d++) {
    if (selling[d]! > 0) {
      rowsAt.push(d);
      units += totals[d]!;
    }
  }
  if (rowsAt.length === 0 || units === 0) return parent;
  const spanDays = rowsAt[rowsAt.length - 1]! - rowsAt[0]! + 1;
  const withWeekday = rowsAt.length >= 28;
  const harmonics = spanDays >= 365 ? opts.yearlyHarmonics : 0;
  if (!withWeekday && harmonics === 0) return parent;
  const cols = 3 + (withWeekday ? 7 : 0) + 2 * harmonics;
  const rows = rowsAt.length;
  const x = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  const offset = new Float64Array(rows);
  const parentFactors = profileFactors(parent, firstDay, totals.length);
  const mid = (rowsAt[0]! + rowsAt[rows - 1]!) / 2;
  const half = Math.max(1, (rowsAt[rows - 1]! - rowsAt[0]!) / 2);
  rowsAt.forEach((d, r) => {
    const day = firstDay + d;
    const tau = (d - mid) / half;
    const row = r * cols;
    x[row] = 1;
    x[row + 1] = tau;
    x[row + 2] = tau * tau;
    let c = 3;
    if (withWeekday) {
      x[row + c + weekdayOf(day)] = 1;
      c += 7;
    }
    const theta = yearAngle(day);
    for (let k = 1; k <= harmonics; k++) {
      x[row + c++] = Math.cos(k * theta);
      x[row + c++] = Math.sin(k * theta);
    }
    y[r] = totals[d]!;
    offset[r] = Math.log(selling[d]!) + Math.log(parentFactors[d]!);
  });
  // The root has no parent to shrink to: a token penalty only keeps the weekday dummies
  // identifiable next to the intercept.
  const lambda = isRoot ? 1 : 1 / opts.deviationPriorSd ** 2;
  const penalty = Array.from({ length: cols }, (_, j) => (j < 3 ? 0 : lambda));
  const beta = fitPoissonRegression({ x, rows, cols, y, offset, penalty });
  const weekdayLog = parent.weekday.map((w, d) => Math.log(w) + (withWeekday ? beta[3 + d]! : 0));
  const yearly = Array.from({ length: 2 * Math.max(harmonics, parent.yearly.length / 2) }, (_, j) => parent.yearly[j] ?? 0);
  const base = 3 + (withWeekday ? 7 : 0);
  for (let j = 0; j < 2 * harmonics; j++) yearly[j]! += beta[base + j]!;
  return makeProfile(weekdayLog, yearly);
}

/** Mean and relative variance of the pool's SKUs' deseasonalised daily units over their last 28 days. */
function coldStartLevel(
  members: readonly SalesHistory[],
  origins: readonly number[],
  indices: readonly number[],
  profile: CalendarProfile,
): { skuLevel: number; skuLevelCv2: number } {
  const levels: number[] = [];
  members.forEach((h, m) => {
    if (h.units.length < RECENT_DAYS) return;
    const factors = profileFactors(profile, origins[indices[m]!]! - RECENT_DAYS + 1, RECENT_DAYS);
    let units = 0;
    let exposure = 0;
    for (let j = 0; j < RECENT_DAYS; j++) {
      units += h.units[h.units.length - RECENT_DAYS + j]!;
      exposure += factors[j]!;
    }
    levels.push(units / exposure);
  });
  if (levels.length === 0) return { skuLevel: 0, skuLevelCv2: 0 };
  const mean = levels.reduce((a, b) => a + b, 0) / levels.length;
  const variance = levels.reduce((a, b) => a + (b - mean) ** 2, 0) / levels.length;
  return { skuLevel: mean, skuLevelCv2: mean > 0 ? variance / mean ** 2 : 0 };
}
