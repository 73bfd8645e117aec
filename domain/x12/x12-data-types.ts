/**
 * The X12 simple data element types this code reads and writes, per the X12 standard's
 * data element dictionary: DT (date: CCYYMMDD, or YYMMDD in the ISA and older releases),
 * TM (time: HHMM, optionally seconds and decimal seconds), R (decimal: optional leading
 * minus, digits, an optional decimal point, no exponent, no plus sign), N0 (integer).
 * Values read are checked (a 31st of February is not a date) and returned as ISO 8601
 * text or numbers; nothing here reads a clock. Pure.
 */

function realDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

/**
 * A DT element as an ISO date (`YYYY-MM-DD`), or null when it is not a real date.
 * CCYYMMDD is the form since release 4010; a 6-digit YYMMDD (ISA09, older releases) is
 * read in the 2000s, the only century a feed we receive can mean.
 */
export function parseX12Date(text: string): string | null {
  let y: number, m: number, d: number;
  if (/^\d{8}$/.test(text)) [y, m, d] = [Number(text.slice(0, 4)), Number(text.slice(4, 6)), Number(text.slice(6, 8))];
  else if (/^\d{6}$/.test(text)) [y, m, d] = [2000 + Number(text.slice(0, 2)), Number(text.slice(2, 4)), Number(text.slice(4, 6))];
  else return null;
  if (!realDate(y, m, d)) return null;
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** A TM element (HHMM, HHMMSS, HHMMSSd…) as `HH:MM` or `HH:MM:SS`, or null. */
export function parseX12Time(text: string): string | null {
  const m = /^(\d{2})(\d{2})(?:(\d{2})(\d{1,2})?)?$/.exec(text);
  if (m === null) return null;
  const [h, min, s] = [Number(m[1]), Number(m[2]), m[3] === undefined ? null : Number(m[3])];
  if (h > 23 || min > 59 || (s !== null && s > 59)) return null;
  return `${m[1]}:${m[2]}${m[3] === undefined ? "" : `:${m[3]}`}`;
}

/** An R (decimal) element as a number, or null when it is not one. */
export function parseX12Decimal(text: string): number | null {
  if (!/^-?(\d+\.?\d*|\.\d+)$/.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** An ISO date (`YYYY-MM-DD`, the date part of a date-time is used) as a DT element of 8 (CCYYMMDD) or 6 (YYMMDD) digits, or null. */
export function formatX12Date(iso: string, width: 6 | 8 = 8): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|T)/.exec(iso);
  if (m === null || !realDate(Number(m[1]), Number(m[2]), Number(m[3]))) return null;
  const digits = `${m[1]}${m[2]}${m[3]}`;
  return width === 8 ? digits : digits.slice(2);
}

/** The time of an ISO date-time (`…THH:MM…`) as a TM element HHMM, or null. */
export function formatX12Time(isoDateTime: string): string | null {
  const m = /T(\d{2}):(\d{2})/.exec(isoDateTime);
  if (m === null || Number(m[1]) > 23 || Number(m[2]) > 59) return null;
  return `${m[1]}${m[2]}`;
}

/**
 * An amount in minor units (cents for exponent 2) as an R element: no trailing zeros after
 * the point, no point for whole amounts (1250 → "12.5", 1200 → "12", 5 → "0.05"). Integer
 * arithmetic only, so no binary-float rounding reaches a price.
 */
export function formatX12Decimal(minor: number, exponent: number): string {
  const negative = minor < 0;
  const digits = String(Math.abs(minor)).padStart(exponent + 1, "0");
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const fraction = exponent === 0 ? "" : digits.slice(-exponent).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction === "" ? "" : `.${fraction}`}`;
}
