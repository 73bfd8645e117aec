/**
 * Stock-state moves on the SKU page (`POST /api/v2/inventory/{sku}/states`, Idempotency-Key):
 * units between sellable, damaged and on hold, or written off, always with a reason. Units
 * back to sellable cover the location's backorders first.
 */
import { useState } from "preact/hooks";
import { call } from "../api";
import { ErrorNote } from "../components/ui";
import { num, words } from "../format";
import type { Location, SkuStock } from "../types";

const FROM = ["sellable", "damaged", "on_hold"] as const;
const TO = ["damaged", "on_hold", "sellable", "written_off"] as const;

const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);

export function StatesForm({ sku, stock, locations, onDone }: { sku: string; stock: SkuStock; locations: Location[]; onDone: () => void }) {
  const stocked = stock.locations.map((l) => l.locationId);
  const names = new Map(locations.map((l) => [l.id, l.name]));
  const [locationId, setLocationId] = useState(stocked[0] ?? "");
  const [from, setFrom] = useState<string>("sellable");
  const [to, setTo] = useState<string>("damaged");
  const [quantity, setQuantity] = useState("");
  const [reason, setReason] = useState("");
  const [reference, setReference] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string; error?: unknown } | null>(null);
  if (stocked.length === 0) return null;
  const here = stock.locations.find((l) => l.locationId === locationId);
  const inState = here ? (from === "sellable" ? here.available : from === "damaged" ? here.damaged : here.onHold) : 0;
  const submit = async (e: Event) => {
    e.preventDefault();
    const value = Number(quantity);
    if (!Number.isInteger(value) || value < 1) {
      setResult({ ok: false, text: "", error: new Error("Enter a whole number of units, 1 or more.") });
      return;
    }
    if (from === to) {
      setResult({ ok: false, text: "", error: new Error("Choose a different state to move the units to.") });
      return;
    }
    setBusy(true);
    setResult(null);
    try {
      const answer = await call<{
        level: { onHand: number; available: number; damaged: number; onHold: number };
        ledgerSeq: number;
        backordersCovered?: unknown[];
      }>("POST", `/api/v2/inventory/${encodeURIComponent(sku)}/states`, {
        body: { locationId, from, to, quantity: value, reason: reason.trim(), ...(reference.trim() ? { reference: reference.trim() } : {}) },
        headers: { "idempotency-key": newKey() },
      });
      const l = answer.level;
      setResult({
        ok: true,
        text: `Moved ${num(value)} units from ${words(from)} to ${words(to)} at ${names.get(locationId) ?? locationId}: on hand ${num(l.onHand)}, available ${num(l.available)}, damaged ${num(l.damaged)}, on hold ${num(l.onHold)}${answer.backordersCovered?.length ? `; ${num(answer.backordersCovered.length)} backorders covered` : ""}.`,
      });
      setQuantity("");
      onDone();
    } catch (err) {
      setResult({ ok: false, text: "", error: err });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h2 id="states-title">Damaged, on hold, written off</h2>
      <form class="card adjust" onSubmit={submit} aria-labelledby="states-title">
        <div class="field">
          <label for="st-location">Location of the units</label>
          <select id="st-location" value={locationId} onChange={(e) => setLocationId((e.target as HTMLSelectElement).value)}>
            {stocked.map((id) => (
              <option key={id} value={id}>
                {names.get(id) ?? id} ({id})
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="st-from">From</label>
          <select
            id="st-from"
            value={from}
            onChange={(e) => {
              const v = (e.target as HTMLSelectElement).value;
              setFrom(v);
              if (v === to) setTo(v === "sellable" ? "damaged" : "sellable");
            }}
          >
            {FROM.map((s) => (
              <option key={s} value={s}>
                {words(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="st-to">To</label>
          <select id="st-to" value={to} onChange={(e) => setTo((e.target as HTMLSelectElement).value)}>
            {TO.filter((s) => s !== from).map((s) => (
              <option key={s} value={s}>
                {s === "written_off" ? "written off (disposed of)" : words(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="st-quantity">Units</label>
          <input
            id="st-quantity"
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            required
            value={quantity}
            onInput={(e) => setQuantity((e.target as HTMLInputElement).value)}
            aria-describedby="st-have"
          />
        </div>
        <div class="field">
          <label for="st-reason">Why</label>
          <input
            id="st-reason"
            required
            maxLength={64}
            value={reason}
            placeholder="water_damage"
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field">
          <label for="st-reference">Document or ticket (optional)</label>
          <input id="st-reference" maxLength={128} value={reference} onInput={(e) => setReference((e.target as HTMLInputElement).value)} />
        </div>
        <p class="muted small field-wide" id="st-have">
          {words(from)} at this location now: <strong>{num(inState)}</strong>
          {from === "sellable" ? " available" : ""}.
        </p>
        <div class="field actions">
          <button type="submit" disabled={busy || (from as string) === to}>
            {busy ? "Moving…" : "Move units"}
          </button>
        </div>
        {result ? (
          <div class="field-wide">
            {result.ok ? (
              <p class="state success" role="status">
                {result.text}
              </p>
            ) : (
              <ErrorNote error={result.error} />
            )}
          </div>
        ) : null}
      </form>
    </>
  );
}
