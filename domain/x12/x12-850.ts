/**
 * The X12 850 purchase order we send a vendor, generated from a plain PO object, in its
 * envelopes (control numbers and creation time passed in). Segments, in the 4010 order:
 *
 * - `BEG*00*SA*<po>**<date>`: BEG01 purpose (00 original, 01 cancellation, 05 replace),
 *   BEG02 order type (SA stand-alone, NE new order, RL release), BEG03 PO number, BEG05
 *   order date (CCYYMMDD);
 * - `CUR*BY*<currency>` when a currency is given (CUR01 BY = the buying party's currency);
 * - `DTM*002*<date>` delivery requested, `DTM*010*<date>` requested ship;
 * - `N1*ST*<name>*92*<location id>` ship-to (N103 92 = code assigned by the buyer, N104
 *   our location id), then `N3` street lines and `N4` city, region, postal code, country;
 * - per line `PO1*<line>*<qty>*<unit>*<price>**BP*<sku>[*VN*<vendor item>][*UP|EN|UK*<gtin>]`:
 *   PO101 line number, PO102 quantity, PO103 unit (EA…), PO104 unit price (R), then
 *   qualifier/id pairs (BP buyer's part number = our SKU, VN vendor's item number, UP
 *   12-digit UPC, EN 13-digit EAN, UK 14-digit GTIN), and `PID*F****<description>`;
 * - `CTT*<lines>*<quantity total>`: CTT01 number of PO1 segments, CTT02 hash total of
 *   PO102.
 * Pure.
 */
import { formatX12Date, formatX12Decimal } from "./x12-data-types";
import { envelopeSeparators, unwritableReason, writeX12Interchange, type X12EnvelopeOptions, type X12WriteProblem, type X12WriteResult } from "./x12-writer";

export interface PurchaseOrderLine {
  /** PO101; default the line's 1-based position. */
  lineNumber?: string;
  /** Our SKU (sent as BP, the buyer's part number). */
  sku: string;
  /** The vendor's own item number (VN), when known. */
  vendorItemNumber?: string;
  /** A GTIN of 12 (UPC), 13 (EAN) or 14 digits. */
  gtin?: string;
  /** Units ordered, a positive integer. */
  quantity: number;
  /** PO103 unit of measure; default `EA` (each). */
  unit?: string;
  /** Unit price in minor units of the PO's currency (cents); without it PO104 is left empty. */
  unitPriceMinor?: number;
  description?: string;
}

export interface PurchaseOrder {
  poNumber: string;
  /** ISO date. */
  orderDate: string;
  purpose?: "original" | "cancellation" | "replace";
  orderType?: "SA" | "NE" | "RL";
  /** ISO 4217 code; no CUR segment without it. */
  currency?: string;
  /** Decimal places of the currency's minor unit; default 2. */
  currencyExponent?: number;
  requestedDeliveryDate?: string;
  requestedShipDate?: string;
  shipTo: {
    name: string;
    /** Our location id (N104). */
    locationId: string;
    address?: { lines: string[]; city: string; region?: string; postalCode: string; countryCode: string };
  };
  lines: PurchaseOrderLine[];
}

const PURPOSE = { original: "00", cancellation: "01", replace: "05" } as const;

/** The qualifier of a GTIN by its length (UP, EN, UK), or null. */
function gtinQualifier(gtin: string): string | null {
  if (!/^\d+$/.test(gtin)) return null;
  return gtin.length === 12 ? "UP" : gtin.length === 13 ? "EN" : gtin.length === 14 ? "UK" : null;
}

