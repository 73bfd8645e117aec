/**
 * Forecasts: a SKU's demand forecast (`GET /api/v2/forecasts/{sku}`) drawn after its recent
 * sales (`GET /api/v2/daily-sales`) with the 80 % and 95 % intervals as bands, the 7/30/90-day
 * totals, the expected stockout, and the reorder policy in numbers (the last replenishment plan
 * and `GET /api/v2/planning-settings/{sku}`). Shown on the SKU page and on the Forecasts view.
 */
import { useMemo, useState } from "preact/hooks";
import { ApiFailure, call } from "../api";
import { ForecastChart, type ForecastPoints } from "../components/forecast-chart";
import { ErrorNote, Kpi, Loading, PageTitle, TableWrap, useLoad } from "../components/ui";
import { amount, day, dec, num, ratio, words } from "../format";
import type { DailySales, Forecast, PlanningSettings } from "../planning-types";
import { href, navigate } from "../router";
import type { Session } from "../session";
import { PlanningSettingsForm } from "./planning-settings-form";

/** Days of sales history drawn before the forecast. */
const HISTORY_DAYS = 60;
const DAY_MS = 86_400_000;

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface Loaded {
  forecast: Forecast | null;
  /** Why there is no forecast (the API's words). */
  missing: string | null;
  sales: DailySales | null;
  settings: PlanningSettings | null;
}

async function loadForecast(sku: string, signal: AbortSignal): Promise<Loaded> {
  const enc = encodeURIComponent(sku);
  const [forecast, sales, settings] = await Promise.all([
    call<Forecast>("GET", `/api/v2/forecasts/${enc}?days=90`, { signal }).then(
      (f) => ({ f, missing: null as string | null }),
      (err: unknown) => {
        if (err instanceof ApiFailure && err.code === "forecast_not_found") return { f: null, missing: err.message };
        throw err;
      },
    ),
    call<DailySales>("GET", `/api/v2/daily-sales?sku=${enc}&from=${isoDay(Date.now() - HISTORY_DAYS * DAY_MS)}&to=${isoDay(Date.now() - DAY_MS)}`, {
      signal,
    }).catch(() => null),
    call<PlanningSettings>("GET", `/api/v2/planning-settings/${enc}`, { signal }).catch(() => null),
  ]);
  return { forecast: forecast.f, missing: forecast.missing, sales, settings };
}

function chartPoints(f: Forecast, sales: DailySales | null): ForecastPoints {
  const sold = new Map((sales?.days ?? []).map((d) => [d.day, d.units]));
  const first = sales ? Date.parse(`${sales.from}T00:00:00Z`) : Date.parse(`${f.days[0]?.day ?? f.origin}T00:00:00Z`);
  const forecastStart = Date.parse(`${f.days[0]?.day ?? f.origin}T00:00:00Z`);
  const p: ForecastPoints = { times: [], sold: [], mean: [], p80: { lower: [], upper: [] }, p95: { lower: [], upper: [] } };
  for (let t = first; t < forecastStart; t += DAY_MS) {
    p.times.push(t / 1000);
    p.sold.push(sold.get(isoDay(t)) ?? 0);
    p.mean.push(null);
    p.p80.lower.push(null);
    p.p80.upper.push(null);
    p.p95.lower.push(null);
    p.p95.upper.push(null);
  }
  for (const d of f.days) {
    p.times.push(Date.parse(`${d.day}T00:00:00Z`) / 1000);
    p.sold.push(null);
    p.mean.push(d.mean);
    p.p80.lower.push(d.p80.lower);
    p.p80.upper.push(d.p80.upper);
    p.p95.lower.push(d.p95.lower);
    p.p95.upper.push(d.p95.upper);
  }
  return p;
}

