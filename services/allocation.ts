/**
 * Order routing in the API (issue 13; the rules are domain/allocation-*.ts, explained in
 * docs/allocation.md): plan an order from the SKU objects' current availability and the
 * locations' routing data, and reserve what a plan allocates through the coordinator,
 * planning again when an object refuses because stock moved in between.
 *
 * Availability and each SKU's routing policy come from its object's `routingView()` (one hop
 * per SKU, in parallel: master facts and snapshot together), never from D1: the projection
 * lags, and master data is kept in the objects (v7) so the request path reads none. Nothing
 * here holds stock: only the coordinator does.
 */
import { canShipFrom, compareByPriority, type RoutingLocation } from "../domain/allocation-locations";
import { identifyLines, planAllocation, validateAllocationRequest } from "../domain/allocation-plan";
import type {
  AllocationInputProblem,
  AllocationOptions,
  AllocationPlan,
  AllocationRequest,
  OrderLine,
  SkuRoutingPolicy,
} from "../domain/allocation-plan.types";
import { replanAfterRefusal, reservationLinesOf } from "../domain/allocation-replan";
import { fail, isFailure, type Failure, type ShortLine } from "../domain/failures";
import { softHoldLimit } from "../domain/quantities";
import { ttlFor, type ReservationType } from "../domain/reservation-rules";
import type { CoordinatorReserveInput, ReservationOutcome, SkuPart } from "../durable-objects/reservation-coordinator.types";
import type { SkuRoutingView } from "../durable-objects/sku-inventory.types";
import { actorOf, principalName, type Principal } from "./principal";
import { ApiError, type FieldProblem } from "./api-error";
import { routingLocationOf, shippedOn } from "../repositories/locations";
import { reservationIdFor } from "../domain/reservation-ids";
import { coordinatorFor } from "../repositories/objects";
import { requestHash } from "../domain/hashing";
import type { AllocationOptionsBody, PlanBody } from "../domain/schemas/allocation";
import type { ReserveBody } from "../domain/schemas/inventory";
import { checkOrderLocations, orderSkuError, type CheckedLocations, type OrderItem, type SkuRefusal } from "./order-lines";
import { readDbs } from "../repositories/read-partitions";

/** Plans after the first one when a SKU object refuses a planned reservation (stock moved). */
export const MAX_REPLANS = 3;

/**
 * How a reservation without `allocation` routes its lines without a location: the fewest
 * shipments (a line stays whole where it can), and among equal choices the locations
 * nearest the best-priority shipping location, a stand-in for "best priority" when no
 * destination is known. Pinned lines go first either way, so the order of lines does not
 * matter.
 */
export function defaultAllocationOptions(locations: readonly RoutingLocation[]): AllocationOptions {
  const best = locations.filter(canShipFrom).sort(compareByPriority)[0];
  return { strategy: "single_shipment", shipTo: best === undefined ? { latitude: 0, longitude: 0 } : { latitude: best.latitude, longitude: best.longitude } };
}

/** The API's options as the domain takes them (only the fields given). */
function optionsOf(body: AllocationOptionsBody): AllocationOptions {
  const options: AllocationOptions = { strategy: body.strategy };
  if (body.shipTo !== undefined) options.shipTo = body.shipTo;
  if (body.maxShipments !== undefined) options.maxShipments = body.maxShipments;
  if (body.requiredBy !== undefined) options.requiredBy = body.requiredBy;
  if (body.pickupLocationId !== undefined) options.pickupLocationId = body.pickupLocationId;
  if (body.weights !== undefined) options.weights = body.weights;
  if (body.extraShipmentCost !== undefined) options.extraShipmentCost = body.extraShipmentCost;
  return options;
}

/**
 * Everything a plan depends on: the order's lines, every location's routing data, each
 * SKU's stock per location from its object (hard: `available`; soft: the hold headroom the
 * object allows, as its `room()`), and each SKU's backorder policy and lead time from the
 * object's master facts (soft holds never backorder). The request is checked (400 with field
 * paths) before any object is read, so bad input never reaches one; an unknown SKU is a 404,
 * a discontinued one a 409, listing every item (`orderSkuError`).
 */
