/**
 * Planning test fixtures: sales histories written straight into `daily_sales` and planning
 * settings into `sku_planning` (both in the SKU's vendor's read database: the tables split by
 * vendor, issue 19 item 2), and the forecast origin of "now".
 */
import { dayNumber, isoDay } from "../../domain/forecasting/calendar";
import { originBefore } from "../../services/reorder-planning";
import { readDbOfSku } from "./read-model";

/** Yesterday (UTC): the origin of a job run now. */
export const yesterday = () => originBefore(Date.now());

/**
 * Writes `units(i)` for each of the `days` days ending yesterday (i = 0 is the oldest) at
 * `locationId` into the SKU's read database; days with 0 units get no row, as the EVENTS
 * consumer writes them (the SKU's master row, and so its `read_sku_facts`, is there already).
 */
export async function writeSales(sku: string, locationId: string, days: number, units: (i: number) => number): Promise<number[]> {
  const db = await readDbOfSku(sku);
  const end = dayNumber(yesterday());
  const series: number[] = [];
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < days; i++) {
    const u = units(i);
    series.push(u);
    if (u > 0) {
      statements.push(
        db
          .prepare("INSERT INTO daily_sales (sku, location_id, day, units, fulfilments, updated_at) VALUES (?, ?, ?, ?, 1, 0)")
          .bind(sku, locationId, isoDay(end - days + 1 + i), u),
      );
    }
  }
  for (let i = 0; i < statements.length; i += 100) await db.batch(statements.slice(i, i + 100));
  return series;
}

/** Sets planning settings straight in D1 (the SKU's read database). */
export async function writeSettings(
  sku: string,
  s: {
    category?: string;
    unitCost?: number;
    unitPrice?: number;
    orderingCost?: number;
    holdingRate?: number;
    serviceLevel?: number;
    packSize?: number;
    minimumOrderQuantity?: number;
  },
): Promise<void> {
  await (await readDbOfSku(sku))
    .prepare(
      `INSERT INTO sku_planning (sku, category, unit_cost, unit_price, ordering_cost, holding_rate, service_level, pack_size, minimum_order_quantity, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
    )
    .bind(
      sku,
      s.category ?? null,
      s.unitCost ?? null,
      s.unitPrice ?? null,
      s.orderingCost ?? null,
      s.holdingRate ?? null,
      s.serviceLevel ?? null,
      s.packSize ?? null,
      s.minimumOrderQuantity ?? null,
    )
    .run();
}

/** A deterministic weekday-patterned series around `mean` units a day. */
export const weekly = (mean: number) => (i: number) => Math.round(mean * [1.2, 1.1, 1, 1, 0.9, 0.8, 1][i % 7]!);
