/**
 * Edit a SKU's planning settings (`PUT /api/v2/planning-settings/{sku}`, operators and the
 * SKU's vendor): category, unit cost and price, the replenishment policy's overrides, and the
 * days without a sale after which the nightly run opens a slow-moving or overstock alert. An
 * empty field means the default (sent as null, which clears the SKU's own value). Only the
 * fields changed here are sent, so a value someone else set meanwhile in another field is kept.
 * Checked against the API's ranges first; what it still refuses is shown in its words.
 */
import { useRef, useState } from "preact/hooks";
import { call } from "../api";
import { FieldError, fieldAria, focusFirstInvalid, NotSent } from "../components/form-fields";
import { ErrorNote } from "../components/ui";
import { ID_PATTERN, problemsByField } from "../input-rules";
import type { PlanningSettings } from "../planning-types";

type Key =
  | "category"
  | "unitCost"
  | "unitPrice"
  | "serviceLevel"
  | "leadTimeDays"
  | "leadTimeSdDays"
  | "minimumOrderQuantity"
  | "packSize"
  | "maxStock"
  | "orderingCost"
  | "holdingRate"
  | "overstockNoSaleDays"
  | "slowMovingNoSaleDays";

interface Setting {
  key: Key;
  label: string;
  /** Shown ×100 and sent ÷100 (the API takes a ratio). */
  percent?: boolean;
  integer?: boolean;
  min: number;
  /** The lower bound itself is not allowed. */
  minExclusive?: boolean;
  max: number;
  maxExclusive?: boolean;
  step: string;
  unit: string;
}

/** The API's ranges (PlanningSettingsBody), in the units shown here. */
const SETTINGS: Setting[] = [
  { key: "serviceLevel", label: "Service level (%)", percent: true, min: 50, minExclusive: true, max: 100, maxExclusive: true, step: "0.1", unit: "%" },
  { key: "leadTimeDays", label: "Lead time (days)", min: 0, max: 365, step: "0.5", unit: "days" },
  { key: "leadTimeSdDays", label: "Lead time σ (days)", min: 0, max: 365, step: "0.5", unit: "days" },
  { key: "orderingCost", label: "Ordering cost", min: 0, max: 1e9, step: "0.01", unit: "" },
  { key: "unitCost", label: "Unit cost", min: 0, max: 1e9, step: "0.01", unit: "" },
  { key: "unitPrice", label: "Unit price", min: 0, max: 1e9, step: "0.01", unit: "" },
  { key: "holdingRate", label: "Holding rate (% per year)", percent: true, min: 0, minExclusive: true, max: 1000, step: "0.1", unit: "%" },
  { key: "packSize", label: "Pack size", integer: true, min: 1, max: 1_000_000, step: "1", unit: "units" },
  { key: "minimumOrderQuantity", label: "Minimum order", integer: true, min: 1, max: 1_000_000, step: "1", unit: "units" },
  { key: "maxStock", label: "Max stock", integer: true, min: 0, max: 1_000_000_000, step: "1", unit: "units" },
  // The nightly run's overstock / slow-moving alerts: days without a sale (defaults 90 and 60).
  { key: "slowMovingNoSaleDays", label: "Slow-moving after (days without a sale)", integer: true, min: 1, max: 3650, step: "1", unit: "days" },
  { key: "overstockNoSaleDays", label: "Overstock after (days without a sale)", integer: true, min: 1, max: 3650, step: "1", unit: "days" },
];

type Values = Record<Key, string>;

/** The stored settings as the form shows them ("" where the SKU has none: the default applies). */
function valuesOf(stored: PlanningSettings["settings"]): Values {
  const out = { category: typeof stored.category === "string" ? stored.category : "" } as Values;
  for (const s of SETTINGS) {
    const v = stored[s.key];
    out[s.key] = typeof v === "number" ? String(s.percent ? Number((v * 100).toFixed(6)) : v) : "";
  }
  return out;
}

function rangeWords(s: Setting): string {
  const lo = `${s.minExclusive ? "more than" : "at least"} ${s.min.toLocaleString()}`;
  const hi = `${s.maxExclusive ? "less than" : "at most"} ${s.max.toLocaleString()}`;
  return `${s.integer ? "a whole number, " : ""}${lo} and ${hi}${s.unit ? ` ${s.unit}` : ""}`;
}

