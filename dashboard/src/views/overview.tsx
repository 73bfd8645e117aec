/**
 * Overview: stock health computed from what the API gives today, the stock list (one row per
 * SKU and location, from the inventory_levels projection): SKUs, in-stock rate, stockouts,
 * low stock, units, a breakdown per location and the latest changes; open alerts and sync
 * reviews (each up to one page of 500, "500+" past it); sync health from the job list (the last
 * completed job, failed jobs of the last 7 days); and the planning figures
 * from the analytics API (views/planning-kpis.tsx): health score and its components, turnover,
 * days of inventory, value, ABC counts, overstock.
 */
import { useState } from "preact/hooks";
import { call } from "../api";
import { ErrorNote, Kpi, Loading, PageTitle, Progress, TableWrap, useLoad, Badge } from "../components/ui";
import { PlanningKpis } from "./planning-kpis";
import { loadLocations, readLevels, OVERVIEW_ROW_CAP } from "../data";
import { ago, num, pct, words } from "../format";
import { href } from "../router";
import type { Session } from "../session";
import type { LevelRow, Location, Page, SyncJob, SyncReview } from "../types";

interface Summary {
  rows: number;
  complete: boolean;
  skus: number;
  skusInStock: number;
  skusOut: number;
  skusLow: number;
  rowsLow: number;
  rowsOut: number;
  onHand: number;
  available: number;
  reserved: number;
  perLocation: { id: string; name: string; skus: number; onHand: number; available: number; low: number; out: number }[];
  latest: LevelRow[];
  openReviews: number;
  moreReviews: boolean;
  /** Null: the alerts could not be read (the rest of the overview still shows). */
  alerts: { open: number; more: boolean; byKind: [string, number][] } | null;
  /** Null: the job list could not be read. */
  sync: SyncHealth | null;
}

/** Sync health from `GET /api/v2/sync`: the newest completed job, and the failed ones of the last FAILING_DAYS days. */
interface SyncHealth {
  lastCompleted: SyncJob | null;
  failing: number;
  moreFailing: boolean;
  lastFailed: SyncJob | null;
}

const FAILING_DAYS = 7;

async function loadSyncHealth(signal: AbortSignal): Promise<SyncHealth | null> {
  const since = new Date(Date.now() - FAILING_DAYS * 86_400_000).toISOString();
  try {
    const [completed, failed] = await Promise.all([
      call<Page<SyncJob>>("GET", "/api/v2/sync?status=completed&limit=1", { signal }),
      call<Page<SyncJob>>("GET", `/api/v2/sync?status=failed&limit=500&since=${encodeURIComponent(since)}`, { signal }),
    ]);
    return {
      lastCompleted: completed.items[0] ?? null,
      failing: failed.items.length,
      moreFailing: failed.nextCursor !== null,
      lastFailed: failed.items[0] ?? null,
    };
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    return null;
  }
}

type OpenAlerts = Page<{ kind: string }>;

function alertCounts(page: OpenAlerts | null): Summary["alerts"] {
  if (!page) return null;
  const byKind = new Map<string, number>();
  for (const a of page.items) byKind.set(a.kind, (byKind.get(a.kind) ?? 0) + 1);
  return { open: page.items.length, more: page.nextCursor !== null, byKind: [...byKind].sort((a, b) => b[1] - a[1]) };
}

