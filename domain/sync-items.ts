/**
 * Vendor sync feeds, item by item: the request limits, and the up-front check of each
 * item's shape and range that turns a bad item into an item error of its job (with its
 * item number and, for CSV, its row) instead of refusing the whole request. Pure.
 */
import type { SyncMode } from "./sync";

/** Limits of `POST /api/v2/inventory/sync` (README "Vendor sync"). */
export const SYNC_LIMITS = {
  /** Items (JSON) or data rows (CSV) per request; one more is a 413 `too_many_items`. */
  maxItems: 10_000,
  /** Request body, bytes; more is a 413 `payload_too_large`. */
  maxBodyBytes: 4 * 1024 * 1024,
  /** Absolute feeds: the vendor's on-hand at the location. */
  absolute: { min: 0, max: 1_000_000 },
  /** Delta feeds: units to add (negative: remove). */
  delta: { min: -1_000_000, max: 1_000_000 },
} as const;

/** Every code an item error may carry, documented in the README. */
export const SYNC_ITEM_ERROR_CODES = [
  // Up front, in the Worker:
  "invalid_item",
  "invalid_sku",
  "unknown_location",
  "invalid_quantity",
  "out_of_range",
  "duplicate_item",
  // In the SYNC consumer:
  "unknown_sku",
  "forbidden_sku",
  // From the SKU's object (delta below zero, on-hand past LIMITS.onHandMax), or when its call failed for good:
  "would_go_negative",
  "on_hand_limit",
  "sku_failed",
  // From the dead-letter consumer: the chunk failed on every attempt.
  "chunk_failed",
] as const;
export type SyncItemErrorCode = (typeof SYNC_ITEM_ERROR_CODES)[number];

/** SKU and location ids: 1–64 of `A–Z a–z 0–9 . _ -`, starting alphanumeric (as everywhere in the API). */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A CSV quantity: an optionally signed integer, nothing else. */
const INTEGER_TEXT = /^[+-]?\d{1,16}$/;

/** One item as the client sent it, before any check. */
export interface RawSyncItem {
  /** 0-based position in the request (JSON `items[i]`, or the i-th CSV data row). */
  itemIndex: number;
  /** CSV: the file line the row starts on (1 = the header). JSON: the client's own `row`, if given. */
  row: number | null;
  /** The item itself: a JSON value, or a CSV row's fields by column name. */
  value: unknown;
  /** CSV only: the row had this many fields instead of 3. */
  fieldCountProblem?: string;
}

/** An item that passed the up-front checks. */
export interface SyncFeedItem {
  itemIndex: number;
  row: number | null;
  sku: string;
  locationId: string;
  quantity: number;
}

/** An item that did not, or that failed later: what the job's error report lists. */
export interface SyncItemError {
  itemIndex: number;
  row: number | null;
  /** The values as sent (as text, at most 200 characters), null when absent. */
  sku: string | null;
  locationId: string | null;
  quantity: string | null;
  code: SyncItemErrorCode;
  message: string;
}

/** What the check needs to know about a location id: null when there is no such location. */
export type LocationLookup = (id: string) => { active: boolean } | null;

/** The quantity range of a mode. */
export function quantityRange(mode: SyncMode): { min: number; max: number } {
  return SYNC_LIMITS[mode];
}

/** Whether a feed quantity is in its mode's range. */
export function inRange(mode: SyncMode, quantity: number): boolean {
  const { min, max } = quantityRange(mode);
  return Number.isSafeInteger(quantity) && quantity >= min && quantity <= max;
}

function shown(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  let text: string;
  if (typeof value === "string") text = value;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = "?";
    }
  }
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

const KNOWN_JSON_FIELDS = new Set(["sku", "locationId", "quantity", "row"]);

/**
 * Checks every item: shape (an object with `sku`, `locationId`, `quantity`; JSON items may
 * add `row`, a positive integer), a well-formed SKU id, a known and active location, an integer quantity in the
 * mode's range, and no second item for the same SKU and location. Every item lands in
 * exactly one of the two lists, in request order.
 */
