/**
 * Webhooks: subscriptions (operators: any, vendors: their own), creating one (its signing
 * secret is shown once), and per subscription the delivery log, a test send, secret
 * rotation, re-enabling and deletion.
 */
import { useState } from "preact/hooks";
import { call, qs } from "../api";
import { Badge, Empty, ErrorNote, Loading, PageTitle, TableWrap, useLoad } from "../components/ui";
import { num, when, words } from "../format";
import { href, navigate } from "../router";
import type { Session } from "../session";
import type { Delivery, Page, Webhook } from "../types";

const EVENT_TYPES = [
  "inventory.updated",
  "inventory.low_stock",
  "inventory.out_of_stock",
  "inventory.back_in_stock",
  "reservation.created",
  "reservation.released",
  "reservation.expired",
  "reservation.fulfilled",
  "sync.conflict",
  "sync.completed",
];

function SecretOnce({ secret, what }: { secret: string; what: string }) {
  return (
    <div class="state success" role="status">
      <p>
        <strong>{what}</strong> Copy the signing secret now: it is shown only this once.
      </p>
      <label for="wh-secret">Signing secret</label>
      <input id="wh-secret" class="secret" readOnly value={secret} onFocus={(e) => (e.target as HTMLInputElement).select()} />
    </div>
  );
}

