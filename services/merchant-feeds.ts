/**
 * Google Merchant Center feeds of one vendor's SKUs, from the D1 read model (issue 16,
 * Deliver 3): the `inventory_levels` projection (which trails the SKU objects by the EVENTS
 * queue's delay) in the vendor's read database, with that database's copy of the SKUs' owner
 * and status (`read_sku_facts`); `skus`, `locations` and the open arrivals of `transfers` and
 * `purchase_orders` in `DB`. The rows are built by `domain/merchant-feed.ts`. Which SKUs are
 * listed: the products feed pages the vendor's active SKUs in `DB`; the local feed pages the
 * levels by the read database's copy of owner and status, which every master-data write
 * pushes (services/sku-master.ts; the per-minute sweep repairs a lost push).
 *
 * **Stores.** A Merchant Center store is one of our active locations of type `store` or with
 * `canPickup`; its **store code is our location id** (give the store the same code in the
 * Business Profile). `pickup_method` is `buy` with `pickup_sla` from the location's
 * `handlingHours` (≤ 8 h `same_day`, ≤ 24 h `next_day`, then whole days to `6-day`, beyond
 * that `multi-week`) when it offers pickup, else `not_supported`. We hold no display models,
 * so a store at 0 is `out_of_stock`, never `on_display_to_order`.
 *
 * **Product availability** is our public status (`domain/availability.ts`) computed over the
 * projection's levels at selling locations: `in_stock`/`low_stock` → `in_stock`, and
 * `availability_date` for `preorder` and `backorder` from the earliest open arrival (a
 * transfer in transit, a shipped PO line: the line's date, else the order's) at a selling
 * location — for a backorder with none, today + the SKU's lead time. The projection has no
 * promises, so unlike the public API this date does not skip units already promised to
 * backorders or pre-orders. Discontinued SKUs are left out.
 *
 * Keyset pages: at most `MERCHANT_LOCAL_MAX_ROWS` rows, `MERCHANT_PRODUCTS_MAX` products.
 */
import type { PublicLevel } from "../domain/availability";
import { publicAvailability } from "../domain/availability";
import {
  localInventoryFeed,
  productAvailabilityFeed,
  type LocalInventoryRow,
  type MerchantFeedProblem,
  type MerchantStoreTable,
  type PickupSla,
  type ProductAvailabilityRow,
} from "../domain/merchant-feed";
import type { LocationRow } from "../d1/schema";
import { allLocations } from "../repositories/locations";
import { arrivalsInRange, isMerchantStore, isSellingLocation, localLevelsPage, productsPage, sellingLevelsInRange } from "../repositories/merchant-feeds";
import { shippedArrivalsInRange } from "../repositories/purchase-orders";
import { vendorReadDb } from "../repositories/read-partitions";
import { findVendor } from "../repositories/vendors";
import { ApiError } from "./api-error";
import type { Principal } from "./principal";

/** A page of a feed: its rows, what was left out and why, and the key to continue after (null: the last page). */
export interface FeedPage<Row, Key> {
  rows: Row[];
  problems: MerchantFeedProblem[];
  next: Key | null;
}

/** The pickup SLA of a location that offers pickup, from its handling time. */
export function pickupSlaOf(handlingHours: number): PickupSla {
  if (handlingHours <= 8) return "same_day";
  if (handlingHours <= 24) return "next_day";
  const days = Math.ceil(handlingHours / 24);
  return days <= 6 ? (`${days}-day` as PickupSla) : "multi-week";
}

/** Our stores as Merchant Center stores (see the module comment). */
export function merchantStoresOf(rows: readonly LocationRow[]): MerchantStoreTable {
  const stores: Record<string, MerchantStoreTable[string]> = {};
  for (const l of rows) {
    if (!isMerchantStore(l)) continue;
    stores[l.id] = l.canPickup
      ? { storeCode: l.id, pickupMethod: "buy", pickupSla: pickupSlaOf(l.handlingHours) }
      : { storeCode: l.id, pickupMethod: "not_supported" };
  }
  return stores;
}

/**
 * Whose feed a caller may read: a vendor key its own (another vendor's id is a 403);
 * an operator must name an existing vendor (400 otherwise).
 */
