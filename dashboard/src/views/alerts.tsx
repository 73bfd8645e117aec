/**
 * Alerts: low-stock and out-of-stock alerts (opened and resolved by the API's events
 * consumer), overstock and slow-moving alerts (opened and resolved by the nightly planning
 * run: no sale for the SKU's threshold of days), expiring lots; filtered by kind and status,
 * newest first, in pages; acknowledge, or snooze until a time. Vendors see and handle only
 * their own SKUs' (the API's rule).
 */
import { useState } from "preact/hooks";
import { call, qs } from "../api";
import { Badge, Empty, ErrorNote, Loading, PageTitle, TableWrap, useLoad, Pager } from "../components/ui";
import { ago, num, when, words } from "../format";
import { href, navigate } from "../router";
import type { Session } from "../session";
import type { Page } from "../types";

export interface Alert {
  id: string;
  sku: string;
  vendorId: string;
  locationId: string | null;
  kind: (typeof KINDS)[number];
  status: "open" | "acknowledged" | "snoozed" | "resolved";
  available: number;
  reorderPoint: number | null;
  occurrences: number;
  openedAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  resolution: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  snoozedUntil: string | null;
}

/** The API's alert kinds (domain/alerts.ts ALERT_KINDS). */
const KINDS = ["low_stock", "out_of_stock", "overstock", "slow_moving", "expiring"] as const;
/** Kinds about stock that does not sell: the whole SKU's, with no reorder point of their own. */
const MOVEMENT = new Set<string>(["overstock", "slow_moving"]);
const STATUSES = ["open", "acknowledged", "snoozed", "resolved"] as const;
const SNOOZES: [string, number][] = [
  ["1 hour", 3_600_000],
  ["4 hours", 4 * 3_600_000],
  ["1 day", 86_400_000],
  ["3 days", 3 * 86_400_000],
  ["7 days", 7 * 86_400_000],
  ["30 days", 30 * 86_400_000],
];

