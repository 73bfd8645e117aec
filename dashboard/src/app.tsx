/**
 * The shell: sign-in, then a nav entry per view (what the key's scope may see) and the view
 * the hash names.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { apiBase, onUnauthorized } from "./api";
import { href, useRoute, type Route } from "./router";
import { forgetCachedData } from "./data";
import { loadSession, signIn, signOut, type Session } from "./session";
import { AlertsPage } from "./views/alerts";
import { ApiKeysPage } from "./views/api-keys";
import { LocationsPage } from "./views/locations";
import { OverviewPage } from "./views/overview";
import { PartitionsPage } from "./views/partitions";
import { AnalyticsPage } from "./views/analytics";
import { DeadLettersPage } from "./views/dead-letters";
import { ForecastsPage } from "./views/forecast";
import { PurchaseOrderPage, PurchaseOrdersPage } from "./views/purchase-orders";
import { ReorderPage } from "./views/reorder";
import { TransferPage, TransfersPage } from "./views/transfers";
import { ReviewsPage } from "./views/reviews";
import { SkuPage } from "./views/sku";
import { StockPage } from "./views/stock";
import { JobPage, SyncJobsPage } from "./views/sync-jobs";
import { RebalancingPage } from "./views/rebalancing";
import { UploadPage } from "./views/upload";
import { VendorPage, VendorsPage } from "./views/vendors";
import { WebhookPage, WebhooksPage } from "./views/webhooks";

interface NavEntry {
  id: string;
  label: string;
  /** The label a vendor key sees, where it differs. */
  vendorLabel?: string;
  scopes: ("operator" | "vendor")[];
}

/** Views built on APIs that exist now. */
const NAV: NavEntry[] = [
  { id: "overview", label: "Overview", scopes: ["operator", "vendor"] },
  { id: "stock", label: "Stock", scopes: ["operator", "vendor"] },
  { id: "alerts", label: "Alerts", scopes: ["operator", "vendor"] },
  { id: "forecasts", label: "Forecasts", scopes: ["operator", "vendor"] },
  { id: "reorder", label: "Reorder suggestions", scopes: ["operator", "vendor"] },
  { id: "purchase-orders", label: "Purchase orders", scopes: ["operator", "vendor"] },
  { id: "transfers", label: "Transfers", scopes: ["operator"] },
  { id: "rebalancing", label: "Rebalancing", scopes: ["operator", "vendor"] },
  { id: "analytics", label: "Analytics", scopes: ["operator", "vendor"] },
  { id: "upload", label: "Upload stock", scopes: ["vendor"] },
  { id: "sync", label: "Sync jobs", scopes: ["operator", "vendor"] },
  { id: "reviews", label: "Sync reviews", scopes: ["operator", "vendor"] },
  { id: "vendors", label: "Vendors", vendorLabel: "Sync settings", scopes: ["operator", "vendor"] },
  { id: "locations", label: "Locations", scopes: ["operator"] },
  { id: "webhooks", label: "Webhooks", scopes: ["operator", "vendor"] },
  { id: "keys", label: "API keys", scopes: ["operator"] },
  { id: "dead-letters", label: "Dead letters", scopes: ["operator"] },
  { id: "partitions", label: "Partitions", scopes: ["operator"] },
];

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(
    () =>
      onUnauthorized(() => {
        signOut();
        setSession(null);
        setNotice("The API no longer accepts this key (revoked, or its vendor suspended). Sign in again.");
      }),
    [],
  );
  if (!session) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          setNotice(null);
          setSession(s);
        }}
      />
    );
  }
  return (
    <Shell
      session={session}
      onSignOut={() => {
        signOut();
        forgetCachedData();
        setSession(null);
        setNotice("Signed out. The key was removed from this tab.");
      }}
    />
  );
}

