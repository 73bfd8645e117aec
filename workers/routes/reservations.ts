/** `/api/v2/reservations/{id}`: a reservation as it stands (its owner, or operators). */
import { RouteGroup } from "../http/route-table";
import { ReservationId } from "../../domain/schemas/common";
import { getReservation } from "../../services/reservations";

export const reservations = new RouteGroup("reservations");

reservations.route(
  {
    method: "get",
    path: "/:id",
    summary: "A reservation as it stands",
    scopes: ["checkout", "operator"],
    params: { id: ReservationId },
    success: { status: 200, description: "the reservation" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const id = input.param("id");
    const result = await getReservation(c.env, c.get("principal"), id);
    c.header("Cache-Control", "private, no-store");
    return c.json(result.reservation);
  },
);
