/**
 * Edit a vendor's sync settings (`PUT /api/v2/vendors/{vendorId}/sync-settings`, operators or
 * the vendor itself): on or paused, method, schedule (tier or a custom interval), file format,
 * Shopify's quantity column, the generic column map, the location-name table, the pull's URL
 * and auth header, and the health rule. The PUT replaces the whole record, so the form sends
 * every field; the X12 options it does not show are sent back as they were stored.
 *
 * The pull's auth secret is never shown: the API keeps it and answers a masked hint. The form
 * leaves it unchanged by default (the field is left out of the body), sets a new one, or
 * removes it (sent as null). What the API refuses is shown in its words, on the field it names.
 */
import { useRef, useState } from "preact/hooks";
import { call } from "../api";
import { FieldError, fieldAria, focusFirstInvalid, NotSent } from "../components/form-fields";
import { ErrorNote } from "../components/ui";
import { words } from "../format";
import { fieldProblems, ID_PATTERN } from "../input-rules";
import {
  FORMATS_OF_METHOD,
  type GenericColumnMap,
  SHOPIFY_COLUMNS,
  SYNC_METHODS,
  type SyncFormat,
  type SyncMethod,
  type VendorSyncSettings,
  type VendorSyncSettingsAnswer,
} from "../vendor-types";

const METHOD_WORDS: Record<SyncMethod, string> = {
  push_csv: "push CSV (uploads)",
  push_api: "push API (JSON batches)",
  pull_url: "pull a URL (we fetch a file)",
  edi: "EDI (X12 846)",
};
const FORMAT_WORDS: Record<SyncFormat, string> = {
  auto: "auto (detected from the header)",
  ours: "ours (sku, location_id, quantity)",
  shopify: "Shopify inventory export",
  generic: "generic (column map)",
  x12: "X12 846",
};
const DELIMITERS: [GenericColumnMap["delimiter"], string][] = [
  [",", "comma"],
  [";", "semicolon"],
  ["\t", "tab"],
  ["|", "pipe"],
];
/** The pull's auth header name (domain/schemas/vendor-sync.ts PullAuth). */
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const RESERVED_HEADERS = new Set([
  "host",
  "content-length",
  "content-type",
  "if-none-match",
  "if-modified-since",
  "accept",
  "accept-encoding",
  "connection",
  "transfer-encoding",
]);

interface NameRow {
  name: string;
  locationId: string;
}

interface Values {
  enabled: boolean;
  method: SyncMethod;
  tier: VendorSyncSettings["tier"];
  intervalMinutes: string;
  format: SyncFormat;
  shopifyColumn: VendorSyncSettings["shopifyColumn"];
  mapSku: string;
  mapQuantity: string;
  mapLocation: string;
  mapFixedLocation: string;
  mapKind: GenericColumnMap["quantityKind"];
  mapDelimiter: GenericColumnMap["delimiter"];
  names: NameRow[];
  pullUrl: string;
  /** keep: leave the stored secret unchanged (not sent); set: a new header and value; remove: sent as null. */
  authMode: "keep" | "set" | "remove";
  authHeader: string;
  authValue: string;
  staleAfterMinutes: string;
  failureAlertAfter: string;
}

function valuesOf(answer: VendorSyncSettingsAnswer | null): Values {
  const s = answer?.settings ?? null;
  const names = Object.entries(s?.locationNames ?? {}).map(([name, locationId]) => ({ name, locationId }));
  return {
    enabled: s?.enabled ?? true,
    method: s?.method ?? "push_csv",
    tier: s?.tier ?? "standard",
    intervalMinutes: s?.intervalMinutes !== undefined ? String(s.intervalMinutes) : "",
    format: s?.format ?? "auto",
    shopifyColumn: s?.shopifyColumn ?? "on_hand_new",
    mapSku: s?.mapping?.sku ?? "",
    mapQuantity: s?.mapping?.quantity ?? "",
    mapLocation: s?.mapping?.location ?? "",
    mapFixedLocation: s?.mapping?.fixedLocationId ?? "",
    mapKind: s?.mapping?.quantityKind ?? "on_hand",
    mapDelimiter: s?.mapping?.delimiter ?? ",",
    names: names.length > 0 ? names : [{ name: "", locationId: "" }],
    pullUrl: s?.pullUrl ?? "",
    authMode: "keep",
    authHeader: answer?.pullAuth?.header ?? "Authorization",
    authValue: "",
    staleAfterMinutes: s?.health.staleAfterMinutes !== undefined ? String(s.health.staleAfterMinutes) : "",
    failureAlertAfter: String(s?.health.failureAlertAfter ?? 3),
  };
}

