/**
 * Partitions (operators): the partitioned system (issue 19) and its re-partitioning tools.
 *
 * - M, the number of read databases (`GET /api/v2/read-partitions`);
 * - how the load spread (`GET /api/v2/diagnostics/load`): messages per partition of each
 *   queue and the EVENTS projection's writes per database, each read as balanced (max/mean
 *   ≤ 1.2, issue 19's bar) or imbalanced;
 * - moves of a vendor's read-model rows: start one (`POST …/moves`), a vendor's moves and where
 *   its rows are now (`GET …/moves?vendorId=`, the vendor in the URL), every vendor's latest
 *   (`GET …/moves`); an open move is followed with `GET …/moves/{id}`, which also advances it,
 *   as the per-minute cron does;
 * - pinning every vendor before M changes (`POST …/pin`, after a confirmation).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiFailure, call, qs } from "../api";
import { FieldError, fieldAria, focusFirstInvalid, NotSent } from "../components/form-fields";
import { Badge, Empty, ErrorNote, Kpi, Loading, PageTitle, TableWrap, useInterval, useLoad } from "../components/ui";
import { num, when } from "../format";
import { idProblem, problemsByField } from "../input-rules";
import { BALANCE_BAR, type Spread, spreadOf } from "../load-spread";
import type { LoadSnapshot, MoveList, PinResult, Placement, QueuePartitionLoad, ReadMove, ReadPartitions } from "../partition-types";
import { href, navigate } from "../router";

/** How often an open move on the page is read again (each read also advances it). */
const FOLLOW_MS = 5_000;
/** Every vendor's moves listed. */
const RECENT_LIMIT = 20;

const ratioFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** `READ_2`: a read database by its binding, as wrangler.toml and the load counters name it. */
const db = (partition: number): string => `READ_${partition}`;

export function PartitionsPage({ query }: { query: URLSearchParams }) {
  const vendor = query.get("vendor") ?? "";
  const m = useLoad<ReadPartitions>((signal) => call("GET", "/api/v2/read-partitions", { signal }), []);
  // Bumped when a move starts or a followed move changes: both lists read again.
  const [version, setVersion] = useState(0);
  const recent = useLoad<MoveList>((signal) => call("GET", `/api/v2/read-partitions/moves${qs({ limit: RECENT_LIMIT })}`, { signal }), [version]);
  const partitions = m.data?.partitions;
  const open = (recent.data?.items ?? []).filter((mv) => mv.state !== "done");
  return (
    <section>
      <PageTitle sub="The read model is split over M read databases, the queues over partitions. Here: how evenly the load spreads, and moving a vendor's rows from one read database to another (online; README “Re-partitioning the read model”).">
        Partitions
      </PageTitle>
      {m.error ? <ErrorNote error={m.error} onRetry={m.reload} /> : null}
      <dl class="kpis">
        <Kpi
          label="Read databases (M)"
          value={partitions === undefined ? "…" : num(partitions)}
          note={partitions === undefined ? undefined : `${Array.from({ length: partitions }, (_, i) => db(i)).join(", ")}`}
        />
        <Kpi
          label="Moves under way"
          value={recent.data ? num(open.length) : "…"}
          note={recent.data ? (open.length === 0 ? "none: every move is done" : open.map((mv) => mv.vendorId).join(", ")) : undefined}
          tone={open.length > 0 ? "warn" : "none"}
        />
      </dl>
      <LoadSpread />
      <h2>Moves</h2>
      <MoveStates />
      <StartMove
        partitions={partitions}
        version={version}
        onStarted={(move) => {
          setVersion((v) => v + 1);
          navigate(href(["partitions"], { vendor: move.vendorId }));
        }}
      />
      <VendorMoves vendor={vendor} partitions={partitions} version={version} />
      <h3>Recent moves of every vendor</h3>
      {recent.loading && !recent.data ? <Loading label="Loading moves…" /> : null}
      {recent.error ? <ErrorNote error={recent.error} onRetry={recent.reload} /> : null}
      {recent.data && recent.data.items.length === 0 ? <Empty>No vendor has been moved yet: every vendor is in its home read database.</Empty> : null}
      {recent.data && recent.data.items.length > 0 ? <MovesTable label="Recent moves of every vendor" moves={recent.data.items} showVendor /> : null}
      <FollowOpenMoves moves={open} onChanged={() => setVersion((v) => v + 1)} />
      <PinVendors />
    </section>
  );
}

