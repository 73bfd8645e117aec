/**
 * One SKU: per-location quantities, reservations, live updates (the public WebSocket feed
 * tells when the SKU changed; the page then re-reads its counts and ledger), the ledger as
 * a timeline with a chart of on-hand over time, and the stock adjustment form. Adjustments
 * are compare-and-set: the form sends the on-hand it showed as `expectedOnHand`, so an
 * operator never overwrites a change they have not seen; a 409 says so in words and reloads.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiFailure, call, liveUrl, qs } from "../api";
import { TimelineChart, type Series } from "../components/timeline-chart";
import { Empty, ErrorNote, Kpi, Loading, PageTitle, TableWrap, useLoad } from "../components/ui";
import { ADJUSTMENT_REASONS, loadLocations } from "../data";
import { ForecastSection } from "./forecast";
import { StatesForm } from "./states-form";
import { clock, num, signed, when, words } from "../format";
import { href } from "../router";
import type { Session } from "../session";
import type { LedgerEntry, Location, SkuMaster, SkuStock } from "../types";

/** Most ledger rows the page reads (1,000 per call). */
const LEDGER_CAP = 5_000;

type LiveState = "connecting" | "live" | "closed";

/** The SKU's live feed: calls `onChange` on every update; reconnects with backoff. */
function useLiveFeed(sku: string, onChange: () => void): { state: LiveState; last: Date | null } {
  const [state, setState] = useState<LiveState>("connecting");
  const [last, setLast] = useState<Date | null>(null);
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => {
    let socket: WebSocket | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let ping: ReturnType<typeof setInterval> | undefined;
    let attempts = 0;
    let stopped = false;
    const open = () => {
      setState("connecting");
      socket = new WebSocket(liveUrl(sku));
      socket.onopen = () => {
        attempts = 0;
        setState("live");
        ping = setInterval(() => socket?.readyState === WebSocket.OPEN && socket.send("ping"), 30_000);
      };
      socket.onmessage = (e) => {
        if (typeof e.data !== "string" || e.data === "pong") return;
        try {
          const msg = JSON.parse(e.data) as { type?: string };
          if (msg.type === "update") {
            setLast(new Date());
            latest.current();
          }
        } catch {
          // Not JSON: ignore.
        }
      };
      socket.onclose = () => {
        clearInterval(ping);
        if (stopped) return;
        setState("closed");
        attempts++;
        retry = setTimeout(open, Math.min(30_000, 1_000 * 2 ** Math.min(attempts, 5)));
      };
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      clearInterval(ping);
      socket?.close();
    };
  }, [sku]);
  return { state, last };
}

async function readLedger(sku: string, signal: AbortSignal): Promise<{ rows: LedgerEntry[]; complete: boolean }> {
  const rows: LedgerEntry[] = [];
  let after = 0;
  for (;;) {
    const page = await call<{ items: LedgerEntry[]; next: number | null }>(
      "GET",
      `/api/v2/inventory/${encodeURIComponent(sku)}/ledger${qs({ after, limit: 1000 })}`,
      { signal },
    );
    rows.push(...page.items);
    if (page.next === null || page.items.length === 0) return { rows, complete: true };
    if (rows.length >= LEDGER_CAP) return { rows, complete: false };
    after = page.next;
  }
}

const onHandAt = (stock: SkuStock | undefined, locationId: string) => stock?.locations.find((l) => l.locationId === locationId)?.onHand ?? 0;

