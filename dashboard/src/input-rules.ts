/**
 * The API's input rules that the create and edit forms check before sending (the same limits
 * as the API's zod schemas: ids, line quantities, references), and the API's own field
 * problems (`error.details` of a 400 `invalid_request`) mapped back onto form fields. The API
 * stays the judge: a form that passes here can still be refused, and then shows the API's words.
 */
import { ApiFailure } from "./api";

/** SKU, vendor and location ids: 1–64 of A–Z a–z 0–9 . _ -, starting with a letter or digit. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Units on one document line (transfer, purchase order): a whole number in 1..1,000,000. */
export const LINE_QUANTITY_MAX = 1_000_000;
/** A document's free-text reference. */
export const REFERENCE_MAX = 128;

/** Why an id is not one the API takes, or null. */
export function idProblem(what: string, value: string): string | null {
  if (value.trim() === "") return `Enter the ${what}.`;
  return ID_PATTERN.test(value.trim()) ? null : `The ${what} must be 1–64 characters of A–Z, a–z, 0–9, '.', '_' or '-', starting with a letter or digit.`;
}

/** Why a line quantity is not one the API takes, or null. */
export function quantityProblem(value: string): string | null {
  if (value.trim() === "") return "Enter the number of units.";
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > LINE_QUANTITY_MAX) return `Units must be a whole number from 1 to ${LINE_QUANTITY_MAX.toLocaleString()}.`;
  return null;
}

/** A date input's day (`YYYY-MM-DD`) as the ISO instant the API takes: noon UTC, so the day shows the same everywhere. */
export const dayToIso = (d: string): string => new Date(`${d}T12:00:00Z`).toISOString();

/** One problem the API found in a field of the request body. */
export interface FieldProblem {
  path: (string | number)[];
  message: string;
}

/** The API's field problems of a failure (400 `invalid_request`), or none. */
export function fieldProblems(error: unknown): FieldProblem[] {
  if (!(error instanceof ApiFailure) || !Array.isArray(error.details)) return [];
  return error.details.filter(
    (d): d is FieldProblem => typeof d === "object" && d !== null && Array.isArray((d as FieldProblem).path) && typeof (d as FieldProblem).message === "string",
  );
}

/** A field problem's path in words, without the leading `body`: `lines[0].sku`. */
export function pathWords(path: (string | number)[]): string {
  const rest = path[0] === "body" ? path.slice(1) : path;
  return rest.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("") || "the request";
}

/**
 * The API's field problems keyed as the forms key their fields: `lines.0.sku` → `line-0-sku`,
 * `toLocationId` → `toLocationId`. Problems of no known field are left to the error note.
 */
export function problemsByField(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of fieldProblems(error)) {
    const rest = p.path[0] === "body" ? p.path.slice(1) : p.path;
    const key = rest[0] === "lines" && typeof rest[1] === "number" ? `line-${rest[1]}-${rest[2] ?? "sku"}` : String(rest[0] ?? "");
    out[key] ??= p.message;
  }
  return out;
}

/** A fresh Idempotency-Key. */
export const newIdempotencyKey = (): string => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);