/** The load counters: per queue the messages per partition, per database the EVENTS projection's writes, each read against the bar. */
function LoadSpread() {
  const load = useLoad<LoadSnapshot>((signal) => call("GET", "/api/v2/diagnostics/load", { signal }), []);
  const data = load.data;
  const queues: [string, QueuePartitionLoad[]][] = data
    ? [
        ["EVENTS", data.queues.events],
        ["WEBHOOKS", data.queues.webhooks],
        ["SYNC", data.queues.sync],
        ["REORDER", data.queues.reorder],
      ]
    : [];
  const width = Math.max(0, ...queues.map(([, parts]) => parts.length));
  const reads = (data?.databases ?? []).filter((d) => d.binding.startsWith("READ_"));
  const statements = spreadOf(reads.map((d) => d.statements));
  const events = spreadOf(reads.map((d) => d.events));
  return (
    <>
      <h2>Load spread</h2>
      <div class="toolbar">
        <p class="muted small">
          Balanced: the busiest partition carries at most {ratioFormat.format(BALANCE_BAR)} × the mean (max/mean ≤ {ratioFormat.format(BALANCE_BAR)}, issue 19's
          bar).
          {data ? (
            <>
              {" "}
              Counted by one isolate (<code>{data.isolate.id.slice(0, 8)}</code>) since {when(data.isolate.countingSince)}, read {when(data.at)}. In production
              each isolate counts only its own share, so this is a sample; locally one isolate runs every consumer.
            </>
          ) : null}
        </p>
        <button type="button" class="secondary" onClick={load.reload} disabled={load.loading}>
          {load.loading ? "Loading…" : "Refresh the counts"}
        </button>
      </div>
      {load.loading && !data ? <Loading label="Loading the load counters…" /> : null}
      {load.error ? <ErrorNote error={load.error} onRetry={load.reload} /> : null}
      {data ? (
        <>
          <TableWrap label="Queue messages per partition">
            <table class="load-queues" data-at={data.at}>
              <caption class="sr-only">Messages each queue partition's consumer received</caption>
              <thead>
                <tr>
                  <th scope="col">Queue</th>
                  {Array.from({ length: width }, (_, i) => (
                    <th scope="col" class="num" key={i}>
                      Partition {i}
                    </th>
                  ))}
                  <th scope="col" class="num">
                    Total
                  </th>
                  <th scope="col">Spread</th>
                </tr>
              </thead>
              <tbody>
                {queues.map(([name, parts]) => (
                  <tr key={name} data-queue={name}>
                    <th scope="row">{name}</th>
                    {Array.from({ length: width }, (_, i) => {
                      const p = parts[i];
                      return (
                        <td class="num" key={i} data-partition={i}>
                          {p ? (
                            <>
                              <span class="count">{num(p.messages)}</span>
                              <span class="muted small block" title={p.queue}>
                                {num(p.batches)} {p.batches === 1 ? "batch" : "batches"}
                              </span>
                            </>
                          ) : (
                            "—"
                          )}
                        </td>
                      );
                    })}
                    <td class="num">{num(parts.reduce((n, p) => n + p.messages, 0))}</td>
                    <td>
                      <SpreadReading spread={spreadOf(parts.map((p) => p.messages))} what="messages" />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {data.queues.other.length > 0 ? (
            <p class="muted small">
              Other queues (dead-letter queues):{" "}
              {data.queues.other.map((q, i) => (
                <span key={q.queue}>
                  {i > 0 ? "; " : ""}
                  <code>{q.queue}</code> {num(q.messages)} messages
                </span>
              ))}
              .
            </p>
          ) : null}
          <h3>Databases: the EVENTS projection's writes</h3>
          <TableWrap label="Writes per database">
            <table class="load-databases">
              <thead>
                <tr>
                  <th scope="col">Database</th>
                  <th scope="col" class="num">
                    D1 batches
                  </th>
                  <th scope="col" class="num">
                    Statements
                  </th>
                  <th scope="col" class="num">
                    Events
                  </th>
                  <th scope="col" class="num">
                    Applied first time
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.databases.map((d) => (
                  <tr key={d.binding} data-binding={d.binding}>
                    <th scope="row">
                      {d.binding}
                      {d.binding === "DB" ? <span class="muted small block">webhook-delivery inserts; not a read database</span> : null}
                    </th>
                    <td class="num">{num(d.batches)}</td>
                    <td class="num">{num(d.statements)}</td>
                    <td class="num">{num(d.events)}</td>
                    <td class="num">{num(d.applied)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          <ul class="plain-list spread-readings">
            <li data-spread="statements">
              <strong>Read databases, D1 statements:</strong> <SpreadReading spread={statements} what="statements" />
            </li>
            <li data-spread="events">
              <strong>Read databases, events:</strong> <SpreadReading spread={events} what="events" />
            </li>
          </ul>
          <p class="muted small">
            A read database's share follows its vendors: every row of a vendor lives in one database, so a few large vendors can make the databases uneven by
            design. Moving a vendor (below) evens them out; the queues spread by SKU and need no moves.
          </p>
        </>
      ) : null}
    </>
  );
}

/** "balanced · max/mean 1.05" in words, with a colour that is not the only signal. */
function SpreadReading({ spread, what }: { spread: Spread; what: string }) {
  if (spread.reading === "idle") return <span class="badge none reading">no {what} counted yet</span>;
  const ratio = ratioFormat.format(spread.maxOverMean ?? 0);
  return (
    <span>
      <span class={`badge reading ${spread.reading === "balanced" ? "good" : "bad"}`}>{spread.reading}</span>{" "}
      <span class="ratio">
        max/mean {ratio} {spread.reading === "balanced" ? "≤" : ">"} {ratioFormat.format(BALANCE_BAR)}
      </span>
      {spread.small ? <span class="muted small block">few {what} so far: a small sample varies by chance</span> : null}
    </span>
  );
}

/** What each state of a move means (README "Re-partitioning the read model"). */
function MoveStates() {
  return (
    <details class="card">
      <summary>What a move does, step by step</summary>
      <dl class="plain-list">
        <dt>
          <Badge status="draining" />
        </dt>
        <dd>
          About 30 s: the vendor's events wait in the queue (retried, not lost), its alert actions, planning settings and purchase-order writes answer 503
          “retry later”; reads go on.
        </dd>
        <dt>
          <Badge status="copying" />
        </dt>
        <dd>Its rows (read model, planning, purchase orders) are copied to the new database in pages; rows copied counts them.</dd>
        <dt>
          <Badge status="switched" />
        </dt>
        <dd>
          The vendor lives in the new database: events and lists use it at once. The old rows stay 60 s (twice the servers' placement cache), so an
          operator-wide list may briefly show each of the vendor's rows from both (the lists keep one).
        </dd>
        <dt>
          <Badge status="done" />
        </dt>
        <dd>The old rows are deleted (rows deleted). Each step resumes where a crash left it; the per-minute cron advances every open move.</dd>
      </dl>
    </details>
  );
}

/** Start a move: vendor id and target database, checked here first; the API's refusals shown on the field they concern. */
function StartMove({ partitions, version, onStarted }: { partitions: number | undefined; version: number; onStarted: (move: ReadMove) => void }) {
  const [vendorId, setVendorId] = useState("");
  const [to, setTo] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notSent, setNotSent] = useState(0);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ started?: ReadMove; error?: unknown } | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const trimmed = vendorId.trim();
  // Where the vendor is now, looked up as the id is typed (after a pause of 400 ms) and after a move changed.
  const placement = useLoad<Placement | null | undefined>(
    async (signal) => {
      if (idProblem("vendor id", trimmed) !== null) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 400));
      if (signal.aborted) return undefined;
      return (await call<MoveList>("GET", `/api/v2/read-partitions/moves${qs({ vendorId: trimmed, limit: 1 })}`, { signal })).placement;
    },
    // Read again when a move started or switched (`version`).
    [trimmed, version],
  );
  const here = placement.data ?? null;
  const check = (): Record<string, string> => {
    const out: Record<string, string> = {};
    const vendorProblem = idProblem("vendor id", vendorId);
    if (vendorProblem) out.vendorId = vendorProblem;
    if (to === "") out.to = "Choose the read database to move the vendor's rows to.";
    else if (partitions !== undefined && (!Number.isInteger(Number(to)) || Number(to) < 0 || Number(to) >= partitions))
      out.to = `Choose a read database from ${db(0)} to ${db(partitions - 1)}.`;
    return out;
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const found = check();
    setErrors(found);
    setNotSent(Object.keys(found).length);
    if (Object.keys(found).length > 0) {
      setResult(null);
      focusFirstInvalid(form.current);
      return;
    }
    setBusy(true);
    setResult(null);
    try {
      const started = await call<ReadMove>("POST", "/api/v2/read-partitions/moves", { body: { vendorId: trimmed, to: Number(to) } });
      setResult({ started });
      onStarted(started);
    } catch (error) {
      // The API's refusals on the field they concern: its field problems, an unknown vendor, a vendor already there or being moved.
      const byField = problemsByField(error);
      const code = error instanceof ApiFailure ? error.code : "";
      const message = error instanceof Error ? error.message : String(error);
      if (code === "vendor_not_found" || code === "move_in_progress") byField.vendorId ??= message;
      if (code === "already_there") byField.to ??= message;
      setErrors(byField);
      setResult({ error });
      focusFirstInvalid(form.current);
    } finally {
      setBusy(false);
    }
  };
  const edited = () => {
    setResult(null);
    setNotSent(0);
  };
  return (
    <form ref={form} class="card form-grid" onSubmit={submit} aria-label="Start a move" noValidate>
      <h3 class="field-wide">Start a move</h3>
      <div class="field">
        <label for="mv-vendor">Vendor id</label>
        <input
          {...fieldAria("mv-vendor", errors.vendorId, "mv-vendor-hint")}
          value={vendorId}
          spellcheck={false}
          autocomplete="off"
          placeholder="V-ACME"
          onInput={(e) => {
            setVendorId((e.target as HTMLInputElement).value);
            setErrors(({ vendorId: _v, ...rest }) => rest);
            edited();
          }}
        />
        <p id="mv-vendor-hint" class="muted small" aria-live="polite">
          {placement.data === null
            ? `No vendor ${trimmed}.`
            : here && !here.databaseExists
              ? `It is pinned to ${db(here.partition)}, which does not exist here (M = ${partitions ?? "?"}).`
              : here
                ? `Its rows are in ${db(here.partition)} now (${here.pinned ? "stored: pinned or moved there" : `its home under M = ${partitions ?? "?"}, not pinned`}).`
                : "Where its rows are now is shown here."}
        </p>
        <FieldError id="mv-vendor" error={errors.vendorId} />
      </div>
      <div class="field">
        <label for="mv-to">Move to read database</label>
        <select
          {...fieldAria("mv-to", errors.to)}
          value={to}
          disabled={partitions === undefined}
          onChange={(e) => {
            setTo((e.target as HTMLSelectElement).value);
            setErrors(({ to: _t, ...rest }) => rest);
            edited();
          }}
        >
          <option value="">Choose…</option>
          {Array.from({ length: partitions ?? 0 }, (_, i) => (
            <option value={String(i)} key={i}>
              {db(i)}
              {here?.partition === i ? " (where it is now)" : ""}
            </option>
          ))}
        </select>
        <FieldError id="mv-to" error={errors.to} />
      </div>
      <NotSent count={notSent} />
      <div class="field actions">
        <button type="submit" disabled={busy}>
          {busy ? "Starting…" : "Start the move"}
        </button>
      </div>
      {result?.error ? (
        <div class="field-wide">
          <ErrorNote error={result.error} />
        </div>
      ) : null}
      {result?.started ? (
        <p class="state success field-wide" role="status">
          Move <code>{result.started.id}</code> started: {result.started.vendorId} from {db(result.started.from)} to {db(result.started.to)}, now{" "}
          {result.started.state}.
        </p>
      ) : null}
    </form>
  );
}

/** A vendor's moves and where its rows are now (the vendor in the URL). */
function VendorMoves({ vendor, partitions, version }: { vendor: string; partitions: number | undefined; version: number }) {
  const [input, setInput] = useState(vendor);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => setInput(vendor), [vendor]);
  const list = useLoad<MoveList | null>(
    (signal) => (vendor ? call<MoveList>("GET", `/api/v2/read-partitions/moves${qs({ vendorId: vendor, limit: 100 })}`, { signal }) : Promise.resolve(null)),
    [vendor, version],
  );
  const placement = list.data?.placement;
  return (
    <>
      <h3>A vendor's moves</h3>
      <form
        class="filters"
        aria-label="Look up a vendor's moves"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const p = idProblem("vendor id", input);
          setProblem(p);
          if (p === null) navigate(href(["partitions"], { vendor: input.trim() }));
        }}
      >
        <div class="field">
          <label for="mv-lookup">Vendor id</label>
          <input
            {...fieldAria("mv-lookup", problem ?? undefined)}
            value={input}
            spellcheck={false}
            placeholder="V-ACME"
            onInput={(e) => {
              setInput((e.target as HTMLInputElement).value);
              setProblem(null);
            }}
          />
          <FieldError id="mv-lookup" error={problem ?? undefined} />
        </div>
        <button type="submit">Look up</button>
        {vendor ? (
          <button type="button" class="secondary" onClick={list.reload} disabled={list.loading}>
            {list.loading ? "Loading…" : "Refresh"}
          </button>
        ) : null}
      </form>
      {!vendor ? <p class="muted small">Enter a vendor id to see where its rows are and its moves, newest first.</p> : null}
      {list.loading && !list.data && vendor ? <Loading label={`Loading ${vendor}'s moves…`} /> : null}
      {list.error ? <ErrorNote error={list.error} onRetry={list.reload} /> : null}
      {list.data && placement === null ? (
        <p class="state error" role="alert">
          There is no vendor {vendor}.
        </p>
      ) : null}
      {list.data && placement && !placement.databaseExists ? (
        <p class="state error placement" role="alert">
          {vendor} is pinned to <strong>{db(placement.partition)}</strong>, which does not exist here (M = {partitions ?? "?"}): its lists, events and writes
          fail until that database's binding is back (README “Re-partitioning the read model”: never remove a read database its vendors still use).
        </p>
      ) : null}
      {list.data && placement?.databaseExists ? (
        <p class="state info placement" role="status">
          {vendor}'s rows are in <strong>{db(placement.partition)}</strong>{" "}
          {placement.pinned ? "(stored: pinned, or moved there)" : `(its home under M = ${partitions ?? "?"}; not pinned)`}.
        </p>
      ) : null}
      {list.data && placement && list.data.items.length === 0 ? <Empty>{vendor} has never been moved.</Empty> : null}
      {list.data && list.data.items.length > 0 ? <MovesTable label={`${vendor}'s moves`} moves={list.data.items} /> : null}
    </>
  );
}

