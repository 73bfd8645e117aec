/** `/api/v2/vendors`: vendor accounts (operators): create, read one, list and search. */
import type { VendorRow } from "../../d1/schema";
import { ApiError } from "../../services/api-error";
import { RouteGroup } from "../http/route-table";
import { findVendor, listVendors } from "../../repositories/vendors";
import { VendorId } from "../../domain/schemas/common";
import { encodeCursor } from "../../domain/schemas/cursor";
import { VENDORS_CURSOR, VendorListQuery } from "../../domain/schemas/listings";
import { CreateVendorBody } from "../../domain/schemas/master-data";
import { createVendor } from "../../services/master-data";
import { BODY_LIMITS } from "./limits";

export const vendors = new RouteGroup("master data", ["operator"]);

// `readPartition` (where its read-model rows live) is shown by `GET /api/v2/read-partitions/moves`, not here.
const vendorJson = ({ readPartition: _readPartition, ...row }: VendorRow) => ({
  ...row,
  createdAt: new Date(row.createdAt).toISOString(),
  updatedAt: new Date(row.updatedAt).toISOString(),
});

vendors.route(
  {
    method: "get",
    path: "/",
    reads: "replica",
    summary: "Vendors by id, cursor-paginated; q finds a part of the name or id (case-insensitive)",
    scopes: ["operator"],
    query: VendorListQuery,
    success: { status: 200, description: "{items, nextCursor}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const q = input.query();
    const rows = await listVendors(c.env.DB, { q: q.q, status: q.status, afterId: q.cursor?.[0], limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    c.header("Cache-Control", "private, no-store");
    return c.json({
      items: page.map(vendorJson),
      nextCursor: rows.length > q.limit && last !== undefined ? encodeCursor(VENDORS_CURSOR, [last.id]) : null,
    });
  },
);

vendors.route(
  {
    method: "post",
    path: "/",
    summary: "Create a vendor",
    scopes: ["operator"],
    body: CreateVendorBody,
    maxBytes: BODY_LIMITS.masterData,
    success: { status: 201, description: "the vendor" },
    errors: [400, 401, 403, 409, 413, 415],
  },
  async (c, input) => {
    const body = await input.body();
    const row = await createVendor(c.env, body);
    return c.json(vendorJson(row), 201);
  },
);

vendors.route(
  {
    method: "get",
    path: "/:id",
    summary: "A vendor",
    scopes: ["operator"],
    params: { id: VendorId },
    success: { status: 200, description: "the vendor" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const id = input.param("id");
    const row = await findVendor(c.env.DB, id);
    if (row === undefined) throw new ApiError(404, "vendor_not_found", `no vendor ${id}`, { id });
    return c.json(vendorJson(row));
  },
);
