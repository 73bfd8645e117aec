/**
 * Reorder suggestions (`GET /api/v2/reorder-suggestions`): drafts the nightly planning run makes
 * for SKUs at or below their reorder point, by vendor and location, with the suggested
 * quantity and why; operators dismiss one (`POST …/{id}/dismiss`: no new one for 7 days) or draft
 * one purchase order from a vendor × location's open suggestions
 * (`POST …/draft-purchase-order`, which marks them accepted).
 * Vendors see their own, read-only.
 */
import { useState } from "preact/hooks";
import { call, qs } from "../api";
import { Badge, Empty, ErrorNote, Loading, PageTitle, TableWrap, useLoad, Pager } from "../components/ui";
import { amount, day, num, words } from "../format";
import type { PurchaseOrder, ReorderSuggestion } from "../planning-types";
import { href, navigate } from "../router";
import type { Session } from "../session";
import type { Page } from "../types";

const STATUSES = ["open", "accepted", "dismissed", "resolved"] as const;
const URGENCIES = ["critical", "high", "medium", "low", "none"] as const;

export function ReorderPage({ session, query }: { session: Session; query: URLSearchParams }) {
  const status = query.get("status") || "open";
  const urgency = query.get("urgency") ?? "";
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const [changed, setChanged] = useState<Map<string, ReorderSuggestion>>(new Map());
  const [message, setMessage] = useState<{ ok: boolean; text: string; error?: unknown; po?: PurchaseOrder } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const list = useLoad<Page<ReorderSuggestion>>(
    (signal) => call("GET", `/api/v2/reorder-suggestions${qs({ status, urgency, cursor, limit: 50 })}`, { signal }),
    [status, urgency, cursor, session.key],
  );
  const setFilter = (next: { status?: string; urgency?: string }) => {
    setCursors([]);
    setChanged(new Map());
    navigate(href(["reorder"], { status, urgency, ...next }));
  };
  const dismiss = async (s: ReorderSuggestion) => {
    setBusy(s.id);
    setMessage(null);
    try {
      const answer = await call<ReorderSuggestion>("POST", `/api/v2/reorder-suggestions/${encodeURIComponent(s.id)}/dismiss`);
      setChanged((m) => new Map(m).set(answer.id, answer));
      setMessage({ ok: true, text: `Dismissed: ${answer.sku} at ${answer.locationId ?? "every location"}. No new suggestion for it for 7 days.` });
    } catch (err) {
      setMessage({ ok: false, text: "", error: err });
    } finally {
      setBusy(null);
    }
  };
  const draft = async (s: ReorderSuggestion) => {
    if (!s.locationId) return;
    setBusy(s.id);
    setMessage(null);
    try {
      const answer = await call<{ purchaseOrder: PurchaseOrder; accepted: string[]; left: number }>(
        "POST",
        "/api/v2/reorder-suggestions/draft-purchase-order",
        { body: { vendorId: s.vendorId, locationId: s.locationId } },
      );
      const po = answer.purchaseOrder;
      setMessage({
        ok: true,
        po,
        text: `Drafted a purchase order to ${po.vendorId} for ${po.locationId}: ${num(po.lines.length)} lines, ${num(po.lines.reduce((n, l) => n + l.quantity, 0))} units; ${num(answer.accepted.length)} suggestions accepted${answer.left > 0 ? `, ${num(answer.left)} left open (over the line limit)` : ""}.`,
      });
      setChanged(new Map());
      list.reload();
    } catch (err) {
      setMessage({ ok: false, text: "", error: err });
    } finally {
      setBusy(null);
    }
  };
  const items = (list.data?.items ?? []).map((s) => changed.get(s.id) ?? s);
  const operator = session.scope === "operator";
  return (
    <section>
      <PageTitle sub="SKUs at or below their reorder point, with the suggested order (reorder point, safety stock and EOQ from the nightly forecast).">
        Reorder suggestions
      </PageTitle>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Suggestion filters">
        <div class="field">
          <label for="rs-status">Status</label>
          <select id="rs-status" value={status} onChange={(e) => setFilter({ status: (e.target as HTMLSelectElement).value })}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {words(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="rs-urgency">Urgency</label>
          <select id="rs-urgency" value={urgency} onChange={(e) => setFilter({ urgency: (e.target as HTMLSelectElement).value })}>
            <option value="">Any urgency</option>
            {URGENCIES.map((u) => (
              <option key={u} value={u}>
                {words(u)}
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
            {message.po ? (
              <>
                {" "}
                <a href={href(["purchase-orders", message.po.id])}>Open the draft</a> to submit it to the vendor.
              </>
            ) : null}
          </p>
        ) : (
          <ErrorNote error={message.error} />
        )
      ) : null}
      {list.loading && !list.data ? <Loading label="Loading reorder suggestions…" /> : null}
      {list.error ? <ErrorNote error={list.error} onRetry={list.reload} /> : null}
      {list.data && items.length === 0 ? (
        <Empty>
          No {words(status)} reorder suggestions{urgency ? ` of ${words(urgency)} urgency` : ""}. The nightly planning run drafts them.
        </Empty>
      ) : null}
      {items.length > 0 ? (
        <TableWrap label="Reorder suggestions">
          <table class="reorder-table" aria-busy={list.loading ? "true" : "false"}>
            <thead>
              <tr>
                <th scope="col">SKU</th>
                <th scope="col">Vendor</th>
                <th scope="col">Location</th>
                <th scope="col">Urgency</th>
                <th scope="col" class="num">
                  Order
                </th>
                <th scope="col" class="num">
                  Position
                </th>
                <th scope="col" class="num">
                  Reorder point
                </th>
                <th scope="col" class="num">
                  Safety stock
                </th>
                <th scope="col" class="num">
                  EOQ
                </th>
                <th scope="col">Stockout</th>
                <th scope="col" class="num">
                  Cost
                </th>
                <th scope="col">Status</th>
                {operator ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <tr key={s.id} data-suggestion={s.id} data-vendor={s.vendorId} data-status={s.status}>
                  <th scope="row">
                    <a href={href(["sku", s.sku])}>{s.sku}</a>
                  </th>
                  <td>{s.vendorId}</td>
                  <td>{s.locationId ?? "all"}</td>
                  <td>
                    <Badge status={s.urgency} />
                  </td>
                  <td class="num">{num(s.quantity)}</td>
                  <td class="num">{num(s.stockPosition)}</td>
                  <td class="num">{num(s.reorderPoint)}</td>
                  <td class="num">{num(s.safetyStock)}</td>
                  <td class="num">{num(s.economicOrderQuantity)}</td>
                  <td>{s.stockoutDay ? `${day(s.stockoutDay)} (${num(s.daysUntilStockout)} d)` : "—"}</td>
                  <td class="num">{amount(s.estimatedCost)}</td>
                  <td>
                    <Badge status={s.status} />
                  </td>
                  {operator ? (
                    <td>
                      {s.status === "open" ? (
                        <div class="button-row">
                          {s.locationId ? (
                            <button
                              type="button"
                              disabled={busy !== null}
                              onClick={() => void draft(s)}
                              aria-label={`Draft PO to ${s.vendorId} for ${s.locationId} from its open suggestions`}
                            >
                              Draft PO
                            </button>
                          ) : null}
                          <button
                            type="button"
                            class="secondary"
                            disabled={busy !== null}
                            onClick={() => void dismiss(s)}
                            aria-label={`Dismiss the suggestion for ${s.sku} at ${s.locationId ?? "every location"}`}
                          >
                            {busy === s.id ? "Working…" : "Dismiss"}
                          </button>
                        </div>
                      ) : (
                        <span class="muted small">—</span>
                      )}
                    </td>
                  ) : null}
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