/** Moves in a table: state and since when, rows copied and deleted, who asked. */
function MovesTable({ label, moves, showVendor = false }: { label: string; moves: ReadMove[]; showVendor?: boolean }) {
  return (
    <TableWrap label={label}>
      <table class="moves-table">
        <thead>
          <tr>
            <th scope="col">Move</th>
            {showVendor ? <th scope="col">Vendor</th> : null}
            <th scope="col">From → to</th>
            <th scope="col">State</th>
            <th scope="col">State since</th>
            <th scope="col" class="num">
              Rows copied
            </th>
            <th scope="col" class="num">
              Rows deleted
            </th>
            <th scope="col">Started</th>
            <th scope="col">Last progress</th>
            <th scope="col">Requested by</th>
          </tr>
        </thead>
        <tbody>
          {moves.map((mv) => (
            <tr key={mv.id} data-move={mv.id}>
              <th scope="row">
                <code>{mv.id}</code>
              </th>
              {showVendor ? (
                <td>
                  <a href={href(["partitions"], { vendor: mv.vendorId })}>{mv.vendorId}</a>
                </td>
              ) : null}
              <td>
                {db(mv.from)} → {db(mv.to)}
              </td>
              <td class="move-state">
                <Badge status={mv.state} />
              </td>
              <td>{when(mv.stateSince)}</td>
              <td class="num rows-copied">{num(mv.rowsCopied)}</td>
              <td class="num rows-deleted">{num(mv.rowsDeleted)}</td>
              <td>{when(mv.createdAt)}</td>
              <td>{when(mv.updatedAt)}</td>
              <td>
                <code>{mv.requestedBy}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** While moves are open, reads each every FOLLOW_MS (which advances it) and says when one changed. */
function FollowOpenMoves({ moves, onChanged }: { moves: ReadMove[]; onChanged: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const busy = useRef(false);
  useInterval(
    () => {
      if (busy.current) return;
      busy.current = true;
      void Promise.all(moves.slice(0, 5).map((mv) => call<ReadMove>("GET", `/api/v2/read-partitions/moves/${encodeURIComponent(mv.id)}`)))
        .then((now) => {
          setError(null);
          if (now.some((n, i) => n.state !== moves[i]!.state || n.rowsCopied !== moves[i]!.rowsCopied || n.rowsDeleted !== moves[i]!.rowsDeleted)) onChanged();
        })
        .catch(setError)
        .finally(() => {
          busy.current = false;
        });
    },
    FOLLOW_MS,
    moves.length > 0,
  );
  if (moves.length === 0) return null;
  return (
    <>
      <p class="muted small" aria-live="polite">
        Following {moves.length === 1 ? "the open move" : `${num(moves.length)} open moves`}: read every {FOLLOW_MS / 1000} s while this page is open; each read
        also advances a move that is due, as the per-minute cron does.
      </p>
      {error ? <ErrorNote error={error} /> : null}
    </>
  );
}

/** Pinning every vendor, the first step of changing M, after a confirmation. */
function PinVendors() {
  const [confirming, setConfirming] = useState(false);
  const [state, setState] = useState<{ busy: boolean; done?: PinResult; error?: unknown }>({ busy: false });
  const pin = async () => {
    setState({ busy: true });
    try {
      const done = await call<PinResult>("POST", "/api/v2/read-partitions/pin");
      setState({ busy: false, done });
      setConfirming(false);
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  return (
    <>
      <h2>Before changing M: pin every vendor</h2>
      <p class="muted">
        A vendor's read database is a hash of its id over M, unless one is stored for it. Adding read databases changes M and with it every unpinned vendor's
        home, while its rows stay where they are. So before adding (or removing) databases, pin every vendor: its current database is stored, and it stays there
        when M changes. Then add the <code>READ_&lt;M&gt;</code>… databases in wrangler.toml, migrate and deploy, and move vendors onto them here, largest
        first, until the databases are even. Pinning is idempotent (a second run pins only vendors created since) and moves no rows; there is no need to pin for
        any other reason.
      </p>
      {state.done ? (
        <p class="state success" role="status">
          {state.done.pinned === 0
            ? "No vendor needed pinning: every vendor already has its read database stored."
            : `Pinned ${num(state.done.pinned)} ${state.done.pinned === 1 ? "vendor" : "vendors"} to the read database ${state.done.pinned === 1 ? "it is" : "each is"} in now.`}
        </p>
      ) : null}
      {state.error ? <ErrorNote error={state.error} /> : null}
      {confirming ? (
        <fieldset class="card">
          <legend>Pin every vendor?</legend>
          <p>Store every unpinned vendor's current read database now? Nothing is moved; vendors created later are placed by hash until pinned again.</p>
          <div class="button-row">
            <button type="button" disabled={state.busy} onClick={pin}>
              {state.busy ? "Pinning…" : "Pin every vendor now"}
            </button>
            <button type="button" class="secondary" onClick={() => setConfirming(false)}>
              Not now
            </button>
          </div>
        </fieldset>
      ) : (
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setState({ busy: false });
            setConfirming(true);
          }}
        >
          Pin every vendor…
        </button>
      )}
    </>
  );
}
