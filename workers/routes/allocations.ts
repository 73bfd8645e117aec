/** `/api/v2/allocations`: order routing plans (checkout, operators). Nothing is held. */
import { RouteGroup } from "../http/route-table";
import { PlanBody } from "../../domain/schemas/allocation";
import { planOrder } from "../../services/allocation";
import { BODY_LIMITS } from "./limits";

export const allocations = new RouteGroup("allocations");

allocations.route(
  {
    method: "post",
    path: "/plan",
    summary:
      "Plan an order's routing from current availability (docs/allocation.md): shipments, backorders, unallocated units, dates, cost, reasons; nothing is held",
    scopes: ["checkout", "operator"],
    body: PlanBody,
    maxBytes: BODY_LIMITS.reserve,
    success: { status: 200, description: "the plan" },
    errors: [400, 401, 403, 404, 409, 413, 415],
  },
  async (c, input) => {
    const body = await input.body();
    const plan = await planOrder(c.env, body);
    c.header("Cache-Control", "private, no-store");
    return c.json(plan, 200);
  },
);