function problemOf(s: Setting, text: string): string | null {
  if (text.trim() === "") return null;
  const n = Number(text);
  const bad =
    !Number.isFinite(n) || (s.integer && !Number.isInteger(n)) || (s.minExclusive ? n <= s.min : n < s.min) || (s.maxExclusive ? n >= s.max : n > s.max);
  return bad ? `${s.label.replace(/ \(.*\)$/, "")} must be ${rangeWords(s)}, or empty for the default.` : null;
}

export function PlanningSettingsForm({ settings, onSaved }: { settings: PlanningSettings; onSaved: (s: PlanningSettings) => void }) {
  const [initial, setInitial] = useState<Values>(() => valuesOf(settings.settings));
  const [values, setValues] = useState<Values>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notSent, setNotSent] = useState(0);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ saved?: string; error?: unknown } | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const set = (key: Key, value: string) => {
    setValues((v) => ({ ...v, [key]: value }));
    setResult(null);
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    const category = values.category.trim();
    if (category !== "" && !ID_PATTERN.test(category))
      found.category = "The category must be 1–64 characters of A–Z, a–z, 0–9, '.', '_' or '-', starting with a letter or digit.";
    for (const s of SETTINGS) {
      const p = problemOf(s, values[s.key]);
      if (p) found[s.key] = p;
    }
    setErrors(found);
    setNotSent(Object.keys(found).length);
    if (Object.keys(found).length > 0) {
      setResult(null);
      focusFirstInvalid(form.current);
      return;
    }
    const body: Partial<Record<Key, string | number | null>> = {};
    const changed: string[] = [];
    if (category !== initial.category) {
      body.category = category === "" ? null : category;
      changed.push(category === "" ? "category back to none" : `category ${category}`);
    }
    for (const s of SETTINGS) {
      const text = values[s.key].trim();
      if (text === initial[s.key]) continue;
      const n = Number(text);
      body[s.key] = text === "" ? null : s.percent ? n / 100 : n;
      const name = s.label.replace(/ \(.*\)$/, "").toLowerCase();
      changed.push(text === "" ? `${name} back to the default` : `${name} ${n.toLocaleString()}${s.unit ? ` ${s.unit}` : ""}`);
    }
    if (changed.length === 0) {
      setResult({ saved: "Nothing changed: no setting differs from the stored one." });
      return;
    }
    setBusy(true);
    setResult(null);
    try {
      const answer = await call<PlanningSettings>("PUT", `/api/v2/planning-settings/${encodeURIComponent(settings.sku)}`, { body });
      const now = valuesOf(answer.settings);
      setInitial(now);
      setValues(now);
      setResult({ saved: `Saved for ${answer.sku}: ${changed.join(", ")}. The next planning run uses them.` });
      onSaved(answer);
    } catch (err) {
      setErrors(problemsByField(err));
      setResult({ error: err });
      focusFirstInvalid(form.current);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      ref={form}
      class="card form-grid"
      onSubmit={submit}
      noValidate
      aria-labelledby="settings-title"
      aria-describedby="settings-help"
      data-testid="planning-settings-form"
    >
      <h4 id="settings-title" class="field-wide">
        Planning settings of {settings.sku}
      </h4>
      <p class="muted small field-wide" id="settings-help">
        Empty means the default. Only the fields you change are sent.
      </p>
      <div class="field">
        <label for="ps-category">Category (forecast pool)</label>
        <input
          {...fieldAria("ps-category", errors.category)}
          value={values.category}
          maxLength={64}
          autocomplete="off"
          spellcheck={false}
          placeholder="none"
          onInput={(e) => set("category", (e.target as HTMLInputElement).value)}
        />
        <FieldError id="ps-category" error={errors.category} />
      </div>
      {SETTINGS.map((s) => {
        const id = `ps-${s.key}`;
        return (
          <div class="field" key={s.key}>
            <label for={id}>{s.label}</label>
            <input
              {...fieldAria(id, errors[s.key])}
              type="number"
              inputMode={s.integer ? "numeric" : "decimal"}
              step={s.step}
              min={s.min}
              max={s.max}
              placeholder="default"
              value={values[s.key]}
              onInput={(e) => set(s.key, (e.target as HTMLInputElement).value)}
            />
            <FieldError id={id} error={errors[s.key]} />
          </div>
        );
      })}
      <NotSent count={notSent} />
      <div class="field actions field-wide">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save settings"}
        </button>
        <button
          type="button"
          class="secondary"
          disabled={busy}
          onClick={() => {
            setValues(initial);
            setErrors({});
            setNotSent(0);
            setResult(null);
          }}
        >
          Undo changes
        </button>
      </div>
      {result?.saved ? (
        <p class="state success field-wide" role="status">
          {result.saved}
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
