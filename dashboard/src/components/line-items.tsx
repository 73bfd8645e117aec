/**
 * The SKU × units lines of a new document (transfer, purchase order): add and remove lines,
 * each field labelled with its line number, its problem said under it, and a list of SKUs to
 * pick from (typing any other id is allowed; the API decides).
 */
import { idProblem, quantityProblem } from "../input-rules";
import { FieldError, fieldAria } from "./form-fields";

export interface DraftLine {
  /** Stable key of the row while lines are added and removed. */
  key: number;
  sku: string;
  quantity: string;
}

let nextKey = 1;
/** An empty line. */
export const emptyLine = (): DraftLine => ({ key: nextKey++, sku: "", quantity: "" });

/**
 * Problems of the lines, keyed `line-{i}-sku` / `line-{i}-quantity` (as the API's
 * `lines[i].sku` maps): ids, whole units in range, one line per SKU.
 */
export function lineProblems(lines: DraftLine[]): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Map<string, number>();
  lines.forEach((line, i) => {
    const sku = idProblem("SKU", line.sku);
    if (sku) out[`line-${i}-sku`] = sku;
    else {
      const first = seen.get(line.sku.trim());
      if (first !== undefined) out[`line-${i}-sku`] = `Line ${first + 1} has this SKU already; send one line per SKU.`;
      else seen.set(line.sku.trim(), i);
    }
    const quantity = quantityProblem(line.quantity);
    if (quantity) out[`line-${i}-quantity`] = quantity;
  });
  return out;
}

/** The lines as the API takes them. */
export const linesBody = (lines: DraftLine[]) => lines.map((l) => ({ sku: l.sku.trim(), quantity: Number(l.quantity) }));

export function LineItems({
  id,
  lines,
  onChange,
  errors,
  max,
  suggestions,
}: {
  /** Prefix of the field ids (unique on the page). */
  id: string;
  lines: DraftLine[];
  onChange: (lines: DraftLine[]) => void;
  errors: Record<string, string>;
  max: number;
  /** SKUs offered in the SKU fields, with a note (e.g. what is available). */
  suggestions: { sku: string; note: string }[];
}) {
  const set = (i: number, field: "sku" | "quantity", value: string) => onChange(lines.map((l, j) => (j === i ? { ...l, [field]: value } : l)));
  const listId = `${id}-skus`;
  return (
    <fieldset class="field-wide lines">
      <legend>Lines (one per SKU, up to {max})</legend>
      <datalist id={listId}>
        {suggestions.map((s) => (
          <option key={s.sku} value={s.sku}>
            {s.note}
          </option>
        ))}
      </datalist>
      {lines.map((line, i) => {
        const skuId = `${id}-line-${i}-sku`;
        const qtyId = `${id}-line-${i}-quantity`;
        const skuError = errors[`line-${i}-sku`];
        const qtyError = errors[`line-${i}-quantity`];
        return (
          <div class="line-row" key={line.key} data-line-index={i}>
            <div class="field">
              <label for={skuId}>
                SKU<span class="sr-only"> of line {i + 1}</span>
              </label>
              <input
                list={listId}
                value={line.sku}
                autocomplete="off"
                spellcheck={false}
                maxLength={64}
                {...fieldAria(skuId, skuError)}
                onInput={(e) => set(i, "sku", (e.target as HTMLInputElement).value)}
              />
              <FieldError id={skuId} error={skuError} />
            </div>
            <div class="field">
              <label for={qtyId}>
                Units<span class="sr-only"> of line {i + 1}</span>
              </label>
              <input
                type="number"
                inputMode="numeric"
                min={1}
                max={1_000_000}
                step={1}
                value={line.quantity}
                {...fieldAria(qtyId, qtyError)}
                onInput={(e) => set(i, "quantity", (e.target as HTMLInputElement).value)}
              />
              <FieldError id={qtyId} error={qtyError} />
            </div>
            {lines.length > 1 ? (
              <div class="field actions">
                <button type="button" class="secondary" onClick={() => onChange(lines.filter((_, j) => j !== i))}>
                  Remove<span class="sr-only"> line {i + 1}</span>
                </button>
              </div>
            ) : null}
          </div>
        );
      })}
      {lines.length < max ? (
        <button type="button" class="secondary" onClick={() => onChange([...lines, emptyLine()])}>
          Add a line
        </button>
      ) : null}
    </fieldset>
  );
}
