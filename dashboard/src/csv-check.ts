/**
 * A first look at a stock CSV in the browser before it is sent: the header, the row count
 * and the first problems with their line numbers. The API checks everything again (the job's
 * item errors are the word that counts); this only saves a round trip for obvious mistakes.
 */

export const MAX_ROWS = 10_000;
const COLUMNS = ["sku", "location_id", "quantity"] as const;
const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface CsvCheck {
  rows: number;
  problems: { line: number; message: string }[];
  /** A problem with the whole file (no header, too many rows): nothing can be sent. */
  fatal: string | null;
}

/** Splits CSV text into records with their starting line; quotes, doubled quotes, CRLF. */
function records(text: string): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      fields.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      fields.push(field);
      if (fields.length > 1 || fields[0] !== "") out.push({ line: start, fields });
      fields = [];
      field = "";
      line++;
      start = line;
    } else field += ch;
  }
  fields.push(field);
  if (fields.length > 1 || fields[0] !== "") out.push({ line: start, fields });
  return out;
}

export function checkCsv(raw: string, mode: "absolute" | "delta"): CsvCheck {
  const text = raw.replace(/^\uFEFF/, "");
  const all = records(text);
  const header = all[0];
  if (!header) return { rows: 0, problems: [], fatal: "The file is empty." };
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const missing = COLUMNS.filter((c) => !names.includes(c));
  if (missing.length > 0)
    return { rows: 0, problems: [], fatal: `The first line must name the columns sku, location_id and quantity; missing: ${missing.join(", ")}.` };
  const at = Object.fromEntries(COLUMNS.map((c) => [c, names.indexOf(c)])) as Record<(typeof COLUMNS)[number], number>;
  const rows = all.slice(1);
  if (rows.length === 0) return { rows: 0, problems: [], fatal: "The file has a header but no rows." };
  if (rows.length > MAX_ROWS) {
    return {
      rows: rows.length,
      problems: [],
      fatal: `${rows.length} rows: at most ${MAX_ROWS} per upload. Split the file, or send it with the CLI (npm run sync), which splits it for you.`,
    };
  }
  const problems: CsvCheck["problems"] = [];
  const seen = new Map<string, number>();
  for (const r of rows) {
    const sku = (r.fields[at.sku] ?? "").trim();
    const loc = (r.fields[at.location_id] ?? "").trim();
    const q = (r.fields[at.quantity] ?? "").trim();
    const add = (message: string) => problems.length < 200 && problems.push({ line: r.line, message });
    if (!SKU.test(sku)) add(sku ? `“${sku}” is not a SKU id` : "no SKU");
    if (!loc) add("no location_id");
    const n = Number(q);
    if (q === "" || !Number.isInteger(n)) add(`quantity “${q}” is not a whole number`);
    else if (mode === "absolute" && (n < 0 || n > 1_000_000)) add(`quantity ${q} is outside 0–1,000,000`);
    else if (mode === "delta" && (n < -1_000_000 || n > 1_000_000)) add(`quantity ${q} is outside −1,000,000–1,000,000`);
    const key = `${sku}\u0000${loc}`;
    const first = seen.get(key);
    if (first !== undefined) add(`${sku} at ${loc} again (first on line ${first})`);
    else seen.set(key, r.line);
  }
  return { rows: rows.length, problems, fatal: null };
}

/** Whether the file's first line names our three columns (sku, location_id, quantity). */
export function hasOurHeader(raw: string): boolean {
  const header = records(raw.replace(/^\uFEFF/, ""))[0];
  if (!header) return false;
  const names = header.fields.map((f) => f.trim().toLowerCase());
  return COLUMNS.every((c) => names.includes(c));
}

/** Whether the text is an X12 interchange (it starts with an ISA segment). */
export const isX12 = (raw: string): boolean => /^\s*ISA/.test(raw.replace(/^\uFEFF/, ""));

/**
 * A first look at a file in a vendor format (a Shopify export, a file for the vendor's column
 * map, X12): only its size in rows or segments; the API reads and checks it, and each bad row
 * comes back as an item error of the job.
 */
export function checkVendorFile(raw: string, mode: "absolute" | "delta", format: string): CsvCheck {
  const text = raw.replace(/^\uFEFF/, "");
  if (text.trim() === "") return { rows: 0, problems: [], fatal: "The file is empty." };
  if (mode === "delta") return { rows: 0, problems: [], fatal: `A ${format} file is applied as absolute levels: choose “on hand (absolute)”.` };
  if (isX12(text)) return { rows: text.split(/~\s*/).filter((s) => /^\s*LIN\*/.test(s)).length, problems: [], fatal: null };
  const rows = records(text).length - 1;
  if (rows <= 0) return { rows: 0, problems: [], fatal: "The file has a header but no rows." };
  return { rows, problems: [], fatal: null };
}
