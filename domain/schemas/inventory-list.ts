/** Query of `GET /api/v2/inventory`: the projection list. */
import { z } from "zod";
import { LEVEL_STATUSES } from "../inventory-levels";
import { LocationId, SkuId, VendorId } from "./common";
import { cursorParam } from "./cursor";

export const INVENTORY_LIST_CURSOR = "il1";

export const InventoryListQuery = z.strictObject({
  cursor: cursorParam(INVENTORY_LIST_CURSOR, z.tuple([SkuId, LocationId])).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  vendorId: VendorId.optional(),
  locationId: LocationId.optional(),
  status: z.enum(LEVEL_STATUSES).optional(),
  lowStock: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
  updatedSince: z.iso
    .datetime({ offset: true })
    .transform((v) => Date.parse(v))
    .optional(),
  skuPrefix: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "skuPrefix must be 1–64 characters of A–Z, a–z, 0–9, '.', '_' or '-', starting with a letter or digit")
    .optional(),
});
export type InventoryListQuery = z.infer<typeof InventoryListQuery>;
