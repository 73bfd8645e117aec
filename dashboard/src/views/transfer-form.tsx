/**
 * A new transfer (`POST /api/v2/transfers`, operators, one Idempotency-Key per filled-in
 * form): from one location to another, lines of SKU × units, an optional expected arrival
 * and reference, or kept as a draft to ship later. Checked here against the API's rules
 * first; what the API still refuses is shown in its words, on the field it names.
 */
import { useRef, useState } from "preact/hooks";
import { call, qs } from "../api";
import { FieldError, fieldAria, focusFirstInvalid, NotSent } from "../components/form-fields";
import { type DraftLine, emptyLine, LineItems, lineProblems, linesBody } from "../components/line-items";
import { ErrorNote, useLoad } from "../components/ui";
import { loadLocations } from "../data";
import { num, words } from "../format";
import { dayToIso, newIdempotencyKey, problemsByField, REFERENCE_MAX } from "../input-rules";
import type { Transfer } from "../planning-types";
import { href } from "../router";
import type { LevelRow, Location, Page } from "../types";

/** Most lines per transfer (the API's TRANSFER_LINES_MAX). */
const LINES_MAX = 100;

export function NewTransferForm({ onCreated }: { onCreated: (t: Transfer) => void }) {
  const locations = useLoad<Location[]>(() => loadLocations(), []);
  const active = (locations.data ?? []).filter((l) => l.active);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [expected, setExpected] = useState("");
  const [reference, setReference] = useState("");
  const [draft, setDraft] = useState(false);
  const [lines, setLines] = useState<DraftLine[]>(() => [emptyLine()]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notSent, setNotSent] = useState(0);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ created?: Transfer; error?: unknown } | null>(null);
  // One key per filled-in form: a retry of the same form after a lost answer is not a second transfer.
  const key = useRef(newIdempotencyKey());
  const form = useRef<HTMLFormElement>(null);
  const stock = useLoad<LevelRow[]>(
    async (signal) => (from ? (await call<Page<LevelRow>>("GET", `/api/v2/inventory${qs({ locationId: from, limit: 500 })}`, { signal })).items : []),
    [from],
  );
  const suggestions = (stock.data ?? []).filter((r) => r.available > 0).map((r) => ({ sku: r.sku, note: `${num(r.available)} available at ${from}` }));
  const edited = () => {
    key.current = newIdempotencyKey();
    setResult(null);
  };
  const check = (): Record<string, string> => {
    const out: Record<string, string> = { ...lineProblems(lines) };
    if (!from) out.fromLocationId = "Choose where the units leave from.";
    if (!to) out.toLocationId = "Choose where the units go.";
    else if (to === from) out.toLocationId = "Choose a destination other than the origin.";
    if (expected && Number.isNaN(Date.parse(`${expected}T12:00:00Z`))) out.expectedAt = "Enter a valid date, or leave it empty.";
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
      const created = await call<Transfer>("POST", "/api/v2/transfers", {
        body: {
          fromLocationId: from,
          toLocationId: to,
          ...(expected ? { expectedAt: dayToIso(expected) } : {}),
          ...(reference.trim() ? { reference: reference.trim() } : {}),
          lines: linesBody(lines),
          ...(draft ? { draft: true } : {}),
        },
        headers: { "idempotency-key": key.current },
      });
      setResult({ created });
      setLines([emptyLine()]);
      setReference("");
      setExpected("");
      key.current = newIdempotencyKey();
      onCreated(created);
    } catch (err) {
      setErrors(problemsByField(err));
      setResult({ error: err });
      focusFirstInvalid(form.current);
    } finally {
      setBusy(false);
    }
  };
  const units = result?.created?.lines.reduce((n, l) => n + l.quantity, 0) ?? 0;
  return (
    <form ref={form} class="card form-grid" onSubmit={submit} noValidate aria-labelledby="new-transfer-title">
      <h2 id="new-transfer-title" class="field-wide">
        New transfer
      </h2>
      <div class="field">
        <label for="trf-from">From location</label>
        <select
          {...fieldAria("trf-from", errors.fromLocationId)}
          value={from}
          onChange={(e) => {
            setFrom((e.target as HTMLSelectElement).value);
            edited();
          }}
        >
          <option value="">Choose…</option>
          {active.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name} ({l.id})
            </option>
          ))}
        </select>
        <FieldError id="trf-from" error={errors.fromLocationId} />
      </div>
      <div class="field">
        <label for="trf-to">To location</label>
        <select
          {...fieldAria("trf-to", errors.toLocationId)}
          value={to}
          onChange={(e) => {
            setTo((e.target as HTMLSelectElement).value);
            edited();
          }}
        >
          <option value="">Choose…</option>
          {active.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name} ({l.id})
            </option>
          ))}
        </select>
        <FieldError id="trf-to" error={errors.toLocationId} />
      </div>
      <div class="field">
        <label for="trf-expected">Expected arrival (optional)</label>
        <input
          type="date"
          {...fieldAria("trf-expected", errors.expectedAt)}
          value={expected}
          onInput={(e) => {
            setExpected((e.target as HTMLInputElement).value);
            edited();
          }}
        />
        <FieldError id="trf-expected" error={errors.expectedAt} />
      </div>
      <div class="field">
        <label for="trf-reference">Reference (optional)</label>
        <input
          {...fieldAria("trf-reference", errors.reference)}
          maxLength={REFERENCE_MAX}
          value={reference}
          onInput={(e) => {
            setReference((e.target as HTMLInputElement).value);
            edited();
          }}
        />
        <FieldError id="trf-reference" error={errors.reference} />
      </div>
      {locations.error ? (
        <div class="field-wide">
          <ErrorNote error={locations.error} onRetry={locations.reload} />
        </div>
      ) : null}
      <LineItems
        id="trf"
        lines={lines}
        onChange={(next) => {
          setLines(next);
          edited();
        }}
        errors={errors}
        max={LINES_MAX}
        suggestions={suggestions}
      />
      {errors.lines ? <p class="field-error field-wide">{errors.lines}</p> : null}
      <div class="field check field-wide">
        <input
          id="trf-draft"
          type="checkbox"
          checked={draft}
          onChange={(e) => {
            setDraft((e.target as HTMLInputElement).checked);
            edited();
          }}
        />
        <label for="trf-draft">Keep as a draft: nothing moves until it is shipped</label>
      </div>
      <p class="muted small field-wide">
        Without a draft, the units leave {from || "the origin"}'s sellable stock now and are in transit until received at {to || "the destination"}.
      </p>
      <NotSent count={notSent} />
      <div class="field actions field-wide">
        <button type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create transfer"}
        </button>
      </div>
      {result?.created ? (
        <p class="state success field-wide" role="status">
          Created transfer {result.created.reference ?? result.created.id} ({words(result.created.status)}): {num(units)} units from{" "}
          {result.created.fromLocationId} to {result.created.toLocationId}. <a href={href(["transfers", result.created.id])}>Open it</a>.
        </p>
      ) : null}
      {result?.error ? (
        <div class="field-wide">
          <ErrorNote error={result.error} />
        </div>
      ) : null}
    </form>
  );
}