function summarise(
  rows: LevelRow[],
  complete: boolean,
  locations: Location[],
  reviews: Page<SyncReview>,
  alerts: OpenAlerts | null,
  sync: SyncHealth | null,
): Summary {
  const bySku = new Map<string, { available: number; low: boolean; out: boolean }>();
  const byLocation = new Map<string, Summary["perLocation"][number]>();
  const names = new Map(locations.map((l) => [l.id, l.name]));
  let onHand = 0;
  let available = 0;
  let reserved = 0;
  let rowsLow = 0;
  let rowsOut = 0;
  for (const r of rows) {
    const sku = bySku.get(r.sku) ?? { available: 0, low: false, out: true };
    sku.available += r.available;
    if (r.status === "low_stock") sku.low = true;
    if (r.status !== "out_of_stock") sku.out = false;
    bySku.set(r.sku, sku);
    const loc = byLocation.get(r.locationId) ?? {
      id: r.locationId,
      name: names.get(r.locationId) ?? r.locationId,
      skus: 0,
      onHand: 0,
      available: 0,
      low: 0,
      out: 0,
    };
    loc.skus++;
    loc.onHand += r.onHand;
    loc.available += r.available;
    if (r.status === "low_stock") loc.low++;
    if (r.status === "out_of_stock") loc.out++;
    byLocation.set(r.locationId, loc);
    onHand += r.onHand;
    available += r.available;
    reserved += r.reserved;
    if (r.status === "low_stock") rowsLow++;
    if (r.status === "out_of_stock") rowsOut++;
  }
  const skus = [...bySku.values()];
  return {
    rows: rows.length,
    complete,
    skus: skus.length,
    skusInStock: skus.filter((s) => s.available > 0).length,
    skusOut: skus.filter((s) => s.available <= 0).length,
    skusLow: skus.filter((s) => s.low && s.available > 0).length,
    rowsLow,
    rowsOut,
    onHand,
    available,
    reserved,
    perLocation: [...byLocation.values()].sort((a, b) => b.onHand - a.onHand),
    latest: [...rows].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, 8),
    openReviews: reviews.items.length,
    moreReviews: reviews.nextCursor !== null,
    alerts: alertCounts(alerts),
    sync,
  };
}

