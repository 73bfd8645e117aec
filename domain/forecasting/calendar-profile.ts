/**
 * A calendar profile: the multiplicative weekday and yearly factors of daily demand. Pure.
 *
 * Demand on day t is modelled as level × weekday(t) × season(t) × trend(t); this module holds
 * the two calendar factors. The yearly factor is a short Fourier series in log space (smooth,
 * a handful of numbers to store, and defined for any day, leap years included); both factors
 * average 1 — the weekday factors over a week, the yearly factor over a year — so the level is
 * the average daily demand.
 */
import { weekdayOf, yearAngle } from "./calendar";

export interface CalendarProfile {
  /** Weekday factors, Sunday first (7 numbers, mean 1). */
  weekday: number[];
  /**
   * Yearly seasonality as log-scale Fourier coefficients `[a₁, b₁, a₂, b₂, …]`:
   * log season(t) = Σₖ aₖ cos(kθ) + bₖ sin(kθ), θ = 2πt / 365.2425, plus `yearlyShift`. Empty: no
   * yearly seasonality.
   */
  yearly: number[];
  /** Added to the Fourier sum so the yearly factor averages 1 over a year. */
  yearlyShift: number;
}

/** No weekday or yearly variation. */
export const FLAT_PROFILE: CalendarProfile = Object.freeze({
  weekday: Object.freeze([1, 1, 1, 1, 1, 1, 1]) as number[],
  yearly: Object.freeze([]) as unknown as number[],
  yearlyShift: 0,
}) as CalendarProfile;

/** The log of the un-normalised yearly factor for a day: Σₖ aₖ cos(kθ) + bₖ sin(kθ). */
export function yearlyLog(coefficients: readonly number[], day: number): number {
  if (coefficients.length === 0) return 0;
  const theta = yearAngle(day);
  let s = 0;
  for (let k = 1; 2 * k <= coefficients.length; k++) {
    s += coefficients[2 * k - 2]! * Math.cos(k * theta) + coefficients[2 * k - 1]! * Math.sin(k * theta);
  }
  return s;
}

/**
 * Builds a profile from log-scale weekday effects and yearly Fourier coefficients, normalising
 * both factors to average 1 (the yearly mean over 360 equally spaced points of the year, which
 * is exact for a Fourier series of up to 179 harmonics).
 */
export function makeProfile(weekdayLog: readonly number[], yearly: readonly number[]): CalendarProfile {
  const raw = weekdayLog.map((w) => Math.exp(w));
  const mean = raw.reduce((a, b) => a + b, 0) / raw.length;
  let yearlyShift = 0;
  if (yearly.length > 0) {
    let sum = 0;
    const points = 360;
    for (let j = 0; j < points; j++) {
      const theta = (2 * Math.PI * j) / points;
      let s = 0;
      for (let k = 1; 2 * k <= yearly.length; k++) {
        s += yearly[2 * k - 2]! * Math.cos(k * theta) + yearly[2 * k - 1]! * Math.sin(k * theta);
      }
      sum += Math.exp(s);
    }
    yearlyShift = -Math.log(sum / points);
  }
  return { weekday: raw.map((w) => w / mean), yearly: [...yearly], yearlyShift };
}

/** The calendar factor weekday(t) × season(t) of one day. */
export function profileFactor(profile: CalendarProfile, day: number): number {
  return profile.weekday[weekdayOf(day)]! * Math.exp(yearlyLog(profile.yearly, day) + profile.yearlyShift);
}

/** The calendar factors of `count` consecutive days from `firstDay` (same values as `profileFactor`). */
export function profileFactors(profile: CalendarProfile, firstDay: number, count: number): Float64Array {
  const out = new Float64Array(Math.max(0, count));
  const harmonics = Math.floor(profile.yearly.length / 2);
  for (let i = 0; i < out.length; i++) {
    const day = firstDay + i;
    let s = profile.yearlyShift;
    if (harmonics > 0) {
      // cos kθ and sin kθ by the angle-addition recurrence: one cos and one sin per day.
      const theta = yearAngle(day);
      const c1 = Math.cos(theta);
      const s1 = Math.sin(theta);
      let ck = c1;
      let sk = s1;
      for (let k = 1; k <= harmonics; k++) {
        s += profile.yearly[2 * k - 2]! * ck + profile.yearly[2 * k - 1]! * sk;
        const next = ck * c1 - sk * s1;
        sk = sk * c1 + ck * s1;
        ck = next;
      }
    }
    out[i] = profile.weekday[weekdayOf(day)]! * Math.exp(s);
  }
  return out;
}
