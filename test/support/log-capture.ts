/**
 * Captures what the Worker and its objects log with `console.error` / `console.warn` / `console.log` during
 * each test, so the error logs that failure tests provoke on purpose are asserted
 * (`expectLogged`) instead of printed. The Worker, its Durable Objects and the tests share one
 * isolate under @cloudflare/vitest-plugin, so one replacement of `console` sees them all.
 *
 * A log line no test claimed is printed after the test as before: an unexpected error log
 * stays visible. Logs written outside a test (in `beforeAll`, or by an alarm that fires after
 * the test ended) are not captured.
 */
import { afterEach, beforeEach, expect } from "vitest";

interface Logged {
  level: "error" | "warn" | "log";
  text: string;
  claimed: boolean;
}

const original = { error: console.error, warn: console.warn, log: console.log };
let captured: Logged[] = [];

function render(args: unknown[]): string {
  return args.map((a) => (typeof a === "string" ? a : a instanceof Error ? `${a.name}: ${a.message}` : JSON.stringify(a))).join(" ");
}

beforeEach(() => {
  captured = [];
  console.error = (...args: unknown[]) => void captured.push({ level: "error", text: render(args), claimed: false });
  console.warn = (...args: unknown[]) => void captured.push({ level: "warn", text: render(args), claimed: false });
  console.log = (...args: unknown[]) => void captured.push({ level: "log", text: render(args), claimed: false });
});

afterEach(() => {
  console.error = original.error;
  console.warn = original.warn;
  console.log = original.log;
  for (const line of captured) if (!line.claimed) original[line.level](line.text);
  captured = [];
});

/** A structured log line as the Worker writes it (one JSON object per line). */
export type LogRecord = Record<string, unknown>;

function parse(text: string): LogRecord | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as LogRecord) : null;
  } catch {
    return null;
  }
}

function matches(record: LogRecord, want: LogRecord): boolean {
  return Object.entries(want).every(([k, v]) => (v instanceof RegExp ? typeof record[k] === "string" && v.test(record[k] as string) : record[k] === v));
}

/**
 * Marks the current test's log lines matching `want` as expected without asserting that there
 * are any: for lines whose appearance depends on timing the test does not control (e.g. an
 * alarm the runtime fires by itself while the test's own work is in flight). Use
 * `expectLogged` wherever the line must appear.
 */
export function allowLogged(want: LogRecord): void {
  for (const line of captured) {
    const record = parse(line.text);
    if (record !== null && matches(record, want)) line.claimed = true;
  }
}

/**
 * Asserts that the current test logged at least `count` (default 1) structured lines whose
 * fields match `want` (a value for equality, a RegExp for string fields), marks them as
 * expected so they are not printed, and returns them.
 */
export function expectLogged(want: LogRecord, { count = 1, exactly = false }: { count?: number; exactly?: boolean } = {}): LogRecord[] {
  const hits: LogRecord[] = [];
  for (const line of captured) {
    const record = parse(line.text);
    if (record !== null && matches(record, want)) {
      line.claimed = true;
      hits.push(record);
    }
  }
  if (exactly) expect(hits.length, `log lines matching ${JSON.stringify(want)}`).toBe(count);
  else expect(hits.length, `log lines matching ${JSON.stringify(want)}`).toBeGreaterThanOrEqual(count);
  return hits;
}