/** A whole number in [min, max], or its problem. */
function wholeProblem(text: string, min: number, max: number, what: string): string | null {
  const n = Number(text);
  return text.trim() === "" || !Number.isInteger(n) || n < min || n > max ? `${what} must be a whole number from ${min} to ${max.toLocaleString()}.` : null;
}

/** The API's field path (after `body`) as the form's field id. */
function fieldIdOfPath(path: (string | number)[], names: NameRow[]): string | null {
  const rest = path[0] === "body" ? path.slice(1) : path;
  const [head, next] = rest;
  switch (head) {
    case "enabled":
    case "method":
    case "tier":
    case "intervalMinutes":
    case "format":
    case "shopifyColumn":
    case "pullUrl":
      return `ss-${head}`;
    case "mapping":
      return next === "quantity" ? "ss-map-quantity" : next === "location" ? "ss-map-location" : next === "fixedLocationId" ? "ss-map-fixed" : "ss-map-sku";
    case "locationNames": {
      const at = names.findIndex((r) => r.name.trim() === String(next ?? "").trim() || r.name.trim().startsWith(String(next ?? "\u0000")));
      return `ss-ln-${at < 0 ? 0 : at}-name`;
    }
    case "pullAuth":
      return next === "value" ? "ss-auth-value" : "ss-auth-header";
    case "health":
      return next === "staleAfterMinutes" ? "ss-stale" : "ss-failures";
    default:
      return null;
  }
}

