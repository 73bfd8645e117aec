/**
 * API keys: the list (`GET /api/v2/api-keys`: name, scope, vendor, created, revoked — never
 * the key or its hash), revocation (`POST …/{id}/revoke`, after a confirmation in the row) and,
 * issuing a key (shown once; only its SHA-256 is stored). Operators only: vendor keys list and
 * revoke their own vendor's keys through the API; the dashboard offers them no keys view.
 */
import { useState } from "preact/hooks";
import { call, qs } from "../api";
import { Badge, Empty, ErrorNote, Loading, PageTitle, Pager, TableWrap, useLoad } from "../components/ui";
import { when } from "../format";
import type { ApiKeyInfo, Page } from "../types";

/** The keys, a page at a time, each with a revoke button that asks once more in its row. */
function KeyList({ refresh }: { refresh: number }) {
  const [status, setStatus] = useState("active");
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const [confirming, setConfirming] = useState<string | null>(null);
  const [action, setAction] = useState<{ busy: boolean; done?: ApiKeyInfo; error?: unknown }>({ busy: false });
  const list = useLoad<Page<ApiKeyInfo>>(
    (signal) => call("GET", `/api/v2/api-keys${qs({ status, cursor, limit: 50 })}`, { signal }),
    [status, cursor, refresh],
  );
  const revoke = async (key: ApiKeyInfo) => {
    setAction({ busy: true });
    try {
      const done = await call<ApiKeyInfo>("POST", `/api/v2/api-keys/${encodeURIComponent(key.id)}/revoke`);
      setAction({ busy: false, done });
      setConfirming(null);
      list.reload();
    } catch (error) {
      setAction({ busy: false, error });
    }
  };
  const items = list.data?.items ?? [];
  return (
    <>
      <h2>Keys</h2>
      <form class="filters" aria-label="Key filters" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="keys-status">Show</label>
          <select
            id="keys-status"
            value={status}
            onChange={(e) => {
              setCursors([]);
              setStatus((e.target as HTMLSelectElement).value);
            }}
          >
            <option value="active">active keys</option>
            <option value="revoked">revoked keys</option>
            <option value="">all keys</option>
          </select>
        </div>
        <button type="button" class="secondary" onClick={list.reload} disabled={list.loading}>
          {list.loading ? "Loading…" : "Refresh"}
        </button>
      </form>
      <p class="muted small">
        A revoked key is refused at once by the server that revoked it and by every other within 30 seconds (how long a server trusts a key it has checked).
        Revoking the key you are signed in with signs this tab out.
      </p>
      {action.done ? (
        <p class="state success" role="status">
          Revoked: {action.done.name} (<code>{action.done.id}</code>).
        </p>
      ) : null}
      {action.error ? <ErrorNote error={action.error} /> : null}
      {list.loading && !list.data ? <Loading label="Loading keys…" /> : null}
      {list.error ? <ErrorNote error={list.error} onRetry={list.reload} /> : null}
      {list.data && items.length === 0 ? <Empty>No {status ? `${status} ` : ""}keys.</Empty> : null}
      {items.length > 0 ? (
        <TableWrap label="API keys">
          <table class="keys-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Id</th>
                <th scope="col">Scope</th>
                <th scope="col">Vendor or channel</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((k) => (
                <tr key={k.id} data-key={k.id}>
                  <th scope="row">{k.name}</th>
                  <td>
                    <code>{k.id}</code>
                  </td>
                  <td>{k.scope}</td>
                  <td>{k.vendorId ?? k.channel ?? "—"}</td>
                  <td>{when(k.createdAt)}</td>
                  <td>
                    <Badge status={k.status} />
                    {k.revokedAt ? <span class="muted small"> {when(k.revokedAt)}</span> : null}
                  </td>
                  <td>
                    {k.status === "revoked" ? null : confirming === k.id ? (
                      <span>
                        <button type="button" class="danger" disabled={action.busy} onClick={() => revoke(k)}>
                          {action.busy ? "Revoking…" : `Revoke ${k.name} now`}
                        </button>{" "}
                        <button type="button" class="secondary" onClick={() => setConfirming(null)}>
                          Keep it
                        </button>
                      </span>
                    ) : (
                      <button
                        type="button"
                        class="secondary"
                        aria-label={`Revoke ${k.name} (${k.id})`}
                        onClick={() => {
                          setAction({ busy: false });
                          setConfirming(k.id);
                        }}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      <Pager cursors={cursors} setCursors={setCursors} nextCursor={list.data?.nextCursor} />
    </>
  );
}

interface Issued {
  id: string;
  key: string;
  name: string;
  scope: string;
  vendorId: string | null;
  channel?: string | null;
}

export function ApiKeysPage() {
  const [refresh, setRefresh] = useState(0);
  return (
    <section>
      <PageTitle sub="Every key: who it is for and whether it still works. Issue a key (shown once), or revoke one.">API keys</PageTitle>
      <IssueKey onIssued={() => setRefresh((n) => n + 1)} />
      <KeyList refresh={refresh} />
    </section>
  );
}

/** Issue a key (operators); the key is shown once. */
function IssueKey({ onIssued }: { onIssued: () => void }) {
  const [form, setForm] = useState({ name: "", scope: "vendor", vendorId: "", channel: "" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [issued, setIssued] = useState<Issued | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setIssued(null);
    try {
      setIssued(
        await call<Issued>("POST", "/api/v2/api-keys", {
          body: {
            name: form.name.trim(),
            scope: form.scope,
            ...(form.scope === "vendor" ? { vendorId: form.vendorId.trim() } : {}),
            ...(form.scope === "checkout" && form.channel.trim() ? { channel: form.channel.trim() } : {}),
          },
        }),
      );
      onIssued();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <form class="card form-grid" onSubmit={submit} aria-label="Issue an API key">
        <div class="field">
          <label for="k-name">Name</label>
          <input
            id="k-name"
            required
            maxLength={100}
            value={form.name}
            onInput={(e) => setForm({ ...form, name: (e.target as HTMLInputElement).value })}
            placeholder="Acme ERP"
          />
        </div>
        <div class="field">
          <label for="k-scope">Scope</label>
          <select id="k-scope" value={form.scope} onChange={(e) => setForm({ ...form, scope: (e.target as HTMLSelectElement).value })}>
            <option value="vendor">vendor (one vendor's SKUs)</option>
            <option value="checkout">checkout (reservations)</option>
            <option value="operator">operator (everything)</option>
          </select>
        </div>
        {form.scope === "vendor" ? (
          <div class="field">
            <label for="k-vendor">Vendor id</label>
            <input
              id="k-vendor"
              required
              value={form.vendorId}
              onInput={(e) => setForm({ ...form, vendorId: (e.target as HTMLInputElement).value })}
              placeholder="V-ACME"
            />
          </div>
        ) : null}
        {form.scope === "checkout" ? (
          <div class="field">
            <label for="k-channel">Storefront channel (optional)</label>
            <input
              id="k-channel"
              value={form.channel}
              onInput={(e) => setForm({ ...form, channel: (e.target as HTMLInputElement).value })}
              placeholder="web-eu"
            />
          </div>
        ) : null}
        <div class="field actions">
          <button type="submit" disabled={busy}>
            {busy ? "Issuing…" : "Issue key"}
          </button>
        </div>
      </form>
      {error ? <ErrorNote error={error} /> : null}
      {issued ? (
        <div class="state success" role="status">
          <p>
            <strong>Key issued</strong> for {issued.name} ({issued.scope}
            {issued.vendorId ? `, ${issued.vendorId}` : ""}). Copy it now: it is shown only this once.
          </p>
          <label for="issued-key">The new key</label>
          <input id="issued-key" readOnly value={issued.key} onFocus={(e) => (e.target as HTMLInputElement).select()} class="secret" />
        </div>
      ) : null}
    </>
  );
}
