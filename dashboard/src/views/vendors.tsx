/**
 * Vendors: the list (`GET /api/v2/vendors`, operators, searched by a part of the name or id)
 * and a vendor's page — its sync health (`GET …/{vendorId}/sync-health`: the last successful
 * sync, stale or not, failures in a row per method, the pull's state), its sync settings
 * (`GET`/`PUT …/sync-settings`, operators or the vendor itself; the pull's secret only as the
 * API's masked hint) and, for operators, its planning settings (`…/planning-settings`:
 * whether the purchase orders the nightly run drafts for it are submitted at once).
 * A vendor key opens its own page from the nav ("Sync settings").
 */
import { useState } from "preact/hooks";
import { ApiFailure, call, qs } from "../api";
import { Badge, Empty, ErrorNote, Kpi, Loading, PageTitle, Pager, TableWrap, useLoad } from "../components/ui";
import { ago, num, when, words } from "../format";
import { href, navigate } from "../router";
import type { Session } from "../session";
import type { Page } from "../types";
import type { Vendor, VendorPlanningSettings, VendorSyncHealth, VendorSyncSettingsAnswer } from "../vendor-types";
import { SyncSettingsForm } from "./sync-settings-form";

export function VendorsPage({ query }: { query: URLSearchParams }) {
  const q = query.get("q") ?? "";
  const [text, setText] = useState(q);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const list = useLoad<Page<Vendor>>((signal) => call("GET", `/api/v2/vendors${qs({ q, cursor, limit: 50 })}`, { signal }), [q, cursor]);
  const items = list.data?.items ?? [];
  return (
    <section>
      <PageTitle sub="Vendor accounts; open one for its sync settings, sync health and planning settings.">Vendors</PageTitle>
      <form
        class="filters"
        aria-label="Vendor search"
        onSubmit={(e) => {
          e.preventDefault();
          setCursors([]);
          navigate(href(["vendors"], { q: text.trim() }));
        }}
      >
        <div class="field">
          <label for="vendor-q">Name or id contains</label>
          <input id="vendor-q" value={text} autocomplete="off" spellcheck={false} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </div>
        <button type="submit">Search</button>
      </form>
      {list.loading && !list.data ? <Loading label="Loading vendors…" /> : null}
      {list.error ? <ErrorNote error={list.error} onRetry={list.reload} /> : null}
      {list.data && items.length === 0 ? <Empty>No vendor{q ? ` matches “${q}”` : "s yet"}.</Empty> : null}
      {items.length > 0 ? (
        <TableWrap label="Vendors">
          <table class="vendors-table" aria-busy={list.loading ? "true" : "false"}>
            <thead>
              <tr>
                <th scope="col">Vendor</th>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {items.map((v) => (
                <tr key={v.id} data-vendor={v.id}>
                  <th scope="row">
                    <a href={href(["vendors", v.id])}>{v.id}</a>
                  </th>
                  <td>{v.name}</td>
                  <td>
                    <Badge status={v.status} />
                  </td>
                  <td>{when(v.createdAt)}</td>
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

export function VendorPage({ session, vendorId }: { session: Session; vendorId: string }) {
  const operator = session.scope === "operator";
  const own = session.scope === "vendor" && session.vendorId === vendorId;
  const vendor = useLoad<Vendor | null>(
    (signal) => (operator ? call<Vendor>("GET", `/api/v2/vendors/${encodeURIComponent(vendorId)}`, { signal }) : Promise.resolve(null)),
    [vendorId],
  );
  return (
    <section>
      <PageTitle sub={own ? "How your stock reaches the marketplace, and how its syncs are going." : vendor.data ? vendor.data.name : undefined}>
        {own ? "My sync settings" : `Vendor ${vendorId}`}
      </PageTitle>
      {operator ? (
        <p class="small">
          <a href={href(["vendors"])}>All vendors</a> · <a href={href(["sync"], { vendorId })}>its sync jobs</a>
        </p>
      ) : (
        <p class="small">
          <a href={href(["sync"])}>My sync jobs</a> · <a href={href(["upload"])}>Upload stock</a>
        </p>
      )}
      {vendor.error ? <ErrorNote error={vendor.error} onRetry={vendor.reload} /> : null}
      <SyncHealthSection vendorId={vendorId} />
      <SyncSettingsSection vendorId={vendorId} />
      {operator ? <PlanningSection vendorId={vendorId} /> : null}
    </section>
  );
}

/** The most failures in a row of any method. */
const worstStreak = (h: VendorSyncHealth) => h.methods.reduce((m, x) => Math.max(m, x.consecutiveFailures), 0);

function SyncHealthSection({ vendorId }: { vendorId: string }) {
  const health = useLoad<VendorSyncHealth>((signal) => call("GET", `/api/v2/vendors/${encodeURIComponent(vendorId)}/sync-health`, { signal }), [vendorId]);
  const h = health.data;
  return (
    <section aria-labelledby="health-title" class="sync-health" data-stale={h ? String(h.stale) : undefined}>
      <div class="toolbar">
        <h2 id="health-title">Sync health</h2>
        {h ? (
          <span data-testid="health-badge">
            <Badge status={h.stale ? "stale" : h.failing ? "failing" : "fresh"} />
          </span>
        ) : null}
        <button type="button" class="secondary" onClick={health.reload} disabled={health.loading}>
          {health.loading ? "Loading…" : "Refresh health"}
        </button>
      </div>
      {health.loading && !h ? <Loading label="Loading sync health…" /> : null}
      {health.error ? <ErrorNote error={health.error} onRetry={health.reload} /> : null}
      {h ? (
        <>
          <dl class="kpis">
            <Kpi
              label="Last successful sync"
              value={
                h.lastSuccessAt ? (
                  <time dateTime={h.lastSuccessAt} title={when(h.lastSuccessAt)} data-testid="health-last-success">
                    {ago(h.lastSuccessAt, Date.parse(h.checkedAt))}
                  </time>
                ) : (
                  "none yet"
                )
              }
              note={h.lastSuccessAt ? when(h.lastSuccessAt) : "no sync has succeeded"}
              tone={h.stale ? "bad" : "good"}
            />
            <Kpi
              label="Stale"
              value={h.stale ? "yes" : "no"}
              note={`after ${num(h.staleAfterMinutes)} minutes without a successful sync`}
              tone={h.stale ? "bad" : "good"}
            />
            <Kpi
              label="Failures in a row"
              value={<span data-testid="health-failures">{num(worstStreak(h))}</span>}
              note={`an alert (sync.failed) after ${num(h.failureAlertAfter)}`}
              tone={h.failing ? "bad" : "good"}
            />
          </dl>
          {h.methods.length === 0 ? (
            <Empty>No sync attempt recorded yet.</Empty>
          ) : (
            <TableWrap label="Sync health by method">
              <table class="health-table">
                <thead>
                  <tr>
                    <th scope="col">Method</th>
                    <th scope="col">Last success</th>
                    <th scope="col">Last attempt</th>
                    <th scope="col">Last failure</th>
                    <th scope="col" class="num">
                      Failures in a row
                    </th>
                    <th scope="col">Last error</th>
                    <th scope="col">Last job</th>
                  </tr>
                </thead>
                <tbody>
                  {h.methods.map((m) => (
                    <tr key={m.method} data-method={m.method} data-failing={String(m.failing)}>
                      <th scope="row">
                        {words(m.method)} {m.failing ? <Badge status="failing" /> : null}
                      </th>
                      <td>{m.lastSuccessAt ? <time dateTime={m.lastSuccessAt}>{when(m.lastSuccessAt)}</time> : "never"}</td>
                      <td>{when(m.lastAttemptAt)}</td>
                      <td>{m.lastFailureAt ? when(m.lastFailureAt) : "none"}</td>
                      <td class="num">{num(m.consecutiveFailures)}</td>
                      <td class="small">{m.lastError ?? "—"}</td>
                      <td>{m.lastJobId ? <a href={href(["sync", m.lastJobId])}>{m.lastJobId}</a> : "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
          {h.pull ? (
            <p class="small">
              Pull: {h.pull.enabled === false ? "paused" : `next ${when(h.pull.nextPullAt)}`}; last {when(h.pull.lastPullAt)}
              {h.pull.lastOutcome ? ` (${words(h.pull.lastOutcome)}${h.pull.lastStatus ? `, HTTP ${h.pull.lastStatus}` : ""})` : ""}
              {h.pull.lastError ? `: ${h.pull.lastError}` : ""}
            </p>
          ) : null}
          <p class="muted small">Checked {when(h.checkedAt)}.</p>
        </>
      ) : null}
    </section>
  );
}

function SyncSettingsSection({ vendorId }: { vendorId: string }) {
  // 404 sync_settings_not_found is not an error here: the vendor has none yet (null).
  const settings = useLoad<VendorSyncSettingsAnswer | null>(
    (signal) =>
      call<VendorSyncSettingsAnswer>("GET", `/api/v2/vendors/${encodeURIComponent(vendorId)}/sync-settings`, { signal }).catch((err: unknown) => {
        if (err instanceof ApiFailure && err.code === "sync_settings_not_found") return null;
        throw err;
      }),
    [vendorId],
  );
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [fresh, setFresh] = useState<VendorSyncSettingsAnswer | null | undefined>(undefined);
  const answer = fresh !== undefined ? fresh : settings.data;
  const s = answer?.settings ?? null;
  return (
    <section aria-labelledby="settings-title" class="sync-settings">
      <h2 id="settings-title">Sync settings</h2>
      {settings.loading && answer === undefined ? <Loading label="Loading sync settings…" /> : null}
      {settings.error ? <ErrorNote error={settings.error} onRetry={settings.reload} /> : null}
      {saved ? (
        <p class="state success" role="status">
          {saved}
        </p>
      ) : null}
      {answer === null ? (
        <Empty>
          No sync settings saved yet: uploads are read with the format detected from their header, and health uses the standard schedule's rule (stale after 90
          minutes).
        </Empty>
      ) : null}
      {answer && !s ? <p class="state error">The stored settings no longer validate; save new ones.</p> : null}
      {answer && s ? (
        <dl class="settings-list" data-testid="sync-settings" data-version={answer.version}>
          <div>
            <dt>Sync</dt>
            <dd>{s.enabled ? "on" : "paused"}</dd>
          </div>
          <div>
            <dt>Method</dt>
            <dd data-field="method">{words(s.method)}</dd>
          </div>
          <div>
            <dt>Schedule</dt>
            <dd data-field="schedule">
              {words(s.tier)}: every {num(answer.intervalMinutes)} minutes
            </dd>
          </div>
          <div>
            <dt>Format</dt>
            <dd data-field="format">
              {s.format}
              {s.format === "shopify" || s.format === "auto" ? ` (Shopify column ${words(s.shopifyColumn)})` : ""}
            </dd>
          </div>
          {s.mapping ? (
            <div>
              <dt>Column map</dt>
              <dd data-field="mapping">
                SKU “{s.mapping.sku}”, quantity “{s.mapping.quantity}” ({words(s.mapping.quantityKind)}),{" "}
                {s.mapping.location ? `location “${s.mapping.location}”` : `every row at ${s.mapping.fixedLocationId}`}
              </dd>
            </div>
          ) : null}
          <div>
            <dt>Location names</dt>
            <dd data-field="locationNames">
              {Object.keys(s.locationNames).length === 0
                ? "none"
                : Object.entries(s.locationNames)
                    .map(([name, id]) => `${name} → ${id}`)
                    .join("; ")}
            </dd>
          </div>
          {s.method === "pull_url" ? (
            <>
              <div>
                <dt>Pull URL</dt>
                <dd data-field="pullUrl">
                  <code>{s.pullUrl}</code>
                </dd>
              </div>
              <div>
                <dt>Auth header</dt>
                <dd data-field="pullAuth">
                  {answer.pullAuth ? (
                    <>
                      <code>{answer.pullAuth.header}</code> <code>{answer.pullAuth.hint}</code>
                    </>
                  ) : (
                    "none"
                  )}
                </dd>
              </div>
            </>
          ) : null}
          <div>
            <dt>Stale after</dt>
            <dd data-field="staleAfter">
              {num(answer.staleAfterMinutes)} minutes{s.health.staleAfterMinutes === undefined ? " (three intervals)" : ""}; an alert after{" "}
              {num(s.health.failureAlertAfter)} failures in a row
            </dd>
          </div>
          <div>
            <dt>Changed</dt>
            <dd>
              {when(answer.updatedAt)} by {answer.updatedBy ?? "—"} (version {num(answer.version)})
            </dd>
          </div>
        </dl>
      ) : null}
      {answer !== undefined ? (
        <button type="button" class="secondary" aria-expanded={editing} aria-controls="sync-settings-edit" onClick={() => setEditing(!editing)}>
          {answer === null ? "Set up sync" : "Edit sync settings"}
        </button>
      ) : null}
      {editing && answer !== undefined ? (
        <div id="sync-settings-edit">
          <SyncSettingsForm
            key={answer?.version ?? 0}
            vendorId={vendorId}
            stored={answer}
            onCancel={() => setEditing(false)}
            onSaved={(next, created) => {
              setFresh(next);
              setEditing(false);
              setSaved(`${created ? "Created" : "Saved"} the sync settings of ${next.vendorId} (version ${num(next.version)}).`);
            }}
          />
        </div>
      ) : null}
    </section>
  );
}

function PlanningSection({ vendorId }: { vendorId: string }) {
  const stored = useLoad<VendorPlanningSettings>(
    (signal) => call("GET", `/api/v2/vendors/${encodeURIComponent(vendorId)}/planning-settings`, { signal }),
    [vendorId],
  );
  const [choice, setChoice] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ saved?: VendorPlanningSettings; error?: unknown } | null>(null);
  const current = result?.saved ?? stored.data;
  const value = choice ?? current?.autoSubmitPurchaseOrders ?? false;
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setResult(null);
    try {
      const saved = await call<VendorPlanningSettings>("PUT", `/api/v2/vendors/${encodeURIComponent(vendorId)}/planning-settings`, {
        body: { autoSubmitPurchaseOrders: value },
      });
      setChoice(null);
      setResult({ saved });
    } catch (error) {
      setResult({ error });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="vendor-planning-title">
      <h2 id="vendor-planning-title">Planning</h2>
      {stored.loading && !current ? <Loading label="Loading planning settings…" /> : null}
      {stored.error ? <ErrorNote error={stored.error} onRetry={stored.reload} /> : null}
      {current ? (
        <form class="card" onSubmit={save} aria-labelledby="vendor-planning-title">
          <div class="field check">
            <input id="vp-auto-submit" type="checkbox" checked={value} onChange={(e) => setChoice((e.target as HTMLInputElement).checked)} />
            <label for="vp-auto-submit">Submit the purchase orders the nightly run drafts for {vendorId} at once</label>
          </div>
          <p class="muted small">
            Off (the default): they wait as drafts for an operator's approval. Now {current.autoSubmitPurchaseOrders ? "on" : "off"}
            {current.updatedAt ? `, set ${when(current.updatedAt)} by ${current.updatedBy ?? "—"}` : ", never changed"}.
          </p>
          <button type="submit" disabled={busy || value === current.autoSubmitPurchaseOrders}>
            {busy ? "Saving…" : "Save planning setting"}
          </button>
          {result?.saved ? (
            <p class="state success" role="status">
              Saved: purchase orders drafted for {result.saved.vendorId} are {result.saved.autoSubmitPurchaseOrders ? "submitted at once" : "left for approval"}
              .
            </p>
          ) : null}
          {result?.error ? <ErrorNote error={result.error} /> : null}
        </form>
      ) : null}
    </section>
  );
}
