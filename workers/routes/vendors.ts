/** `/api/v2/vendors`: vendor accounts (operators). */
import { ApiError } from "../../services/api-error";
import { RouteGroup } from "../http/route-table";
import { findVendor } from "../../repositories/vendors";
import { VendorId } from "../../domain/schemas/common";
import { CreateVendorBody } from "../../domain/schemas/master-data";
import { createVendor } from "../../services/master-data";
import { BODY_LIMITS } from "./limits";

export const vendors = new RouteGroup("master data", ["operator"]);

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
    return c.json({ ...row, createdAt: new Date(row.createdAt).toISOString(), updatedAt: new Date(row.updatedAt).toISOString() }, 201);
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
    return c.json({ ...row, createdAt: new Date(row.createdAt).toISOString(), updatedAt: new Date(row.updatedAt).toISOString() });
  },
);
