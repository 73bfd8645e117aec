/**
 * Rebalancing (`GET /api/v2/analytics/rebalancing`): transfers between locations the API
 * suggests where one location is short against its share of a SKU's forecast while another
 * holds excess, each with the cost of one shipment at the origin's rates. Operators draft a
 * cheap one (at most 2.50 a unit) as a draft transfer in one click
 * (`POST …/rebalancing/draft-transfer`; a repeat the same day answers the same document) and
 * open it to ship; a dearer one is theirs to decide in the transfer form. Vendors see their own
 * SKUs' suggestions, read-only.
 */
import { useState } from "preact/hooks";
import { call, qs } from "../api";
import { Empty, ErrorNote, Loading, PageTitle, TableWrap, useLoad } from "../components/ui";
import { amount, day, num } from "../format";
import { ID_PATTERN } from "../input-rules";
import type { Transfer } from "../planning-types";
import { href, navigate } from "../router";
import type { Session } from "../session";
import type { RebalancingList, RebalancingSuggestion } from "../vendor-types";

const keyOf = (s: RebalancingSuggestion) => `${s.sku}|${s.fromLocationId}|${s.toLocationId}`;

export function RebalancingPage({ session, query }: { session: Session; query: URLSearchParams }) {
  const sku = query.get("sku") ?? "";
  const [text, setText] = useState(sku);
  const [skuProblem, setSkuProblem] = useState<string | null>(null);
  const list = useLoad<RebalancingList>(
    (signal) => call("GET", `/api/v2/analytics/rebalancing${qs({ sku: sku || undefined, limit: 200 })}`, { signal }),
    [sku, session.key],
  );
  const [busy, setBusy] = useState<string | null>(null);
  const [drafted, setDrafted] = useState<Map<string, Transfer>>(new Map());
  const [message, setMessage] = useState<{ transfer?: Transfer; replayed?: boolean; text?: string; error?: unknown } | null>(null);
  const operator = session.scope === "operator";
  const draft = async (s: RebalancingSuggestion) => {
    setBusy(keyOf(s));
    setMessage(null);
    try {
      const answer = await call<{ transfer: Transfer; suggestion: RebalancingSuggestion; replayed: boolean }>(
        "POST",
        "/api/v2/analytics/rebalancing/draft-transfer",
        { body: { sku: s.sku, fromLocationId: s.fromLocationId, toLocationId: s.toLocationId } },
      );
      setDrafted((m) => new Map(m).set(keyOf(s), answer.transfer));
      const units = answer.transfer.lines.reduce((n, l) => n + l.quantity, 0);
      setMessage({
        transfer: answer.transfer,
        replayed: answer.replayed,
        text: `${answer.replayed ? "Already drafted today" : "Drafted"}: a transfer of ${num(units)} units of ${s.sku} from ${s.fromLocationId} to ${s.toLocationId}. Nothing moves until it is shipped.`,
      });
    } catch (error) {
      setMessage({ error });
    } finally {
      setBusy(null);
    }
  };
  const items = list.data?.items ?? [];
  return (
    <section>
      <PageTitle
        sub={
          operator
            ? "Transfers that would cover a location short of its share of the forecast from one with excess, with the cost of one shipment. Cheap ones (at most 2.50 a unit) can be drafted in one click."
            : "Transfers the marketplace could make between its locations for your SKUs (read-only)."
        }
      >
        Rebalancing
      </PageTitle>
      <form
        class="filters"
        aria-label="Rebalancing filter"
        onSubmit={(e) => {
          e.preventDefault();
          const t = text.trim();
          if (t !== "" && !ID_PATTERN.test(t)) {
            setSkuProblem("A SKU id: 1–64 of A–Z a–z 0–9 . _ -, starting with a letter or digit.");
            return;
          }
          setSkuProblem(null);
          navigate(href(["rebalancing"], { sku: t }));
        }}
      >
        <div class="field">
          <label for="rb-sku">SKU (empty: every SKU)</label>
          <input
            id="rb-sku"
            value={text}
            autocomplete="off"
            spellcheck={false}
            aria-invalid={skuProblem ? "true" : undefined}
            aria-describedby={skuProblem ? "rb-sku-error" : undefined}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
          />
          {skuProblem ? (
            <p id="rb-sku-error" class="field-error">
              {skuProblem}
            </p>
          ) : null}
        </div>
        <button type="submit">Show</button>
        <button type="button" class="secondary" onClick={list.reload} disabled={list.loading}>
          {list.loading ? "Loading…" : "Refresh"}
        </button>
      </form>
      {message ? (
        message.error ? (
          <ErrorNote error={message.error} />
        ) : (
          <p class="state success" role="status">
            {message.text} {message.transfer ? <a href={href(["transfers", message.transfer.id])}>Open the draft transfer</a> : null}
          </p>
        )
      ) : null}
      {list.loading && !list.data ? <Loading label="Reading the rebalancing suggestions…" /> : null}
      {list.error ? <ErrorNote error={list.error} onRetry={list.reload} /> : null}
      {list.data ? (
        <p class="muted small">
          Sales up to {day(list.data.asOf)} over {num(list.data.skus)} SKUs held at two locations or more; SKUs without a forecast are left out.
        </p>
      ) : null}
      {list.data && items.length === 0 ? <Empty>No transfer is suggested{sku ? ` for ${sku}` : ""}: every location holds about its share.</Empty> : null}
      {items.length > 0 ? (
        <TableWrap label="Suggested transfers">
          <table class="rebalancing-table" aria-busy={list.loading ? "true" : "false"}>
            <thead>
              <tr>
                <th scope="col">SKU</th>
                <th scope="col">Vendor</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col" class="num">
                  Units
                </th>
                <th scope="col" class="num">
                  Short at destination
                </th>
                <th scope="col" class="num">
                  Excess at origin
                </th>
                <th scope="col" class="num">
                  Cost
                </th>
                <th scope="col" class="num">
                  Per unit
                </th>
                {operator ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((s) => {
                const k = keyOf(s);
                const done = drafted.get(k);
                return (
                  <tr key={k} data-rebalance={k} data-sku={s.sku} data-cheap={String(s.cheap)}>
                    <th scope="row">
                      <a href={href(["sku", s.sku])}>{s.sku}</a>
                    </th>
                    <td>{s.vendorId}</td>
                    <td>{s.fromLocationId}</td>
                    <td>{s.toLocationId}</td>
                    <td class="num">{num(s.quantity)}</td>
                    <td class="num">{num(s.shortage)}</td>
                    <td class="num">{num(s.excess)}</td>
                    <td class="num" data-field="cost">
                      {amount(s.cost / 100)}
                    </td>
                    <td class="num">
                      {amount(s.costPerUnit / 100)}
                      {s.cheap ? null : <span class="badge warn">dear</span>}
                    </td>
                    {operator ? (
                      <td>
                        {done ? (
                          <a href={href(["transfers", done.id])}>Open transfer</a>
                        ) : s.cheap ? (
                          <button
                            type="button"
                            disabled={busy !== null}
                            onClick={() => void draft(s)}
                            aria-label={`Draft transfer of ${s.sku} from ${s.fromLocationId} to ${s.toLocationId}`}
                          >
                            {busy === k ? "Drafting…" : "Draft transfer"}
                          </button>
                        ) : (
                          <span class="muted small">over 2.50 a unit: use the transfer form</span>
                        )}
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      <p class="muted small">Costs are in the shipping model's currency (the locations' rates: base, per km, per unit), for one shipment.</p>
    </section>
  );
}
