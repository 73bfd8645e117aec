#!/usr/bin/env node
// Vendor sync CLI: streams a CSV or JSON-lines stock feed of any size to
// POST /api/v2/inventory/sync in batches of up to 10,000 items, then polls every job and
// prints the summary and where to find the errors.
//
//   EDGE_INVENTORY_KEY=eik_… npm run sync -- stock.csv [--url http://127.0.0.1:8787] [--mode absolute|delta]
//   EDGE_INVENTORY_KEY=eik_… npm run sync -- shopify-export.csv [--format auto|ours|shopify|generic|x12]
//
// Our own formats (CSV with sku,location_id,quantity; JSON lines; JSON) are streamed in
// batches. A vendor file in another format (a Shopify inventory export, the vendor's mapped
// layout, an X12 846) is sent whole, as the file it is, and the server reads it with the
// vendor's sync settings (column map, location names): `--format` says which, or `auto`
// (the default for a file that is not ours) lets the server detect it.
//
// The key comes from EDGE_INVENTORY_KEY and is never printed. (--vendor-key still works but
// puts the key on the command line, where npm echoes it and the shell's history keeps it.)
//
// Resumable: each batch's Idempotency-Key is derived from its content, position and mode,
// so running the same command again (after a crash, Ctrl-C or a network failure) gets the
// jobs already created back from the server and applies nothing twice. 429 answers are
// retried after their Retry-After; 5xx answers and network errors with backoff.
// Plain Node (≥ 20) ESM; its only dependency is the CSV parser the Worker uses (csv-parse).
import { createHash } from "node:crypto";
import { closeSync, createReadStream, createWriteStream, openSync, readFileSync, readSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { parse } from "csv-parse";

const USAGE = `usage: EDGE_INVENTORY_KEY=<key> npm run sync -- <file.csv|file.jsonl|file.json> [options]

  EDGE_INVENTORY_KEY   the API key (vendor, or operator with --vendor-id); never printed
  --vendor-key KEY     the key on the command line instead (avoid: npm echoes the command line)
  --url URL            service base URL (default EDGE_INVENTORY_URL or http://127.0.0.1:8787)
  --mode MODE          absolute (on-hand, default) or delta (units to add/remove)
  --vendor-id ID       the vendor whose feed this is (operator keys only)
  --format FMT         ours (= csv), jsonl, json: our formats, streamed in batches;
                       auto, shopify, generic, x12: a vendor file, sent whole (at most
                       4 MiB and 10,000 items) and read by the server with your sync
                       settings (default: from the file name and its first line)
  --batch-size N       items per request, 1–10000 (default 10000)
  --errors-out FILE    write every item error of every job to FILE (CSV)
  --no-wait            post the batches and exit without waiting for the jobs
  --poll-timeout S     seconds to wait for the jobs to finish (default 900)
  --quiet              no progress output

CSV: a header row naming sku, location_id, quantity (any order); any other CSV header
(Shopify's inventory exports, your mapped layout) or an X12 846 is sent whole. JSON lines: one
{"sku","locationId","quantity"} object per line. JSON: an array of such objects, or
{"items": [...]} (read whole; use JSON lines for big files). Error reports name the
file's line numbers (CSV: the line a row starts on; JSON lines: the line).

Exit status: 0 every item applied, unchanged or held for review; 3 some items failed
(see the errors); 2 the feed could not be sent (bad arguments, file, key or answer).`;

const MAX_BATCH = 10_000;
/** Vendor file formats, sent whole and read by the server. */
const UPLOAD_FORMATS = ["auto", "shopify", "generic", "x12"];
/** The sync request's body limit. */
const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;

function looksLikeFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** What a file is from its first bytes: an X12 interchange, our CSV (streamed), or another CSV (sent whole, detected by the server). */
function sniff(path) {
  const fd = openSync(path, "r");
  const buffer = Buffer.alloc(64 * 1024);
  const read = readSync(fd, buffer, 0, buffer.length, 0);
  closeSync(fd);
  const head = buffer
    .subarray(0, read)
    .toString("utf8")
    .replace(/^\uFEFF/, "");
  if (/^\s*ISA/.test(head)) return "x12";
  const names = (head.split(/\r\n|\n|\r/).find((line) => line.trim() !== "") ?? "")
    .split(",")
    .map((n) => n.trim().replace(/^"|"$/g, "").toLowerCase())
    .sort();
  return names.join(",") === "location_id,quantity,sku" ? "csv" : "auto";
}
const FINAL = new Set(["completed", "completed_with_errors", "failed"]);

class Fatal extends Error {}

function options() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      "vendor-key": { type: "string" },
      url: { type: "string" },
      mode: { type: "string", default: "absolute" },
      "vendor-id": { type: "string" },
      format: { type: "string" },
      "batch-size": { type: "string", default: String(MAX_BATCH) },
      "errors-out": { type: "string" },
      "no-wait": { type: "boolean", default: false },
      "poll-timeout": { type: "string", default: "900" },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const file = positionals[0];
  const key = values["vendor-key"] ?? process.env.EDGE_INVENTORY_KEY;
  if (positionals.length !== 1 || !file) throw new Fatal("give exactly one feed file");
  if (!key) throw new Fatal("set EDGE_INVENTORY_KEY to your API key (e.g. EDGE_INVENTORY_KEY=eik_… npm run sync -- stock.csv)");
  if (values["vendor-key"] !== undefined) {
    console.error("sync: warning: --vendor-key puts the key where npm's command echo and your shell history show it; use EDGE_INVENTORY_KEY instead");
  }
  if (values.mode !== "absolute" && values.mode !== "delta") throw new Fatal("--mode is absolute or delta");
  const batchSize = Number(values["batch-size"]);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) throw new Fatal(`--batch-size is an integer from 1 to ${MAX_BATCH}`);
  const asked = values.format === "ours" ? "csv" : values.format;
  if (asked !== undefined && !["csv", "jsonl", "json", ...UPLOAD_FORMATS].includes(asked)) {
    throw new Fatal(`--format is one of ours (csv), jsonl, json, ${UPLOAD_FORMATS.join(", ")}`);
  }
  const byName = /\.(jsonl|ndjson)$/i.test(file) ? "jsonl" : /\.json$/i.test(file) ? "json" : null;
  // A CSV or unknown file: ours when its header is (streamed), else a vendor file the server detects.
  const format = asked !== undefined && asked !== "auto" ? asked : (byName ?? (looksLikeFile(file) ? sniff(file) : "csv"));
  const pollTimeout = Number(values["poll-timeout"]);
  if (!(pollTimeout > 0)) throw new Fatal("--poll-timeout is a number of seconds");
  const url = (values.url ?? process.env.EDGE_INVENTORY_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
  return {
    file,
    key,
    url,
    mode: values.mode,
    vendorId: values["vendor-id"],
    format,
    batchSize,
    errorsOut: values["errors-out"],
    wait: !values["no-wait"],
    pollTimeoutMs: pollTimeout * 1000,
    quiet: values.quiet,
  };
}

