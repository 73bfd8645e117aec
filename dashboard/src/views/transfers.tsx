/**
 * Transfers (`/api/v2/transfers`, operators): documents moving stock between locations, by
 * status; a transfer's lines with what arrived; receive (good, damaged, short; arriving units
 * cover backorders at the destination first), ship a draft, cancel what is outstanding.
 */
import { useState } from "preact/hooks";
import { call, qs } from "../api";
import { Badge, Empty, ErrorNote, Loading, PageTitle, TableWrap, useLoad, Pager } from "../components/ui";
import { ago, num, when, words } from "../format";
import type { Transfer } from "../planning-types";
import { NewTransferForm } from "./transfer-form";
import { href, navigate } from "../router";
import type { Page } from "../types";

const STATUSES = ["draft", "creating", "in_transit", "partially_received", "received", "cancelled"] as const;

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);

export function TransfersPage({ query }: { query: URLSearchParams }) {
  const status = query.get("status") ?? "";
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const list = useLoad<Page<Transfer>>((signal) => call("GET", `/api/v2/transfers${qs({ status, cursor, limit: 50 })}`, { signal }), [status, cursor]);
  const items = list.data?.items ?? [];
  const [creating, setCreating] = useState(false);
  return (
    <section>
      <PageTitle sub="Stock moving between locations: units leave the origin's sellable stock and are in transit until received.">Transfers</PageTitle>
      <div class="toolbar">
        <button type="button" aria-expanded={creating} aria-controls="new-transfer" onClick={() => setCreating(!creating)}>
          New transfer
        </button>
      </div>
      {creating ? (
        <div id="new-transfer">
          <NewTransferForm
            onCreated={() => {
              setCursors([]);
              list.reload();
            }}
          />
        </div>
      ) : null}
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Transfer filters">
        <div class="field">
          <label for="trf-status">Status</label>
          <select
            id="trf-status"
            value={status}
            onChange={(e) => {
              setCursors([]);
              navigate(href(["transfers"], { status: (e.target as HTMLSelectElement).value }));
            }}
          >
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
      {list.loading && !list.data ? <Loading label="Loading transfers…" /> : null}
      {list.error ? <ErrorNote error={list.error} onRetry={list.reload} /> : null}
      {list.data && items.length === 0 ? <Empty>No {status ? `${words(status)} ` : ""}transfers.</Empty> : null}
      {items.length > 0 ? (
        <TableWrap label="Transfers">
          <table class="transfers-table">
            <thead>
              <tr>
                <th scope="col">Transfer</th>
                <th scope="col">From → to</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Lines
                </th>
                <th scope="col" class="num">
                  Units
                </th>
                <th scope="col" class="num">
                  Outstanding
                </th>
                <th scope="col">Expected</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={t.id} data-transfer={t.id} data-status={t.status}>
                  <th scope="row">
                    <a href={href(["transfers", t.id])}>{t.reference ?? t.id}</a>
                  </th>
                  <td>
                    {t.fromLocationId} → {t.toLocationId}
                  </td>
                  <td>
                    <Badge status={t.status} />
                  </td>
                  <td class="num">{num(t.lines.length)}</td>
                  <td class="num">{num(t.lines.reduce((n, l) => n + l.quantity, 0))}</td>
                  <td class="num">{num(t.lines.reduce((n, l) => n + l.outstanding, 0))}</td>
                  <td>{when(t.expectedAt)}</td>
                  <td>
                    <time dateTime={t.createdAt} title={when(t.createdAt)}>
                      {ago(t.createdAt)}
                    </time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      <Pager cursors={cursors} setCursors={setCursors} nextCursor={list.data?.nextCursor} />
    </section>
  );
}

type Counts = Record<string, { received: string; damaged: string; short: string }>;

export function TransferPage({ id }: { id: string }) {
  const doc = useLoad<Transfer>((signal) => call("GET", `/api/v2/transfers/${encodeURIComponent(id)}`, { signal }), [id]);
  const [counts, setCounts] = useState<Counts>({});
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string; error?: unknown } | null>(null);
  const [cancelReason, setCancelReason] = useState("cancelled");
  const t = doc.data;
  const receivable = t ? t.lines.filter((l) => l.outstanding > 0 && (t.status === "in_transit" || t.status === "partially_received")) : [];
  const setCount = (sku: string, field: "received" | "damaged" | "short", value: string) =>
    setCounts((c) => ({ ...c, [sku]: { received: "", damaged: "", short: "", ...c[sku], [field]: value } }));
  const run = async (what: string, fn: () => Promise<Transfer>, ok: (t: Transfer) => string) => {
    setBusy(true);
    setMessage(null);
    try {
      const answer = await fn();
      setMessage({ ok: true, text: ok(answer) });
      setCounts({});
      doc.reload();
    } catch (err) {
      setMessage({ ok: false, text: what, error: err });
    } finally {
      setBusy(false);
    }
  };
  const receive = (e: Event) => {
    e.preventDefault();
    const lines = receivable
      .map((l) => {
        const c = counts[l.sku] ?? { received: "", damaged: "", short: "" };
        return { sku: l.sku, received: Number(c.received || 0), damaged: Number(c.damaged || 0), short: Number(c.short || 0) };
      })
      .filter((l) => l.received + l.damaged + l.short > 0);
    if (lines.length === 0) {
      setMessage({ ok: false, text: "", error: new Error("Enter at least one unit received, damaged or short.") });
      return;
    }
    void run(
      "receive",
      () => call<Transfer>("POST", `/api/v2/transfers/${encodeURIComponent(id)}/receive`, { body: { lines }, headers: { "idempotency-key": newKey() } }),
      (a) =>
        `Received: ${lines.map((l) => `${l.sku} ${num(l.received)} good${l.damaged ? `, ${num(l.damaged)} damaged` : ""}${l.short ? `, ${num(l.short)} short` : ""}`).join("; ")}. The transfer is ${words(a.status)}.`,
    );
  };
  return (
    <section>
      <PageTitle sub={t ? `${t.fromLocationId} → ${t.toLocationId} · created ${when(t.createdAt)} by ${t.createdBy}` : "Loading…"}>
        Transfer {t?.reference ?? id}
      </PageTitle>
      <p>
        <a href={href(["transfers"])}>All transfers</a>
      </p>
      {doc.loading && !t ? <Loading label="Loading the transfer…" /> : null}
      {doc.error ? <ErrorNote error={doc.error} onRetry={doc.reload} /> : null}
      {message ? (
        message.ok ? (
          <p class="state success" role="status">
            {message.text}
          </p>
        ) : (
          <ErrorNote error={message.error} />
        )
      ) : null}
      {t ? (
        <>
          <p>
            Status <Badge status={t.status} /> · <code>{t.id}</code>
            {t.expectedAt ? <> · expected {when(t.expectedAt)}</> : null}
          </p>
          <form onSubmit={receive} aria-labelledby="trf-lines-title">
            <h2 id="trf-lines-title">Lines</h2>
            <TableWrap label="Transfer lines">
              <table class="transfer-lines">
                <thead>
                  <tr>
                    <th scope="col">SKU</th>
                    <th scope="col" class="num">
                      Sent
                    </th>
                    <th scope="col" class="num">
                      Received
                    </th>
                    <th scope="col" class="num">
                      Damaged
                    </th>
                    <th scope="col" class="num">
                      Short
                    </th>
                    <th scope="col" class="num">
                      Returned
                    </th>
                    <th scope="col" class="num">
                      Outstanding
                    </th>
                    <th scope="col">Status</th>
                    {receivable.length > 0 ? <th scope="col">Receive now</th> : null}
                  </tr>
                </thead>
                <tbody>
                  {t.lines.map((l) => (
                    <tr key={l.sku} data-line={l.sku}>
                      <th scope="row">
                        <a href={href(["sku", l.sku])}>{l.sku}</a>
                      </th>
                      <td class="num">{num(l.quantity)}</td>
                      <td class="num">{num(l.received)}</td>
                      <td class="num">{num(l.damaged)}</td>
                      <td class="num">{num(l.short)}</td>
                      <td class="num">{num(l.returned)}</td>
                      <td class="num">{num(l.outstanding)}</td>
                      <td>
                        <Badge status={l.status} />
                      </td>
                      {receivable.length > 0 ? (
                        <td>
                          {receivable.includes(l) ? (
                            <div class="line-inputs">
                              {(["received", "damaged", "short"] as const).map((field) => (
                                <label key={field} class="small">
                                  {field === "received" ? "Good" : field === "damaged" ? "Damaged" : "Short"}
                                  <span class="sr-only"> units of {l.sku}</span>
                                  <input
                                    type="number"
                                    min={0}
                                    max={l.outstanding}
                                    step={1}
                                    inputMode="numeric"
                                    value={counts[l.sku]?.[field] ?? ""}
                                    onInput={(e) => setCount(l.sku, field, (e.target as HTMLInputElement).value)}
                                  />
                                </label>
                              ))}
                            </div>
                          ) : (
                            <span class="muted small">nothing outstanding</span>
                          )}
                        </td>
                      ) : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
            {receivable.length > 0 ? (
              <div class="toolbar">
                <button type="submit" disabled={busy}>
                  {busy ? "Saving…" : "Receive"}
                </button>
                <span class="muted small">
                  Good units go on hand at {t.toLocationId} (backorders first); damaged ones are kept as damaged; short ones never came.
                </span>
              </div>
            ) : null}
          </form>
          {t.status === "draft" ? (
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                void run(
                  "ship",
                  () => call<Transfer>("POST", `/api/v2/transfers/${encodeURIComponent(id)}/ship`, { headers: { "idempotency-key": newKey() } }),
                  (a) => `Shipped: the transfer is ${words(a.status)}.`,
                )
              }
            >
              Ship
            </button>
          ) : null}
          {["draft", "in_transit", "partially_received"].includes(t.status) ? (
            <form
              class="filters"
              aria-labelledby="trf-cancel-title"
              onSubmit={(e) => {
                e.preventDefault();
                if (!window.confirm("Cancel what is outstanding? The units go back to the origin.")) return;
                void run(
                  "cancel",
                  () =>
                    call<Transfer>("POST", `/api/v2/transfers/${encodeURIComponent(id)}/cancel`, {
                      body: { reason: cancelReason.trim() || "cancelled" },
                      headers: { "idempotency-key": newKey() },
                    }),
                  (a) => `Cancelled: the transfer is ${words(a.status)}; outstanding units went back to ${a.fromLocationId}.`,
                );
              }}
            >
              <h2 id="trf-cancel-title" class="sr-only">
                Cancel the transfer
              </h2>
              <div class="field">
                <label for="trf-cancel-reason">Reason to cancel</label>
                <input id="trf-cancel-reason" value={cancelReason} maxLength={64} onInput={(e) => setCancelReason((e.target as HTMLInputElement).value)} />
              </div>
              <button type="submit" class="secondary" disabled={busy}>
                Cancel outstanding
              </button>
            </form>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