export function OverviewPage({ session }: { session: Session }) {
  const [progress, setProgress] = useState(0);
  const summary = useLoad<Summary>(
    async (signal) => {
      setProgress(0);
      const [levels, locations, reviews, alerts, sync] = await Promise.all([
        readLevels({}, { signal, onProgress: setProgress }),
        loadLocations(),
        call<Page<SyncReview>>("GET", "/api/v2/sync/reviews?status=open&limit=500", { signal }),
        call<OpenAlerts>("GET", "/api/v2/alerts?status=open&limit=500", { signal }).catch(() => null),
        loadSyncHealth(signal),
      ]);
      return summarise(levels.rows, levels.complete, locations, reviews, alerts, sync);
    },
    [session.key],
  );
  const s = summary.data;
  const title = session.scope === "vendor" ? `Overview — ${session.vendorId}` : "Overview";
  return (
    <section>
      <PageTitle sub="Computed from the stock list (one row per SKU and location; it follows changes within about a second).">{title}</PageTitle>
      {summary.loading && !s ? (
        <>
          <Loading label="Reading the stock list…" />
          <Progress value={progress} label={`Stock rows read so far: ${num(progress)} (500 per page)`} />
        </>
      ) : null}
      {summary.error ? <ErrorNote error={summary.error} onRetry={summary.reload} /> : null}
      {s ? (
        <>
          <div class="toolbar">
            <button type="button" class="secondary" onClick={summary.reload} disabled={summary.loading}>
              {summary.loading ? "Refreshing…" : "Refresh"}
            </button>
            {!s.complete ? (
              <p class="state info" role="note">
                Partial: the first {num(OVERVIEW_ROW_CAP)} stock rows only. The planning figures below cover the whole catalogue.
              </p>
            ) : null}
          </div>
          {s.rows === 0 ? <p class="state empty">No stock yet: the list is empty{session.scope === "vendor" ? " for your SKUs" : ""}.</p> : null}
          <h2>Stock health</h2>
          <dl class="kpis">
            <Kpi label="SKUs with stock rows" value={num(s.skus)} note={`${num(s.rows)} SKU × location rows`} />
            <Kpi
              label="In-stock rate"
              value={pct(s.skusInStock, s.skus)}
              note={`${num(s.skusInStock)} SKUs available somewhere`}
              tone={s.skus && s.skusInStock / s.skus >= 0.95 ? "good" : "warn"}
            />
            <Kpi
              label="Stockouts"
              value={num(s.skusOut)}
              note={`SKUs with nothing available (${pct(s.skusOut, s.skus)})`}
              tone={s.skusOut > 0 ? "bad" : "good"}
            />
            <Kpi
              label="Low stock"
              value={num(s.skusLow)}
              note={`SKUs low somewhere; ${num(s.rowsLow)} location rows at or below the reorder point`}
              tone={s.skusLow > 0 ? "warn" : "good"}
            />
            <Kpi label="Units on hand" value={num(s.onHand)} note={`${num(s.available)} available, ${num(s.reserved)} reserved`} />
            <Kpi
              label="Open sync reviews"
              value={
                <a href={href(["reviews"])}>
                  {num(s.openReviews)}
                  {s.moreReviews ? "+" : ""}
                </a>
              }
              note="feed values waiting for a decision"
              tone={s.openReviews > 0 ? "warn" : "good"}
            />
            <Kpi
              label="Last successful sync"
              value={
                s.sync === null ? (
                  "—"
                ) : s.sync.lastCompleted ? (
                  <a href={href(["sync", s.sync.lastCompleted.jobId])} data-testid="last-sync">
                    {ago(s.sync.lastCompleted.completedAt)}
                  </a>
                ) : (
                  "none yet"
                )
              }
              note={
                s.sync === null
                  ? "the sync jobs could not be read; see Sync jobs"
                  : s.sync.lastCompleted
                    ? `${num(s.sync.lastCompleted.counts.applied)} applied, vendor ${s.sync.lastCompleted.vendorId}`
                    : "no job has completed without errors"
              }
              tone={s.sync === null ? "none" : s.sync.lastCompleted ? "good" : "warn"}
            />
            <Kpi
              label="Failed sync jobs"
              value={
                s.sync ? (
                  <a href={href(["sync"], { status: "failed", sinceDays: FAILING_DAYS })} data-testid="failed-syncs">
                    {num(s.sync.failing)}
                    {s.sync.moreFailing ? "+" : ""}
                  </a>
                ) : (
                  "—"
                )
              }
              note={
                s.sync === null
                  ? "the sync jobs could not be read"
                  : s.sync.lastFailed
                    ? `in the last ${FAILING_DAYS} days; the latest ${ago(s.sync.lastFailed.completedAt ?? s.sync.lastFailed.createdAt)}`
                    : `none in the last ${FAILING_DAYS} days`
              }
              tone={s.sync === null ? "none" : s.sync.failing > 0 ? "bad" : "good"}
            />
            <Kpi
              label="Open alerts"
              value={
                s.alerts ? (
                  <a href={href(["alerts"])} data-testid="open-alerts">
                    {num(s.alerts.open)}
                    {s.alerts.more ? "+" : ""}
                  </a>
                ) : (
                  "—"
                )
              }
              note={
                s.alerts
                  ? s.alerts.byKind.length > 0
                    ? s.alerts.byKind.map(([kind, n]) => `${num(n)} ${words(kind)}`).join(", ")
                    : "none open"
                  : "the alerts could not be read; see Alerts"
              }
              tone={s.alerts === null ? "none" : s.alerts.open > 0 ? "warn" : "good"}
            />
          </dl>
          <PlanningKpis session={session} />
          <h2>By location</h2>
          <TableWrap label="Stock by location">
            <table>
              <caption class="sr-only">Units and stock status per location</caption>
              <thead>
                <tr>
                  <th scope="col">Location</th>
                  <th scope="col" class="num">
                    SKUs
                  </th>
                  <th scope="col" class="num">
                    On hand
                  </th>
                  <th scope="col" class="num">
                    Available
                  </th>
                  <th scope="col" class="num">
                    Low
                  </th>
                  <th scope="col" class="num">
                    Out
                  </th>
                </tr>
              </thead>
              <tbody>
                {s.perLocation.map((l) => (
                  <tr key={l.id}>
                    <th scope="row">
                      <a href={href(["stock"], { locationId: l.id })}>{l.name}</a>
                    </th>
                    <td class="num">{num(l.skus)}</td>
                    <td class="num">{num(l.onHand)}</td>
                    <td class="num">{num(l.available)}</td>
                    <td class="num">{num(l.low)}</td>
                    <td class="num">{num(l.out)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          <h2>Latest changes</h2>
          <TableWrap label="Latest stock changes">
            <table>
              <thead>
                <tr>
                  <th scope="col">SKU</th>
                  <th scope="col">Location</th>
                  <th scope="col" class="num">
                    On hand
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col">Changed</th>
                </tr>
              </thead>
              <tbody>
                {s.latest.map((r) => (
                  <tr key={`${r.sku}@${r.locationId}`}>
                    <th scope="row">
                      <a href={href(["sku", r.sku])}>{r.sku}</a>
                    </th>
                    <td>{r.locationId}</td>
                    <td class="num">{num(r.onHand)}</td>
                    <td>
                      <Badge status={r.status} />
                    </td>
                    <td>
                      <time dateTime={r.updatedAt}>{ago(r.updatedAt)}</time>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </>
      ) : null}
    </section>
  );
}
