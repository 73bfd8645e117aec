/**
 * Reservations: check every line's location so bad input never reaches a Durable Object,
 * route the lines without a location (allocation.ts), then hand the order to its
 * coordinator. No SKU is read from D1: each SKU object checks its own master facts (v7) and
 * refuses an unknown or discontinued SKU, which `orderSkuError` answers as before (404/409
 * with item paths).
 */
import { ttlFor } from "../domain/reservation-rules";
import type { ReservationOutcome, ReservationView, SkuPart, TransitionOp } from "../durable-objects/reservation-coordinator.types";
import { actorOf, principalName, type Principal } from "./principal";
import { ApiError } from "./api-error";
import { reservationIdFor } from "../domain/reservation-ids";
import { coordinatorFor } from "../repositories/objects";
import { requestHash } from "../domain/hashing";
import type { ReserveBody } from "../domain/schemas/inventory";
import { needsPlan, reservePlanned } from "./allocation";
import { checkOrderLocations, orderSkuError, type OrderItem } from "./order-lines";

/** The reservation as the API shows it (times as ISO strings). */
export function reservationJson(view: ReservationView) {
  return {
    id: view.id,
    type: view.type,
    status: view.status,
    reference: view.reference,
    expiresAt: view.expiresAt === null ? null : new Date(view.expiresAt).toISOString(),
    createdAt: new Date(view.createdAt).toISOString(),
    updatedAt: new Date(view.updatedAt).toISOString(),
    // A line waiting for units (backordered or pre-ordered) shows when the arrival that covers them is expected, once looked up.
    lines: view.lines.map((l) => (l.expectedAt === undefined ? l : { ...l, expectedAt: l.expectedAt === null ? null : new Date(l.expectedAt).toISOString() })),
  };
}

export interface ReserveResult {
  reservation: ReturnType<typeof reservationJson>;
  replayed: boolean;
}

/**
 * Creates a reservation (or replays the first answer to the same Idempotency-Key). An order
 * whose lines all name a location and that asks for no routing goes to the SKU objects as
 * it is; any other is routed by an allocation plan (services/allocation.ts).
 */
export async function reserve(env: Env, principal: Principal, body: ReserveBody, idempotencyKey: string): Promise<ReserveResult> {
  const checked = await checkOrderLocations(env, body.items);
  if (needsPlan(body)) return unwrap(await reservePlanned(env, principal, body, idempotencyKey, checked), body.items);

  const parts = new Map<string, SkuPart>();
  for (const item of body.items) {
    const part = parts.get(item.sku) ?? { sku: item.sku, lines: [] };
    part.lines.push({ locationId: item.locationId!, quantity: item.quantity });
    parts.set(item.sku, part);
  }

  const owner = principalName(principal);
  const id = await reservationIdFor(owner, idempotencyKey);
  const outcome = await coordinatorFor(env, id).reserve({
    id,
    requestHash: await requestHash(body),
    principal: owner,
    actor: actorOf(principal),
    type: body.type,
    reference: body.reference,
    ttlSeconds: ttlFor(body.type, body.ttlSeconds),
    parts: [...parts.values()],
  });
  return unwrap(outcome, body.items);
}

/** Promotes, commits, fulfils or releases a reservation. */
export async function transition(env: Env, principal: Principal, op: TransitionOp, reservationId: string, ttlSeconds?: number): Promise<ReserveResult> {
  const outcome = await coordinatorFor(env, reservationId).transition(op, {
    id: reservationId,
    principal: principalName(principal),
    anyPrincipal: principal.scope === "operator",
    actor: actorOf(principal),
    ...(op === "promote" ? { ttlSeconds: ttlFor("hard", ttlSeconds) } : {}),
  });
  return unwrap(outcome);
}

/** One reservation, if the caller owns it (operators see all). */
export async function getReservation(env: Env, principal: Principal, reservationId: string): Promise<ReserveResult> {
  const outcome = await coordinatorFor(env, reservationId).get({
    id: reservationId,
    principal: principalName(principal),
    anyPrincipal: principal.scope === "operator",
  });
  return unwrap(outcome);
}

function unwrap(outcome: ReservationOutcome, items: readonly OrderItem[] = []): ReserveResult {
  if (!outcome.ok) {
    const refusedSku = orderSkuError(outcome, items);
    if (refusedSku !== null) throw refusedSku;
    // A stored failure (e.g. a 409) replayed for a retry with the same Idempotency-Key is
    // still a replay: the client learns it is the first answer, not a new decision.
    const replayed = "replayed" in outcome && outcome.replayed === true;
    const error = ApiError.fromFailure(outcome);
    throw replayed ? new ApiError(error.status, error.code, error.message, error.details, { "Idempotent-Replayed": "true" }) : error;
  }
  return { reservation: reservationJson(outcome.reservation), replayed: outcome.replayed };
}