function SignIn({ onSignedIn, notice }: { onSignedIn: (s: Session) => void; notice: string | null }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(key));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <form onSubmit={submit} class="card" aria-labelledby="signin-title">
        <h1 id="signin-title">edge-inventory</h1>
        <p class="muted">Sign in with an operator or vendor API key.</p>
        {notice ? (
          <p class="state info" role="status">
            {notice}
          </p>
        ) : null}
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          placeholder="eik_…"
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          aria-describedby="api-key-help"
        />
        <p id="api-key-help" class="muted small">
          Kept in this tab only (sessionStorage) and sent as <code>Authorization: Bearer</code>; never in a URL. Locally, the demo keys are in{" "}
          <code>.state/demo-keys.json</code>.
        </p>
        {error ? (
          <p class="state error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy || key.trim() === ""}>
          {busy ? "Checking the key…" : "Sign in"}
        </button>
        <p class="muted small">
          API: <code>{apiBase()}</code>
        </p>
      </form>
    </main>
  );
}

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const route = useRoute();
  const [menuOpen, setMenuOpen] = useState(false);
  const current = route.path[0] ?? "overview";
  useEffect(() => setMenuOpen(false), [route]);
  const scope = session.scope as "operator" | "vendor";
  const built = NAV.filter((n) => n.scopes.includes(scope));
  const active = (id: string) => current === id || (id === "stock" && current === "sku");
  return (
    <div class="shell">
      {/* A button, not a link: the app routes by the URL's hash, so href="#main" would navigate. */}
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <header class="topbar">
        <a class="brand" href={href(["overview"])}>
          edge-inventory
        </a>
        <span class="who">
          <span class="sr-only">Signed in as </span>
          {scope === "operator" ? (
            "Operator"
          ) : (
            <>
              Vendor <strong>{session.vendorId}</strong>
            </>
          )}
        </span>
        <button type="button" class="secondary menu-button" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          Menu
        </button>
        <button type="button" class="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav id="nav" class={menuOpen ? "open" : ""} aria-label="Views">
        <ul>
          {built.map((n) => (
            <li key={n.id}>
              <a href={href([n.id])} aria-current={active(n.id) ? "page" : undefined}>
                {scope === "vendor" ? (n.vendorLabel ?? n.label) : n.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <View route={route} session={session} />
      </main>
    </div>
  );
}

function View({ route, session }: { route: Route; session: Session }): ComponentChildren {
  const [name = "overview", arg] = route.path;
  const scope = session.scope as "operator" | "vendor";
  const allowed = NAV.find((n) => n.id === name)?.scopes ?? ["operator", "vendor"];
  if (!allowed.includes(scope)) {
    return (
      <p class="state error" role="alert">
        This view is for {allowed.join(" and ")} keys.
      </p>
    );
  }
  switch (name) {
    case "overview":
      return <OverviewPage key="overview" session={session} />;
    case "stock":
      return <StockPage key="stock" session={session} query={route.query} />;
    case "sku":
      return arg ? <SkuPage key={`sku-${arg}`} session={session} sku={arg} /> : <StockPage session={session} query={route.query} />;
    case "alerts":
      return <AlertsPage key="alerts" session={session} query={route.query} />;
    case "forecasts":
      return <ForecastsPage key={`fc-${route.query.get("sku") ?? ""}`} session={session} query={route.query} />;
    case "reorder":
      return <ReorderPage key="reorder" session={session} query={route.query} />;
    case "purchase-orders":
      return arg ? <PurchaseOrderPage key={`po-${arg}`} session={session} id={arg} /> : <PurchaseOrdersPage key="pos" session={session} query={route.query} />;
    case "transfers":
      return arg ? <TransferPage key={`trf-${arg}`} id={arg} /> : <TransfersPage key="transfers" query={route.query} />;
    case "rebalancing":
      return <RebalancingPage key={`rb-${route.query.get("sku") ?? ""}`} session={session} query={route.query} />;
    case "vendors": {
      // A vendor key's page is its own; another vendor's id is refused by the API, in words.
      const vendorId = arg ?? (scope === "vendor" ? session.vendorId : null);
      return vendorId ? <VendorPage key={`vendor-${vendorId}`} session={session} vendorId={vendorId} /> : <VendorsPage key="vendors" query={route.query} />;
    }
    case "analytics":
      return <AnalyticsPage key="analytics" session={session} />;
    case "dead-letters":
      return <DeadLettersPage key="dead-letters" query={route.query} />;
    case "partitions":
      return <PartitionsPage key="partitions" query={route.query} />;
    case "upload":
      return <UploadPage key="upload" session={session} />;
    case "sync":
      return arg ? <JobPage key={`job-${arg}`} session={session} jobId={arg} /> : <SyncJobsPage key="sync" session={session} query={route.query} />;
    case "reviews":
      return <ReviewsPage key="reviews" session={session} query={route.query} />;
    case "locations":
      return <LocationsPage key="locations" />;
    case "webhooks":
      return arg ? <WebhookPage key={`wh-${arg}`} session={session} id={arg} /> : <WebhooksPage key="webhooks" session={session} />;
    case "keys":
      return <ApiKeysPage key="keys" />;
    default:
      return (
        <p class="state error" role="alert">
          There is no view “{name}”. <a href={href(["overview"])}>Go to the overview</a>.
        </p>
      );
  }
}
