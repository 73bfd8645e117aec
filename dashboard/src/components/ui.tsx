/** Small building blocks shared by the views: states (loading, empty, error), progress, KPIs. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiFailure } from "../api";
import { num, words } from "../format";
import { fieldProblems, pathWords } from "../input-rules";

/** A loading line, announced politely to screen readers. */
export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p class="state loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** Nothing to show, and why. */
export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state empty">{children}</p>;
}

/** An error in words: the API's message, the fields it found wrong (if any), its code and the request id to quote. */
export function ErrorNote({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const failure = error instanceof ApiFailure ? error : null;
  const message = error instanceof Error ? error.message : String(error);
  const problems = fieldProblems(error);
  return (
    <div class="state error" role="alert">
      <p>
        <strong>{failure && failure.status > 0 ? `Error ${failure.status}: ` : "Error: "}</strong>
        {message}
      </p>
      {problems.length > 0 ? (
        <ul class="problems">
          {problems.map((p) => (
            <li key={`${p.path.join(".")}:${p.message}`}>
              <code>{pathWords(p.path)}</code>: {p.message}
            </li>
          ))}
        </ul>
      ) : null}
      {failure && (failure.code !== "http_error" || failure.requestId) ? (
        <p class="muted small">
          {failure.code !== "http_error" ? (
            <>
              code <code>{failure.code}</code>
            </>
          ) : null}
          {failure.requestId ? (
            <>
              {" "}
              · request id <code>{failure.requestId}</code>
            </>
          ) : null}
        </p>
      ) : null}
      {onRetry ? (
        <button type="button" class="secondary" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** A labelled progress bar (the native element, announced with its value); no `max`: how much is left is unknown. */
export function Progress({ value, max, label }: { value: number; max?: number; label: string }) {
  if (max === undefined) {
    return (
      <div class="progress">
        <label>
          <span>{label}</span>
          <progress />
        </label>
      </div>
    );
  }
  const safeMax = Math.max(max, 1);
  return (
    <div class="progress">
      <label>
        <span>{label}</span>
        <progress value={Math.min(value, safeMax)} max={safeMax} />
      </label>
      <span class="muted small" aria-hidden="true">
        {num(Math.min(value, safeMax))} / {num(max)}
      </span>
    </div>
  );
}

/** One key figure. `note` says where it comes from, or why it is missing. */
export function Kpi({
  label,
  value,
  note,
  tone,
}: {
  label: string;
  value: ComponentChildren;
  note?: ComponentChildren;
  tone?: "good" | "warn" | "bad" | "none";
}) {
  return (
    <div class={`kpi ${tone ?? ""}`}>
      <dt>{label}</dt>
      <dd>
        <span class="kpi-value">{value}</span>
        {note ? <span class="kpi-note">{note}</span> : null}
      </dd>
    </div>
  );
}

const STATUS_TONE: Record<string, string> = {
  in_stock: "good",
  low_stock: "warn",
  out_of_stock: "bad",
  backorder: "warn",
  completed: "good",
  completed_with_errors: "warn",
  failed: "bad",
  open: "warn",
  accepted: "good",
  rejected: "none",
  superseded: "none",
  delivered: "good",
  pending: "none",
  active: "good",
  disabled: "bad",
  acknowledged: "none",
  snoozed: "none",
  resolved: "good",
  in_transit: "warn",
  partially_received: "warn",
  received: "good",
  cancelled: "none",
  draft: "none",
  dismissed: "none",
  critical: "bad",
  high: "bad",
  medium: "warn",
  low: "none",
  overstock: "warn",
  slow_moving: "warn",
  expiring: "warn",
  stale: "bad",
  failing: "bad",
  fresh: "good",
  suspended: "bad",
  draining: "warn",
  copying: "warn",
  switched: "warn",
  done: "good",
};

/** A status in words with a colour that is never the only signal. */
export function Badge({ status }: { status: string }) {
  return <span class={`badge ${STATUS_TONE[status] ?? "none"}`}>{words(status)}</span>;
}

/** A table that scrolls sideways on small screens, reachable with the keyboard. */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls sideways must take focus so keyboard users can scroll it (axe: scrollable-region-focusable).
    <section class="table-wrap" tabIndex={0} aria-label={label}>
      {children}
    </section>
  );
}

/**
 * Previous/next buttons over a keyset-paged list: `cursors` is the stack of cursors that led
 * to the page shown (empty on the first page), `nextCursor` the API's cursor for the next one.
 */
export function Pager({
  cursors,
  setCursors,
  nextCursor,
}: {
  cursors: string[];
  setCursors: (cursors: string[]) => void;
  nextCursor: string | null | undefined;
}) {
  return (
    <div class="pager">
      {cursors.length > 0 ? (
        <button type="button" class="secondary" onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous page
        </button>
      ) : null}
      {nextCursor ? (
        <button type="button" class="secondary" onClick={() => setCursors([...cursors, nextCursor])}>
          Next page
        </button>
      ) : null}
    </div>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads on mount and whenever `deps` change; a newer load cancels the older one. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true, error: null }));
    latest
      .current(controller.signal)
      .then((data) => !controller.signal.aborted && setState({ data, error: null, loading: false }))
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        setState((s) => ({ data: s.data, error, loading: false }));
      });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Calls `fn` every `ms` while `active`. */
export function useInterval(fn: () => void, ms: number, active: boolean): void {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    if (!active) return;
    const id = setInterval(() => latest.current(), ms);
    return () => clearInterval(id);
  }, [ms, active]);
}

/** The page's heading; focused on navigation so keyboard and screen-reader users land on it. */
export function PageTitle({ children, sub }: { children: ComponentChildren; sub?: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: false });
  }, []);
  return (
    <header class="page-title">
      <h1 tabIndex={-1} ref={ref}>
        {children}
      </h1>
      {sub ? <p class="muted">{sub}</p> : null}
    </header>
  );
}
