/**
 * Reading a vendor CSV file as a table of text cells, each row with the file line it starts
 * on, for the importers that map columns themselves (Shopify, generic). RFC 4180: fields
 * quoted with `"` may hold delimiters, doubled quotes and line breaks; a UTF-8 BOM, CRLF,
 * LF or CR line ends; blank lines and lines of only delimiters or spaces are skipped. A
 * quote that is never closed, or a stray quote inside an unquoted field or right after a
 * closing one, makes the file unreadable: a typed failure with the line, never an
 * exception. Cells are returned as written (not trimmed).
 *
 * A small reader of our own rather than csv-parse (which `domain/csv-feed.ts` uses): its
 * `info.lines` is the line a record *ends* on, and it is off by one after blank lines in
 * LF files and after a quoted CRLF, while every error we report must name the right line.
 * Pure.
 */

/** One record of the file. */
export interface CsvTableRow {
  /** The file line the record starts on (1-based; a BOM does not count). */
  line: number;
  cells: string[];
}

export type CsvTableResult =
  | { ok: true; header: CsvTableRow; rows: CsvTableRow[] }
  | { ok: false; code: "malformed_csv" | "empty_feed"; message: string; details: { line: number | null; reason: string } };

/** The delimiters a vendor file may use. */
export type CsvDelimiter = "," | ";" | "\t" | "|";

function malformed(line: number, reason: string, what: string): CsvTableResult {
  return { ok: false, code: "malformed_csv", message: `the file is not readable as CSV (line ${line}): ${what}`, details: { line, reason } };
}

/** Reads the whole file; the first record is the header. */
export function readCsvTable(input: string, delimiter: CsvDelimiter = ","): CsvTableResult {
  return read(input, delimiter, Infinity);
}

/** Reads the header row only (to tell a file's format before reading it whole); `rows` is empty. */
export function readCsvHeader(input: string, delimiter: CsvDelimiter = ","): CsvTableResult {
  return read(input, delimiter, 1);
}

function read(input: string, delimiter: CsvDelimiter, maxRecords: number): CsvTableResult {
  const text = input.startsWith("\uFEFF") ? input.slice(1) : input;
  const records: CsvTableRow[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length && records.length < maxRecords) {
    const start = line;
    const cells: string[] = [];
    let cell = "";
    let ended = false;
    while (!ended) {
      if (text[i] === '"') {
        const opened = line;
        i++;
        for (;;) {
          if (i >= text.length) return malformed(opened, "unclosed_quote", "a quoted field is never closed");
          const ch = text[i]!;
          if (ch === '"') {
            if (text[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === "\n" || (ch === "\r" && text[i + 1] !== "\n")) line++;
          cell += ch;
          i++;
        }
        const next = text[i];
        if (next !== undefined && next !== delimiter && next !== "\r" && next !== "\n")
          return malformed(line, "invalid_closing_quote", "a closing quote must end its field");
      } else {
        while (i < text.length && text[i] !== delimiter && text[i] !== "\r" && text[i] !== "\n") {
          if (text[i] === '"') return malformed(line, "invalid_quote", "a quote inside an unquoted field (quote the whole field and double the quote)");
          cell += text[i];
          i++;
        }
      }
      cells.push(cell);
      cell = "";
      if (text[i] === delimiter) {
        i++;
        continue;
      }
      // A line end (CRLF, LF or CR) or the end of the text ends the record.
      if (text[i] === "\r") i++;
      if (text[i] === "\n") i++;
      line++;
      ended = true;
    }
    if (cells.some((c) => c.trim() !== "")) records.push({ line: start, cells });
  }
  const [header, ...rows] = records;
  if (header === undefined)
    return { ok: false, code: "empty_feed", message: "the file has no header row and no data", details: { line: null, reason: "empty" } };
  return { ok: true, header, rows };
}

/**
 * The form two header names are compared in: trimmed, inner spaces collapsed, lower case,
 * and `option 1 name` written `option1 name` (Shopify's exports have used both spellings).
 */
export function headerKey(name: string): string {
  return name
    .trim()
    .replace(/\s+/g, " ")
    .toLowerCase()
    .replace(/^option ([123]) (name|value)$/, "option$1 $2");
}
