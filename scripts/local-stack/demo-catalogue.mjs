// The demo catalogue: 5 vendors, the spec's 12 European fulfilment centres (with their
// order-routing data from domain/allocation-demo-locations.ts) and up to 3,000 SKUs with
// stock at 2–3 centres each, generated deterministically (same output on every call).

import { prng } from "./prng.mjs";

export const DEMO_VENDORS = [
  { id: "V-ACME", name: "Acme Outdoor", prefix: "ACME", categories: ["TENT", "PACK", "BAG", "LAMP", "STOVE"] },
  { id: "V-NORD", name: "Nordlys Sport", prefix: "NORD", categories: ["SKI", "JACKET", "GLOVE", "HELMET"] },
  { id: "V-VELO", name: "Velo Urbano", prefix: "VELO", categories: ["BIKE", "LIGHT", "LOCK", "TYRE"] },
  { id: "V-CASA", name: "Casa Bella Home", prefix: "CASA", categories: ["LAMP", "RUG", "MUG", "CHAIR"] },
  { id: "V-KIDS", name: "Kinderwelt Toys", prefix: "KIDS", categories: ["BLOCKS", "PUZZLE", "DOLL", "BOOK"] },
];

const CATEGORY_NAMES = {
  TENT: "Tent",
  PACK: "Backpack",
  BAG: "Sleeping Bag",
  LAMP: "Lamp",
  STOVE: "Camp Stove",
  SKI: "Ski",
  JACKET: "Jacket",
  GLOVE: "Gloves",
  HELMET: "Helmet",
  BIKE: "Bike",
  LIGHT: "Bike Light",
  LOCK: "Lock",
  TYRE: "Tyre",
  RUG: "Rug",
  MUG: "Mug",
  CHAIR: "Chair",
  BLOCKS: "Building Blocks",
  PUZZLE: "Puzzle",
  DOLL: "Doll",
  BOOK: "Picture Book",
};
const ADJECTIVES = ["Trail", "Summit", "Alpine", "Coastal", "Urban", "Classic", "Pro", "Lite", "Nordic", "Terra"];
const VARIANTS = ["Black", "Green", "Blue", "Red", "Grey", "Sand"];

/** The spec's 12 European fulfilment centres (priority 10 = preferred). */
export const DEMO_LOCATIONS = [
  ["FC-PAR", "Paris", "FR", 48.8566, 2.3522],
  ["FC-LYS", "Lyon", "FR", 45.764, 4.8357],
  ["FC-BER", "Berlin", "DE", 52.52, 13.405],
  ["FC-FRA", "Frankfurt", "DE", 50.1109, 8.6821],
  ["FC-LON", "London", "GB", 51.5074, -0.1278],
  ["FC-MAN", "Manchester", "GB", 53.4808, -2.2426],
  ["FC-MAD", "Madrid", "ES", 40.4168, -3.7038],
  ["FC-BCN", "Barcelona", "ES", 41.3874, 2.1686],
  ["FC-MIL", "Milan", "IT", 45.4642, 9.19],
  ["FC-AMS", "Amsterdam", "NL", 52.3676, 4.9041],
  ["FC-WAW", "Warsaw", "PL", 52.2297, 21.0122],
  ["FC-STO", "Stockholm", "SE", 59.3293, 18.0686],
].map(([id, city, countryCode, latitude, longitude], i) => ({
  id,
  name: `${city} Fulfilment Centre`,
  type: "fulfillment_center",
  countryCode,
  city,
  latitude,
  longitude,
  canShip: true,
  canPickup: false,
  priority: (i + 1) * 10,
  capacityUnits: 100_000 + i * 10_000,
  active: true,
}));

/**
 * The demo centres as the locations API takes them: DEMO_LOCATIONS plus their order-routing
 * data (shipping cost model, handling time, cut-off, capacity, load, rates) from
 * domain/allocation-demo-locations.ts, the one source of those values. Imported on first
 * use: Node 22 strips the file's types, and this module stays loadable by an older Node
 * that never seeds. Throws if the two lists disagree on a centre's place or priority.
 */
