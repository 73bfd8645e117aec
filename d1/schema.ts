/**
 * D1 master data and read models (drizzle schema). D1 is never the source of truth for
 * counts: those live in the SkuInventory Durable Objects. Migrations in `d1/migrations/`
 * are generated from this file with `npm run db:generate` (drizzle-kit 0.31, flat files).
 */
import { sql } from "drizzle-orm";
import { check, index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const createdAt = () =>
  integer("created_at", { mode: "number" }).notNull().default(sql`(unixepoch('subsec') * 1000)`);
const updatedAt = () =>
  integer("updated_at", { mode: "number" }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

/** Sellers whose SKUs we hold. `status = suspended` blocks their keys' writes. */
export const vendors = sqliteTable("vendors", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  status: text("status", { enum: ["active", "suspended"] }).notNull().default("active"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Stocking locations: fulfilment centres, warehouses, stores, dropship points. */
export const locations = sqliteTable(
  "locations",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    type: text("type", { enum: ["fulfillment_center", "warehouse", "store", "dropship"] }).notNull(),
    countryCode: text("country_code").notNull(),
    city: text("city").notNull(),
    latitude: real("latitude").notNull(),
    longitude: real("longitude").notNull(),
    canShip: integer("can_ship", { mode: "boolean" }).notNull().default(true),
    canPickup: integer("can_pickup", { mode: "boolean" }).notNull().default(false),
    /** Lower number = preferred when allocation ties. */
    priority: integer("priority").notNull().default(100),
    /** Storage capacity in units; informational until allocation strategies land. */
    capacityUnits: integer("capacity_units").notNull().default(0),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [check("locations_lat", sql`${t.latitude} BETWEEN -90 AND 90`), check("locations_lng", sql`${t.longitude} BETWEEN -180 AND 180`)],
);

/** A product groups SKUs (variants); owned by one vendor. */
export const products = sqliteTable(
  "products",
  {
    id: text("id").primaryKey(),
    vendorId: text("vendor_id").notNull().references(() => vendors.id),
    name: text("name").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("products_vendor").on(t.vendorId)],
);

/** Sellable unit. Thresholds drive alerts and replenishment; flags drive reservation rules. */
export const skus = sqliteTable(
  "skus",
  {
    sku: text("sku").primaryKey(),
    productId: text("product_id").notNull().references(() => products.id),
    vendorId: text("vendor_id").notNull().references(() => vendors.id),
    name: text("name").notNull(),
    status: text("status", { enum: ["active", "discontinued"] }).notNull().default("active"),
    reorderPoint: integer("reorder_point").notNull().default(0),
    safetyStock: integer("safety_stock").notNull().default(0),
    maxStock: integer("max_stock"),
    leadTimeDays: integer("lead_time_days").notNull().default(7),
    allowBackorder: integer("allow_backorder", { mode: "boolean" }).notNull().default(false),
    /** Soft (cart) holds may total available × (1 + pct/100). */
    softBufferPct: integer("soft_buffer_pct").notNull().default(10),
    perishable: integer("perishable", { mode: "boolean" }).notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("skus_vendor").on(t.vendorId, t.sku),
    index("skus_product").on(t.productId),
    check("skus_thresholds", sql`${t.reorderPoint} >= 0 AND ${t.safetyStock} >= 0 AND ${t.leadTimeDays} >= 0`),
    check("skus_buffer", sql`${t.softBufferPct} BETWEEN 0 AND 100`),
  ],
);

/**
 * API keys, stored as SHA-256 hashes of the full key. The key's id is part of the key, so a
 * lookup is by primary key and the hash is compared in constant time.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    scope: text("scope", { enum: ["checkout", "vendor", "operator"] }).notNull(),
    vendorId: text("vendor_id").references(() => vendors.id),
    keyHash: text("key_hash").notNull(),
    createdAt: createdAt(),
    revokedAt: integer("revoked_at", { mode: "number" }),
  },
  (t) => [
    uniqueIndex("api_keys_hash").on(t.keyHash),
    check("api_keys_vendor_scope", sql`(${t.scope} = 'vendor') = (${t.vendorId} IS NOT NULL)`),
  ],
);

export type VendorRow = typeof vendors.$inferSelect;
export type LocationRow = typeof locations.$inferSelect;
export type SkuRow = typeof skus.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
