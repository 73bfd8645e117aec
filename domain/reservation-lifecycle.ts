/**
 * The reservation lifecycle as one state machine, used by both sides of a reservation: the
 * SKU objects, which hold the units, and the coordinator, which drives a reservation across
 * SKUs. Pure.
 *
 * ```
 *            ┌──commit──▶ committed ──fulfil──▶ fulfilled
 *            │  ◀─uncommit─┘  │
 *   active ──┼──release──────┴─────────▶ released
 *            └──expire (TTL)───────────▶ expired
 * ```
 * `promote` / `demote` turn an active soft hold into a hard reservation and back, in place.
 * A step that already happened is answered as `already` (every step is idempotent, so a
 * saga may repeat it); a step that cannot happen is refused with a reason.
 */
import { fail, type Failure } from "./failures";
import type { Quantities } from "./quantities";
import type { ReservationStatus, ReservationType } from "./reservation-rules";

/** How long a finished reservation stays readable (and its retry answerable), in both the SKU objects and the coordinators. */
export const FINISHED_RESERVATION_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export type ReservationStep = "promote" | "demote" | "commit" | "uncommit" | "fulfil" | "release" | "expire";

/** Statuses only the coordinator records: a fan-out under way, refused, or never answered. */
export type SagaStatus = "pending" | "failed" | "aborted";

export interface ReservationState {
  type: ReservationType;
  status: ReservationStatus | SagaStatus;
}

/** Why a step cannot be taken. */
export type StepRefusal = "expired" | "released" | "fulfilled" | "soft_hold" | "not_committed" | "not_active";

export type StepDecision =
  | { kind: "apply"; to: { type: ReservationType; status: ReservationStatus } }
  | { kind: "already" }
  | { kind: "refuse"; refusal: StepRefusal };

const ALREADY: StepDecision = { kind: "already" };
const refuse = (refusal: StepRefusal): StepDecision => ({ kind: "refuse", refusal });
const apply = (type: ReservationType, status: ReservationStatus): StepDecision => ({ kind: "apply", to: { type, status } });

/** Why a reservation that is not active cannot take a step forward. */
function notActive(status: ReservationState["status"]): StepDecision {
  if (status === "expired") return refuse("expired");
  if (status === "released") return refuse("released");
  return refuse("not_active");
}

/** What `step` does to a reservation in state `r`: apply (and the state after), already done, or refused. */
export function decideStep(step: ReservationStep, r: ReservationState): StepDecision {
  switch (step) {
    case "promote":
      if (r.status !== "active") return notActive(r.status);
      return r.type !== "soft" ? ALREADY : apply("hard", "active");
    case "demote":
      if (r.status !== "active") return notActive(r.status);
      return r.type === "soft" ? ALREADY : apply("soft", "active");
    case "commit":
      if (r.status === "committed" || r.status === "fulfilled") return ALREADY;
      if (r.status !== "active") return notActive(r.status);
      // A pre-order commits once all of its units arrived (the SKU object refuses it before).
      return r.type !== "soft" ? apply("hard", "committed") : refuse("soft_hold");
    case "uncommit":
      if (r.status === "active") return ALREADY;
      return r.status === "committed" ? apply(r.type, "active") : refuse("not_active");
    case "fulfil":
      if (r.status === "fulfilled") return ALREADY;
      if (r.status === "active") return refuse("not_committed");
      return r.status === "committed" ? apply(r.type, "fulfilled") : notActive(r.status);
    case "release":
      if (r.status === "released" || r.status === "expired") return ALREADY;
      return r.status === "fulfilled" ? refuse("fulfilled") : apply(r.type, "released");
    case "expire":
      return r.status === "active" ? apply(r.type, "expired") : ALREADY;
  }
}

/**
 * The failure a refused step answers with. `expiredAt` (ms), when known, is named in the
 * message of an expiry.
 */
export function refusalFailure(id: string, r: ReservationState, refusal: StepRefusal, expiredAt?: number): Failure {
  switch (refusal) {
    case "expired":
      return fail(
        "reservation_expired",
        expiredAt === undefined ? `reservation ${id} has expired` : `reservation ${id} expired at ${new Date(expiredAt).toISOString()}`,
      );
    case "released":
      return fail("reservation_released", `reservation ${id} was released`);
    case "fulfilled":
      return fail("invalid_state", `reservation ${id} was fulfilled; it cannot be released`);
    case "soft_hold":
      return fail("invalid_state", `reservation ${id} is a soft hold; promote it to hard before committing`);
    case "not_committed":
      return fail("invalid_state", `reservation ${id} is ${r.status}; commit it before fulfilling`);
    case "not_active":
      return fail("invalid_state", `reservation ${id} is ${r.status}`);
  }
}

/** The quantity bucket a live line of a reservation in this state is counted in (none once it is over). */
export function heldIn(type: ReservationType, status: ReservationStatus): keyof Quantities | null {
  if (status === "committed") return "committed";
  if (status !== "active") return null;
  // A pre-order's arrived units are reserved; those still waiting are in no bucket.
  return type === "soft" ? "softHeld" : "reserved";
}