export function checkSyncItems(
  items: readonly RawSyncItem[],
  mode: SyncMode,
  source: "json" | "csv",
  location: LocationLookup,
): { accepted: SyncFeedItem[]; rejected: SyncItemError[] } {
  const accepted: SyncFeedItem[] = [];
  const rejected: SyncItemError[] = [];
  const seen = new Map<string, number>();
  const { min, max } = quantityRange(mode);
  for (const raw of items) {
    const v = (typeof raw.value === "object" && raw.value !== null && !Array.isArray(raw.value) ? raw.value : {}) as Record<string, unknown>;
    const reject = (code: SyncItemErrorCode, message: string) =>
      rejected.push({ itemIndex: raw.itemIndex, row: raw.row, sku: shown(v.sku), locationId: shown(v.locationId), quantity: shown(v.quantity), code, message });

    if (raw.fieldCountProblem !== undefined) {
      reject("invalid_item", raw.fieldCountProblem);
      continue;
    }
    if (typeof raw.value !== "object" || raw.value === null || Array.isArray(raw.value)) {
      reject("invalid_item", "an item must be an object {sku, locationId, quantity}");
      continue;
    }
    const missing = ["sku", "locationId", "quantity"].filter((f) => v[f] === undefined || v[f] === null || v[f] === "");
    const unknown = Object.keys(v).filter((f) => !KNOWN_JSON_FIELDS.has(f));
    if (missing.length > 0 || unknown.length > 0) {
      const parts = [...(missing.length > 0 ? [`missing ${missing.join(", ")}`] : []), ...(unknown.length > 0 ? [`unknown field ${unknown.join(", ")}`] : [])];
      reject("invalid_item", parts.join("; "));
      continue;
    }
    if (v.row !== undefined && clientRowOf(v) === null) {
      reject("invalid_item", "row must be a positive integer");
      continue;
    }
    const { sku, locationId } = v;
    if (typeof sku !== "string" || !ID.test(sku)) {
      reject("invalid_sku", "sku must be 1–64 characters of A–Z, a–z, 0–9, '.', '_' or '-', starting with a letter or digit");
      continue;
    }
    if (typeof locationId !== "string" || !ID.test(locationId)) {
      reject("unknown_location", "locationId is not a location id");
      continue;
    }
    const place = location(locationId);
    if (place === null) {
      reject("unknown_location", `no location ${locationId}`);
      continue;
    }
    if (!place.active) {
      reject("unknown_location", `location ${locationId} is inactive`);
      continue;
    }
    let quantity: number;
    // JSON quantities are numbers; CSV fields are text holding an integer.
    if (source === "json" && typeof v.quantity === "number") quantity = v.quantity;
    else if (source === "csv" && typeof v.quantity === "string" && INTEGER_TEXT.test(v.quantity)) quantity = Number(v.quantity);
    else {
      reject("invalid_quantity", "quantity must be an integer");
      continue;
    }
    if (!Number.isInteger(quantity)) {
      reject("invalid_quantity", "quantity must be an integer");
      continue;
    }
    if (quantity < min || quantity > max) {
      reject("out_of_range", `quantity must be between ${min} and ${max} for ${mode} feeds`);
      continue;
    }
    const key = `${sku}\n${locationId}`;
    const first = seen.get(key);
    if (first !== undefined) {
      reject("duplicate_item", `${sku} at ${locationId} was already given by item ${first}`);
      continue;
    }
    seen.set(key, raw.itemIndex);
    accepted.push({ itemIndex: raw.itemIndex, row: raw.row, sku, locationId, quantity });
  }
  return { accepted, rejected };
}

/** The client's `row` of a JSON item, when it is a usable positive integer. */
export function clientRowOf(value: unknown): number | null {
  if (typeof value !== "object" || value === null || !Object.hasOwn(value, "row")) return null;
  const row = (value as { row: unknown }).row;
  return typeof row === "number" && Number.isSafeInteger(row) && row >= 1 ? row : null;
}