async function routingRequest(
  env: Env,
  items: readonly OrderItem[],
  type: ReservationType,
  checked: CheckedLocations,
  options: AllocationOptions,
  now: number,
): Promise<AllocationRequest> {
  const skus = [...new Set(items.map((i) => i.sku))].sort();
  const lines: OrderLine[] = items.map((i) =>
    i.locationId === undefined ? { sku: i.sku, quantity: i.quantity } : { sku: i.sku, quantity: i.quantity, locationId: i.locationId },
  );
  const request: AllocationRequest = { lines, locations: await routingLocations(env, checked, now), stock: [], policies: [], options };
  refuseProblems(validateAllocationRequest(request, now), "items");

  const views: (SkuRoutingView | Failure)[] = await Promise.all(skus.map((sku) => env.SKU_INVENTORY.getByName(sku).routingView({ sku })));
  const refused: SkuRefusal[] = [];
  const policies: SkuRoutingPolicy[] = [];
  skus.forEach((sku, k) => {
    const view = views[k]!;
    if (isFailure(view)) {
      if (view.code === "sku_not_found" || view.code === "sku_unavailable") refused.push({ sku, code: view.code, message: view.message });
      else throw ApiError.fromFailure(view);
      return;
    }
    policies.push({ sku, allowBackorder: type === "hard" && view.master.allowBackorder, leadTimeDays: view.master.leadTimeDays });
    for (const level of view.snapshot.locations) {
      const available = type === "hard" ? level.available : softHoldLimit(level.available, view.master.softBufferPct) - level.softHeld;
      request.stock.push({ sku, locationId: level.locationId, available });
    }
  });
  if (refused.length > 0) {
    const error = orderSkuError(fail(refused[0]!.code, refused[0]!.message, refused), items);
    if (error !== null) throw error;
  }
  request.policies = policies;
  return request;
}

/** The domain's problems as a 400 with the request's field paths. */
function refuseProblems(problems: readonly AllocationInputProblem[], itemsField: string): void {
  if (problems.length === 0) return;
  const details: FieldProblem[] = problems.map((p) => {
    const [head, ...rest] = p.path;
    const path = head === "lines" ? ["body", itemsField, ...rest] : head === "options" ? ["body", "allocation", ...rest] : ["master_data", ...p.path];
    return { path, message: p.message, code: p.code };
  });
  throw ApiError.invalid("the order cannot be routed as given", details);
}

/** Request line ids (derived from content) → the item's index in the request. */
function itemIndex(lines: readonly OrderLine[]): Map<string, number> {
  return new Map(identifyLines(lines).map((l, i) => [l.lineId, i]));
}

/**
 * A plan as the API shows it: times as ISO strings, each line and shortfall with the index
 * of its request item, and the reservation lines it would hold (one per SKU and location).
 */
export function planJson(plan: AllocationPlan, index: ReadonlyMap<string, number>, plannedAt: number) {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    plannedAt: iso(plannedAt),
    ...plan,
    shipments: plan.shipments.map((s) => ({ ...s, shipAt: iso(s.shipAt) })),
    lines: plan.lines.map((l) => ({ item: index.get(l.lineId) ?? null, ...l })),
    unallocated: plan.unallocated.map((u) => ({ item: index.get(u.lineId) ?? null, ...u })),
    backorders: plan.backorders.map((b) => ({ item: index.get(b.lineId) ?? null, ...b })),
    ranking: plan.ranking.map((r) => ({ ...r, metrics: { ...r.metrics, shipAt: iso(r.metrics.shipAt) } })),
    reservationLines: reservationLinesOf(plan),
  };
}

/** `POST /api/v2/allocations/plan`: the plan for an order from current availability; nothing is held. */
export async function planOrder(env: Env, body: PlanBody) {
  const checked = await checkOrderLocations(env, body.items);
  const now = Date.now();
  const request = await routingRequest(env, body.items, body.type, checked, optionsOf(body.allocation), now);
  return planJson(planAllocation(request, now), itemIndex(request.lines), now);
}

/**
 * A plan that leaves units unserved, as the reservation's 409: per request item, the units
 * asked for, those the plan could give (`available`: allocated plus backordered), the
 * shortfall and why (`reason`, docs/allocation.md). Nothing was held.
 */
function shortfallOf(plan: AllocationPlan, index: ReadonlyMap<string, number>): Failure {
  const details = plan.unallocated.map((u) => {
    const line = plan.lines.find((l) => l.lineId === u.lineId)!;
    return {
      item: index.get(u.lineId) ?? null,
      sku: u.sku,
      locationId: u.locationId,
      requested: line.requested,
      available: line.allocated + line.backordered,
      short: u.quantity,
      reason: u.reason,
    };
  });
  return fail("insufficient_stock", "not enough stock for every line; nothing was held", details);
}