export function WebhooksPage({ session }: { session: Session }) {
  const list = useLoad<Page<Webhook>>((signal) => call("GET", "/api/v2/webhooks?limit=100", { signal }), []);
  const [form, setForm] = useState({ url: "", description: "", vendorId: "", eventTypes: new Set<string>(["inventory.low_stock", "inventory.out_of_stock"]) });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<(Webhook & { secret: string }) | null>(null);
  const toggle = (t: string) => {
    const next = new Set(form.eventTypes);
    if (next.has(t)) next.delete(t);
    else next.add(t);
    setForm({ ...form, eventTypes: next });
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setCreated(null);
    try {
      const body = {
        url: form.url.trim(),
        eventTypes: EVENT_TYPES.filter((t) => form.eventTypes.has(t)),
        ...(form.description.trim() ? { description: form.description.trim() } : {}),
        ...(session.scope === "operator" && form.vendorId.trim() ? { vendorId: form.vendorId.trim() } : {}),
      };
      setCreated(await call("POST", "/api/v2/webhooks", { body }));
      setForm({ ...form, url: "", description: "" });
      list.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <PageTitle sub="Signed POSTs to your URL when events happen; retried with backoff; disabled after 10 failed deliveries in a row.">Webhooks</PageTitle>
      {list.loading && !list.data ? <Loading label="Loading subscriptions…" /> : null}
      {list.error ? <ErrorNote error={list.error} onRetry={list.reload} /> : null}
      {list.data && list.data.items.length === 0 ? <Empty>No subscriptions yet.</Empty> : null}
      {list.data && list.data.items.length > 0 ? (
        <TableWrap label="Webhook subscriptions">
          <table>
            <thead>
              <tr>
                <th scope="col">URL</th>
                {session.scope === "operator" ? <th scope="col">Vendor</th> : null}
                <th scope="col">Events</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((w) => (
                <tr key={w.id}>
                  <th scope="row">
                    <a href={href(["webhooks", w.id])}>{w.description ?? w.url}</a>
                    {w.description ? <div class="muted small">{w.url}</div> : null}
                  </th>
                  {session.scope === "operator" ? <td>{w.vendorId ?? "all vendors"}</td> : null}
                  <td class="small">{w.eventTypes.join(", ")}</td>
                  <td>
                    <Badge status={w.status} />
                    {w.consecutiveFailures > 0 ? <span class="muted small"> {num(w.consecutiveFailures)} failures in a row</span> : null}
                  </td>
                  <td>{when(w.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      <h2 id="new-webhook">New subscription</h2>
      <form class="card form-grid" onSubmit={submit} aria-labelledby="new-webhook">
        <div class="field field-wide">
          <label for="wh-url">URL</label>
          <input
            id="wh-url"
            type="url"
            required
            value={form.url}
            onInput={(e) => setForm({ ...form, url: (e.target as HTMLInputElement).value })}
            placeholder="https://erp.example.com/hooks/inventory"
          />
        </div>
        <div class="field">
          <label for="wh-desc">Description (optional)</label>
          <input
            id="wh-desc"
            maxLength={200}
            value={form.description}
            onInput={(e) => setForm({ ...form, description: (e.target as HTMLInputElement).value })}
          />
        </div>
        {session.scope === "operator" ? (
          <div class="field">
            <label for="wh-vendor">Vendor id (empty: every vendor's events)</label>
            <input id="wh-vendor" value={form.vendorId} onInput={(e) => setForm({ ...form, vendorId: (e.target as HTMLInputElement).value })} />
          </div>
        ) : null}
        <fieldset class="field field-wide">
          <legend>Events</legend>
          <div class="checks">
            {EVENT_TYPES.map((t) => (
              <label key={t} class="inline">
                <input type="checkbox" checked={form.eventTypes.has(t)} onChange={() => toggle(t)} /> {t}
              </label>
            ))}
          </div>
        </fieldset>
        <div class="field actions">
          <button type="submit" disabled={busy || form.eventTypes.size === 0}>
            {busy ? "Creating…" : "Create subscription"}
          </button>
        </div>
      </form>
      {error ? <ErrorNote error={error} /> : null}
      {created ? <SecretOnce secret={created.secret} what={`Subscription created for ${created.url}.`} /> : null}
    </section>
  );
}

export function WebhookPage({ session, id }: { session: Session; id: string }) {
  const sub = useLoad<Webhook>((signal) => call("GET", `/api/v2/webhooks/${id}`, { signal }), [id]);
  const [status, setStatus] = useState("");
  const deliveries = useLoad<Page<Delivery>>(
    (signal) => call("GET", `/api/v2/webhooks/${id}/deliveries${qs({ limit: 50, status })}`, { signal }),
    [id, status],
  );
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const act = async (what: "test" | "rotate" | "enable" | "delete") => {
    if (what === "delete" && !window.confirm("Delete this subscription? Nothing more is delivered to it.")) return;
    setBusy(what);
    setError(null);
    setMessage(null);
    setSecret(null);
    try {
      if (what === "test") {
        await call("POST", `/api/v2/webhooks/${id}/test`);
        setMessage("A webhook.test event is on its way; it shows below as pending, then delivered or failed.");
        setTimeout(deliveries.reload, 1500);
        deliveries.reload();
      } else if (what === "rotate") {
        const answer = await call<{ secret: string }>("POST", `/api/v2/webhooks/${id}/rotate-secret`);
        setSecret(answer.secret);
      } else if (what === "enable") {
        await call("POST", `/api/v2/webhooks/${id}/enable`);
        setMessage("Re-enabled.");
        sub.reload();
      } else {
        await call("DELETE", `/api/v2/webhooks/${id}`);
        navigate(href(["webhooks"]));
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const w = sub.data;
  return (
    <section>
      <PageTitle sub={w ? `${w.url} · ${w.vendorId ? `vendor ${w.vendorId}` : "all vendors"}` : undefined}>
        {w?.description ?? "Webhook subscription"}
      </PageTitle>
      {sub.error ? <ErrorNote error={sub.error} /> : null}
      {!w && sub.loading ? <Loading /> : null}
      {w ? (
        <>
          <p>
            <Badge status={w.status} /> {w.disabledReason ? <span class="muted">{w.disabledReason}</span> : null} · events: {w.eventTypes.join(", ")}
            {w.secretRotatedAt ? ` · secret rotated ${when(w.secretRotatedAt)}` : ""}
          </p>
          <div class="toolbar">
            <button type="button" onClick={() => act("test")} disabled={busy !== null || w.status !== "active"}>
              {busy === "test" ? "Sending…" : "Send a test event"}
            </button>
            <button type="button" class="secondary" onClick={() => act("rotate")} disabled={busy !== null}>
              {busy === "rotate" ? "Rotating…" : "Rotate secret"}
            </button>
            {w.status === "disabled" ? (
              <button type="button" class="secondary" onClick={() => act("enable")} disabled={busy !== null}>
                Re-enable
              </button>
            ) : null}
            <button type="button" class="danger" onClick={() => act("delete")} disabled={busy !== null}>
              Delete
            </button>
          </div>
          {message ? (
            <p class="state success" role="status">
              {message}
            </p>
          ) : null}
          {secret ? <SecretOnce secret={secret} what="New secret: every delivery from now on (retries too) is signed with it." /> : null}
          {error ? <ErrorNote error={error} /> : null}
          <h2>Deliveries</h2>
          <div class="toolbar">
            <label for="d-status">Show</label>
            <select id="d-status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
              <option value="">all</option>
              <option value="pending">pending</option>
              <option value="delivered">delivered</option>
              <option value="failed">failed</option>
            </select>
            <button type="button" class="secondary" onClick={deliveries.reload}>
              Refresh
            </button>
          </div>
          {deliveries.error ? <ErrorNote error={deliveries.error} onRetry={deliveries.reload} /> : null}
          {deliveries.data && deliveries.data.items.length === 0 ? <Empty>No deliveries{status ? ` ${status}` : ""}.</Empty> : null}
          {deliveries.data && deliveries.data.items.length > 0 ? (
            <TableWrap label="Deliveries, newest first">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">SKU</th>
                    <th scope="col">State</th>
                    <th scope="col" class="num">
                      Attempts
                    </th>
                    <th scope="col">Last problem</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {deliveries.data.items.map((d) => (
                    <tr key={d.id}>
                      <td>{d.eventType}</td>
                      <td>{d.sku ?? "—"}</td>
                      <td>
                        <Badge status={d.status} />
                      </td>
                      <td class="num">{num(d.attempts)}</td>
                      <td class="small">
                        {d.lastError ? (session.scope === "operator" && d.lastStatusCode ? `${d.lastStatusCode} ${d.lastError}` : words(d.lastError)) : "—"}
                      </td>
                      <td>{when(d.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
