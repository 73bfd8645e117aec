/**
 * Reservations: check every line's location so bad input never reaches a Durable Object,
 * route the lines without a location (allocation.ts), then hand the order to its
 * coordinator. No SKU is read from D1: each SKU object checks its own master facts (v7) and
 * refuses an unknown or discontinued SKU, which `orderSkuError` answers as before (404/409
 * with item paths).
 *
 * The single-SKU fast path (issue 11): an order whose lines all name one SKU and a location
 * goes straight to that SKU's object (`reserveDirect`), which keeps the reservation, its
 * expiry and its idempotency itself — one sequential object hop. The key's coordinator shard
 * is told in parallel (`claimKey`), so a key reused for another order is still refused (422).
 * Its id carries the SKU (domain/reservation-ids.ts), so promote, commit, fulfil, release,
 * lookups and amendments go to that object alone too. Orders of several SKUs, and orders the
 * Worker routes (allocation.ts), keep the coordinator: two sequential hops.
 */
import { fail, isFailure } from "../domain/failures";
import { ttlFor } from "../domain/reservation-rules";
import type { KeyClaimOutcome, ReservationOutcome, ReservationView, SkuPart, TransitionOp } from "../durable-objects/reservation-coordinator.types";
import { actorOf, principalName, type Principal } from "./principal";
import { ApiError } from "./api-error";
import { directReservationId, reservationHome, reservationIdFor, shardForKey } from "../domain/reservation-ids";
import { shardName } from "../domain/shards";
import { shardCountOf } from "../repositories/sku-shards";
import { coordinatorFor, skuObjectFor } from "../repositories/objects";
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
  const hash = await requestHash(body);
  const ttlSeconds = ttlFor(body.type, body.ttlSeconds);
  if (parts.size === 1) {
    const [part] = parts.values();
    return unwrap(await reserveDirect(env, { id, hash, owner, principal, body, ttlSeconds, part: part! }), body.items);
  }
  const outcome = await coordinatorFor(env, id).reserve({
    id,
    requestHash: hash,
    principal: owner,
    actor: actorOf(principal),
    type: body.type,
    reference: body.reference,
    ttlSeconds,
    parts: [...parts.values()],
  });
  return unwrap(outcome, body.items);
}

interface DirectRequest {
  /** The key's id (its coordinator shard keeps the claim). */
  id: string;
  hash: string;
  owner: string;
  principal: Principal;
  body: ReserveBody;
  ttlSeconds: number;
  part: SkuPart;
}

/**
 * One SKU: its object takes the reservation while the key's coordinator shard claims the key,
 * both at once. A key first used with another request is refused (422) and what the object
 * took for this request is released; a request the coordinator took before the fast path
 * existed is answered by the coordinator (the object's copy released).
 */
async function reserveDirect(env: Env, r: DirectRequest): Promise<ReservationOutcome> {
  // A hot SKU's reservations are spread over its shards (durable-objects/sku-inventory/shards.ts), by the key.
  const shards = await shardCountOf(env.DB, r.part.sku);
  const shard = shards > 1 ? shardForKey(r.id, shards) : undefined;
  const directId = directReservationId(r.id, r.part.sku, shard);
  const actor = actorOf(r.principal);
  const sku = skuObjectFor(env, shard === undefined ? r.part.sku : shardName(r.part.sku, shard));
  const [taken, claim] = await Promise.allSettled([
    sku.reserveDirect({
      id: directId,
      sku: r.part.sku,
      requestHash: r.hash,
      principal: r.owner,
      actor,
      type: r.body.type,
      reference: r.body.reference,
      ttlSeconds: r.ttlSeconds,
      lines: r.part.lines.map((l) => ({ locationId: l.locationId!, quantity: l.quantity })),
    }),
    coordinatorFor(env, r.id).claimKey({ id: r.id, requestHash: r.hash, target: directId }),
  ]);
  const claimed: KeyClaimOutcome | null = claim.status === "fulfilled" ? claim.value : null;
  if (claimed !== null && (!claimed.ok || claimed.claim === "coordinated")) {
    if (taken.status === "fulfilled" && taken.value.ok && !taken.value.replayed) {
      // Taken for a request the key does not belong to: given back at once (its TTL ends it otherwise).
      await sku.transitionDirect("release", { id: directId, sku: r.part.sku, principal: r.owner, anyPrincipal: false, actor });
    }
    if (!claimed.ok) return claimed;
    return coordinatorFor(env, r.id).reserve({
      id: r.id,
      requestHash: r.hash,
      principal: r.owner,
      actor,
      type: r.body.type,
      reference: r.body.reference,
      ttlSeconds: r.ttlSeconds,
      parts: [r.part],
    });
  }
  if (taken.status === "rejected") throw taken.reason;
  const refused = taken.value as ReservationOutcome;
  if (isFailure(refused) && (refused.code === "sku_not_found" || refused.code === "sku_unavailable")) {
    // Refused by the SKU's master facts: the same answer a coordinator gives (`orderSkuError` maps it).
    return fail(refused.code, refused.code === "sku_not_found" ? "some SKUs do not exist" : "some SKUs cannot be reserved", [
      { sku: r.part.sku, code: refused.code, message: refused.message },
    ]);
  }
  // The claim could not be made: the object's answer stands unless it is new (a retry with the same key confirms it).
  if (claim.status === "rejected" && taken.value.ok && !taken.value.replayed) {
    return fail("retry_later", "the reservation is recorded but its Idempotency-Key could not be confirmed; retry with the same key");
  }
  return taken.value;
}

/** Promotes, commits, fulfils or releases a reservation. */
export async function transition(env: Env, principal: Principal, op: TransitionOp, reservationId: string, ttlSeconds?: number): Promise<ReserveResult> {
  const home = reservationHome(reservationId);
  if (home.kind === "direct") {
    const outcome = await skuObjectFor(env, home.object).transitionDirect(op, {
      id: reservationId,
      sku: home.sku,
      principal: principalName(principal),
      anyPrincipal: principal.scope === "operator",
      actor: actorOf(principal),
      ...(op === "promote" ? { ttlSeconds: ttlFor("hard", ttlSeconds) } : {}),
    });
    return unwrap(outcome);
  }
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
  const home = reservationHome(reservationId);
  if (home.kind === "direct") {
    const outcome = await skuObjectFor(env, home.object).getDirect({
      id: reservationId,
      sku: home.sku,
      principal: principalName(principal),
      anyPrincipal: principal.scope === "operator",
      actor: actorOf(principal),
    });
    return unwrap(outcome);
  }
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
