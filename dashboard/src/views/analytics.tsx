/**
 * Analytics (`/api/v2/analytics/*`, last 90 days up to yesterday; vendors: their own SKUs): the
 * health score and its components (on the overview too), ABC classes by revenue, the slowest
 * SKUs by turnover, and overstock / slow-moving stock.
 */
import { call } from "../api";
import { Badge, Empty, ErrorNote, Kpi, Loading, PageTitle, TableWrap, useLoad } from "../components/ui";
import { amount, day, dec, num, ratio, words } from "../format";
import type { AbcAnalysis, StockMovement, TurnoverAnalysis } from "../planning-types";
import { href } from "../router";
import type { Session } from "../session";
import { PlanningKpis } from "./planning-kpis";

interface Lists {
  abc: AbcAnalysis;
  turnover: TurnoverAnalysis;
  movement: StockMovement;
}

export function AnalyticsPage({ session }: { session: Session }) {
  const lists = useLoad<Lists>(
    (signal) =>
      Promise.all([
        call<AbcAnalysis>("GET", "/api/v2/analytics/abc?limit=100", { signal }),
        call<TurnoverAnalysis>("GET", "/api/v2/analytics/turnover?limit=20", { signal }),
        call<StockMovement>("GET", "/api/v2/analytics/stock-movement?limit=100", { signal }),
      ]).then(([abc, turnover, movement]) => ({ abc, turnover, movement })),
    [session.key],
  );
  const l = lists.data;
  return (
    <section>
      <PageTitle
        sub={`Turnover, days of inventory, ABC classes and the stock health score from the daily sales${session.scope === "vendor" ? " of your SKUs" : ""}.`}
      >
        Analytics
      </PageTitle>
      <PlanningKpis session={session} />
      {lists.loading && !l ? <Loading label="Loading the lists…" /> : null}
      {lists.error ? <ErrorNote error={lists.error} onRetry={lists.reload} /> : null}
      {l ? (
        <>
          <h2>ABC classes by revenue</h2>
          <dl class="kpis">
            {(["A", "B", "C"] as const).map((c) => (
              <Kpi key={c} label={`Class ${c}`} value={num(l.abc.summary[c].skus)} note={`SKUs; revenue ${amount(l.abc.summary[c].revenue)}`} />
            ))}
          </dl>
          <p class="muted small">
            {day(l.abc.from)} – {day(l.abc.to)}; {num(l.abc.pricedSkus)} of {num(l.abc.skus)} SKUs have a price.
          </p>
          {l.abc.items.length === 0 ? <Empty>No sales in the period.</Empty> : null}
          {l.abc.items.length > 0 ? (
            <TableWrap label="ABC classes by revenue">
              <table class="abc-table">
                <thead>
                  <tr>
                    <th scope="col">SKU</th>
                    <th scope="col">Class</th>
                    <th scope="col" class="num">
                      Revenue
                    </th>
                    <th scope="col" class="num">
                      Share
                    </th>
                    <th scope="col" class="num">
                      Cumulative
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {l.abc.items.map((i) => (
                    <tr key={i.sku} data-sku={i.sku}>
                      <th scope="row">
                        <a href={href(["sku", i.sku])}>{i.sku}</a>
                      </th>
                      <td>{i.class}</td>
                      <td class="num">{amount(i.revenue)}</td>
                      <td class="num">{ratio(i.share)}</td>
                      <td class="num">{ratio(i.cumulativeShare)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          ) : null}
          <h2>Slowest turnover</h2>
          {l.turnover.slowest.length === 0 ? <Empty>No SKUs with stock.</Empty> : null}
          {l.turnover.slowest.length > 0 ? (
            <TableWrap label="Slowest SKUs by turnover">
              <table>
                <thead>
                  <tr>
                    <th scope="col">SKU</th>
                    <th scope="col" class="num">
                      Sold in the period
                    </th>
                    <th scope="col" class="num">
                      On hand
                    </th>
                    <th scope="col" class="num">
                      Turnover
                    </th>
                    <th scope="col" class="num">
                      Days of inventory
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {l.turnover.slowest.map((s) => (
                    <tr key={s.sku}>
                      <th scope="row">
                        <a href={href(["sku", s.sku])}>{s.sku}</a>
                      </th>
                      <td class="num">{num(s.unitsSold)}</td>
                      <td class="num">{num(s.onHand)}</td>
                      <td class="num">{s.turnover === null ? "—" : `${dec(s.turnover)}×`}</td>
                      <td class="num">{s.daysOfInventory === null ? "no sales" : num(s.daysOfInventory)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          ) : null}
          <h2>Overstock and slow-moving stock</h2>
          <dl class="kpis">
            {Object.entries(l.movement.counts).map(([k, v]) => (
              <Kpi key={k} label={words(k)} value={num(v)} note="SKUs" />
            ))}
          </dl>
          {l.movement.items.length === 0 ? <Empty>No overstock or slow-moving SKUs as of {day(l.movement.asOf)}.</Empty> : null}
          {l.movement.items.length > 0 ? (
            <TableWrap label="Overstock and slow-moving SKUs">
              <table>
                <thead>
                  <tr>
                    <th scope="col">SKU</th>
                    <th scope="col">Class</th>
                    <th scope="col" class="num">
                      On hand
                    </th>
                    <th scope="col">Last sale</th>
                  </tr>
                </thead>
                <tbody>
                  {l.movement.items.map((i) => (
                    <tr key={i.sku}>
                      <th scope="row">
                        <a href={href(["sku", i.sku])}>{i.sku}</a>
                      </th>
                      <td>
                        <Badge status={String(i.class ?? "")} />
                      </td>
                      <td class="num">{num(i.onHand as number)}</td>
                      <td>{day(i.lastSaleDay as string | null)}</td>
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
