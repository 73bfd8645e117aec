/**
 * Views whose API is still being built. Each has its nav entry now and says plainly that
 * its API is missing — no made-up numbers. The page asks the API (one GET): while the route
 * answers 404 `route_not_found` the view says so; once it exists, the view is the next
 * thing to build here.
 */
import { call, ApiFailure } from "../api";
import { ErrorNote, Loading, PageTitle, useLoad } from "../components/ui";

export interface PlannedView {
  id: string;
  label: string;
  /** The API route the view will read. */
  probe: string;
  /** What the view will show. */
  shows: string;
  /** The issue or API it arrives with. */
  arrivesWith: string;
  scopes: ("operator" | "vendor")[];
}

export const PLANNED_VIEWS: PlannedView[] = [
  { id: "forecasts", label: "Forecasts", probe: "/api/v2/forecasts", shows: "each SKU's demand forecast with its confidence band (on the same uPlot charts as the ledger) and the expected stockout date", arrivesWith: "the planning API (forecasts)", scopes: ["operator", "vendor"] },
  { id: "reorder", label: "Reorder suggestions", probe: "/api/v2/reorder-suggestions", shows: "SKUs at or below their reorder point with the suggested quantity (EOQ, safety stock, lead time)", arrivesWith: "the planning API (reorder points)", scopes: ["operator"] },
  { id: "purchase-orders", label: "Purchase orders", probe: "/api/v2/purchase-orders", shows: "purchase orders to approve, their lines and receipts", arrivesWith: "the purchase-order API", scopes: ["operator"] },
  { id: "transfers", label: "Transfers", probe: "/api/v2/transfers", shows: "stock transfers between locations, in transit and received", arrivesWith: "the transfers API", scopes: ["operator"] },
  { id: "analytics", label: "Analytics", probe: "/api/v2/analytics", shows: "turnover, days of inventory, ABC classes, stock health score", arrivesWith: "the analytics API", scopes: ["operator"] },
  { id: "dead-letters", label: "Dead letters", probe: "/api/v2/dead-letters", shows: "queue messages that failed every retry, to inspect and replay", arrivesWith: "the dead-letter API", scopes: ["operator"] },
];

type Probe = { state: "missing" } | { state: "present" };

export function PlannedPage({ view }: { view: PlannedView }) {
  const probe = useLoad<Probe>(async (signal) => {
    try {
      await call("GET", view.probe, { signal });
      return { state: "present" };
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 404 && err.code === "route_not_found") return { state: "missing" };
      // 400/403 from an existing route also means it is there.
      if (err instanceof ApiFailure && err.status >= 400 && err.status < 500 && err.code !== "route_not_found") return { state: "present" };
      throw err;
    }
  }, [view.probe]);
  return (
    <section>
      <PageTitle sub={`Will show ${view.shows}.`}>{view.label}</PageTitle>
      {probe.loading ? <Loading label={`Asking the API for ${view.probe}…`} /> : null}
      {probe.error ? <ErrorNote error={probe.error} onRetry={probe.reload} /> : null}
      {probe.data?.state === "missing" ? (
        <div class="notice" role="note">
          <p>
            <strong>Not available yet.</strong> This view needs <code>GET {view.probe}</code>, which the API does not have yet (it answers 404{" "}
            <code>route_not_found</code>). It arrives with {view.arrivesWith}.
          </p>
          <p class="muted">Nothing is shown here until then: no sample or estimated figures.</p>
        </div>
      ) : null}
      {probe.data?.state === "present" ? (
        <div class="notice" role="note">
          <p>
            <strong>The API is here</strong> (<code>{view.probe}</code> answers), but this view has not been built yet.
          </p>
        </div>
      ) : null}
    </section>
  );
}
