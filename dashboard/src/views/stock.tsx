/**
 * The stock list: search by SKU prefix, filter by vendor (operators), location, status and
 * low stock, page with the API's cursor. The filters live in the URL (#/stock?…), so a view
 * can be bookmarked and the browser's back button pages back.
 */
import { useEffect, useState } from "preact/hooks";
import { call, qs } from "../api";
import { Badge, Empty, ErrorNote, Loading, PageTitle, TableWrap, useLoad } from "../components/ui";
import { loadLocations } from "../data";
import { ago, num, words } from "../format";
import { href, navigate } from "../router";
import type { Session } from "../session";
import type { LevelRow, Location, Page } from "../types";

const PAGE_SIZE = 50;
const STATUSES = ["in_stock", "low_stock", "out_of_stock", "backorder"] as const;

interface Filters {
  skuPrefix: string;
  vendorId: string;
  locationId: string;
  status: string;
  lowStock: boolean;
}

function filtersOf(query: URLSearchParams): Filters {
  return {
    skuPrefix: query.get("skuPrefix") ?? "",
    vendorId: query.get("vendorId") ?? "",
    locationId: query.get("locationId") ?? "",
    status: query.get("status") ?? "",
    lowStock: query.get("lowStock") === "true",
  };
}

export function StockPage({ session, query }: { session: Session; query: URLSearchParams }) {
  const applied = filtersOf(query);
  const cursor = query.get("cursor") ?? "";
  const [draft, setDraft] = useState<Filters>(applied);
  const key = query.toString();
  useEffect(() => setDraft(filtersOf(query)), [key]);
  const locations = useLoad<Location[]>(() => loadLocations(), []);
  // The answer remembers the query it was read with (the table says it, so a test or a reader
  // can tell a fresh list from the one before a search changed it).
  const page = useLoad<Page<LevelRow> & { query: string }>(
    (signal) =>
      call<Page<LevelRow>>(
        "GET",
        `/api/v2/inventory${qs({ ...applied, vendorId: session.scope === "operator" ? applied.vendorId : undefined, lowStock: applied.lowStock ? "true" : undefined, limit: PAGE_SIZE, cursor })}`,
        { signal },
      ).then((answer) => ({ ...answer, query: key })),
    [key],
  );
  const [updated, setUpdated] = useState<Date | null>(null);
  useEffect(() => {
    if (page.data) setUpdated(new Date());
  }, [page.data]);

  const submit = (e: Event) => {
    e.preventDefault();
    const next = href(["stock"], { ...draft, skuPrefix: draft.skuPrefix.trim(), vendorId: draft.vendorId.trim() });
    if (`#${next.slice(1)}` === window.location.hash) page.reload();
    else navigate(next);
  };
  const set = (patch: Partial<Filters>) => setDraft({ ...draft, ...patch });
  const vendorsSeen = [...new Set((page.data?.items ?? []).map((r) => r.vendorId))].sort();

  return (
    <section>
      <PageTitle sub="One row per SKU and location, from the stock list (it follows changes within about a second).">
        {session.scope === "vendor" ? "My stock" : "Stock"}
      </PageTitle>
      <form class="filters" onSubmit={submit} aria-label="Filter the stock list">
        <div class="field">
          <label for="f-prefix">SKU starts with</label>
          <input
            id="f-prefix"
            name="skuPrefix"
            value={draft.skuPrefix}
            onInput={(e) => set({ skuPrefix: (e.target as HTMLInputElement).value })}
            placeholder="ACME-TENT"
            autocomplete="off"
          />
        </div>
        {session.scope === "operator" ? (
          <div class="field">
            <label for="f-vendor">Vendor id</label>
            <input
              id="f-vendor"
              name="vendorId"
              list="vendors-seen"
              value={draft.vendorId}
              onInput={(e) => set({ vendorId: (e.target as HTMLInputElement).value })}
              placeholder="V-ACME"
              autocomplete="off"
            />
            <datalist id="vendors-seen">
              {vendorsSeen.map((v) => (
                <option key={v} value={v} />
              ))}
            </datalist>
          </div>
        ) : null}
        <div class="field">
          <label for="f-location">Location</label>
          <select id="f-location" name="locationId" value={draft.locationId} onChange={(e) => set({ locationId: (e.target as HTMLSelectElement).value })}>
            <option value="">All locations</option>
            {(locations.data ?? []).map((l) => (
              <option key={l.id} value={l.id}>
                {l.name} ({l.id})
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="f-status">Status</label>
          <select id="f-status" name="status" value={draft.status} onChange={(e) => set({ status: (e.target as HTMLSelectElement).value })}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {words(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field check">
          <input id="f-low" type="checkbox" checked={draft.lowStock} onChange={(e) => set({ lowStock: (e.target as HTMLInputElement).checked })} />
          <label for="f-low">Low stock only (at or below the reorder point)</label>
        </div>
        <div class="field actions">
          <button type="submit">Search</button>
          <a class="button secondary" href={href(["stock"])}>
            Clear
          </a>
        </div>
      </form>
      {locations.error ? <ErrorNote error={locations.error} onRetry={locations.reload} /> : null}
      <div class="toolbar">
        <button type="button" class="secondary" onClick={page.reload} disabled={page.loading}>
          {page.loading ? "Refreshing…" : "Refresh"}
        </button>
        {updated ? (
          <span class="muted small" aria-live="polite">
            Loaded {updated.toLocaleTimeString()}
          </span>
        ) : null}
      </div>
      {page.loading && !page.data ? <Loading label="Loading the stock list…" /> : null}
      {page.error ? <ErrorNote error={page.error} onRetry={page.reload} /> : null}
      {page.data && page.data.items.length === 0 ? <Empty>No stock rows match these filters.</Empty> : null}
      {page.data && page.data.items.length > 0 ? (
        <TableWrap label="Stock rows">
          <table class="stock-table" aria-busy={page.loading} data-query={page.data?.query ?? ""}>
            <thead>
              <tr>
                <th scope="col">SKU</th>
                {session.scope === "operator" ? <th scope="col">Vendor</th> : null}
                <th scope="col">Location</th>
                <th scope="col" class="num">
                  On hand
                </th>
                <th scope="col" class="num">
                  Reserved
                </th>
                <th scope="col" class="num">
                  Available
                </th>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Reorder point
                </th>
                <th scope="col">Changed</th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((r) => (
                <tr key={`${r.sku}@${r.locationId}`} data-sku={r.sku} data-location={r.locationId}>
                  <th scope="row">
                    <a href={href(["sku", r.sku])}>{r.sku}</a>
                  </th>
                  {session.scope === "operator" ? <td>{r.vendorId}</td> : null}
                  <td>{r.locationId}</td>
                  <td class="num" data-field="onHand">
                    {num(r.onHand)}
                  </td>
                  <td class="num">{num(r.reserved)}</td>
                  <td class="num">{num(r.available)}</td>
                  <td>
                    <Badge status={r.status} />
                  </td>
                  <td class="num">{num(r.reorderPoint)}</td>
                  <td>
                    <time dateTime={r.updatedAt} title={r.updatedAt}>
                      {ago(r.updatedAt)}
                    </time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      <nav class="pager" aria-label="Pages of the stock list">
        {cursor ? (
          <button type="button" class="secondary" onClick={() => history.back()}>
            Previous page
          </button>
        ) : null}
        {cursor ? (
          <a class="button secondary" href={href(["stock"], { ...applied, cursor: undefined })}>
            First page
          </a>
        ) : null}
        {page.data?.nextCursor ? (
          <a class="button secondary" href={href(["stock"], { ...applied, cursor: page.data.nextCursor })}>
            Next page
          </a>
        ) : null}
      </nav>
    </section>
  );
}
