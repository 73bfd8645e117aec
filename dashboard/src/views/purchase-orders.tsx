/**
 * Purchase orders (`/api/v2/purchase-orders`): operators see every vendor's, vendors their own.
 * The list by status; an order's lines with what arrived; operators submit a draft to the
 * vendor, receive what came (good or damaged; backorders first), close short or cancel;
 * vendors confirm (with their arrival date) and ship.
 */
import { useState } from "preact/hooks";
import { call, qs } from "../api";
import { Badge, Empty, ErrorNote, Loading, PageTitle, TableWrap, useLoad, Pager } from "../components/ui";
import { ago, num, when, words } from "../format";
import type { PurchaseOrder } from "../planning-types";
import { NewPurchaseOrderForm } from "./purchase-order-form";
import { href, navigate } from "../router";
import type { Session } from "../session";
import type { Page } from "../types";

const STATUSES = ["draft", "submitted", "confirmed", "shipping", "shipped", "partially_received", "received", "closed", "cancelled"] as const;

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);

export function PurchaseOrdersPage({ session, query }: { session: Session; query: URLSearchParams }) {
  const status = query.get("status") ?? "";
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const list = useLoad<Page<PurchaseOrder>>(
    (signal) => call("GET", `/api/v2/purchase-orders${qs({ status, cursor, limit: 50 })}`, { signal }),
    [status, cursor, session.key],
  );
  const items = list.data?.items ?? [];
  const [creating, setCreating] = useState(false);
  return (
    <section>
      <PageTitle
        sub={
          session.scope === "vendor"
            ? "Orders to you: confirm them with your arrival date, then ship."
            : "Orders to vendors: create a draft, submit it, then receive what arrives."
        }
      >
        Purchase orders
      </PageTitle>
      {session.scope === "operator" ? (
        <>
          <div class="toolbar">
            <button type="button" aria-expanded={creating} aria-controls="new-po" onClick={() => setCreating(!creating)}>
              New purchase order
            </button>
          </div>
          {creating ? (
            <div id="new-po">
              <NewPurchaseOrderForm
                onCreated={() => {
                  setCursors([]);
                  list.reload();
                }}
              />
            </div>
          ) : null}
        </>
      ) : null}
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Purchase order filters">
        <div class="field">
          <label for="po-status">Status</label>
          <select
            id="po-status"
            value={status}
            onChange={(e) => {
              setCursors([]);
              navigate(href(["purchase-orders"], { status: (e.target as HTMLSelectElement).value }));
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
      {list.loading && !list.data ? <Loading label="Loading purchase orders…" /> : null}
      {list.error ? <ErrorNote error={list.error} onRetry={list.reload} /> : null}
      {list.data && items.length === 0 ? (
        <Empty>
          No {status ? `${words(status)} ` : ""}purchase orders{session.scope === "vendor" ? " to you" : ""}.
        </Empty>
      ) : null}
      {items.length > 0 ? (
        <TableWrap label="Purchase orders">
          <table class="po-table">
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Vendor</th>
                <th scope="col">Receiving at</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Lines
                </th>
                <th scope="col" class="num">
                  Units
                </th>
                <th scope="col" class="num">
                  Received
                </th>
                <th scope="col">Expected</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id} data-po={p.id} data-vendor={p.vendorId} data-status={p.status}>
                  <th scope="row">
                    <a href={href(["purchase-orders", p.id])}>{p.reference ?? p.id}</a>
                  </th>
                  <td>{p.vendorId}</td>
                  <td>{p.locationId}</td>
                  <td>
                    <Badge status={p.status} />
                  </td>
                  <td class="num">{num(p.lines.length)}</td>
                  <td class="num">{num(p.lines.reduce((n, l) => n + l.quantity, 0))}</td>
                  <td class="num">{num(p.lines.reduce((n, l) => n + l.received + l.damaged, 0))}</td>
                  <td>{when(p.expectedAt)}</td>
                  <td>
                    <time dateTime={p.createdAt} title={when(p.createdAt)}>
                      {ago(p.createdAt)}
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

type Counts = Record<string, { received: string; damaged: string }>;

export function PurchaseOrderPage({ session, id }: { session: Session; id: string }) {
  const doc = useLoad<PurchaseOrder>((signal) => call("GET", `/api/v2/purchase-orders/${encodeURIComponent(id)}`, { signal }), [id, session.key]);
  const [counts, setCounts] = useState<Counts>({});
  const [arrival, setArrival] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string; error?: unknown } | null>(null);
  const p = doc.data;
  const operator = session.scope === "operator";
  const receivable = p && operator && (p.status === "shipped" || p.status === "partially_received") ? p.lines.filter((l) => l.inTransit > 0) : [];
  const run = async (fn: () => Promise<PurchaseOrder>, ok: (p: PurchaseOrder) => string) => {
    setBusy(true);
    setMessage(null);
    try {
      const answer = await fn();
      setMessage({ ok: true, text: ok(answer) });
      setCounts({});
      doc.reload();
    } catch (err) {
      setMessage({ ok: false, text: "", error: err });
    } finally {
      setBusy(false);
    }
  };
  const step = (name: "submit" | "ship" | "close" | "cancel" | "confirm", body?: unknown) =>
    run(
      () => call<PurchaseOrder>("POST", `/api/v2/purchase-orders/${encodeURIComponent(id)}/${name}`, { body: body ?? {} }),
      (a) => `Done: the order is ${words(a.status)}.`,
    );
  const receive = (e: Event) => {
    e.preventDefault();
    const lines = receivable
      .map((l) => ({ sku: l.sku, received: Number(counts[l.sku]?.received || 0), damaged: Number(counts[l.sku]?.damaged || 0) }))
      .filter((l) => l.received + l.damaged > 0);
    if (lines.length === 0) {
      setMessage({ ok: false, text: "", error: new Error("Enter at least one unit received or damaged.") });
      return;
    }
    void run(
      () =>
        call<PurchaseOrder>("POST", `/api/v2/purchase-orders/${encodeURIComponent(id)}/receive`, { body: { lines }, headers: { "idempotency-key": newKey() } }),
      (a) =>
        `Received: ${lines.map((l) => `${l.sku} ${num(l.received)} good${l.damaged ? `, ${num(l.damaged)} damaged` : ""}`).join("; ")}. The order is ${words(a.status)}.`,
    );
  };
  return (
    <section>
      <PageTitle sub={p ? `Vendor ${p.vendorId} → ${p.locationId} · created ${when(p.createdAt)} by ${p.createdBy}` : "Loading…"}>
        Purchase order {p?.reference ?? id}
      </PageTitle>
      <p>
        <a href={href(["purchase-orders"])}>All purchase orders</a>
      </p>
      {doc.loading && !p ? <Loading label="Loading the order…" /> : null}
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
      {p ? (
        <>
          <p>
            Status <Badge status={p.status} /> · <code>{p.id}</code>
            {p.expectedAt ? <> · expected {when(p.expectedAt)}</> : null}
          </p>
          <form onSubmit={receive} aria-labelledby="po-lines-title">
            <h2 id="po-lines-title">Lines</h2>
            <TableWrap label="Order lines">
              <table class="po-lines">
                <thead>
                  <tr>
                    <th scope="col">SKU</th>
                    <th scope="col" class="num">
                      Ordered
                    </th>
                    <th scope="col" class="num">
                      In transit
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
                    <th scope="col">Status</th>
                    {receivable.length > 0 ? <th scope="col">Receive now</th> : null}
                  </tr>
                </thead>
                <tbody>
                  {p.lines.map((l) => (
                    <tr key={l.sku} data-line={l.sku}>
                      <th scope="row">
                        <a href={href(["sku", l.sku])}>{l.sku}</a>
                      </th>
                      <td class="num">{num(l.quantity)}</td>
                      <td class="num">{num(l.inTransit)}</td>
                      <td class="num">{num(l.received)}</td>
                      <td class="num">{num(l.damaged)}</td>
                      <td class="num">{num(l.short)}</td>
                      <td>
                        <Badge status={l.status} />
                      </td>
                      {receivable.length > 0 ? (
                        <td>
                          {receivable.includes(l) ? (
                            <div class="line-inputs">
                              {(["received", "damaged"] as const).map((field) => (
                                <label key={field} class="small">
                                  {field === "received" ? "Good" : "Damaged"}
                                  <span class="sr-only"> units of {l.sku}</span>
                                  <input
                                    type="number"
                                    min={0}
                                    max={l.inTransit}
                                    step={1}
                                    inputMode="numeric"
                                    value={counts[l.sku]?.[field] ?? ""}
                                    onInput={(e) =>
                                      setCounts((c) => ({
                                        ...c,
                                        [l.sku]: { received: "", damaged: "", ...c[l.sku], [field]: (e.target as HTMLInputElement).value },
                                      }))
                                    }
                                  />
                                </label>
                              ))}
                            </div>
                          ) : (
                            <span class="muted small">nothing in transit</span>
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
                <span class="muted small">Good units go on hand at {p.locationId} (backorders first); damaged ones are kept as damaged.</span>
              </div>
            ) : null}
          </form>
          <div class="toolbar">
            {operator && p.status === "draft" ? (
              <button type="button" disabled={busy} onClick={() => void step("submit")}>
                Submit to the vendor
              </button>
            ) : null}
            {operator && (p.status === "shipped" || p.status === "partially_received") ? (
              <button
                type="button"
                class="secondary"
                disabled={busy}
                onClick={() => window.confirm("Close the order? What never came is recorded as short.") && void step("close")}
              >
                Close short
              </button>
            ) : null}
            {operator && ["draft", "submitted", "confirmed", "shipped"].includes(p.status) && p.lines.every((l) => l.received + l.damaged === 0) ? (
              <button type="button" class="secondary" disabled={busy} onClick={() => window.confirm("Cancel this order?") && void step("cancel")}>
                Cancel order
              </button>
            ) : null}
            {!operator && p.status === "confirmed" ? (
              <button type="button" disabled={busy} onClick={() => void step("ship")}>
                Ship
              </button>
            ) : null}
          </div>
          {!operator && p.status === "submitted" ? (
            <form
              class="filters"
              aria-labelledby="po-confirm-title"
              onSubmit={(e) => {
                e.preventDefault();
                void step("confirm", arrival ? { expectedAt: new Date(`${arrival}T12:00:00Z`).toISOString() } : {});
              }}
            >
              <h2 id="po-confirm-title" class="sr-only">
                Confirm the order
              </h2>
              <div class="field">
                <label for="po-arrival">Expected arrival (optional)</label>
                <input id="po-arrival" type="date" value={arrival} onInput={(e) => setArrival((e.target as HTMLInputElement).value)} />
              </div>
              <button type="submit" disabled={busy}>
                Confirm
              </button>
            </form>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
