/**
 * `/api/v2/reservations/{id}`: a reservation as it stands, and amendments of it (its owner,
 * or operators).
 */
import { RouteGroup } from "../http/route-table";
import { invalidateAvailability } from "../availability/availability-cache";
import { AmendReservationBody } from "../../domain/schemas/amendments";
import { ReservationId } from "../../domain/schemas/common";
import { amendReservation } from "../../services/reservation-amendments";
import { getReservation } from "../../services/reservations";
import { BODY_LIMITS } from "./limits";

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

reservations.route(
  {
    method: "post",
    path: "/:id/amend",
    summary:
      "Amend a live reservation, all or nothing across its SKUs: change lines' quantities, release or fulfil part of it, refresh its expiry, move a line to another location",
    scopes: ["checkout", "operator"],
    params: { id: ReservationId },
    body: AmendReservationBody,
    // As large as a reservation: up to 100 lines.
    maxBytes: BODY_LIMITS.reserve,
    idempotency: "required",
    success: { status: 200, description: "the reservation after the amendment, and what it changed" },
    errors: [400, 401, 403, 404, 409, 413, 415, 422, 503],
  },
  async (c, input) => {
    const id = input.param("id");
    const key = input.idempotencyKey();
    const body = await input.body();
    const result = await amendReservation(c.env, c.get("principal"), id, body, key);
    if (result.replayed) c.header("Idempotent-Replayed", "true");
    // Like reserve and release: a hard reservation's change moves `available`, so the public
    // availability of every SKU it changed is dropped from the cache before the answer (a
    // soft hold's does not). A replay changed nothing.
    else if (result.reservation.type === "hard" && result.amendment.changes.length > 0) {
      await invalidateAvailability(new URL(c.req.url).origin, new Set(result.amendment.changes.map((ch) => ch.sku)));
    }
    c.header("Cache-Control", "private, no-store");
    return c.json({ reservation: result.reservation, amendment: result.amendment });
  },
);
