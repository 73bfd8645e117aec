/**
 * Sync jobs: a job's progress (polled until it finishes), its per-item errors page by page,
 * the error report as a CSV download, and its held reviews. The API has no list of jobs
 * yet, so this view lists the jobs started or opened in this tab and opens any job by id.
 */
import { useState } from "preact/hooks";
import { call, qs, saveText } from "../api";
import { Badge, Empty, ErrorNote, Loading, PageTitle, Progress, TableWrap, useInterval, useLoad } from "../components/ui";
import { num, when, words } from "../format";
import { href, navigate } from "../router";
import { rememberJob, rememberedJobs, type Session } from "../session";
import type { Page, SyncError, SyncJob } from "../types";
import { ReviewTable } from "./reviews";

const FINISHED = new Set(["completed", "completed_with_errors", "failed"]);
export const isFinished = (job: SyncJob) => FINISHED.has(job.status);

export function SyncJobsPage({ session }: { session: Session }) {
  const [jobId, setJobId] = useState("");
  const [invalid, setInvalid] = useState(false);
  const jobs = rememberedJobs();
  const open = (e: Event) => {
    e.preventDefault();
    const id = jobId.trim();
    if (!/^sync_[0-9a-f]{32}$/.test(id)) {
      setInvalid(true);
      return;
    }
    navigate(href(["sync", id]));
  };
  return (
    <section>
      <PageTitle sub="Stock feeds sent as JSON or CSV (POST /api/v2/inventory/sync), applied in the background.">Sync jobs</PageTitle>
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
      <p class="notice" role="note">
        The API cannot list sync jobs yet (only read one by id), so this list holds the jobs started or opened in this tab.
        {session.scope === "vendor" ? (
          <>
            {" "}
            Start one from <a href={href(["upload"])}>Upload stock</a>.
          </>
        ) : (
          <>
            {" "}
            Jobs with held values are also reachable from <a href={href(["reviews"])}>Sync reviews</a>.
          </>
        )}
      </p>
      {jobs.length === 0 ? (
        <Empty>No jobs in this tab yet.</Empty>
      ) : (
        <ul class="plain-list">
          {jobs.map((j) => (
            <li key={j}>
              <a href={href(["sync", j])}>
                <code>{j}</code>
              </a>
            </li>
          ))}
        </ul>
      )}
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
