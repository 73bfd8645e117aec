/**
 * A new purchase order (`POST /api/v2/purchase-orders`, operators, one Idempotency-Key per
 * filled-in form): a draft to one vendor for one receiving location, lines of SKU × units, an
 * optional expected arrival and reference. It is then submitted to the vendor from its page.
 * Checked here against the API's rules first; what the API still refuses is shown in its
 * words, on the field it names.
 */
import { useRef, useState } from "preact/hooks";
import { call, qs } from "../api";
import { FieldError, fieldAria, focusFirstInvalid, NotSent } from "../components/form-fields";
import { type DraftLine, emptyLine, LineItems, lineProblems, linesBody } from "../components/line-items";
import { ErrorNote, useLoad } from "../components/ui";
import { loadLocations } from "../data";
import { num, words } from "../format";
import { dayToIso, ID_PATTERN, idProblem, newIdempotencyKey, problemsByField, REFERENCE_MAX } from "../input-rules";
import type { PurchaseOrder } from "../planning-types";
import { href } from "../router";
import type { LevelRow, Location, Page, VendorInfo } from "../types";

/** Most lines per purchase order (the API's PO_LINES_MAX). */
const LINES_MAX = 200;

export function NewPurchaseOrderForm({ onCreated }: { onCreated: (p: PurchaseOrder) => void }) {
  const locations = useLoad<Location[]>(() => loadLocations(), []);
  const active = (locations.data ?? []).filter((l) => l.active);
  const [vendorId, setVendorId] = useState("");
  const [locationId, setLocationId] = useState("");
  const [expected, setExpected] = useState("");
  const [reference, setReference] = useState("");
  const [lines, setLines] = useState<DraftLine[]>(() => [emptyLine()]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notSent, setNotSent] = useState(0);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ created?: PurchaseOrder; error?: unknown } | null>(null);
  // One key per filled-in form: a retry of the same form after a lost answer is not a second order.
  const key = useRef(newIdempotencyKey());
  const form = useRef<HTMLFormElement>(null);
  const vendor = vendorId.trim();
  // Vendors to pick from (`GET /api/v2/vendors`, searched by what is typed: a part of the name or id), and the chosen vendor's SKUs.
  const vendors = useLoad<VendorInfo[]>(
    async (signal) =>
      (await call<Page<VendorInfo>>("GET", `/api/v2/vendors${qs({ q: vendor.slice(0, 64) || undefined, status: "active", limit: 50 })}`, { signal })).items,
    [vendor],
  );
  const skus = useLoad<LevelRow[]>(
    async (signal) =>
      ID_PATTERN.test(vendor) ? (await call<Page<LevelRow>>("GET", `/api/v2/inventory${qs({ vendorId: vendor, limit: 500 })}`, { signal })).items : [],
    [vendor],
  );
  const bySku = new Map<string, { onHand: number; low: boolean }>();
  for (const r of skus.data ?? []) {
    const s = bySku.get(r.sku) ?? { onHand: 0, low: false };
    s.onHand += r.onHand;
    s.low ||= r.status === "low_stock" || r.status === "out_of_stock";
    bySku.set(r.sku, s);
  }
  const suggestions = [...bySku].map(([sku, s]) => ({ sku, note: `${num(s.onHand)} on hand${s.low ? ", low somewhere" : ""}` }));
  const edited = () => {
    key.current = newIdempotencyKey();
    setResult(null);
  };
  const check = (): Record<string, string> => {
    const out: Record<string, string> = { ...lineProblems(lines) };
    const v = idProblem("vendor id", vendorId);
    if (v) out.vendorId = v;
    if (!locationId) out.locationId = "Choose the location that receives the goods.";
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
      const created = await call<PurchaseOrder>("POST", "/api/v2/purchase-orders", {
        body: {
          vendorId: vendor,
          locationId,
          ...(expected ? { expectedAt: dayToIso(expected) } : {}),
          ...(reference.trim() ? { reference: reference.trim() } : {}),
          lines: linesBody(lines),
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
    <form ref={form} class="card form-grid" onSubmit={submit} noValidate aria-labelledby="new-po-title">
      <h2 id="new-po-title" class="field-wide">
        New purchase order
      </h2>
      <div class="field">
        <label for="po-vendor">Vendor id</label>
        <input
          {...fieldAria("po-vendor", errors.vendorId)}
          list="po-vendors"
          value={vendorId}
          autocomplete="off"
          spellcheck={false}
          maxLength={64}
          placeholder="V-ACME"
          onInput={(e) => {
            setVendorId((e.target as HTMLInputElement).value);
            edited();
          }}
        />
        <datalist id="po-vendors">
          {(vendors.data ?? []).map((v) => (
            <option key={v.id} value={v.id} label={v.name} />
          ))}
        </datalist>
        <FieldError id="po-vendor" error={errors.vendorId} />
      </div>
      <div class="field">
        <label for="po-location">Receiving location</label>
        <select
          {...fieldAria("po-location", errors.locationId)}
          value={locationId}
          onChange={(e) => {
            setLocationId((e.target as HTMLSelectElement).value);
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
        <FieldError id="po-location" error={errors.locationId} />
      </div>
      <div class="field">
        <label for="po-expected">Expected arrival (optional)</label>
        <input
          type="date"
          {...fieldAria("po-expected", errors.expectedAt)}
          value={expected}
          onInput={(e) => {
            setExpected((e.target as HTMLInputElement).value);
            edited();
          }}
        />
        <FieldError id="po-expected" error={errors.expectedAt} />
      </div>
      <div class="field">
        <label for="po-reference">Reference (optional)</label>
        <input
          {...fieldAria("po-reference", errors.reference)}
          maxLength={REFERENCE_MAX}
          value={reference}
          onInput={(e) => {
            setReference((e.target as HTMLInputElement).value);
            edited();
          }}
        />
        <FieldError id="po-reference" error={errors.reference} />
      </div>
      {locations.error ? (
        <div class="field-wide">
          <ErrorNote error={locations.error} onRetry={locations.reload} />
        </div>
      ) : null}
      <LineItems
        id="po"
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
      <p class="muted small field-wide">The order is created as a draft; open it to submit it to the vendor, who confirms and ships it.</p>
      <NotSent count={notSent} />
      <div class="field actions field-wide">
        <button type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create purchase order"}
        </button>
      </div>
      {result?.created ? (
        <p class="state success field-wide" role="status">
          Created purchase order {result.created.reference ?? result.created.id} ({words(result.created.status)}) to {result.created.vendorId}: {num(units)}{" "}
          units for {result.created.locationId}. <a href={href(["purchase-orders", result.created.id])}>Open it</a>.
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
