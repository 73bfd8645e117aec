/** API keys (operators): issue a key; it is shown once, and only its SHA-256 is stored. */
import { useState } from "preact/hooks";
import { call } from "../api";
import { ErrorNote, PageTitle } from "../components/ui";

interface Issued {
  id: string;
  key: string;
  name: string;
  scope: string;
  vendorId: string | null;
  channel?: string | null;
}

export function ApiKeysPage() {
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
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <PageTitle sub="Listing and revoking keys need API endpoints that do not exist yet; issuing works now.">API keys</PageTitle>
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
    </section>
  );
}
