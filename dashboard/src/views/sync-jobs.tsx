/**
 * Sync jobs: the list (`GET /api/v2/sync`: newest first, filtered by status, vendor and
 * creation time, in pages; vendors see their own), a job's progress (polled until it
 * finishes), its per-item errors page by page, the error report as a CSV download, and its
 * held reviews. Any job also opens by id; the jobs opened in this tab stay listed below.
 */
import { useState } from "preact/hooks";
import { call, qs, saveText } from "../api";
import { Badge, Empty, ErrorNote, Loading, PageTitle, Pager, Progress, TableWrap, useInterval, useLoad } from "../components/ui";
import { num, when, words } from "../format";
import { href, navigate } from "../router";
import { rememberJob, rememberedJobs, type Session } from "../session";
import type { Page, SyncError, SyncJob } from "../types";
import { ReviewTable } from "./reviews";

const FINISHED = new Set(["completed", "completed_with_errors", "failed"]);
export const isFinished = (job: SyncJob) => FINISHED.has(job.status);

const STATUSES = ["queued", "running", "completed", "completed_with_errors", "failed"] as const;
/** `since` choices: the last day, week, 30 days (empty: any time). */
const SINCE_DAYS = [1, 7, 30] as const;

/** Items recorded so far (applied, unchanged, held or failed) of those accepted. */
const recordedOf = (j: SyncJob) => j.counts.accepted - j.counts.pending;