export function SkuPage({ session, sku }: { session: Session; sku: string }) {
  const master = useLoad<SkuMaster>((signal) => call("GET", `/api/v2/skus/${encodeURIComponent(sku)}`, { signal }), [sku]);
  const stock = useLoad<SkuStock>((signal) => call("GET", `/api/v2/inventory/${encodeURIComponent(sku)}`, { signal }), [sku]);
  const ledger = useLoad((signal) => readLedger(sku, signal), [sku]);
  const locations = useLoad<Location[]>(() => loadLocations(), []);
  const [loadedAt, setLoadedAt] = useState<Date | null>(null);
  useEffect(() => {
    if (stock.data) setLoadedAt(new Date());
  }, [stock.data]);
  const refresh = () => {
    stock.reload();
    ledger.reload();
  };
  const live = useLiveFeed(sku, refresh);

  if (master.error) {
    return (
      <section>
        <PageTitle>SKU {sku}</PageTitle>
        <ErrorNote error={master.error} />
        <p>
          <a href={href(["stock"])}>Back to the stock list</a>
        </p>
      </section>
    );
  }
  const names = new Map((locations.data ?? []).map((l) => [l.id, l.name]));
  const s = stock.data;
  return (
    <section>
      <PageTitle sub={master.data ? `${master.data.name} · vendor ${master.data.vendorId} · product ${master.data.productId}` : "Loading…"}>
        SKU {sku}
      </PageTitle>
      <div class="toolbar">
        <span class={`live ${live.state}`} role="status" aria-live="polite">
          {live.state === "live"
            ? "Live: updates as it changes"
            : live.state === "connecting"
              ? "Connecting to the live feed…"
              : "Live feed closed: reconnecting"}
          {live.last ? ` · last change ${clock(live.last)}` : ""}
        </span>
        <button type="button" class="secondary" onClick={refresh} disabled={stock.loading}>
          {stock.loading ? "Reloading…" : "Reload"}
        </button>
        {loadedAt ? <span class="muted small">Counts as of {clock(loadedAt)}</span> : null}
      </div>
      {stock.error ? <ErrorNote error={stock.error} onRetry={stock.reload} /> : null}
      {!s && stock.loading ? <Loading label="Loading the counts…" /> : null}
      {s ? (
        <>
          <dl class="kpis">
            <Kpi label="On hand" value={<span data-testid="total-on-hand">{num(s.totals.onHand)}</span>} note="all locations" />
            <Kpi
              label="Available"
              value={num(s.totals.available)}
              note="on hand − reserved − committed − damaged − on hold"
              tone={s.totals.available > 0 ? "good" : "bad"}
            />
            <Kpi label="Reserved" value={num(s.totals.reserved)} note={`${num(s.totals.softHeld)} more held in carts`} />
            <Kpi label="Committed" value={num(s.totals.committed)} note="picked, not shipped" />
            {master.data ? (
              <Kpi
                label="Reorder point"
                value={num(master.data.reorderPoint)}
                note={master.data.safetyStock !== undefined ? `safety stock ${num(master.data.safetyStock)}` : undefined}
              />
            ) : null}
          </dl>
          <h2>By location</h2>
          {s.locations.length === 0 ? (
            <Empty>No stock at any location yet.</Empty>
          ) : (
            <TableWrap label="Quantities by location">
              <table class="locations-table">
                <thead>
                  <tr>
                    <th scope="col">Location</th>
                    <th scope="col" class="num">
                      On hand
                    </th>
                    <th scope="col" class="num">
                      Available
                    </th>
                    <th scope="col" class="num">
                      Reserved
                    </th>
                    <th scope="col" class="num">
                      In carts
                    </th>
                    <th scope="col" class="num">
                      Committed
                    </th>
                    <th scope="col" class="num">
                      Damaged
                    </th>
                    <th scope="col" class="num">
                      On hold
                    </th>
                    <th scope="col" class="num">
                      In transit
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {s.locations.map((l) => (
                    <tr key={l.locationId} data-location={l.locationId}>
                      <th scope="row">
                        {names.get(l.locationId) ?? l.locationId} <span class="muted small">{l.locationId}</span>
                      </th>
                      <td class="num" data-field="onHand">
                        {num(l.onHand)}
                      </td>
                      <td class="num">{num(l.available)}</td>
                      <td class="num">{num(l.reserved)}</td>
                      <td class="num">{num(l.softHeld)}</td>
                      <td class="num">{num(l.committed)}</td>
                      <td class="num" data-field="damaged">
                        {num(l.damaged)}
                      </td>
                      <td class="num" data-field="onHold">
                        {num(l.onHold)}
                      </td>
                      <td class="num">{num(l.inTransit)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
          <Reservations stock={s} />
          <AdjustForm sku={sku} stock={s} loadedAt={loadedAt} locations={locations.data ?? []} onDone={refresh} />
          <StatesForm sku={sku} stock={s} locations={locations.data ?? []} onDone={refresh} />
        </>
      ) : null}
      {master.data ? <ForecastSection sku={sku} session={session} /> : null}
      {session.scope === "operator" ? <Audit sku={sku} /> : null}
      {session.scope === "operator" ? <Shards sku={sku} onDone={refresh} /> : null}
      <LedgerSection ledger={ledger} names={names} />
    </section>
  );
}

function Reservations({ stock }: { stock: SkuStock }) {
  const entries = Object.entries(stock.reservations ?? {}).filter(([, v]) => typeof v === "object" && v !== null && "count" in v) as [
    string,
    { count: number; units: number },
  ][];
  const label: Record<string, string> = { activeSoft: "Cart holds (soft)", activeHard: "Orders (hard)", committed: "Committed (picked)" };
  return (
    <>
      <h2>Reservations</h2>
      {entries.every(([, v]) => v.count === 0) ? (
        <Empty>No active reservations.</Empty>
      ) : (
        <dl class="kpis small-kpis">
          {entries.map(([k, v]) => (
            <Kpi key={k} label={label[k] ?? words(k)} value={num(v.count)} note={`${num(v.units)} units`} />
          ))}
        </dl>
      )}
    </>
  );
}

function AdjustForm({
  sku,
  stock,
  loadedAt,
  locations,
  onDone,
}: {
  sku: string;
  stock: SkuStock;
  loadedAt: Date | null;
  locations: Location[];
  onDone: () => void;
}) {
  const stocked = stock.locations.map((l) => l.locationId);
  const options = [...stocked, ...locations.map((l) => l.id).filter((id) => !stocked.includes(id))];
  const [locationId, setLocationId] = useState(stocked[0] ?? locations[0]?.id ?? "");
  const [mode, setMode] = useState<"delta" | "set">("delta");
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState<string>("correction");
  const [reference, setReference] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ kind: "ok" | "conflict" | "error"; text: string; error?: unknown } | null>(null);
  useEffect(() => {
    if (!locationId && options[0]) setLocationId(options[0]);
  }, [options.join(",")]);
  const expected = onHandAt(stock, locationId);
  const names = new Map(locations.map((l) => [l.id, l.name]));
  const submit = async (e: Event) => {
    e.preventDefault();
    const value = Number(amount);
    if (!Number.isInteger(value) || (mode === "set" && value < 0) || (mode === "delta" && value === 0)) {
      setResult({
        kind: "error",
        text:
          mode === "set"
            ? "Enter the new on-hand as a whole number, 0 or more."
            : "Enter a whole number of units to add (or, with a minus sign, to remove); not 0.",
      });
      return;
    }
    setBusy(true);
    setResult(null);
    try {
      const answer = await call<{ level: { onHand: number; available: number }; ledgerSeq: number }>("PATCH", `/api/v2/inventory/${encodeURIComponent(sku)}`, {
        body: {
          locationId,
          ...(mode === "set" ? { onHand: value } : { delta: value }),
          expectedOnHand: expected,
          reason,
          ...(reference.trim() ? { reference: reference.trim() } : {}),
        },
      });
      setResult({
        kind: "ok",
        text: `Saved. On hand at ${names.get(locationId) ?? locationId} is now ${num(answer.level.onHand)} (${num(answer.level.available)} available); ledger row #${answer.ledgerSeq}.`,
      });
      setAmount("");
      onDone();
    } catch (err) {
      if (err instanceof ApiFailure && err.code === "stale_expected_on_hand") {
        const now = (err.details as { onHand?: number } | null)?.onHand;
        setResult({
          kind: "conflict",
          text: `Not saved: someone changed this stock meanwhile. On hand at ${names.get(locationId) ?? locationId} is ${now !== undefined ? num(now) : "different"}, not the ${num(expected)} this page showed. The counts below have been reloaded; check them and enter your change again.`,
        });
        onDone();
      } else setResult({ kind: "error", text: err instanceof Error ? err.message : String(err), error: err });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h2 id="adjust-title">Adjust stock</h2>
      <form class="card adjust" onSubmit={submit} aria-labelledby="adjust-title">
        <div class="field">
          <label for="adj-location">Location</label>
          <select id="adj-location" value={locationId} onChange={(e) => setLocationId((e.target as HTMLSelectElement).value)}>
            {options.map((id) => (
              <option key={id} value={id}>
                {names.get(id) ?? id} ({id}){stocked.includes(id) ? "" : " — no stock yet"}
              </option>
            ))}
          </select>
        </div>
        <fieldset class="field">
          <legend>Change</legend>
          <label class="inline">
            <input type="radio" name="adj-mode" value="delta" checked={mode === "delta"} onChange={() => setMode("delta")} /> Add or remove units
          </label>
          <label class="inline">
            <input type="radio" name="adj-mode" value="set" checked={mode === "set"} onChange={() => setMode("set")} /> Set on hand (a count)
          </label>
        </fieldset>
        <div class="field">
          <label for="adj-amount">{mode === "set" ? "New on hand" : "Units (+ to add, − to remove)"}</label>
          <input
            id="adj-amount"
            type="number"
            inputMode="numeric"
            step={1}
            min={mode === "set" ? 0 : undefined}
            required
            value={amount}
            onInput={(e) => setAmount((e.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field">
          <label for="adj-reason">Reason</label>
          <select id="adj-reason" value={reason} onChange={(e) => setReason((e.target as HTMLSelectElement).value)}>
            {ADJUSTMENT_REASONS.map((r) => (
              <option key={r} value={r}>
                {words(r)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="adj-reference">Reference (optional)</label>
          <input
            id="adj-reference"
            value={reference}
            onInput={(e) => setReference((e.target as HTMLInputElement).value)}
            placeholder="count sheet 42"
            maxLength={128}
          />
        </div>
        <p class="muted small field-wide" id="adj-cas">
          Applies only if on hand at this location is still <strong>{num(expected)}</strong>
          {loadedAt ? ` (as loaded at ${clock(loadedAt)})` : ""}: if someone else changed it first, nothing is overwritten.
        </p>
        <div class="field actions">
          <button type="submit" disabled={busy} aria-describedby="adj-cas">
            {busy ? "Saving…" : "Save change"}
          </button>
        </div>
        {result ? (
          <div class={`state ${result.kind === "ok" ? "success" : "error"} field-wide`} role={result.kind === "ok" ? "status" : "alert"}>
            {result.kind === "error" && result.error ? <ErrorNote error={result.error} /> : <p>{result.text}</p>}
          </div>
        ) : null}
      </form>
    </>
  );
}

interface ShardsView {
  sku: string;
  shards: number;
  allotments: { shard: number; locationId: string; units: number }[];
  pools: { shard: number; retired: boolean; free: { locationId: string; units: number }[]; pendingOps: number }[];
}

/**
 * Hot-SKU shards (operators): how many shard objects take the SKU's single-SKU reservations,
 * the units allotted to each and each pool's free units; a form sets the count (1–16, 1: not
 * sharded). Shard a SKU before a flash sale: one object serves a few hundred reservations a second.
 */
function Shards({ sku, onDone }: { sku: string; onDone: () => void }) {
  const view = useLoad<ShardsView>((signal) => call("GET", `/api/v2/inventory/${encodeURIComponent(sku)}/shards`, { signal }), [sku]);
  const [count, setCount] = useState("");
  const [state, setState] = useState<{ busy: boolean; error?: unknown; done?: string }>({ busy: false });
  const v = view.data;
  const submit = async (event: Event) => {
    event.preventDefault();
    const n = Number(count);
    if (!Number.isInteger(n) || n < 1 || n > 16) {
      setState({ busy: false, error: new ApiFailure("Shards must be a whole number from 1 to 16 (1: not sharded).", 400, "invalid_request") });
      return;
    }
    setState({ busy: true });
    try {
      const answer = await call<ShardsView>("PUT", `/api/v2/inventory/${encodeURIComponent(sku)}/shards`, { body: { shards: n } });
      setState({ busy: false, done: answer.shards > 1 ? `Reservations of ${sku} now go to ${answer.shards} shards.` : `${sku} is no longer sharded.` });
      view.reload();
      onDone();
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  return (
    <>
      <h2 id="shards-title">Hot-SKU shards</h2>
      {view.error ? <ErrorNote error={view.error} onRetry={view.reload} /> : null}
      {v ? (
        <p data-testid="shard-count">
          {v.shards > 1 ? `${v.shards} shards take this SKU's single-SKU reservations.` : "Not sharded: its own object takes every reservation."}
        </p>
      ) : null}
      {v && v.pools.length > 0 ? (
        <TableWrap label="Shard pools">
          <table>
            <thead>
              <tr>
                <th scope="col">Shard</th>
                <th scope="col" class="num">
                  Allotted
                </th>
                <th scope="col" class="num">
                  Free
                </th>
                <th scope="col" class="num">
                  Pending moves
                </th>
              </tr>
            </thead>
            <tbody>
              {v.pools.map((p) => (
                <tr key={p.shard} data-shard={p.shard}>
                  <th scope="row">
                    {p.shard}
                    {p.retired ? <span class="muted small"> retired</span> : null}
                  </th>
                  <td class="num">{num(v.allotments.filter((a) => a.shard === p.shard).reduce((n, a) => n + a.units, 0))}</td>
                  <td class="num">{num(p.free.reduce((n, f) => n + f.units, 0))}</td>
                  <td class="num">{num(p.pendingOps)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      <form class="toolbar" onSubmit={submit} aria-labelledby="shards-title" noValidate>
        <label>
          Shards{" "}
          <input type="number" name="shards" min={1} max={16} step={1} required value={count} onInput={(e) => setCount((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={state.busy}>
          {state.busy ? "Applying…" : "Set shards"}
        </button>
        {state.done ? (
          <p class="state success" role="status">
            {state.done}
          </p>
        ) : null}
      </form>
      {state.error ? <ErrorNote error={state.error} /> : null}
    </>
  );
}

function Audit({ sku }: { sku: string }) {
  const [state, setState] = useState<{
    busy: boolean;
    report?: { ok: boolean; ledgerRows: number; breaches: { locationId: string; invariant: string; detail: string }[] };
    error?: unknown;
  }>({ busy: false });
  const run = async () => {
    setState({ busy: true });
    try {
      setState({ busy: false, report: await call("GET", `/api/v2/inventory/${encodeURIComponent(sku)}/audit`) });
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  return (
    <>
      <h2>Audit</h2>
      <div class="toolbar">
        <button type="button" class="secondary" onClick={run} disabled={state.busy}>
          {state.busy ? "Checking…" : "Check invariants and replay the ledger"}
        </button>
        {state.report ? (
          <p class={`state ${state.report.ok ? "success" : "error"}`} role="status">
            {state.report.ok
              ? `Every invariant holds; replaying ${num(state.report.ledgerRows)} ledger rows reproduces the counts.`
              : `${state.report.breaches.length} problem(s): ${state.report.breaches.map((b) => `${b.locationId}: ${b.detail}`).join("; ")}`}
          </p>
        ) : null}
      </div>
      {state.error ? <ErrorNote error={state.error} /> : null}
    </>
  );
}

function LedgerSection({ ledger, names }: { ledger: ReturnType<typeof useLoad<{ rows: LedgerEntry[]; complete: boolean }>>; names: Map<string, string> }) {
  const [showAll, setShowAll] = useState(false);
  const rows = ledger.data?.rows ?? [];
  const chart = useMemo(() => {
    if (rows.length === 0) return null;
    const perLocation = new Map<string, { onHand: number; available: number }>();
    const times: number[] = [];
    const onHand: number[] = [];
    const available: number[] = [];
    for (const r of rows) {
      const a = r.after;
      perLocation.set(r.locationId, { onHand: a.onHand, available: a.onHand - a.reserved - a.committed - a.damaged - a.onHold });
      let total = 0;
      let avail = 0;
      for (const v of perLocation.values()) {
        total += v.onHand;
        avail += v.available;
      }
      times.push(Date.parse(r.at) / 1000);
      onHand.push(total);
      available.push(avail);
    }
    const series: Series[] = [
      { label: "On hand", values: onHand, color: "#1d4ed8" },
      { label: "Available", values: available, color: "#b45309", dash: true },
    ];
    return { times, series, first: onHand[0]!, last: onHand[onHand.length - 1]! };
  }, [rows]);
  const newestFirst = [...rows].reverse();
  const shown = showAll ? newestFirst : newestFirst.slice(0, 25);
  return (
    <>
      <h2>Ledger</h2>
      {ledger.loading && !ledger.data ? <Loading label="Loading the ledger…" /> : null}
      {ledger.error ? <ErrorNote error={ledger.error} onRetry={ledger.reload} /> : null}
      {ledger.data && rows.length === 0 ? <Empty>No ledger rows yet: nothing has happened to this SKU.</Empty> : null}
      {chart ? (
        <figure class="card">
          <TimelineChart
            times={chart.times}
            series={chart.series}
            label={`On hand over time: from ${num(chart.first)} to ${num(chart.last)} units over ${num(rows.length)} changes`}
          />
          <figcaption class="muted small">
            On hand (all locations) after each ledger row: from {num(chart.first)} to {num(chart.last)} over {num(rows.length)} changes
            {ledger.data?.complete ? "" : ` (the first ${num(rows.length)} rows)`}.
          </figcaption>
        </figure>
      ) : null}
      {rows.length > 0 ? (
        <>
          <TableWrap label="Ledger rows, newest first">
            <table class="ledger">
              <thead>
                <tr>
                  <th scope="col" class="num">
                    #
                  </th>
                  <th scope="col">When</th>
                  <th scope="col">Location</th>
                  <th scope="col">What</th>
                  <th scope="col" class="num">
                    On hand
                  </th>
                  <th scope="col" class="num">
                    Change
                  </th>
                  <th scope="col">By</th>
                  <th scope="col">Reference</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((r) => (
                  <tr key={r.seq}>
                    <td class="num">{r.seq}</td>
                    <td>
                      <time dateTime={r.at}>{when(r.at)}</time>
                    </td>
                    <td>{names.get(r.locationId) ?? r.locationId}</td>
                    <td>
                      {words(r.op)}
                      {r.reason ? <span class="muted"> · {words(r.reason)}</span> : null}
                    </td>
                    <td class="num">
                      {num(r.before.onHand)} → {num(r.after.onHand)}
                    </td>
                    <td class="num">{signed(r.after.onHand - r.before.onHand)}</td>
                    <td class="small">{r.actor}</td>
                    <td class="small">{r.reference ?? r.reservationId ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {rows.length > 25 ? (
            <button type="button" class="secondary" onClick={() => setShowAll(!showAll)} aria-expanded={showAll}>
              {showAll ? "Show the latest 25" : `Show all ${num(rows.length)} rows`}
            </button>
          ) : null}
        </>
      ) : null}
      {!ledger.data?.complete && ledger.data ? <p class="muted small">Only the first {num(LEDGER_CAP)} ledger rows are shown.</p> : null}
    </>
  );
}