/** Generates the 850 for a purchase order, or the problems of its input (each with its path). */
export function generate850(po: PurchaseOrder, envelope: X12EnvelopeOptions & { setControlNumber: number }): X12WriteResult {
  const seps = envelopeSeparators(envelope);
  const errors: X12WriteProblem[] = [];
  const text = (path: (string | number)[], value: unknown, min: number, max: number): string => {
    if (typeof value !== "string" || value.length < min || value.length > max) {
      errors.push({ path, message: `${min}–${max} characters` });
      return "";
    }
    const reason = unwritableReason(value, seps);
    if (reason !== null) errors.push({ path, message: reason });
    return value;
  };
  const date = (path: (string | number)[], value: string | undefined): string | null => {
    if (value === undefined) return null;
    const out = formatX12Date(value);
    if (out === null || !/^\d{4}-\d{2}-\d{2}$/.test(value)) errors.push({ path, message: "an ISO date (YYYY-MM-DD)" });
    return out;
  };

  const segments: string[][] = [];
  const poNumber = text(["poNumber"], po.poNumber, 1, 22);
  const orderDate = formatX12Date(po.orderDate);
  if (orderDate === null || !/^\d{4}-\d{2}-\d{2}$/.test(po.orderDate)) errors.push({ path: ["orderDate"], message: "an ISO date (YYYY-MM-DD)" });
  segments.push(["BEG", PURPOSE[po.purpose ?? "original"] ?? "00", po.orderType ?? "SA", poNumber, "", orderDate ?? ""]);
  if (po.currency !== undefined) {
    if (!/^[A-Z]{3}$/.test(po.currency)) errors.push({ path: ["currency"], message: "an ISO 4217 code (3 capital letters)" });
    segments.push(["CUR", "BY", po.currency]);
  }
  const exponent = po.currencyExponent ?? 2;
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 4) errors.push({ path: ["currencyExponent"], message: "an integer from 0 to 4" });
  const delivery = date(["requestedDeliveryDate"], po.requestedDeliveryDate);
  if (delivery !== null) segments.push(["DTM", "002", delivery]);
  const ship = date(["requestedShipDate"], po.requestedShipDate);
  if (ship !== null) segments.push(["DTM", "010", ship]);

  segments.push(["N1", "ST", text(["shipTo", "name"], po.shipTo?.name, 1, 60), "92", text(["shipTo", "locationId"], po.shipTo?.locationId, 2, 80)]);
  const address = po.shipTo?.address;
  if (address !== undefined) {
    if (!Array.isArray(address.lines) || address.lines.length < 1 || address.lines.length > 2)
      errors.push({ path: ["shipTo", "address", "lines"], message: "1 or 2 street lines" });
    else segments.push(["N3", ...address.lines.map((l, i) => text(["shipTo", "address", "lines", i], l, 1, 55))]);
    if (!/^[A-Z]{2}$/.test(address.countryCode)) errors.push({ path: ["shipTo", "address", "countryCode"], message: "an ISO 3166 alpha-2 code" });
    segments.push([
      "N4",
      text(["shipTo", "address", "city"], address.city, 2, 30),
      address.region === undefined ? "" : text(["shipTo", "address", "region"], address.region, 2, 2),
      text(["shipTo", "address", "postalCode"], address.postalCode, 3, 15),
      address.countryCode,
    ]);
  }

  if (!Array.isArray(po.lines) || po.lines.length === 0) errors.push({ path: ["lines"], message: "a purchase order has at least one line" });
  const lineNumbers = new Set<string>();
  let total = 0;
  (po.lines ?? []).forEach((line, i) => {
    const path = (field: string) => ["lines", i, field];
    const lineNumber = text(path("lineNumber"), line.lineNumber ?? String(i + 1), 1, 20);
    if (lineNumbers.has(lineNumber)) errors.push({ path: path("lineNumber"), message: `line number ${lineNumber} is used twice` });
    lineNumbers.add(lineNumber);
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1) errors.push({ path: path("quantity"), message: "a positive integer" });
    else total += line.quantity;
    const unit = line.unit ?? "EA";
    if (!/^[A-Z0-9]{2}$/.test(unit)) errors.push({ path: path("unit"), message: "a 2-character unit of measure code (EA, CA, …)" });
    const priced = line.unitPriceMinor !== undefined;
    if (priced && (!Number.isSafeInteger(line.unitPriceMinor) || line.unitPriceMinor! < 0))
      errors.push({ path: path("unitPriceMinor"), message: "an integer ≥ 0 (minor units)" });
    const ids = ["BP", text(path("sku"), line.sku, 1, 48)];
    if (line.vendorItemNumber !== undefined) ids.push("VN", text(path("vendorItemNumber"), line.vendorItemNumber, 1, 48));
    if (line.gtin !== undefined) {
      const qualifier = gtinQualifier(line.gtin);
      if (qualifier === null) errors.push({ path: path("gtin"), message: "a GTIN of 12, 13 or 14 digits" });
      else ids.push(qualifier, line.gtin);
    }
    const price = priced && Number.isSafeInteger(line.unitPriceMinor) && Number.isInteger(exponent) ? formatX12Decimal(line.unitPriceMinor!, exponent) : "";
    segments.push(["PO1", lineNumber, String(line.quantity), unit, price, "", ...ids]);
    if (line.description !== undefined) segments.push(["PID", "F", "", "", "", text(path("description"), line.description, 1, 80)]);
  });
  segments.push(["CTT", String(po.lines?.length ?? 0), String(total)]);
  if (errors.length > 0) return { ok: false, errors };
  return writeX12Interchange(envelope, "PO", [{ id: "850", controlNumber: envelope.setControlNumber, segments }]);
}
