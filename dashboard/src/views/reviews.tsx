/**
 * Sync reviews: feed values the conflict rule held (a large change, or one below what is
 * reserved). Operators accept (apply the vendor's value with the local movements since) or
 * reject (keep our count); vendors see their SKUs' reviews, read-only.
 */
import { useState } from "preact/hooks";
import { ApiFailure, call, qs } from "../api";
import { Badge, Empty, ErrorNote, Loading, PageTitle, TableWrap, useLoad } from "../components/ui";
import { num, signed, when, words } from "../format";
import { href, navigate } from "../router";
import type { Session } from "../session";
import type { Page, SyncReview } from "../types";

const REASONS: Record<string, string> = {
  large_change: "large change (more than 10 units and 25 % of on hand)",
  below_committed: "below what is reserved, committed, damaged or on hold",
};

export function ReviewTable({ session, filters }: { session: Session; filters: Record<string, string | undefined> }) {
  const [cursor, setCursor] = useState<string | null>(null);
  const page = useLoad<Page<SyncReview>>(
    (signal) => call("GET", `/api/v2/sync/reviews${qs({ ...filters, limit: 50, cursor })}`, { signal }),
    [JSON.stringify(filters), cursor],
  );
  const [acting, setActing] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ id: string; text: string; error?: unknown } | null>(null);
  const decide = async (review: SyncReview, decision: "accept" | "reject") => {
    setActing(review.id);
    setOutcome(null);
    try {
      const result = await call<{ review: SyncReview; level: { onHand: number } | null }>("POST", `/api/v2/sync/reviews/${review.id}/${decision}`);
      setOutcome({
        id: review.id,
        text:
          decision === "accept"
            ? `Accepted: ${review.sku} at ${review.locationId} now has ${num(result.level?.onHand ?? review.proposed)} on hand.`
            : `Rejected: ${review.sku} at ${review.locationId} keeps ${num(result.level?.onHand ?? review.onHandAtReview)} on hand.`,
      });
      page.reload();
    } catch (error) {
      setOutcome({ id: review.id, text: "", error });
      if (error instanceof ApiFailure && error.code === "review_closed") page.reload();
    } finally {
      setActing(null);
    }
  };
  const operator = session.scope === "operator";
  return (
    <>
      {outcome ? (
        outcome.error ? (
          <ErrorNote error={outcome.error} />
        ) : (
          <p class="state success" role="status">
            {outcome.text}
          </p>
        )
      ) : null}
      {page.loading && !page.data ? <Loading label="Loading reviews…" /> : null}
      {page.error ? <ErrorNote error={page.error} onRetry={page.reload} /> : null}
      {page.data && page.data.items.length === 0 ? <Empty>No reviews{filters.status ? ` with status “${words(filters.status)}”` : ""}.</Empty> : null}
      {page.data && page.data.items.length > 0 ? (
        <TableWrap label="Sync reviews">
          <table class="reviews">
            <thead>
              <tr>
                <th scope="col">SKU</th>
                <th scope="col">Location</th>
                {operator ? <th scope="col">Vendor</th> : null}
                <th scope="col" class="num">
                  Vendor says
                </th>
                <th scope="col" class="num">
                  On hand then
                </th>
                <th scope="col" class="num">
                  Would become
                </th>
                <th scope="col">Why held</th>
                <th scope="col">Status</th>
                <th scope="col">{operator ? "Decision" : "Job"}</th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((r) => (
                <tr key={r.id} data-review={r.id}>
                  <th scope="row">
                    <a href={href(["sku", r.sku])}>{r.sku}</a>
                  </th>
                  <td>{r.locationId}</td>
                  {operator ? <td>{r.vendorId}</td> : null}
                  <td class="num">
                    {num(r.vendorQuantity)}
                    {r.mode === "delta" ? " (delta)" : ""}
                  </td>
                  <td class="num">{num(r.onHandAtReview)}</td>
                  <td class="num">
                    {num(r.proposed)} <span class="muted small">({signed(r.proposed - r.onHandAtReview)})</span>
                  </td>
                  <td class="small">{REASONS[r.reason] ?? words(r.reason)}</td>
                  <td>
                    <Badge status={r.status} />
                    {r.resolvedAt ? <span class="muted small"> {when(r.resolvedAt)}</span> : null}
                  </td>
                  <td>
                    {operator && r.status === "open" ? (
                      <span class="button-row">
                        <button
                          type="button"
                          onClick={() => decide(r, "accept")}
                          disabled={acting !== null}
                          aria-label={`Accept ${num(r.proposed)} for ${r.sku} at ${r.locationId}`}
                        >
                          Accept
                        </button>
                        <button
                          type="button"
                          class="secondary"
                          onClick={() => decide(r, "reject")}
                          disabled={acting !== null}
                          aria-label={`Reject the feed value for ${r.sku} at ${r.locationId}`}
                        >
                          Reject
                        </button>
                      </span>
                    ) : (
                      <a href={href(["sync", r.jobId])} class="small">
                        job
                      </a>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      <nav class="pager" aria-label="Pages of reviews">
        {cursor ? (
          <button type="button" class="secondary" onClick={() => setCursor(null)}>
            First page
          </button>
        ) : null}
        {page.data?.nextCursor ? (
          <button type="button" class="secondary" onClick={() => setCursor(page.data!.nextCursor)}>
            Next page
          </button>
        ) : null}
      </nav>
    </>
  );
}

export function ReviewsPage({ session, query }: { session: Session; query: URLSearchParams }) {
  const status = query.get("status") ?? "open";
  const sku = query.get("sku") ?? "";
  const vendorId = query.get("vendorId") ?? "";
  const [draft, setDraft] = useState({ status, sku, vendorId });
  const submit = (e: Event) => {
    e.preventDefault();
    navigate(href(["reviews"], { status: draft.status, sku: draft.sku.trim(), vendorId: draft.vendorId.trim() }));
  };
  return (
    <section>
      <PageTitle
        sub={
          session.scope === "operator"
            ? "Feed values held by the conflict rule. Accept applies the vendor's value with the movements made here since; reject keeps our count."
            : "Values from your feeds held for an operator's decision (read-only)."
        }
      >
        Sync reviews
      </PageTitle>
      <form class="filters" onSubmit={submit} aria-label="Filter reviews">
        <div class="field">
          <label for="r-status">Status</label>
          <select id="r-status" value={draft.status} onChange={(e) => setDraft({ ...draft, status: (e.target as HTMLSelectElement).value })}>
            {["open", "accepted", "rejected", "superseded"].map((s) => (
              <option key={s} value={s}>
                {words(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="r-sku">SKU</label>
          <input id="r-sku" value={draft.sku} onInput={(e) => setDraft({ ...draft, sku: (e.target as HTMLInputElement).value })} autocomplete="off" />
        </div>
        {session.scope === "operator" ? (
          <div class="field">
            <label for="r-vendor">Vendor id</label>
            <input
              id="r-vendor"
              value={draft.vendorId}
              onInput={(e) => setDraft({ ...draft, vendorId: (e.target as HTMLInputElement).value })}
              autocomplete="off"
            />
          </div>
        ) : null}
        <div class="field actions">
          <button type="submit">Show</button>
        </div>
      </form>
      <ReviewTable session={session} filters={{ status, sku: sku || undefined, vendorId: session.scope === "operator" ? vendorId || undefined : undefined }} />
    </section>
  );
}
