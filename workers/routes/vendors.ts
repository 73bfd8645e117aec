/** `/api/v2/vendors`: vendor accounts (operators). */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { ApiError } from "../../services/api-error";
import { readJson, readParam } from "../http/read-input";
import { findVendor } from "../../repositories/vendors";
import { VendorId } from "../../domain/schemas/common";
import { CreateVendorBody } from "../../domain/schemas/master-data";
import { createVendor } from "../../services/master-data";
import { BODY_LIMITS } from "./limits";

export const vendors = new Hono<AppEnv>();
vendors.use("*", authenticate("operator"));

vendors.post("/", async (c) => {
  const body = await readJson(c, CreateVendorBody, BODY_LIMITS.masterData);
  const row = await createVendor(c.env, body);
  return c.json({ ...row, createdAt: new Date(row.createdAt).toISOString(), updatedAt: new Date(row.updatedAt).toISOString() }, 201);
});

vendors.get("/:id", async (c) => {
  const id = readParam(c, "id", VendorId);
  const row = await findVendor(c.env.DB, id);
  if (row === undefined) throw new ApiError(404, "vendor_not_found", `no vendor ${id}`, { id });
  return c.json({ ...row, createdAt: new Date(row.createdAt).toISOString(), updatedAt: new Date(row.updatedAt).toISOString() });
});
