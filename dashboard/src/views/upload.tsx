/**
 * Upload stock (vendors): drop or choose a file — our CSV (sku,location_id,quantity), a
 * Shopify inventory export, a CSV in the vendor's mapped layout, or an X12 846 — and the
 * format it is read as (`auto` detects it from the header or the ISA); see it checked, send it
 * as a sync job (`POST /api/v2/inventory/sync?format=`) and watch it progress, with the format
 * the API read it as (the job's `source`); then the errors and the download. The job's
 * Idempotency-Key is derived from the file, mode and format, so sending the same file again
 * returns the same job instead of applying it twice.
 */
import { useState } from "preact/hooks";
import { call } from "../api";
import { ErrorNote, PageTitle, Progress } from "../components/ui";
import { checkCsv, checkVendorFile, type CsvCheck, hasOurHeader, isX12, MAX_ROWS } from "../csv-check";
import { num } from "../format";
import { href } from "../router";
import { rememberJob, type Session } from "../session";
import type { SyncJob } from "../types";
import { SOURCE_WORDS, SYNC_FORMATS, type SyncFormat } from "../vendor-types";
import { JobErrors, JobProgress } from "./sync-jobs";

async function contentKey(mode: string, format: string, text: string): Promise<string> {
  // The format is part of it: the same bytes read another way are another job.
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${mode}\n${format === "auto" ? "" : `${format}\n`}${text}`));
  return `dashboard-${[...new Uint8Array(digest)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .slice(0, 48)}`;
}

const FORMAT_WORDS: Record<SyncFormat, string> = {
  auto: "auto: detect it from the header",
  ours: "ours: sku, location_id, quantity",
  shopify: "Shopify inventory export",
  generic: "my column map (set in Sync settings)",
  x12: "X12 846 inventory advice",
};

/** The first look that fits the file and the chosen format. */
function firstLook(text: string, mode: "absolute" | "delta", format: SyncFormat): CsvCheck {
  if (format === "ours" || (format === "auto" && hasOurHeader(text))) return checkCsv(text, mode);
  return checkVendorFile(text, mode, format === "auto" ? (isX12(text) ? "X12" : "vendor-format") : format);
}

interface Picked {
  name: string;
  size: number;
  text: string;
}

export function UploadPage({ session }: { session: Session }) {
  const [file, setFile] = useState<Picked | null>(null);
  const [mode, setMode] = useState<"absolute" | "delta">("absolute");
  const [format, setFormat] = useState<SyncFormat>("auto");
  const [source, setSource] = useState<string | null>(null);
  const [check, setCheck] = useState<CsvCheck | null>(null);
  const [reading, setReading] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [job, setJob] = useState<{ id: string } | null>(null);
  const [finished, setFinished] = useState<SyncJob | null>(null);

  const pick = async (f: File | undefined) => {
    if (!f) return;
    setError(null);
    setJob(null);
    setSource(null);
    setFinished(null);
    if (f.size > 8 * 1024 * 1024) {
      setFile(null);
      setCheck({
        rows: 0,
        problems: [],
        fatal: `${f.name} is ${num(Math.round(f.size / 1024))} KB; an upload may be at most 8 MB. Use the CLI (npm run sync) for large files.`,
      });
      return;
    }
    setReading(true);
    const text = await f.text();
    setReading(false);
    setFile({ name: f.name, size: f.size, text });
    setCheck(firstLook(text, mode, format));
  };
  const changeMode = (m: "absolute" | "delta") => {
    setMode(m);
    if (file) setCheck(firstLook(file.text, m, format));
  };
  const changeFormat = (f: SyncFormat) => {
    setFormat(f);
    if (file) setCheck(firstLook(file.text, mode, f));
  };
  const send = async () => {
    if (!file) return;
    setSending(true);
    setError(null);
    setFinished(null);
    try {
      const key = await contentKey(mode, format, file.text);
      const x12 = format === "x12" || (format === "auto" && isX12(file.text));
      const answer = await call<{ jobId: string; source: string }>("POST", `/api/v2/inventory/sync?mode=${mode}&format=${format}`, {
        raw: { text: file.text, type: x12 ? "application/edi-x12" : "text/csv" },
        headers: { "idempotency-key": key },
      });
      rememberJob(answer.jobId);
      setSource(answer.source);
      setJob({ id: answer.jobId });
    } catch (err) {
      setError(err);
    } finally {
      setSending(false);
    }
  };
  return (
    <section>
      <PageTitle
        sub={`Our CSV (columns sku, location_id and quantity, any order), a Shopify inventory export, a CSV in your column map's layout, or an X12 846; up to ${num(MAX_ROWS)} rows. Absolute: the on-hand you count; delta (our CSV only): units to add or remove. Location names in a vendor file go through the location names of your sync settings.`}
      >
        Upload stock
      </PageTitle>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: a drop target for dragged files; keyboard users choose the file with the input inside it. */}
      <div
        class={`dropzone ${dragging ? "dragging" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          void pick(e.dataTransfer?.files[0]);
        }}
      >
        <p>Drag a file here, or</p>
        <label class="button secondary" for="csv-file">
          Choose a file
        </label>
        <input
          id="csv-file"
          class="visually-hidden-file"
          type="file"
          accept=".csv,.txt,.edi,.x12,text/csv,text/plain,application/edi-x12"
          onChange={(e) => void pick((e.target as HTMLInputElement).files?.[0])}
        />
        {file ? (
          <p class="small" role="status">
            {file.name} · {num(Math.round(file.size / 102.4) / 10)} KB
          </p>
        ) : null}
      </div>
      <div class="field">
        <label for="upload-format">Format</label>
        <select id="upload-format" value={format} onChange={(e) => changeFormat((e.target as HTMLSelectElement).value as SyncFormat)}>
          {SYNC_FORMATS.map((f) => (
            <option key={f} value={f}>
              {FORMAT_WORDS[f]}
            </option>
          ))}
        </select>
      </div>
      <fieldset class="field">
        <legend>The quantities are</legend>
        <label class="inline">
          <input type="radio" name="mode" value="absolute" checked={mode === "absolute"} onChange={() => changeMode("absolute")} /> on hand (absolute)
        </label>
        <label class="inline">
          <input type="radio" name="mode" value="delta" checked={mode === "delta"} onChange={() => changeMode("delta")} /> changes (delta)
        </label>
      </fieldset>
      {reading ? <p role="status">Reading the file…</p> : null}
      {check ? (
        <div class="card" aria-live="polite">
          {check.fatal ? (
            <p class="state error" role="alert">
              {check.fatal}
            </p>
          ) : (
            <>
              <p role="status">
                <strong>{num(check.rows)} rows</strong> checked:{" "}
                {check.problems.length === 0
                  ? "no problems found."
                  : `${num(check.problems.length)}${check.problems.length >= 200 ? "+" : ""} problems; those rows will come back as item errors, the others are applied.`}
              </p>
              {check.problems.length > 0 ? (
                <ul class="problems">
                  {check.problems.slice(0, 10).map((p) => (
                    <li key={`${p.line}-${p.message}`}>
                      line {p.line}: {p.message}
                    </li>
                  ))}
                  {check.problems.length > 10 ? <li>… and {num(check.problems.length - 10)} more</li> : null}
                </ul>
              ) : null}
              <button type="button" onClick={send} disabled={sending || !file}>
                {sending ? "Sending…" : `Send ${num(check.rows)} rows`}
              </button>
              {sending ? <Progress value={0} label={`Sending ${file ? num(Math.round(file.size / 1024)) : 0} KB`} /> : null}
            </>
          )}
        </div>
      ) : null}
      {error ? <ErrorNote error={error} /> : null}
      {job ? (
        <>
          <h2>
            Job <a href={href(["sync", job.id])}>{job.id}</a>
          </h2>
          {source ? (
            <p data-testid="detected-format">
              Read as: {SOURCE_WORDS[source] ?? source} (<code>{source}</code>){format === "auto" ? ", detected from the file" : ""}.
            </p>
          ) : null}
          <p class="muted small">Sending the same file with the same mode and format again returns this job; nothing is applied twice.</p>
          <JobProgress jobId={job.id} onFinished={(j) => setFinished((f) => f ?? j)} />
          {finished ? (
            <>
              <h2>Item errors</h2>
              <JobErrors job={finished} />
              {finished.counts.conflicts > 0 ? (
                <p class="notice">
                  {num(finished.counts.conflicts)} value(s) are held for an operator's review: see{" "}
                  <a href={href(["reviews"], { status: "open" })}>Sync reviews</a>.
                </p>
              ) : null}
            </>
          ) : null}
        </>
      ) : null}
      <p class="muted small">Signed in as vendor {session.vendorId}: the feed applies to your SKUs only; another vendor's SKU is an item error.</p>
    </section>
  );
}
