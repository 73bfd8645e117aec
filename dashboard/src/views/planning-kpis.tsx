/**
 * The overview's planning figures, from the analytics API (`/api/v2/analytics/health`,
 * `…/turnover`, `…/abc`, `…/stock-movement`, last 90 days up to yesterday; a vendor key gets
 * its own SKUs'): the stock health score with its five components, turnover, days of
 * inventory, inventory value, ABC counts and overstock.
 */
import { call } from "../api";
import { ErrorNote, Kpi, Loading, TableWrap, useLoad } from "../components/ui";
import { amount, day, dec, num, ratio, words } from "../format";
import type { AbcAnalysis, HealthAnalysis, StockMovement, TurnoverAnalysis } from "../planning-types";
import { href } from "../router";
import type { Session } from "../session";

interface Planning {
  health: HealthAnalysis;
  turnover: TurnoverAnalysis;
  abc: AbcAnalysis;
  movement: StockMovement;
}

export const COMPONENT_LABELS: Record<string, string> = {
  in_stock: "In stock (share of SKUs)",
  stockout: "Stockout rate",
  overstock: "Overstock share",
  turnover: "Turnover (per year)",
  forecast_accuracy: "Forecast accuracy",
};

/** A component's measured value in its own unit. */
export function componentValue(name: string, value: number | null): string {
  if (value === null) return "not measured yet";
  return name === "turnover" ? `${dec(value)}×` : ratio(value);
}

export function loadPlanning(signal: AbortSignal, limit = 10): Promise<Planning> {
  return Promise.all([
    call<HealthAnalysis>("GET", "/api/v2/analytics/health", { signal }),
    call<TurnoverAnalysis>("GET", `/api/v2/analytics/turnover?limit=${limit}`, { signal }),
    call<AbcAnalysis>("GET", `/api/v2/analytics/abc?limit=${limit}`, { signal }),
    call<StockMovement>("GET", `/api/v2/analytics/stock-movement?limit=${limit}`, { signal }),
  ]).then(([health, turnover, abc, movement]) => ({ health, turnover, abc, movement }));
}

const gradeTone = (score: number | null) => (score === null ? "none" : score >= 80 ? "good" : score >= 60 ? "warn" : "bad");

export function PlanningKpis({ session }: { session: Session }) {
  const planning = useLoad<Planning>((signal) => loadPlanning(signal), [session.key]);
  const p = planning.data;
  return (
    <>
      <h2>Planning figures</h2>
      {planning.loading && !p ? <Loading label="Reading the analytics…" /> : null}
      {planning.error ? <ErrorNote error={planning.error} onRetry={planning.reload} /> : null}
      {p ? (
        <>
          <p class="muted small">
            From the daily sales of {day(p.health.from)} to {day(p.health.to)} and the stock now ({num(p.health.skus)} SKUs
            {session.scope === "vendor" ? ", yours" : ""}). <a href={href(["analytics"])}>All analytics</a>.
          </p>
          <dl class="kpis planning-kpis">
            <Kpi
              label="Stock health score"
              value={p.health.score === null ? "—" : `${dec(p.health.score)} / 100`}
              note={p.health.grade ? words(p.health.grade) : "not enough data"}
              tone={gradeTone(p.health.score)}
            />
            <Kpi
              label="Inventory turnover"
              value={p.turnover.turnover === null ? "—" : `${dec(p.turnover.turnover)}×`}
              note="cost of goods sold ÷ inventory value, per year"
            />
            <Kpi label="Days of inventory" value={dec(p.turnover.daysOfInventory)} note="days the stock lasts at the period's rate" />
            <Kpi
              label="Inventory value"
              value={amount(p.turnover.inventoryValue)}
              note={`at unit cost; ${num(p.turnover.costedSkus)} of ${num(p.turnover.skus)} SKUs have a cost`}
            />
            <Kpi
              label="ABC classes"
              value={
                <span data-testid="abc-counts">
                  {num(p.abc.summary.A.skus)} / {num(p.abc.summary.B.skus)} / {num(p.abc.summary.C.skus)}
                </span>
              }
              note="A / B / C SKUs by revenue (80 % / 15 % / 5 %)"
            />
            <Kpi
              label="Overstock"
              value={num(p.movement.counts.overstock ?? 0)}
              note={`SKUs; ${num(p.movement.counts.slow_moving ?? 0)} slow-moving`}
              tone={(p.movement.counts.overstock ?? 0) > 0 ? "warn" : "good"}
            />
          </dl>
          <h3>Health score components</h3>
          <TableWrap label="Stock health score components">
            <table class="health-components">
              <caption class="sr-only">Each component is worth up to 20 points: full at its target, none at its limit</caption>
              <thead>
                <tr>
                  <th scope="col">Component</th>
                  <th scope="col" class="num">
                    Measured
                  </th>
                  <th scope="col" class="num">
                    Points (of 20)
                  </th>
                  <th scope="col" class="num">
                    Full at
                  </th>
                  <th scope="col" class="num">
                    None at
                  </th>
                </tr>
              </thead>
              <tbody>
                {p.health.components.map((c) => (
                  <tr key={c.name} data-component={c.name}>
                    <th scope="row">{COMPONENT_LABELS[c.name] ?? words(c.name)}</th>
                    <td class="num">{componentValue(c.name, c.value)}</td>
                    <td class="num">{c.points === null ? "left out" : dec(c.points)}</td>
                    <td class="num">{componentValue(c.name, c.fullAt)}</td>
                    <td class="num">{componentValue(c.name, c.zeroAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </>
      ) : null}
    </>
  );
}