export function SyncSettingsForm({
  vendorId,
  stored,
  onSaved,
  onCancel,
}: {
  vendorId: string;
  stored: VendorSyncSettingsAnswer | null;
  onSaved: (answer: VendorSyncSettingsAnswer, created: boolean) => void;
  onCancel: () => void;
}) {
  const [values, setValues] = useState<Values>(() => valuesOf(stored));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notSent, setNotSent] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const form = useRef<HTMLFormElement>(null);
  const set = <K extends keyof Values>(key: K, value: Values[K]) => {
    setValues((v) => {
      const next = { ...v, [key]: value };
      // A method takes only some formats: fall back to auto rather than send what the API refuses.
      if (key === "method" && !FORMATS_OF_METHOD[next.method].includes(next.format)) next.format = "auto";
      return next;
    });
    setError(null);
  };
  const setName = (i: number, patch: Partial<NameRow>) =>
    set(
      "names",
      values.names.map((r, j) => (j === i ? { ...r, ...patch } : r)),
    );
  const v = values;
  const pulled = v.method === "pull_url";
  const showMap = v.format === "generic" || (v.format === "auto" && (v.mapSku !== "" || v.mapQuantity !== ""));
  const storedAuth = stored?.pullAuth ?? null;

  const check = (): Record<string, string> => {
    const out: Record<string, string> = {};
    if (v.tier === "custom") {
      const p = wholeProblem(v.intervalMinutes, 5, 1440, "The interval");
      if (p) out["ss-intervalMinutes"] = `${p.slice(0, -1)} minutes.`;
    }
    if (pulled && v.pullUrl.trim() === "") out["ss-pullUrl"] = "Enter the URL we fetch the file from.";
    if (pulled && v.authMode === "set") {
      const h = v.authHeader.trim();
      if (!HEADER_NAME.test(h)) out["ss-auth-header"] = "An HTTP header name: 1–64 letters, digits and '-'.";
      else if (RESERVED_HEADERS.has(h.toLowerCase())) out["ss-auth-header"] = "The pull sets this header itself; use Authorization or your own X-… header.";
      if (v.authValue === "") out["ss-auth-value"] = "Enter the secret, or leave the stored one unchanged.";
      else if (!/^[\x20-\x7e]+$/.test(v.authValue)) out["ss-auth-value"] = "Visible ASCII and spaces only (no line breaks).";
    }
    if (v.format === "generic" || showMap) {
      if (v.mapSku.trim() === "") out["ss-map-sku"] = "Name the SKU column.";
      if (v.mapQuantity.trim() === "") out["ss-map-quantity"] = "Name the quantity column.";
      if ((v.mapLocation.trim() === "") === (v.mapFixedLocation.trim() === ""))
        out["ss-map-location"] = "Give exactly one: a location column, or one location id for every row.";
      else if (v.mapFixedLocation.trim() !== "" && !ID_PATTERN.test(v.mapFixedLocation.trim()))
        out["ss-map-fixed"] = "A location id: 1–64 of A–Z a–z 0–9 . _ -, starting with a letter or digit.";
    }
    const seen = new Map<string, number>();
    v.names.forEach((r, i) => {
      const name = r.name.trim().replace(/\s+/g, " ").toLowerCase();
      if (name === "" && r.locationId.trim() === "") return;
      if (name === "") out[`ss-ln-${i}-name`] = "Enter the vendor's name for the location, or remove the row.";
      else if (seen.has(name)) out[`ss-ln-${i}-name`] = `Row ${seen.get(name)! + 1} has this name already.`;
      else seen.set(name, i);
      if (!ID_PATTERN.test(r.locationId.trim())) out[`ss-ln-${i}-id`] = "A location id: 1–64 of A–Z a–z 0–9 . _ -, starting with a letter or digit.";
    });
    if (v.staleAfterMinutes.trim() !== "") {
      const p = wholeProblem(v.staleAfterMinutes, 1, 10080, "Stale after");
      if (p) out["ss-stale"] = `${p.slice(0, -1)} minutes, or empty for three intervals.`;
    }
    const f = wholeProblem(v.failureAlertAfter, 1, 100, "Failures before an alert");
    if (f) out["ss-failures"] = f;
    return out;
  };

  const body = () => {
    const mapping: GenericColumnMap | undefined =
      v.format === "generic" || showMap
        ? {
            sku: v.mapSku.trim(),
            quantity: v.mapQuantity.trim(),
            ...(v.mapLocation.trim() ? { location: v.mapLocation.trim() } : { fixedLocationId: v.mapFixedLocation.trim() }),
            quantityKind: v.mapKind,
            delimiter: v.mapDelimiter,
          }
        : undefined;
    const locationNames: Record<string, string> = {};
    for (const r of v.names) if (r.name.trim() !== "") locationNames[r.name.trim()] = r.locationId.trim();
    return {
      enabled: v.enabled,
      method: v.method,
      tier: v.tier,
      ...(v.tier === "custom" ? { intervalMinutes: Number(v.intervalMinutes) } : {}),
      format: v.format,
      ...(mapping ? { mapping } : {}),
      locationNames,
      ...(pulled ? { pullUrl: v.pullUrl.trim() } : {}),
      shopifyColumn: v.shopifyColumn,
      // Not edited here: kept as stored.
      ...(stored?.settings?.x12 ? { x12: stored.settings.x12 } : {}),
      health: {
        ...(v.staleAfterMinutes.trim() !== "" ? { staleAfterMinutes: Number(v.staleAfterMinutes) } : {}),
        failureAlertAfter: Number(v.failureAlertAfter),
      },
      // Absent keeps the stored secret; only a pull has one.
      ...(pulled && v.authMode === "set" ? { pullAuth: { header: v.authHeader.trim(), value: v.authValue } } : {}),
      ...(pulled && v.authMode === "remove" ? { pullAuth: null } : {}),
    };
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const found = check();
    setErrors(found);
    setNotSent(Object.keys(found).length);
    setError(null);
    if (Object.keys(found).length > 0) {
      focusFirstInvalid(form.current);
      return;
    }
    setBusy(true);
    try {
      const before = stored;
      const answer = await call<VendorSyncSettingsAnswer>("PUT", `/api/v2/vendors/${encodeURIComponent(vendorId)}/sync-settings`, { body: body() });
      onSaved(answer, before === null);
    } catch (err) {
      const mapped: Record<string, string> = {};
      for (const p of fieldProblems(err)) {
        const id = fieldIdOfPath(p.path, v.names);
        if (id) mapped[id] ??= p.message;
      }
      setErrors(mapped);
      setError(err);
      focusFirstInvalid(form.current);
    } finally {
      setBusy(false);
    }
  };

  const input = (id: string, label: string, value: string, onInput: (s: string) => void, extra: Record<string, unknown> = {}, hint?: string) => (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        {...fieldAria(id, errors[id], hint ? `${id}-hint` : undefined)}
        value={value}
        autocomplete="off"
        spellcheck={false}
        onInput={(e) => onInput((e.target as HTMLInputElement).value)}
        {...extra}
      />
      {hint ? (
        <p id={`${id}-hint`} class="muted small">
          {hint}
        </p>
      ) : null}
      <FieldError id={id} error={errors[id]} />
    </div>
  );

  return (
    <form ref={form} class="card form-grid" onSubmit={submit} noValidate aria-labelledby="ss-title" data-testid="sync-settings-form">
      <h3 id="ss-title" class="field-wide">
        {stored ? "Edit" : "Set up"} the sync settings of {vendorId}
      </h3>
      <div class="field check field-wide">
        <input id="ss-enabled" type="checkbox" checked={v.enabled} onChange={(e) => set("enabled", (e.target as HTMLInputElement).checked)} />
        <label for="ss-enabled">Sync is on (off: scheduled pulls pause; uploads are still taken)</label>
      </div>
      <div class="field">
        <label for="ss-method">Method</label>
        <select
          {...fieldAria("ss-method", errors["ss-method"])}
          value={v.method}
          onChange={(e) => set("method", (e.target as HTMLSelectElement).value as SyncMethod)}
        >
          {SYNC_METHODS.map((m) => (
            <option key={m} value={m}>
              {METHOD_WORDS[m]}
            </option>
          ))}
        </select>
        <FieldError id="ss-method" error={errors["ss-method"]} />
      </div>
      <div class="field">
        <label for="ss-format">File format</label>
        <select
          {...fieldAria("ss-format", errors["ss-format"])}
          value={v.format}
          onChange={(e) => set("format", (e.target as HTMLSelectElement).value as SyncFormat)}
        >
          {FORMATS_OF_METHOD[v.method].map((f) => (
            <option key={f} value={f}>
              {FORMAT_WORDS[f]}
            </option>
          ))}
        </select>
        <FieldError id="ss-format" error={errors["ss-format"]} />
      </div>
      <div class="field">
        <label for="ss-tier">Schedule</label>
        <select
          {...fieldAria("ss-tier", errors["ss-tier"])}
          value={v.tier}
          onChange={(e) => set("tier", (e.target as HTMLSelectElement).value as VendorSyncSettings["tier"])}
        >
          <option value="critical">critical: every 5 minutes</option>
          <option value="standard">standard: every 30 minutes</option>
          <option value="custom">custom interval</option>
        </select>
        <FieldError id="ss-tier" error={errors["ss-tier"]} />
      </div>
      {v.tier === "custom"
        ? input("ss-intervalMinutes", "Interval (minutes)", v.intervalMinutes, (s) => set("intervalMinutes", s), {
            type: "number",
            min: 5,
            max: 1440,
            step: 1,
            inputMode: "numeric",
          })
        : null}
      {v.format === "shopify" || v.format === "auto" ? (
        <div class="field">
          <label for="ss-shopifyColumn">Shopify quantity column</label>
          <select
            {...fieldAria("ss-shopifyColumn", errors["ss-shopifyColumn"])}
            value={v.shopifyColumn}
            onChange={(e) => set("shopifyColumn", (e.target as HTMLSelectElement).value as VendorSyncSettings["shopifyColumn"])}
          >
            {SHOPIFY_COLUMNS.map((c) => (
              <option key={c} value={c}>
                {c === "on_hand_new" ? "On hand (new)" : c === "on_hand_current" ? "On hand (current)" : "Available"}
              </option>
            ))}
          </select>
          <FieldError id="ss-shopifyColumn" error={errors["ss-shopifyColumn"]} />
        </div>
      ) : null}
      {pulled ? (
        <fieldset class="field-wide form-grid">
          <legend>The pull</legend>
          {input(
            "ss-pullUrl",
            "Pull URL",
            v.pullUrl,
            (s) => set("pullUrl", s),
            { type: "url", inputMode: "url", maxLength: 2048 },
            "An https URL to a public host, without credentials in it.",
          )}
          <div class="field">
            <span class="label" id="ss-auth-label">
              Auth header
            </span>
            <p class="small" data-testid="stored-auth">
              {storedAuth ? (
                <>
                  Stored: <code>{storedAuth.header}</code> <code>{storedAuth.hint}</code> (the secret is never shown)
                </>
              ) : (
                "None stored."
              )}
            </p>
          </div>
          <fieldset class="field-wide">
            <legend>The auth secret</legend>
            <label class="inline">
              <input type="radio" name="ss-auth" checked={v.authMode === "keep"} onChange={() => set("authMode", "keep")} />
              {storedAuth ? "Leave unchanged" : "None"}
            </label>
            <label class="inline">
              <input type="radio" name="ss-auth" checked={v.authMode === "set"} onChange={() => set("authMode", "set")} />
              {storedAuth ? "Replace it" : "Set one"}
            </label>
            {storedAuth ? (
              <label class="inline">
                <input type="radio" name="ss-auth" checked={v.authMode === "remove"} onChange={() => set("authMode", "remove")} />
                Remove it
              </label>
            ) : null}
          </fieldset>
          {v.authMode === "set" ? (
            <>
              {input("ss-auth-header", "Header name", v.authHeader, (s) => set("authHeader", s), { maxLength: 64 })}
              {input(
                "ss-auth-value",
                "Secret value",
                v.authValue,
                (s) => set("authValue", s),
                { type: "password", maxLength: 4096 },
                "Sent once; shown masked after.",
              )}
            </>
          ) : null}
        </fieldset>
      ) : null}
      {v.format === "generic" || v.format === "auto" ? (
        <fieldset class="field-wide form-grid">
          <legend>Column map {v.format === "auto" ? "(optional: for files in the vendor's own layout)" : ""}</legend>
          {input("ss-map-sku", "SKU column", v.mapSku, (s) => set("mapSku", s), { maxLength: 200 })}
          {input("ss-map-quantity", "Quantity column", v.mapQuantity, (s) => set("mapQuantity", s), { maxLength: 200 })}
          {input(
            "ss-map-location",
            "Location column",
            v.mapLocation,
            (s) => set("mapLocation", s),
            { maxLength: 200 },
            "Its values go through the location names below.",
          )}
          {input("ss-map-fixed", "…or one location id for every row", v.mapFixedLocation, (s) => set("mapFixedLocation", s), { maxLength: 64 })}
          <div class="field">
            <label for="ss-map-kind">The quantities are</label>
            <select
              id="ss-map-kind"
              value={v.mapKind}
              onChange={(e) => set("mapKind", (e.target as HTMLSelectElement).value as GenericColumnMap["quantityKind"])}
            >
              <option value="on_hand">on hand</option>
              <option value="available">available</option>
            </select>
          </div>
          <div class="field">
            <label for="ss-map-delimiter">Delimiter</label>
            <select
              id="ss-map-delimiter"
              value={v.mapDelimiter}
              onChange={(e) => set("mapDelimiter", (e.target as HTMLSelectElement).value as GenericColumnMap["delimiter"])}
            >
              {DELIMITERS.map(([d, name]) => (
                <option key={name} value={d}>
                  {name}
                </option>
              ))}
            </select>
          </div>
        </fieldset>
      ) : null}
      <fieldset class="field-wide">
        <legend>Location names (what the vendor's files call a location → our location id)</legend>
        {v.names.map((r, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no id of their own; a row's position is its identity while editing.
          <div class="form-grid location-name-row" key={i}>
            {input(`ss-ln-${i}-name`, `Vendor's name, row ${i + 1}`, r.name, (s) => setName(i, { name: s }), { maxLength: 200 })}
            {input(`ss-ln-${i}-id`, `Our location id, row ${i + 1}`, r.locationId, (s) => setName(i, { locationId: s }), { maxLength: 64 })}
            <div class="field actions">
              <button
                type="button"
                class="secondary"
                onClick={() => set("names", v.names.length > 1 ? v.names.filter((_, j) => j !== i) : [{ name: "", locationId: "" }])}
              >
                Remove row {i + 1}
              </button>
            </div>
          </div>
        ))}
        <button type="button" class="secondary" onClick={() => set("names", [...v.names, { name: "", locationId: "" }])}>
          Add a location name
        </button>
      </fieldset>
      {input(
        "ss-stale",
        "Stale after (minutes)",
        v.staleAfterMinutes,
        (s) => set("staleAfterMinutes", s),
        { type: "number", min: 1, max: 10080, step: 1, inputMode: "numeric", placeholder: "three intervals" },
        "Empty: three intervals of the schedule.",
      )}
      {input("ss-failures", "Failures in a row before an alert", v.failureAlertAfter, (s) => set("failureAlertAfter", s), {
        type: "number",
        min: 1,
        max: 100,
        step: 1,
        inputMode: "numeric",
      })}
      <NotSent count={notSent} />
      <div class="field actions field-wide">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save sync settings"}
        </button>
        <button type="button" class="secondary" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
      {error ? (
        <div class="field-wide">
          <ErrorNote error={error} />
        </div>
      ) : null}
      <p class="muted small field-wide">Saving replaces the whole record (method {words(v.method)}); X12 options set through the API are kept as they are.</p>
    </form>
  );
}
