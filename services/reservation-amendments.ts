/**
 * Amendments of a live reservation over HTTP (issue 13, item 5): the body is validated by its
 * schema (domain/schemas/amendments.ts), its locations here against master data (unknown: 400,
 * before any Durable Object is called), then the reservation's coordinator applies it all or
 * nothing across the SKUs it touches (durable-objects/reservation-coordinator/amendments.ts)
 * and its answer is mapped to HTTP: ok → 200 (`replayed` for a retry), refusals → 409 with
 * their `reason`, a reused key with another body → 422, not found (or another principal's) →
 * 404, a change recorded but not finished → 503 `retry_later`.
 */
import type { Failure } from "../domain/failures";
import { requestHash } from "../domain/hashing";
import { reservationHome, reservationIdFor } from "../domain/reservation-ids";
import { amendmentOf, type AmendReservationBody } from "../domain/schemas/amendments";
import type { AmendmentOutcome, AmendmentView } from "../durable-objects/reservation-coordinator.types";
import { allLocations } from "../repositories/locations";
import { coordinatorFor, skuObjectFor } from "../repositories/objects";
import { ApiError, type FieldProblem } from "./api-error";
import { actorOf, principalName, type Principal } from "./principal";
import { reservationJson } from "./reservations";

/** The amendment as the API shows it (the new expiry as an ISO string). */
export function amendmentJson(view: AmendmentView) {
  return {
    id: view.id,
    kind: view.kind,
    changes: view.changes,
    expiresAt: view.expiresAt === null ? null : new Date(view.expiresAt).toISOString(),
  };
}

export interface AmendResult {
  reservation: ReturnType<typeof reservationJson>;
  amendment: ReturnType<typeof amendmentJson>;
  replayed: boolean;
}

/**
 * The amendment id for a principal's Idempotency-Key: derived like a reservation id
 * (domain/reservation-ids.ts), so a retry reaches the same record without any lookup;
 * `amd_` instead of `rsv_` (its shard digits mean nothing here: the reservation's
 * coordinator keeps it).
 */
export async function amendmentIdFor(principal: string, idempotencyKey: string): Promise<string> {
  return `amd_${(await reservationIdFor(principal, idempotencyKey)).slice(4)}`;
}

/**
 * Refuses locations that cannot be named (400 with each path): unknown anywhere; inactive
 * where units would be taken there (a quantity change may grow a line, a move brings units
 * in). Units can always be given back or shipped at an inactive location the reservation
 * already holds.
 */
async function checkLocations(env: Env, body: AmendReservationBody): Promise<void> {
  const { byId } = await allLocations(env.DB);
  const problems: FieldProblem[] = [];
  const check = (locationId: string, path: (string | number)[], takes: boolean) => {
    const location = byId.get(locationId);
    if (location === undefined) problems.push({ path: ["body", ...path], message: `no location ${locationId}`, code: "unknown_location" });
    else if (takes && !location.active) {
      problems.push({ path: ["body", ...path], message: `location ${locationId} is inactive`, code: "location_inactive" });
    }
  };
  if (body.kind === "move_line") {
    check(body.fromLocationId, ["fromLocationId"], false);
    check(body.toLocationId, ["toLocationId"], true);
  } else if (body.kind !== "refresh_expiry") {
    for (const [i, line] of body.lines.entries()) check(line.locationId, ["lines", i, "locationId"], body.kind === "change_quantity");
  }
  if (problems.length > 0) throw ApiError.invalid("some locations cannot be named in this amendment", problems);
}

/**
 * Amends a reservation, or replays the first answer to the same Idempotency-Key. The caller
 * must own it (operators may amend any); anyone else gets the 404 a lookup gets.
 */
export async function amendReservation(
  env: Env,
  principal: Principal,
  reservationId: string,
  body: AmendReservationBody,
  idempotencyKey: string,
): Promise<AmendResult> {
  await checkLocations(env, body);
  const owner = principalName(principal);
  const home = reservationHome(reservationId);
  if (home.kind === "direct") {
    // A direct (single-SKU) reservation is amended by its SKU's object alone, in one transaction.
    const outcome = await skuObjectFor(env, home.object).amendDirect({
      id: reservationId,
      sku: home.sku,
      principal: owner,
      anyPrincipal: principal.scope === "operator",
      actor: actorOf(principal),
      amendmentId: await amendmentIdFor(owner, idempotencyKey),
      requestHash: await requestHash({ reservationId, ...body }),
      amendment: amendmentOf(body),
    });
    return unwrap(outcome);
  }
  const outcome = await coordinatorFor(env, reservationId).amend({
    id: reservationId,
    principal: owner,
    anyPrincipal: principal.scope === "operator",
    actor: actorOf(principal),
    amendmentId: await amendmentIdFor(owner, idempotencyKey),
    requestHash: await requestHash({ reservationId, ...body }),
    amendment: amendmentOf(body),
  });
  return unwrap(outcome);
}

function unwrap(outcome: AmendmentOutcome): AmendResult {
  if (!outcome.ok) throw amendmentError(outcome);
  return { reservation: reservationJson(outcome.reservation), amendment: amendmentJson(outcome.amendment), replayed: outcome.replayed };
}

/** A refused or unfinished amendment as the API answers it (domain/failures.ts statuses). */
function amendmentError(failure: Failure): ApiError {
  const error = ApiError.fromFailure(failure);
  // Recorded but waiting for a SKU: the coordinator's alarm finishes it (15 s after it began).
  return error.status === 503 ? new ApiError(503, error.code, error.message, error.details, { "Retry-After": "15" }) : error;
}