// ---------------------------------------------------------------------------- reading

/** An integer quantity as a number; anything else is sent as written (the server reports it). */
function quantityOf(text) {
  const t = String(text ?? "").trim();
  return /^[+-]?\d{1,16}$/.test(t) ? Number(t) : t;
}

/** CSV rows as items with their starting line, streamed. `progress(bytes)` after each row. */
async function* csvItems(path, progress) {
  const parser = createReadStream(path).pipe(
    parse({ bom: true, skip_empty_lines: true, skip_records_with_empty_values: true, relax_column_count: true, info: true, raw: true }),
  );
  let columns = null;
  try {
    for await (const record of readCsv(parser, progress)) {
      if (columns === null) {
        const names = record.fields.map((n) => n.trim().toLowerCase());
        const missing = ["sku", "location_id", "quantity"].filter((n) => !names.includes(n));
        const unknown = names.filter((n) => !["sku", "location_id", "quantity"].includes(n));
        if (missing.length > 0 || unknown.length > 0) {
          throw new Fatal(
            `line ${record.line}: the header must name sku, location_id and quantity (missing: ${missing.join(", ") || "none"}; unknown: ${unknown.join(", ") || "none"})`,
          );
        }
        columns = names;
        continue;
      }
      const row = Object.fromEntries(columns.map((name, i) => [name, record.fields[i]?.trim()]));
      const item = { row: record.line };
      if (row.sku) item.sku = row.sku;
      if (row.location_id) item.locationId = row.location_id;
      if (row.quantity) item.quantity = quantityOf(row.quantity);
      yield item;
    }
  } catch (error) {
    if (error instanceof Fatal) throw error;
    throw new Fatal(`${path} is not readable as CSV: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (columns === null) throw new Fatal("the CSV file is empty (no header row)");
}

/** Records with the line each starts on (csv-parse reports the line a record ends on). */
async function* readCsv(parser, progress) {
  for await (const { record, info, raw } of parser) {
    const body = raw.replace(/[\r\n]+$/, "");
    progress(info.bytes);
    yield { fields: record, line: info.lines - (body.match(/\n/g)?.length ?? 0) };
  }
}

/** JSON lines as items with their line number, streamed; unreadable lines are reported, not sent. */
async function* jsonlItems(path, progress, unreadable) {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let n = 0;
  let bytes = 0;
  for await (const text of lines) {
    n += 1;
    bytes += Buffer.byteLength(text) + 1;
    if (text.trim() === "") continue;
    let value;
    try {
      value = JSON.parse(text);
    } catch {
      unreadable.push({ line: n, text: text.slice(0, 120) });
      continue;
    }
    progress(bytes);
    yield typeof value === "object" && value !== null && !Array.isArray(value) ? { ...value, row: n } : value;
  }
}

/** A whole JSON document: an array of items or {items}. */
async function* jsonItems(path, progress) {
  const { readFile } = await import("node:fs/promises");
  let doc;
  try {
    doc = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new Fatal(`the JSON file cannot be read: ${error.message}`);
  }
  const items = Array.isArray(doc) ? doc : doc?.items;
  if (!Array.isArray(items)) throw new Fatal('the JSON file must hold an array of items or {"items": [...]}');
  const size = statSync(path).size;
  for (const [i, item] of items.entries()) {
    progress(Math.round((size * (i + 1)) / items.length));
    yield item;
  }
}

async function* batches(items, size) {
  let batch = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

// ---------------------------------------------------------------------------- HTTP

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One API call with retries: 429 waits for Retry-After (capped at 2 min), 5xx and network
 * errors back off 1, 2, 4 … 30 s; at most `attempts` tries. Other answers are returned.
 */
async function request(url, init, { attempts = 10, onWait = () => {} } = {}) {
  for (let attempt = 1; ; attempt++) {
    let response = null;
    let failure = null;
    try {
      response = await fetch(url, { ...init, signal: AbortSignal.timeout(120_000) });
    } catch (error) {
      failure = error;
    }
    const retriable = response === null || response.status === 429 || response.status >= 500;
    if (!retriable) return response;
    if (attempt >= attempts) {
      if (response !== null) return response;
      throw new Fatal(`cannot reach ${new URL(url).origin}: ${failure?.cause?.message ?? failure?.message ?? failure}`);
    }
    let waitMs = Math.min(30_000, 1000 * 2 ** (attempt - 1));
    let why = response === null ? `network error (${failure?.cause?.code ?? failure?.message})` : `HTTP ${response.status}`;
    if (response?.status === 429) {
      const after = Number(response.headers.get("retry-after"));
      waitMs = Number.isFinite(after) && after >= 0 ? Math.min(after * 1000, 120_000) : waitMs;
      why = "rate limited";
    }
    await response?.body?.cancel();
    onWait(`${why}; retrying in ${Math.round(waitMs / 100) / 10} s (attempt ${attempt + 1} of ${attempts})`);
    await sleep(waitMs);
  }
}

async function jsonOf(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return { raw: text.slice(0, 300) };
  }
}

function describeError(status, body) {
  const e = body?.error;
  if (!e) return `HTTP ${status}`;
  const detail = Array.isArray(e.details)
    ? e.details
        .slice(0, 3)
        .map((d) => `${(d.path ?? []).join(".")}: ${d.message}`)
        .join("; ")
    : "";
  return `HTTP ${status} ${e.code}: ${e.message}${detail ? ` (${detail})` : ""}`;
}

// ---------------------------------------------------------------------------- output

function reporter(quiet) {
  const tty = process.stderr.isTTY && !quiet;
  let last = "";
  const clear = () => {
    if (tty && last) process.stderr.write("\r\x1b[2K");
  };
  return {
    /** A progress bar on a terminal (redrawn at most ~10 times a second); nothing otherwise. */
    bar: (() => {
      let at = 0;
      return (fraction, text) => {
        if (!tty) return;
        const now = Date.now();
        if (now - at < 100 && fraction < 1) return;
        at = now;
        const width = 28;
        const full = Math.max(0, Math.min(width, Math.round(fraction * width)));
        last = `[${"#".repeat(full)}${".".repeat(width - full)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${text}`;
        process.stderr.write(`\r\x1b[2K${last}`);
      };
    })(),
    /** A line of its own (plain output, also when not on a terminal). */
    line(text) {
      if (quiet) return;
      clear();
      process.stderr.write(`${text}\n`);
      if (tty && last) process.stderr.write(last);
    },
    done() {
      clear();
      last = "";
    },
  };
}

const n = (x) => x.toLocaleString("en-US");

/** One CSV field (RFC 4180). */
function csvField(value) {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// ---------------------------------------------------------------------------- main

async function main() {
  const opts = options();
  let size;
  try {
    size = statSync(opts.file).size;
  } catch {
    throw new Fatal(`cannot read ${opts.file}`);
  }
  const out = reporter(opts.quiet);
  const headers = { authorization: `Bearer ${opts.key}`, "content-type": "application/json" };
  const query = opts.vendorId ? `?vendorId=${encodeURIComponent(opts.vendorId)}` : "";
  const unreadable = [];
  let bytesRead = 0;
  const progress = (bytes) => {
    bytesRead = bytes;
  };
  const source = UPLOAD_FORMATS.includes(opts.format)
    ? null
    : opts.format === "csv"
      ? csvItems(opts.file, progress)
      : opts.format === "jsonl"
        ? jsonlItems(opts.file, progress, unreadable)
        : jsonItems(opts.file, progress);

  const jobs = [];
  let rows = 0;
  let index = 0;
  const started = Date.now();
  out.line(`edge-inventory sync: ${opts.file} (${n(size)} bytes, ${opts.format}, ${opts.mode}) → ${opts.url}`);
  if (UPLOAD_FORMATS.includes(opts.format)) {
    // A vendor file goes whole: the server reads it with the vendor's settings, one job.
    if (size > MAX_UPLOAD_BYTES)
      throw new Fatal(`${opts.file} is ${n(size)} bytes; a ${opts.format} file may be at most ${n(MAX_UPLOAD_BYTES)} bytes (split it)`);
    const bytes = readFileSync(opts.file);
    const params = new URLSearchParams({ format: opts.format, mode: opts.mode });
    if (opts.vendorId) params.set("vendorId", opts.vendorId);
    const key = `cli1-${createHash("sha256")
      .update(`file\n${opts.format}\n${opts.mode}\n${opts.vendorId ?? ""}\n`)
      .update(bytes)
      .digest("hex")
      .slice(0, 48)}`;
    const response = await request(
      `${opts.url}/api/v2/inventory/sync?${params}`,
      {
        method: "POST",
        headers: { authorization: headers.authorization, "content-type": opts.format === "x12" ? "application/edi-x12" : "text/csv", "idempotency-key": key },
        body: bytes,
      },
      { onWait: (text) => out.line(`upload: ${text}`) },
    );
    const answer = await jsonOf(response);
    if (response.status !== 202) throw new Fatal(`${opts.file} was refused: ${describeError(response.status, answer)}`);
    const replayed = response.headers.get("idempotent-replayed") === "true";
    jobs.push({ index: 0, jobId: answer.jobId, items: answer.received, firstRow: null, status: answer.status, job: null });
    rows = answer.received;
    out.line(
      `${opts.file}: read as ${answer.source} → job ${answer.jobId}${replayed ? " (already sent: resumed)" : ""} · ${n(answer.received)} items, accepted ${n(answer.accepted)}, rejected ${n(answer.rejected)}`,
    );
    for (const set of answer.sets ?? [])
      out.line(
        `  X12 set ${set.transactionSetId} ${set.setControlNumber}: ${set.ok ? `${n(set.items)} items` : `failed, ${n(set.errors)} errors, nothing applied`}`,
      );
  }
  for await (const batch of UPLOAD_FORMATS.includes(opts.format) ? [] : batches(source, opts.batchSize)) {
    // A CSV file's job says so (`source`), though its rows travel as JSON items with their line numbers.
    const body = JSON.stringify({ items: batch, mode: opts.mode, ...(opts.format === "csv" ? { source: "csv" } : {}) });
    // Deterministic: the same batch of the same file in the same mode always has this key.
    const key = `cli1-${createHash("sha256")
      .update(`${opts.mode}\n${opts.vendorId ?? ""}\n${index}\n`)
      .update(body)
      .digest("hex")
      .slice(0, 48)}`;
    const response = await request(
      `${opts.url}/api/v2/inventory/sync${query}`,
      { method: "POST", headers: { ...headers, "idempotency-key": key }, body },
      {
        onWait: (text) => out.line(`batch ${index + 1}: ${text}`),
      },
    );
    const answer = await jsonOf(response);
    if (response.status !== 202)
      throw new Fatal(`batch ${index + 1} (rows ${n(rows + 1)}–${n(rows + batch.length)}) was refused: ${describeError(response.status, answer)}`);
    const replayed = response.headers.get("idempotent-replayed") === "true";
    jobs.push({ index, jobId: answer.jobId, items: batch.length, firstRow: batch[0]?.row ?? null, status: answer.status, job: null });
    rows += batch.length;
    index += 1;
    out.line(
      `batch ${index}: ${n(batch.length)} items → job ${answer.jobId}${replayed ? " (already sent: resumed)" : ""} · accepted ${n(answer.accepted)}, rejected ${n(answer.rejected)}`,
    );
    out.bar(size > 0 ? bytesRead / size : 1, `${n(rows)} items sent in ${index} batches`);
  }
  out.done();
  if (jobs.length === 0) throw new Fatal("the feed has no items");
  const sentSeconds = (Date.now() - started) / 1000;
  out.line(`sent ${n(rows)} items in ${jobs.length} batches (${sentSeconds.toFixed(1)} s)`);
  for (const u of unreadable.slice(0, 10)) out.line(`  line ${u.line}: not JSON, skipped: ${u.text}`);
  if (unreadable.length > 10) out.line(`  … ${n(unreadable.length - 10)} more unreadable lines`);

  if (!opts.wait) {
    for (const job of jobs) console.log(`${job.jobId}\t${opts.url}/api/v2/sync/${job.jobId}`);
    return unreadable.length > 0 ? 3 : 0;
  }

  // Poll every unfinished job until all are finished.
  const deadline = Date.now() + opts.pollTimeoutMs;
  for (;;) {
    for (const job of jobs.filter((j) => j.job === null || !FINAL.has(j.status))) {
      const response = await request(`${opts.url}/api/v2/sync/${job.jobId}`, { headers }, { onWait: (text) => out.line(`job ${job.jobId}: ${text}`) });
      const answer = await jsonOf(response);
      if (response.status !== 200) throw new Fatal(`job ${job.jobId}: ${describeError(response.status, answer)}`);
      job.job = answer;
      job.status = answer.status;
    }
    const done = jobs.filter((j) => j.job !== null && FINAL.has(j.status));
    const processed = jobs.reduce((sum, j) => sum + (j.job ? j.job.counts.accepted - j.job.counts.pending + j.job.counts.rejected : 0), 0);
    out.bar(rows > 0 ? processed / rows : 1, `${n(processed)} of ${n(rows)} items processed · ${done.length}/${jobs.length} jobs finished`);
    if (done.length === jobs.length) break;
    if (Date.now() > deadline) {
      out.done();
      out.line(
        `gave up waiting after ${opts.pollTimeoutMs / 1000} s; ${jobs.length - done.length} jobs still running. Run the same command again to resume and wait.`,
      );
      return 2;
    }
    await sleep(1000);
  }
  out.done();

  const total = { received: 0, applied: 0, unchanged: 0, conflicts: 0, errors: 0 };
  for (const { job } of jobs) for (const k of Object.keys(total)) total[k] += job.counts[k];
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `done in ${seconds.toFixed(1)} s (${n(Math.round(total.received / Math.max(seconds, 0.001)))} items/s): ${n(total.received)} items · ${n(total.applied)} applied · ${n(total.unchanged)} unchanged · ${n(total.conflicts)} held for review · ${n(total.errors + unreadable.length)} errors`,
  );
  for (const { job } of jobs) {
    console.log(
      `  ${job.jobId}  ${job.status.padEnd(21)} ${n(job.counts.received).padStart(6)} items  ${n(job.counts.applied)} applied, ${n(job.counts.unchanged)} unchanged, ${n(job.counts.conflicts)} review, ${n(job.counts.errors)} errors`,
    );
  }
  if (total.conflicts > 0) console.log(`held for review (operators decide): ${opts.url}/api/v2/sync/reviews?status=open`);

  const withErrors = jobs.filter((j) => j.job.counts.errors > 0);
  if (withErrors.length > 0) {
    console.log("errors (JSON pages, or CSV with ?format=csv):");
    for (const { jobId } of withErrors) console.log(`  ${opts.url}/api/v2/sync/${jobId}/errors?format=csv`);
    // The first few, so the usual mistakes show at once.
    const first = await request(`${opts.url}/api/v2/sync/${withErrors[0].jobId}/errors?limit=5`, { headers });
    const page = await jsonOf(first);
    for (const e of page.items ?? [])
      console.log(
        `  ${e.row !== null ? `line ${e.row}` : `item ${e.item}`}: ${e.code}: ${e.message}${e.sku ? ` (${e.sku}${e.locationId ? ` @ ${e.locationId}` : ""})` : ""}`,
      );
    if (opts.errorsOut) {
      const file = createWriteStream(opts.errorsOut);
      file.write("job,item,row,sku,location_id,quantity,code,message\r\n");
      let count = 0;
      for (const { jobId } of withErrors) {
        let cursor = null;
        do {
          const response = await request(`${opts.url}/api/v2/sync/${jobId}/errors?limit=1000${cursor ? `&cursor=${cursor}` : ""}`, { headers });
          const page = await jsonOf(response);
          if (response.status !== 200) throw new Fatal(`errors of ${jobId}: ${describeError(response.status, page)}`);
          for (const e of page.items) {
            file.write(`${[jobId, e.item, e.row, e.sku, e.locationId, e.quantity, e.code, e.message].map(csvField).join(",")}\r\n`);
            count += 1;
          }
          cursor = page.nextCursor;
        } while (cursor);
      }
      await new Promise((resolve, reject) => file.end((error) => (error ? reject(error) : resolve())));
      console.log(`all ${n(count)} errors written to ${opts.errorsOut}`);
    }
  }
  return total.errors + unreadable.length > 0 ? 3 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`\n${error instanceof Fatal ? "" : "unexpected error: "}${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof Fatal) process.stderr.write("(run with --help for usage)\n");
    process.exit(2);
  },
);
