/**
 * The API client: every call sends the signed-in key as `Authorization: Bearer` (never in a
 * URL), and every failure becomes an `ApiFailure` whose message is the API's own
 * `error.message`, so views can show errors in words.
 */

declare global {
  interface Window {
    EDGE_INVENTORY_CONFIG?: { apiBase?: string };
  }
}

/** The API's base URL (config.js; empty: this page's origin), without a trailing slash. */
export function apiBase(): string {
  const configured = window.EDGE_INVENTORY_CONFIG?.apiBase ?? "";
  return (configured || window.location.origin).replace(/\/+$/, "");
}

/** The live feed's WebSocket URL for a SKU. */
export function liveUrl(sku: string): string {
  return `${apiBase().replace(/^http/, "ws")}/api/v2/availability/${encodeURIComponent(sku)}/live`;
}

/** A failed call, in words. */
export class ApiFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly details: unknown = null,
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

let currentKey: string | null = null;
const unauthorizedListeners = new Set<() => void>();

/** Sets the key every call sends (null: none). */
export function setApiKey(key: string | null): void {
  currentKey = key;
}

/** Called when the API refuses the key (401): the session has ended. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export interface CallOptions {
  body?: unknown;
  /** Sent as-is with this content type instead of JSON. */
  raw?: { text: string; type: string };
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Use this key instead of the session's (sign-in). */
  key?: string;
  /** Answer as text (CSV downloads). */
  asText?: boolean;
}

/**
 * How fresh the next list must read (the API's lists may be answered by a D1 read replica): the
 * latest `D1-Bookmark` a list answered, or `first-primary` right after this page wrote something,
 * so the operator always sees their own changes.
 */
let readFrom: string | null = null;

/** Calls the API; resolves with the parsed body, rejects with an ApiFailure. */
export async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { ...options.headers };
  if (method === "GET" && readFrom !== null && headers["d1-bookmark"] === undefined) headers["d1-bookmark"] = readFrom;
  const key = options.key ?? currentKey;
  if (key) headers.authorization = `Bearer ${key}`;
  let body: string | undefined;
  if (options.raw) {
    body = options.raw.text;
    headers["content-type"] = options.raw.type;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] = "application/json";
  }
  let res: Response;
  try {
    res = await fetch(`${apiBase()}${path}`, { method, headers, body, signal: options.signal, credentials: "omit", cache: "no-store" });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiFailure(
      `The API at ${apiBase()} did not answer. Is it running, and does it allow this page's origin (DASHBOARD_ORIGINS)?`,
      0,
      "network_error",
    );
  }
  const text = await res.text();
  if (method !== "GET") readFrom = "first-primary";
  else if (res.ok) readFrom = res.headers.get("d1-bookmark") ?? readFrom;
  if (!res.ok) {
    let code = "http_error";
    let message = `The API answered ${res.status} ${res.statusText}`.trim();
    let details: unknown = null;
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
      if (parsed.error?.message) message = parsed.error.message;
      if (parsed.error?.code) code = parsed.error.code;
      details = parsed.error?.details ?? null;
    } catch {
      // Not the envelope (a proxy's page): keep the status line.
    }
    if (res.status === 401 && !options.key) for (const listener of unauthorizedListeners) listener();
    throw new ApiFailure(message, res.status, code, details, res.headers.get("x-request-id"));
  }
  if (options.asText) return text as T;
  return (text ? JSON.parse(text) : null) as T;
}

/** Query string from defined, non-empty values. */
export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "" && value !== false) search.set(name, String(value));
  }
  const s = search.toString();
  return s ? `?${s}` : "";
}

/** Lets the browser save a text answer as a file (for CSV reports, which need the key header). */
export function saveText(text: string, filename: string, type = "text/csv"): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
