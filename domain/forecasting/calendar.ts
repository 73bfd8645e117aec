/**
 * Day arithmetic for daily demand series. Pure: days are UTC calendar days, written
 * `YYYY-MM-DD` at the edges (as in D1's `daily_sales.day`) and counted as whole days since
 * 1970-01-01 inside the models. Nothing here reads the clock.
 */

/** Mean length of the Gregorian year in days: the period of the yearly seasonality terms. */
export const YEAR_DAYS = 365.2425;

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** Whole days since 1970-01-01 of a `YYYY-MM-DD` day; throws a RangeError for anything else. */
export function dayNumber(day: string): number {
  const m = ISO_DAY.exec(day);
  if (m === null) throw new RangeError(`not a YYYY-MM-DD day: ${day}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (isoDay(ms / MS_PER_DAY) !== day) throw new RangeError(`no such day: ${day}`);
  return ms / MS_PER_DAY;
}

/** The `YYYY-MM-DD` day of a day number. */
export function isoDay(n: number): string {
  return new Date(n * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Day of the week of a day number, 0 = Sunday … 6 = Saturday (as `Date.prototype.getUTCDay`). */
export function weekdayOf(n: number): number {
  // 1970-01-01 was a Thursday (4).
  return (((n + 4) % 7) + 7) % 7;
}

/** Position in the year as an angle (radians), for the yearly Fourier terms. */
export function yearAngle(n: number): number {
  return (2 * Math.PI * n) / YEAR_DAYS;
}