export async function demoLocationBodies() {
  const { DEMO_ROUTING_LOCATIONS } = await import("../../domain/allocation-demo-locations.ts");
  const routing = new Map(DEMO_ROUTING_LOCATIONS.map((r) => [r.id, r]));
  if (routing.size !== DEMO_LOCATIONS.length) throw new Error("demo locations: DEMO_LOCATIONS and DEMO_ROUTING_LOCATIONS list different centres");
  return DEMO_LOCATIONS.map((loc) => {
    const r = routing.get(loc.id);
    const same = r && ["name", "city", "countryCode", "latitude", "longitude", "priority", "canShip", "canPickup", "active"].every((k) => r[k] === loc[k]);
    if (!same) throw new Error(`demo locations: ${loc.id} differs between DEMO_LOCATIONS and DEMO_ROUTING_LOCATIONS`);
    const { shippingCost, handlingHours, cutoffHour, utcOffsetMinutes, dailyCapacity, currentLoad, onTimeRate, accuracyRate } = r;
    return { ...loc, shippingCost: { ...shippingCost }, handlingHours, cutoffHour, utcOffsetMinutes, dailyCapacity, currentLoad, onTimeRate, accuracyRate };
  });
}

export const DEMO_SKU_COUNT = 3_000;

/**
 * The demo catalogue: 3,000 SKUs over the 5 vendors (600 each), ids like `ACME-TENT-0001`,
 * 1–3 variants per product, and each SKU's stock at 2–3 locations. Same output on every call.
 */
export function demoCatalogue(count = DEMO_SKU_COUNT) {
  const rnd = prng(20261121);
  const skus = [];
  const stock = [];
  const perVendor = Math.ceil(count / DEMO_VENDORS.length);
  for (const vendor of DEMO_VENDORS) {
    const counters = Object.fromEntries(vendor.categories.map((c) => [c, 0]));
    let made = 0;
    let product = 0;
    while (made < perVendor && skus.length < count) {
      const category = vendor.categories[product % vendor.categories.length];
      product++;
      const productNo = Math.ceil(product / vendor.categories.length);
      const productId = `P-${vendor.prefix}-${category}-${String(productNo).padStart(3, "0")}`;
      const productName = `${vendor.name.split(" ")[0]} ${rnd.pick(ADJECTIVES)} ${CATEGORY_NAMES[category]} ${productNo}`;
      const variants = Math.min(rnd.int(1, 3), perVendor - made, count - skus.length);
      const colours = rnd.shuffle(VARIANTS);
      for (let v = 0; v < variants; v++) {
        const n = ++counters[category];
        const sku = `${vendor.prefix}-${category}-${String(n).padStart(4, "0")}`;
        const reorderPoint = rnd.int(5, 60);
        const allowBackorder = rnd.chance(0.03);
        skus.push({
          sku,
          vendorId: vendor.id,
          productId,
          productName,
          name: `${productName} – ${colours[v]}`,
          reorderPoint,
          safetyStock: Math.floor(reorderPoint / 3),
          maxStock: reorderPoint * rnd.int(5, 12),
          leadTimeDays: rnd.int(3, 21),
          allowBackorder,
          softBufferPct: 10,
          perishable: false,
          status: "active",
        });
        const places = rnd.shuffle(DEMO_LOCATIONS).slice(0, rnd.int(2, 3));
        for (const loc of places) {
          // Mostly healthy stock, some low, a few empty.
          const r = rnd.next();
          const onHand = r < 0.05 ? 0 : r < 0.2 ? rnd.int(1, reorderPoint) : rnd.int(reorderPoint, reorderPoint * 6);
          stock.push({ sku, locationId: loc.id, onHand });
        }
        made++;
      }
    }
  }
  return { vendors: DEMO_VENDORS.map(({ id, name }) => ({ id, name })), locations: DEMO_LOCATIONS, skus, stock };
}
