/** `/api/v2/reservations/{id}`: a reservation as it stands (its owner, or operators). */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { readParam } from "../http/read-input";
import { ReservationId } from "../../domain/schemas/common";
import { getReservation } from "../../services/reservations";

export const reservations = new Hono<AppEnv>();

reservations.get("/:id", authenticate("checkout", "operator"), async (c) => {
  const id = readParam(c, "id", ReservationId);
  const result = await getReservation(c.env, c.get("principal"), id);
  c.header("Cache-Control", "private, no-store");
  return c.json(result.reservation);
});