export function ForecastSection({ sku, session }: { sku: string; session: Session }) {
  const data = useLoad<Loaded>((signal) => loadForecast(sku, signal), [sku, session.key]);
  const d = data.data;
  const f = d?.forecast ?? null;
  const points = useMemo(() => (f ? chartPoints(f, d?.sales ?? null) : null), [f, d?.sales]);
  const [showDays, setShowDays] = useState(false);
  return (
    <section aria-labelledby="forecast-title" class="forecast">
      <h2 id="forecast-title">Demand forecast</h2>
      {data.loading && !d ? <Loading label="Loading the forecast…" /> : null}
      {data.error ? <ErrorNote error={data.error} onRetry={data.reload} /> : null}
      {d && !f ? (
        <p class="state empty" role="note">
          No forecast yet: {d.missing ?? "the API has none for this SKU"}.
        </p>
      ) : null}
      {f && points ? (
        <>
          <p class="muted small">
            {words(f.method)} ({words(f.demandClass)} demand), fitted {day(f.origin)}: {f.reason}
          </p>
          <dl class="kpis">
            {f.horizons.map((h) => (
              <Kpi
                key={h.days}
                label={`Next ${num(h.days)} days`}
                value={num(h.mean)}
                note={`units; 80 %: ${num(h.p80.lower)}–${num(h.p80.upper)}, 95 %: ${num(h.p95.lower)}–${num(h.p95.upper)}`}
              />
            ))}
            <Kpi
              label="Expected stockout"
              value={f.stockout.day ? day(f.stockout.day) : "none in sight"}
              note={
                f.stockout.daysUntil !== null
                  ? `in ${num(f.stockout.daysUntil)} days at the forecast's rate; stock position ${num(f.stockout.stockPosition)}`
                  : `stock position ${num(f.stockout.stockPosition)}`
              }
              tone={f.stockout.daysUntil !== null && f.stockout.daysUntil <= 14 ? "bad" : "good"}
            />
          </dl>
          <figure class="card">
            <ForecastChart
              points={points}
              label={`Units sold per day over the last ${num(HISTORY_DAYS)} days (${num(d?.sales?.totalUnits ?? 0)} in all), then the forecast for ${num(f.days.length)} days: ${num(f.horizons.find((h) => h.days === 30)?.mean ?? 0)} units in the next 30 days`}
            />
            <figcaption class="muted small">
              Sold per day (solid), then the forecast's mean (dashed) with its 80 % band (darker) and 95 % band (lighter). The daily figures are in the table
              below.
            </figcaption>
          </figure>
          <button type="button" class="secondary" aria-expanded={showDays} aria-controls="forecast-days" onClick={() => setShowDays(!showDays)}>
            {showDays ? "Hide the daily forecast" : `Show the daily forecast (${num(f.days.length)} days)`}
          </button>
          {showDays ? (
            <TableWrap label="Daily forecast">
              <table id="forecast-days">
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    <th scope="col" class="num">
                      Mean
                    </th>
                    <th scope="col" class="num">
                      80 % interval
                    </th>
                    <th scope="col" class="num">
                      95 % interval
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {f.days.map((x) => (
                    <tr key={x.day}>
                      <th scope="row">{day(x.day)}</th>
                      <td class="num">{dec(x.mean)}</td>
                      <td class="num">
                        {num(x.p80.lower)}–{num(x.p80.upper)}
                      </td>
                      <td class="num">
                        {num(x.p95.lower)}–{num(x.p95.upper)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          ) : null}
        </>
      ) : null}
      {d ? <Policy forecast={f} settings={d.settings} onSaved={data.reload} /> : null}
    </section>
  );
}

function Policy({ forecast: f, settings: s, onSaved }: { forecast: Forecast | null; settings: PlanningSettings | null; onSaved: () => void }) {
  const plan = f?.plan ?? null;
  const [editing, setEditing] = useState(false);
  return (
    <>
      <h3 id="policy-title">Reorder policy</h3>
      {!plan && !s ? <p class="state empty">No replenishment plan or planning settings for this SKU yet.</p> : null}
      {plan ? (
        <dl class="kpis policy" aria-labelledby="policy-title">
          <Kpi label="Safety stock" value={num(plan.safetyStock)} note={`z ${dec(plan.z)} × lead-time demand σ ${dec(plan.leadTimeDemandSd)}`} />
          <Kpi
            label="Reorder point"
            value={num(plan.reorderPoint)}
            note={`lead-time demand ${num(plan.leadTimeDemand)} over ${num(plan.leadTimeDays)} days + safety stock`}
          />
          <Kpi label="Economic order quantity" value={num(plan.economicOrderQuantity)} note="√(2 × annual demand × ordering cost ÷ holding cost)" />
          <Kpi
            label="Stock position"
            value={num(plan.stockPosition)}
            note="on hand + in transit + on order − reserved − committed − damaged − on hold"
            tone={plan.shouldReorder ? "warn" : "good"}
          />
          <Kpi
            label="Order now"
            value={plan.shouldReorder ? num(plan.orderQuantity) : "no"}
            note={
              plan.shouldReorder
                ? `units, ${words(plan.urgency)} urgency${plan.adjustments.length ? ` (${plan.adjustments.map(words).join(", ")})` : ""}`
                : "above the reorder point"
            }
            tone={plan.shouldReorder ? "warn" : "good"}
          />
        </dl>
      ) : null}
      {s ? (
        <TableWrap label="Policy inputs">
          <table class="policy-inputs">
            <caption class="sr-only">The policy in effect (a setting of this SKU, or the default)</caption>
            <thead>
              <tr>
                <th scope="col">Input</th>
                <th scope="col" class="num">
                  In effect
                </th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {(
                [
                  ["Service level", "serviceLevel", ratio(s.policy.serviceLevel)],
                  ["Lead time (days)", "leadTimeDays", dec(s.policy.leadTimeDays)],
                  ["Lead time σ (days)", "leadTimeSdDays", dec(s.policy.leadTimeSdDays)],
                  ["Ordering cost", "orderingCost", amount(s.policy.orderingCost)],
                  ["Unit cost", "unitCost", amount(s.policy.unitCost)],
                  ["Holding rate (per year)", "holdingRate", ratio(s.policy.holdingRate)],
                  ["Pack size", "packSize", num(s.policy.packSize)],
                  ["Minimum order", "minimumOrderQuantity", num(s.policy.minimumOrderQuantity)],
                  ["Max stock", "maxStock", s.policy.maxStock === null ? "none" : num(s.policy.maxStock)],
                  ...(s.alertThresholds
                    ? ([
                        ["Slow-moving after (days without a sale)", "slowMovingNoSaleDays", num(s.alertThresholds.slowNoSaleDays)],
                        ["Overstock after (days without a sale)", "overstockNoSaleDays", num(s.alertThresholds.overstockNoSaleDays)],
                      ] as const)
                    : []),
                ] as const
              ).map(([label, key, value]) => (
                <tr key={key}>
                  <th scope="row">{label}</th>
                  <td class="num">{value}</td>
                  <td class="small">{s.settings[key] !== null && s.settings[key] !== undefined ? "this SKU's setting" : "default"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      {s ? (
        <>
          <p class="muted small">Category {s.settings.category ?? "—"}. The next nightly planning run uses changed settings.</p>
          <button type="button" class="secondary" aria-expanded={editing} aria-controls="planning-settings" onClick={() => setEditing(!editing)}>
            Edit the planning settings
          </button>
          {editing ? (
            <div id="planning-settings">
              <PlanningSettingsForm settings={s} onSaved={onSaved} />
            </div>
          ) : null}
        </>
      ) : null}
    </>
  );
}

/** The Forecasts view: pick a SKU, see its forecast. */
export function ForecastsPage({ session, query }: { session: Session; query: URLSearchParams }) {
  const sku = query.get("sku") ?? "";
  const [input, setInput] = useState(sku);
  return (
    <section>
      <PageTitle sub="Each SKU's daily demand forecast with its 80 % and 95 % intervals, fitted nightly from its sales; the SKU page shows it too.">
        Forecasts
      </PageTitle>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(href(["forecasts"], { sku: input.trim() }));
        }}
      >
        <div class="field">
          <label for="forecast-sku">SKU</label>
          <input
            id="forecast-sku"
            value={input}
            required
            spellcheck={false}
            placeholder="ACME-TENT-0001"
            onInput={(e) => setInput((e.target as HTMLInputElement).value)}
          />
        </div>
        <button type="submit">Show forecast</button>
      </form>
      {sku ? (
        <>
          <p>
            <a href={href(["sku", sku])}>SKU page of {sku}</a>
          </p>
          <ForecastSection key={sku} sku={sku} session={session} />
        </>
      ) : (
        <p class="state empty">
          Enter a SKU to see its forecast{session.scope === "vendor" ? " (one of yours)" : ""}. Reorder suggestions list the SKUs that need one now.
        </p>
      )}
    </section>
  );
}