export function SyncJobsPage({ session, query }: { session: Session; query: URLSearchParams }) {
  const status = query.get("status") ?? "";
  const vendorId = session.scope === "vendor" ? "" : (query.get("vendorId") ?? "");
  const sinceDays = query.get("sinceDays") ?? "";
  const [vendorInput, setVendorInput] = useState(vendorId);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const since = sinceDays ? new Date(Date.now() - Number(sinceDays) * 86_400_000).toISOString() : undefined;
  const list = useLoad<Page<SyncJob>>(
    (signal) => call("GET", `/api/v2/sync${qs({ status, vendorId, since, cursor, limit: 25 })}`, { signal }),
    [status, vendorId, sinceDays, cursor],
  );
  const running = (list.data?.items ?? []).some((j) => !isFinished(j));
  useInterval(list.reload, 2_000, running && !list.loading);
  const filter = (next: Record<string, string>) => {
    setCursors([]);
    navigate(href(["sync"], { status, vendorId, sinceDays, ...next }));
  };
  const [jobId, setJobId] = useState("");
  const [invalid, setInvalid] = useState(false);
  const opened = rememberedJobs();
  const open = (e: Event) => {
    e.preventDefault();
    const id = jobId.trim();
    if (!/^sync_[0-9a-f]{32}$/.test(id)) {
      setInvalid(true);
      return;
    }
    navigate(href(["sync", id]));
  };
  const items = list.data?.items ?? [];
  return (
    <section>
      <PageTitle sub="Stock feeds sent as JSON or CSV (POST /api/v2/inventory/sync), applied in the background; newest first.">Sync jobs</PageTitle>
      <form
        class="filters"
        aria-label="Sync job filters"
        onSubmit={(e) => {
          e.preventDefault();
          filter({ vendorId: vendorInput.trim() });
        }}
      >
        <div class="field">
          <label for="sj-status">Status</label>
          <select id="sj-status" value={status} onChange={(e) => filter({ status: (e.target as HTMLSelectElement).value })}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {words(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="sj-since">Created</label>
          <select id="sj-since" value={sinceDays} onChange={(e) => filter({ sinceDays: (e.target as HTMLSelectElement).value })}>
            <option value="">any time</option>
            {SINCE_DAYS.map((d) => (
              <option key={d} value={String(d)}>
                {d === 1 ? "in the last day" : `in the last ${d} days`}
              </option>
            ))}
          </select>
        </div>
        {session.scope === "operator" ? (
          <div class="field">
            <label for="sj-vendor">Vendor id (empty: all)</label>
            <input id="sj-vendor" value={vendorInput} spellcheck={false} maxLength={64} onInput={(e) => setVendorInput((e.target as HTMLInputElement).value)} />
          </div>
        ) : null}
        <button type="submit">Filter</button>
        <button type="button" class="secondary" onClick={list.reload} disabled={list.loading}>
          {list.loading ? "Loading…" : "Refresh"}
        </button>
      </form>
      {list.loading && !list.data ? <Loading label="Loading sync jobs…" /> : null}
      {list.error ? <ErrorNote error={list.error} onRetry={list.reload} /> : null}
      {list.data && items.length === 0 ? (
        <Empty>
          No sync jobs{status ? ` ${words(status)}` : ""}
          {sinceDays ? " in that time" : ""}.
          {session.scope === "vendor" ? (
            <>
              {" "}
              Start one from <a href={href(["upload"])}>Upload stock</a>.
            </>
          ) : null}
        </Empty>
      ) : null}
      {items.length > 0 ? (
        <TableWrap label="Sync jobs">
          <table class="sync-jobs-table">
            <thead>
              <tr>
                <th scope="col">Job</th>
                {session.scope === "operator" ? <th scope="col">Vendor</th> : null}
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col" class="num">
                  Applied
                </th>
                <th scope="col" class="num">
                  Errors
                </th>
                <th scope="col">Source</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((j) => (
                <tr key={j.jobId} data-job-row={j.jobId} data-status={j.status}>
                  <th scope="row">
                    <a href={href(["sync", j.jobId])}>
                      <code>{j.jobId.slice(0, 13)}…</code>
                    </a>
                  </th>
                  {session.scope === "operator" ? <td>{j.vendorId}</td> : null}
                  <td>
                    <Badge status={j.status} />
                  </td>
                  <td>
                    <progress
                      value={isFinished(j) ? 1 : recordedOf(j)}
                      max={isFinished(j) ? 1 : Math.max(j.counts.accepted, 1)}
                      aria-label={`Job ${j.jobId}: ${num(recordedOf(j))} of ${num(j.counts.accepted)} items recorded`}
                    />
                  </td>
                  <td class="num">{num(j.counts.applied)}</td>
                  <td class="num">
                    {j.counts.errors > 0 ? (
                      <a href={href(["sync", j.jobId])} aria-label={`${num(j.counts.errors)} item errors of job ${j.jobId}`}>
                        {num(j.counts.errors)}
                      </a>
                    ) : (
                      "0"
                    )}
                  </td>
                  <td>{j.source.toUpperCase()}</td>
                  <td>{when(j.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      <Pager cursors={cursors} setCursors={setCursors} nextCursor={list.data?.nextCursor} />
      <h2>Open a job</h2>
      <form class="filters" onSubmit={open}>
        <div class="field grow">
          <label for="job-id">Open a job by id</label>
          <input
            id="job-id"
            value={jobId}
            onInput={(e) => {
              setJobId((e.target as HTMLInputElement).value);
              setInvalid(false);
            }}
            placeholder="sync_…"
            autocomplete="off"
            aria-invalid={invalid}
            aria-describedby={invalid ? "job-id-error" : undefined}
          />
          {invalid ? (
            <p id="job-id-error" class="field-error">
              A job id is “sync_” and 32 lowercase hex digits, as the upload, the CLI or the API answered.
            </p>
          ) : null}
        </div>
        <div class="field actions">
          <button type="submit">Open</button>
        </div>
      </form>
      {opened.length > 0 ? (
        <>
          <h3>Opened in this tab</h3>
          <ul class="plain-list">
            {opened.map((j) => (
              <li key={j}>
                <a href={href(["sync", j])}>
                  <code>{j}</code>
                </a>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/** A job's status and progress, polled every second until it finishes. */
export function JobProgress({ jobId, onFinished }: { jobId: string; onFinished?: (job: SyncJob) => void }) {
  const job = useLoad<SyncJob>(
    async (signal) => {
      const j = await call<SyncJob>("GET", `/api/v2/sync/${jobId}`, { signal });
      if (isFinished(j)) onFinished?.(j);
      return j;
    },
    [jobId],
  );
  const running = job.data !== undefined && !isFinished(job.data);
  useInterval(job.reload, 1_000, running && !job.loading);
  const j = job.data;
  if (!j) return job.error ? <ErrorNote error={job.error} onRetry={job.reload} /> : <Loading label="Loading the job…" />;
  const c = j.counts;
  const recorded = c.accepted - c.pending;
  return (
    <div class="card job" data-job={j.jobId} data-status={j.status}>
      <p class="job-status" role="status" aria-live="polite">
        <Badge status={j.status} />{" "}
        {FINISHED.has(j.status)
          ? `finished ${when(j.completedAt)}${j.durationMs !== null ? ` in ${num(Math.round(j.durationMs / 100) / 10)} s` : ""}`
          : "in progress…"}
      </p>
      <Progress
        value={FINISHED.has(j.status) ? Math.max(c.accepted, 1) : recorded}
        max={Math.max(c.accepted, 1)}
        label={`Items recorded: ${num(recorded)} of ${num(c.accepted)} accepted`}
      />
      <dl class="counts">
        <div>
          <dt>Received</dt>
          <dd>{num(c.received)}</dd>
        </div>
        <div>
          <dt>Applied</dt>
          <dd>{num(c.applied)}</dd>
        </div>
        <div>
          <dt>Unchanged</dt>
          <dd>{num(c.unchanged)}</dd>
        </div>
        <div>
          <dt>Held for review</dt>
          <dd>{num(c.conflicts)}</dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd>{num(c.errors)}</dd>
        </div>
        <div>
          <dt>Chunks</dt>
          <dd>
            {num(j.chunks.done)} / {num(j.chunks.total)}
          </dd>
        </div>
      </dl>
      {job.error ? <ErrorNote error={job.error} onRetry={job.reload} /> : null}
    </div>
  );
}

/** The item errors of a job, a page at a time, and the whole report as a CSV download. */
export function JobErrors({ job }: { job: SyncJob }) {
  const [cursor, setCursor] = useState<string | null>(null);
  const [download, setDownload] = useState<{ busy: boolean; error?: unknown }>({ busy: false });
  const page = useLoad<Page<SyncError>>(
    (signal) => call("GET", `/api/v2/sync/${job.jobId}/errors${qs({ limit: 100, cursor })}`, { signal }),
    [job.jobId, cursor, job.counts.errors],
  );
  const csv = async () => {
    setDownload({ busy: true });
    try {
      saveText(await call<string>("GET", `/api/v2/sync/${job.jobId}/errors?format=csv`, { asText: true }), `${job.jobId}-errors.csv`);
      setDownload({ busy: false });
    } catch (error) {
      setDownload({ busy: false, error });
    }
  };
  if (job.counts.errors === 0) return <Empty>No item errors.</Empty>;
  return (
    <>
      <div class="toolbar">
        <button type="button" class="secondary" onClick={csv} disabled={download.busy}>
          {download.busy ? "Preparing the CSV…" : `Download the ${num(job.counts.errors)} errors as CSV`}
        </button>
      </div>
      {download.error ? <ErrorNote error={download.error} /> : null}
      {page.error ? <ErrorNote error={page.error} onRetry={page.reload} /> : null}
      {page.data ? (
        <TableWrap label="Item errors">
          <table>
            <thead>
              <tr>
                <th scope="col" class="num">
                  Item
                </th>
                <th scope="col" class="num">
                  Line
                </th>
                <th scope="col">SKU</th>
                <th scope="col">Location</th>
                <th scope="col" class="num">
                  Quantity
                </th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {page.data.items.map((e) => (
                <tr key={e.item}>
                  <td class="num">{e.item}</td>
                  <td class="num">{e.row ?? "—"}</td>
                  <td>{e.sku ?? "—"}</td>
                  <td>{e.locationId ?? "—"}</td>
                  <td class="num">{e.quantity === null ? "—" : num(e.quantity)}</td>
                  <td>
                    {e.message} <span class="muted small">({words(e.code)})</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : (
        <Loading label="Loading the errors…" />
      )}
      <nav class="pager" aria-label="Pages of errors">
        {cursor ? (
          <button type="button" class="secondary" onClick={() => setCursor(null)}>
            First page
          </button>
        ) : null}
        {page.data?.nextCursor ? (
          <button type="button" class="secondary" onClick={() => setCursor(page.data!.nextCursor)}>
            Next page
          </button>
        ) : null}
      </nav>
    </>
  );
}

export function JobPage({ session, jobId }: { session: Session; jobId: string }) {
  const [finished, setFinished] = useState<SyncJob | null>(null);
  const known = useLoad<SyncJob>(
    async (signal) => {
      const j = await call<SyncJob>("GET", `/api/v2/sync/${jobId}`, { signal });
      rememberJob(jobId);
      return j;
    },
    [jobId],
  );
  return (
    <section>
      <PageTitle
        sub={
          known.data
            ? `Vendor ${known.data.vendorId} · ${known.data.source.toUpperCase()} · ${words(known.data.mode)} · created ${when(known.data.createdAt)}`
            : undefined
        }
      >
        Sync job <code class="title-code">{jobId}</code>
      </PageTitle>
      {known.error ? <ErrorNote error={known.error} /> : null}
      {known.data ? (
        <>
          <JobProgress jobId={jobId} onFinished={(j) => setFinished((f) => (f?.status === j.status && f.counts.errors === j.counts.errors ? f : j))} />
          <h2>Item errors</h2>
          {finished ? <JobErrors job={finished} /> : <p class="muted">Shown when the job has finished.</p>}
          <h2>Held for review</h2>
          {finished ? <ReviewTable session={session} filters={{ jobId }} /> : <p class="muted">Shown when the job has finished.</p>}
        </>
      ) : null}
    </section>
  );
}