export async function feedVendorFor(env: Env, principal: Principal, vendorId: string | undefined): Promise<string> {
  if (principal.scope === "vendor") {
    if (vendorId !== undefined && vendorId !== principal.vendorId) {
      throw new ApiError(403, "forbidden", "vendor keys read the feeds of their own SKUs only", [
        { path: ["query", "vendorId"], message: "omit vendorId, or give your own" },
      ]);
    }
    return principal.vendorId!;
  }
  if (vendorId === undefined) {
    throw ApiError.invalid("name the vendor whose feed this is", [{ path: ["query", "vendorId"], message: "operators must give vendorId", code: "required" }]);
  }
  if ((await findVendor(env.DB, vendorId)) === undefined) {
    throw ApiError.invalid("unknown vendor", [{ path: ["query", "vendorId"], message: `no vendor ${vendorId}`, code: "unknown_vendor" }]);
  }
  return vendorId;
}

/** One page of the local inventory feed: a row per SKU and store it has a level at, in (sku, store) order. */
export async function localInventoryPage(
  env: Env,
  vendorId: string,
  q: { storeCode?: string | undefined; after?: readonly [string, string] | undefined; limit: number },
): Promise<FeedPage<LocalInventoryRow, [string, string]>> {
  const { rows: locationRows, byId } = await allLocations(env.DB);
  if (q.storeCode !== undefined) {
    const location = byId.get(q.storeCode);
    if (location === undefined || !isMerchantStore(location)) {
      throw ApiError.invalid("not one of our stores", [
        {
          path: ["query", "storeCode"],
          message: `no active store or pickup location ${q.storeCode} (store codes are our location ids)`,
          code: "unknown_store",
        },
      ]);
    }
  }
  const locationIds = q.storeCode !== undefined ? [q.storeCode] : locationRows.filter(isMerchantStore).map((l) => l.id);
  const levels = await localLevelsPage(await vendorReadDb(env, vendorId), { vendorId, locationIds, after: q.after, limit: q.limit + 1 });
  const page = levels.slice(0, q.limit);
  const products: { offerId: string; locations: { locationId: string; available: number }[] }[] = [];
  for (const level of page) {
    const last = products[products.length - 1];
    if (last?.offerId === level.sku) last.locations.push(level);
    else products.push({ offerId: level.sku, locations: [level] });
  }
  const { rows, problems } = localInventoryFeed(products, merchantStoresOf(locationRows));
  const last = page[page.length - 1];
  return { rows, problems, next: levels.length > q.limit && last !== undefined ? [last.sku, last.locationId] : null };
}

/** One page of the product availability feed: a row per active SKU in id order (or a problem when it cannot have one). */
export async function productAvailabilityPage(
  env: Env,
  vendorId: string,
  q: { after?: string | undefined; limit: number },
  now: number,
): Promise<FeedPage<ProductAvailabilityRow, [string]>> {
  const readDb = await vendorReadDb(env, vendorId);
  const found = await productsPage(readDb, { vendorId, after: q.after, limit: q.limit + 1 });
  const page = found.slice(0, q.limit);
  const last = page[page.length - 1];
  if (last === undefined) return { rows: [], problems: [], next: null };
  const range = { vendorId, after: q.after, last: last.sku };
  const { rows: locationRows } = await allLocations(env.DB);
  const sellableLocationIds = locationRows.filter(isSellingLocation).map((l) => l.id);
  const [levels, byTransfer, byOrder] = await Promise.all([
    sellingLevelsInRange(readDb, range, sellableLocationIds),
    arrivalsInRange(env.DB, range),
    // Purchase orders live in their vendor's read database (services/purchase-orders.ts).
    shippedArrivalsInRange(readDb, range),
  ]);
  const arrivals = [...byTransfer, ...byOrder];
  const arrivalAt = new Map<string, number>();
  for (const a of arrivals) {
    const key = `${a.sku}\n${a.locationId}`;
    const known = arrivalAt.get(key);
    if (known === undefined || a.expectedAt < known) arrivalAt.set(key, a.expectedAt);
  }
  const levelsOf = new Map<string, PublicLevel[]>();
  for (const l of levels) {
    const list = levelsOf.get(l.sku) ?? [];
    list.push({
      locationId: l.locationId,
      available: l.available,
      inTransit: l.inTransit,
      availabilityDate: arrivalAt.get(`${l.sku}\n${l.locationId}`) ?? null,
    });
    levelsOf.set(l.sku, list);
  }
  const products = page.map((sku) => {
    const view = publicAvailability(
      levelsOf.get(sku.sku) ?? [],
      { reorderPoint: sku.reorderPoint, allowBackorder: sku.allowBackorder, leadTimeDays: sku.leadTimeDays, sellableLocationIds },
      now,
    );
    return { offerId: sku.sku, status: view.status, availableFrom: view.availabilityDate ?? null };
  });
  const { rows, problems } = productAvailabilityFeed(products);
  return { rows, problems, next: found.length > q.limit ? [last.sku] : null };
}