/** The plan's reservation lines as the coordinator's parts (one line per SKU and location; each object applies its own policy). */
function partsOf(plan: AllocationPlan): SkuPart[] {
  const parts = new Map<string, SkuPart>();
  for (const line of reservationLinesOf(plan)) {
    const part = parts.get(line.sku) ?? { sku: line.sku, lines: [] };
    part.lines.push({ locationId: line.locationId, quantity: line.quantity });
    parts.set(line.sku, part);
  }
  return [...parts.values()];
}

function shortLinesOf(failure: Failure): ShortLine[] {
  if (!Array.isArray(failure.details)) return [];
  return failure.details.filter(
    (d: unknown): d is ShortLine =>
      typeof d === "object" && d !== null && typeof (d as ShortLine).sku === "string" && typeof (d as ShortLine).available === "number",
  );
}

const isReplay = (outcome: ReservationOutcome) => "replayed" in outcome && outcome.replayed === true;

/** True when a reservation is routed by a plan: it asks for routing, or some line names no location. */
export function needsPlan(body: ReserveBody): boolean {
  return body.allocation !== undefined || body.items.some((i) => i.locationId === undefined);
}

/**
 * The locations as routing sees them: their master data, each one's load being its configured
 * `currentLoad` plus the units it shipped today (UTC) by fulfilment events.
 */
async function routingLocations(env: Env, checked: CheckedLocations, now: number) {
  const shipped = await shippedOn(readDbs(env), new Date(now).toISOString().slice(0, 10), now);
  return checked.locationRows.map((row) => routingLocationOf(row, shipped.get(row.id) ?? 0));
}

/**
 * Reserves an order by a plan: plans from current availability, reserves the plan's lines
 * (one per SKU and location) through the coordinator, all or nothing. When a SKU object
 * refuses because another order took the stock first, the refusal's availability goes into
 * the next plan (`replanAfterRefusal`), up to MAX_REPLANS times, each a new attempt of the
 * same reservation; a plan that cannot serve the order, or one that would meet the same
 * refusal again, is the final answer (409 `insufficient_stock`).
 *
 * Idempotency is the coordinator's, by reservation id and request hash: the first final
 * answer is stored and a retry with the same key gets it back, whatever stock did since.
 */
export async function reservePlanned(
  env: Env,
  principal: Principal,
  body: ReserveBody,
  idempotencyKey: string,
  checked: CheckedLocations,
): Promise<ReservationOutcome> {
  const locations = await routingLocations(env, checked, Date.now());
  const options = body.allocation !== undefined ? optionsOf(body.allocation) : defaultAllocationOptions(locations);
  let now = Date.now();
  let request = await routingRequest(env, body.items, body.type, checked, options, now);
  let plan = planAllocation(request, now);
  const index = itemIndex(request.lines);

  const owner = principalName(principal);
  const id = await reservationIdFor(owner, idempotencyKey);
  const base: Omit<CoordinatorReserveInput, "parts"> = {
    id,
    requestHash: await requestHash(body),
    principal: owner,
    actor: actorOf(principal),
    type: body.type,
    reference: body.reference,
    ttlSeconds: ttlFor(body.type, body.ttlSeconds),
  };
  const coordinator = coordinatorFor(env, id);
  const call = async (input: CoordinatorReserveInput): Promise<ReservationOutcome> => coordinator.reserve(input);
  for (let replans = 0; ; replans++) {
    if (plan.unallocated.length > 0) return call({ ...base, parts: [], refusal: shortfallOf(plan, index) });
    const parts = partsOf(plan);
    const outcome = await call({ ...base, parts, replannable: replans < MAX_REPLANS });
    if (outcome.ok || outcome.code !== "insufficient_stock" || isReplay(outcome) || replans >= MAX_REPLANS) return outcome;
    now = Date.now();
    const next = replanAfterRefusal(request, plan, shortLinesOf(outcome), now);
    // The same refusal would come back: it is the answer (stored for retries).
    if (!next.changed || next.samePlan) return call({ ...base, parts: [], refusal: outcome });
    request = next.request;
    plan = next.plan;
  }
}
