/** Numbers, percentages and times formatted for the reader's locale (Intl). */

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** 12,345 (or 12.345, 12 345 …). */
export const num = (n: number | null | undefined): string => (n === null || n === undefined ? "—" : integer.format(n));

/** A signed change: +5, −3. */
export const signed = (n: number): string => (n > 0 ? `+${integer.format(n)}` : n < 0 ? `−${integer.format(-n)}` : "0");

/** 92.5 % from a ratio; "—" when there is nothing to divide. */
export const pct = (part: number, whole: number): string => (whole > 0 ? percent.format(part / whole) : "—");

/** A timestamp in full. */
export const when = (iso: string | null | undefined): string => (iso ? dateTime.format(new Date(iso)) : "—");

/** Just the time of day. */
export const clock = (d: Date): string => time.format(d);

/** "3 minutes ago". */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "—";
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return relative.format(seconds, "second");
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), "hour");
  return relative.format(Math.round(seconds / 86400), "day");
}

/** Words for API codes: "low_stock" → "low stock". */
export const words = (code: string): string => code.replaceAll("_", " ");

const decimal1 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const decimal2 = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });

/** 8.7 (one decimal at most). */
export const dec = (n: number | null | undefined): string => (n === null || n === undefined || !Number.isFinite(n) ? "—" : decimal1.format(n));

/** 1,234.50: an amount in the catalogue's cost unit (the API stores no currency). */
export const amount = (n: number | null | undefined): string => (n === null || n === undefined ? "—" : decimal2.format(n));

/** 95 % from a ratio already divided. */
export const ratio = (n: number | null | undefined): string =>
  n === null || n === undefined ? "—" : new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 }).format(n);

/** A calendar day (YYYY-MM-DD, UTC) for the reader's locale. */
export const day = (iso: string | null | undefined): string => (iso ? dayFormat.format(new Date(`${iso}T00:00:00Z`)) : "—");