export function AlertsPage({ session, query }: { session: Session; query: URLSearchParams }) {
  const kind = query.get("kind") ?? "";
  const status = query.has("status") ? (query.get("status") ?? "") : "open";
  const statusParam = status === "any" ? "" : status;
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const [changed, setChanged] = useState<Map<string, Alert>>(new Map());
  const [message, setMessage] = useState<{ ok: boolean; text: string; error?: unknown } | null>(null);
  // The answer remembers the filters it was read with (the table says them, so a test or a
  // reader can tell a fresh list from the one before a filter changed).
  const list = useLoad<Page<Alert> & { filters: string }>(
    (signal) => {
      const filters = qs({ kind, status: statusParam });
      return call<Page<Alert>>("GET", `/api/v2/alerts${qs({ kind, status: statusParam, cursor, limit: 50 })}`, { signal }).then((page) => ({
        ...page,
        filters,
      }));
    },
    [kind, status, cursor, session.key],
  );
  const setFilter = (name: "kind" | "status", value: string) => {
    setCursors([]);
    setChanged(new Map());
    navigate(href(["alerts"], { kind: name === "kind" ? value : kind, status: name === "status" ? value || "any" : status || "any" }));
  };
  /** `until`: when a snooze ends (epoch ms). */
  const act = async (alert: Alert, action: "acknowledge" | "snooze", until?: number) => {
    setMessage(null);
    try {
      const body = action === "snooze" ? { until: new Date(until ?? Date.now()).toISOString() } : undefined;
      const answer = await call<Alert>("POST", `/api/v2/alerts/${encodeURIComponent(alert.id)}/${action}`, body ? { body } : {});
      setChanged((m) => new Map(m).set(answer.id, answer));
      setMessage({
        ok: true,
        text:
          action === "acknowledge"
            ? `Acknowledged: ${answer.sku} (${words(answer.kind)}). It stays until ${MOVEMENT.has(answer.kind) ? "the SKU sells again" : "the stock recovers"}.`
            : `Snoozed: ${answer.sku} until ${when(answer.snoozedUntil)}.`,
      });
    } catch (err) {
      setMessage({ ok: false, text: "", error: err });
    }
  };
  const items = (list.data?.items ?? []).map((a) => changed.get(a.id) ?? a);
  return (
    <section>
      <PageTitle
        sub={
          session.scope === "vendor"
            ? "Your SKUs' alerts, newest first: low stock, out of stock, overstock and slow-moving."
            : "Alerts, newest first. Low stock and out of stock open when available stock falls to the reorder point and resolve when it recovers; overstock and slow-moving open in the nightly run when a SKU has not sold for its threshold of days (planning settings) and resolve with a sale or when the stock is gone."
        }
      >
        Alerts
      </PageTitle>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Alert filters">
        <div class="field">
          <label for="alert-kind">Kind</label>
          <select id="alert-kind" value={kind} onChange={(e) => setFilter("kind", (e.target as HTMLSelectElement).value)}>
            <option value="">Any kind</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {words(k)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="alert-status">Status</label>
          <select id="alert-status" value={status === "any" ? "" : status} onChange={(e) => setFilter("status", (e.target as HTMLSelectElement).value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {words(s)}
              </option>
            ))}
          </select>
        </div>
        <button type="button" class="secondary" onClick={list.reload} disabled={list.loading}>
          {list.loading ? "Loading…" : "Refresh"}
        </button>
      </form>
      {message ? (
        message.ok ? (
          <p class="state success" role="status">
            {message.text}
          </p>
        ) : (
          <ErrorNote error={message.error} />
        )
      ) : null}
      {list.loading && !list.data ? <Loading label="Loading alerts…" /> : null}
      {list.error ? <ErrorNote error={list.error} onRetry={list.reload} /> : null}
      {list.data && items.length === 0 ? (
        <Empty>
          No {statusParam ? `${words(statusParam)} ` : ""}
          {kind ? `${words(kind)} ` : ""}alerts{session.scope === "vendor" ? " for your SKUs" : ""}.
        </Empty>
      ) : null}
      {items.length > 0 ? (
        <TableWrap label="Alerts">
          <table class="alerts-table" aria-busy={list.loading ? "true" : "false"} data-filters={list.data?.filters ?? ""}>
            <thead>
              <tr>
                <th scope="col">SKU</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Available
                </th>
                <th scope="col" class="num">
                  Reorder point
                </th>
                <th scope="col">Opened</th>
                <th scope="col">Vendor</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <AlertRow key={a.id} alert={a} onAct={act} />
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      <Pager cursors={cursors} setCursors={setCursors} nextCursor={list.data?.nextCursor} />
    </section>
  );
}

function AlertRow({ alert: a, onAct }: { alert: Alert; onAct: (a: Alert, action: "acknowledge" | "snooze", until?: number) => Promise<void> }) {
  const [snooze, setSnooze] = useState(String(SNOOZES[2]![1]));
  const [customUntil, setCustomUntil] = useState("");
  const [busy, setBusy] = useState(false);
  const [invalid, setInvalid] = useState<string | null>(null);
  const run = async (action: "acknowledge" | "snooze") => {
    let until: number | undefined;
    if (action === "snooze") {
      // A chosen date and time is the browser's local time (datetime-local).
      until = snooze === "custom" ? new Date(customUntil).getTime() : Date.now() + Number(snooze);
      if (!Number.isFinite(until) || until <= Date.now() || until > Date.now() + 90 * 86_400_000) {
        setInvalid("Choose a time in the future, at most 90 days ahead.");
        return;
      }
    }
    setInvalid(null);
    setBusy(true);
    await onAct(a, action, until);
    setBusy(false);
  };
  const selectId = `snooze-${a.id}`;
  return (
    <tr data-alert={a.id} data-vendor={a.vendorId} data-status={a.status} data-kind={a.kind}>
      <th scope="row">
        <a href={href(["sku", a.sku])}>{a.sku}</a>
        {a.locationId ? <span class="muted small"> @ {a.locationId}</span> : null}
      </th>
      <td>
        <Badge status={a.kind} />
      </td>
      <td>
        <Badge status={a.status} />
        {a.status === "snoozed" ? <span class="muted small"> until {when(a.snoozedUntil)}</span> : null}
        {a.status === "acknowledged" ? <span class="muted small"> by {a.acknowledgedBy}</span> : null}
        {a.status === "resolved" && a.resolution ? <span class="muted small"> ({words(a.resolution)})</span> : null}
      </td>
      <td class="num">{num(a.available)}</td>
      <td class="num">{MOVEMENT.has(a.kind) ? <span title="not a reorder-point alert">—</span> : num(a.reorderPoint)}</td>
      <td>
        <time dateTime={a.openedAt} title={when(a.openedAt)}>
          {ago(a.openedAt)}
        </time>
        {a.occurrences > 1 ? <span class="muted small"> · {num(a.occurrences)} times</span> : null}
      </td>
      <td>{a.vendorId}</td>
      <td>
        {a.status === "resolved" ? (
          <span class="muted small">nothing to do</span>
        ) : (
          <div class="button-row">
            {a.status === "open" ? (
              <button
                type="button"
                class="secondary"
                disabled={busy}
                onClick={() => void run("acknowledge")}
                aria-label={`Acknowledge the ${words(a.kind)} alert for ${a.sku}`}
              >
                Acknowledge
              </button>
            ) : null}
            <label class="sr-only" for={selectId}>
              Snooze time for {a.sku}
            </label>
            <select id={selectId} value={snooze} onChange={(e) => setSnooze((e.target as HTMLSelectElement).value)}>
              {SNOOZES.map(([label, ms]) => (
                <option key={ms} value={String(ms)}>
                  {label}
                </option>
              ))}
              <option value="custom">until a date and time…</option>
            </select>
            {snooze === "custom" ? (
              <>
                <label class="sr-only" for={`${selectId}-until`}>
                  Snooze {a.sku} until
                </label>
                <input
                  id={`${selectId}-until`}
                  type="datetime-local"
                  value={customUntil}
                  onInput={(e) => setCustomUntil((e.target as HTMLInputElement).value)}
                  aria-invalid={invalid ? "true" : undefined}
                  aria-describedby={invalid ? `${selectId}-error` : undefined}
                />
              </>
            ) : null}
            <button type="button" class="secondary" disabled={busy} onClick={() => void run("snooze")} aria-label={`Snooze the alert for ${a.sku}`}>
              Snooze
            </button>
            {invalid ? (
              <p class="field-error" id={`${selectId}-error`} role="alert">
                {invalid}
              </p>
            ) : null}
          </div>
        )}
      </td>
    </tr>
  );
}
