/**
 * Writing the CSV documents the API returns (e.g. a sync job's error report). Every cell goes
 * through `csvCell`, which quotes per RFC 4180 and neutralises formula injection (OWASP "CSV
 * injection"): a value a spreadsheet would run as a formula — one starting with `=`, `+`,
 * `-`, `@`, a tab, CR or LF — gets a leading `'`, so it opens as text. A plain number (`-5`,
 * `-12.5`) is left alone: it is data a spreadsheet should read as a number, and it cannot
 * carry a formula. The values themselves are stored and shown in JSON exactly as sent. Pure.
 */

const FORMULA_START = /^[=+\-@\t\r\n]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/** One CSV field: neutralised when it could run as a formula, quoted when it holds a comma, quote or line break. */
export function csvCell(value: string | number | null): string {
  if (value === null) return "";
  let text = String(value);
  if (FORMULA_START.test(text) && !PLAIN_NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line (no line end) of the given cells. */
export function csvLine(values: readonly (string | number | null)[]): string {
  return values.map(csvCell).join(",");
}
