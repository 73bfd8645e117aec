/**
 * The reservation state machine both objects use (domain/reservation-lifecycle.ts): every
 * step from every status, as the SKU objects and the coordinator relied on before it was
 * shared.
 */
import { describe, expect, it } from "vitest";
import { decideStep, heldIn, refusalFailure, type ReservationState, type ReservationStep } from "../domain/reservation-lifecycle";

const STEPS: ReservationStep[] = ["promote", "demote", "commit", "uncommit", "fulfil", "release", "expire"];

/** The decision as a short string: `→type/status`, `already`, or `refuse:<reason>`. */
function outcome(step: ReservationStep, state: ReservationState): string {
  const d = decideStep(step, state);
  if (d.kind === "apply") return `→${d.to.type}/${d.to.status}`;
  return d.kind === "already" ? "already" : `refuse:${d.refusal}`;
}

describe("reservation state machine", () => {
  it("the lifecycle moves forward only along its edges", () => {
    const table: Record<string, Record<ReservationStep, string>> = {};
    for (const type of ["soft", "hard"] as const) {
      for (const status of ["active", "committed", "fulfilled", "released", "expired"] as const) {
        if (type === "soft" && (status === "committed" || status === "fulfilled")) continue;
        table[`${type}/${status}`] = Object.fromEntries(STEPS.map((step) => [step, outcome(step, { type, status })])) as Record<ReservationStep, string>;
      }
    }
    expect(table).toEqual({
      "soft/active": {
        promote: "→hard/active",
        demote: "already",
        commit: "refuse:soft_hold",
        uncommit: "already",
        fulfil: "refuse:not_committed",
        release: "→soft/released",
        expire: "→soft/expired",
      },
      "soft/released": {
        promote: "refuse:released",
        demote: "refuse:released",
        commit: "refuse:released",
        uncommit: "refuse:not_active",
        fulfil: "refuse:released",
        release: "already",
        expire: "already",
      },
      "soft/expired": {
        promote: "refuse:expired",
        demote: "refuse:expired",
        commit: "refuse:expired",
        uncommit: "refuse:not_active",
        fulfil: "refuse:expired",
        release: "already",
        expire: "already",
      },
      "hard/active": {
        promote: "already",
        demote: "→soft/active",
        commit: "→hard/committed",
        uncommit: "already",
        fulfil: "refuse:not_committed",
        release: "→hard/released",
        expire: "→hard/expired",
      },
      "hard/committed": {
        promote: "refuse:not_active",
        demote: "refuse:not_active",
        commit: "already",
        uncommit: "→hard/active",
        fulfil: "→hard/fulfilled",
        release: "→hard/released",
        expire: "already",
      },
      "hard/fulfilled": {
        promote: "refuse:not_active",
        demote: "refuse:not_active",
        commit: "already",
        uncommit: "refuse:not_active",
        fulfil: "already",
        release: "refuse:fulfilled",
        expire: "already",
      },
      "hard/released": {
        promote: "refuse:released",
        demote: "refuse:released",
        commit: "refuse:released",
        uncommit: "refuse:not_active",
        fulfil: "refuse:released",
        release: "already",
        expire: "already",
      },
      "hard/expired": {
        promote: "refuse:expired",
        demote: "refuse:expired",
        commit: "refuse:expired",
        uncommit: "refuse:not_active",
        fulfil: "refuse:expired",
        release: "already",
        expire: "already",
      },
    });
  });

  it("the coordinator's own statuses take no step but a release", () => {
    for (const status of ["pending", "failed", "aborted"] as const) {
      expect(outcome("release", { type: "hard", status })).toBe("→hard/released");
      for (const step of ["promote", "commit", "fulfil"] as const) expect(outcome(step, { type: "hard", status })).toBe("refuse:not_active");
    }
  });

  it("refusals are the failures both objects answer with", () => {
    const r: ReservationState = { type: "soft", status: "active" };
    expect(refusalFailure("r1", r, "soft_hold")).toEqual({
      ok: false,
      code: "invalid_state",
      message: "reservation r1 is a soft hold; promote it to hard before committing",
    });
    expect(refusalFailure("r1", { type: "hard", status: "expired" }, "expired")).toMatchObject({
      code: "reservation_expired",
      message: "reservation r1 has expired",
    });
    expect(refusalFailure("r1", { type: "hard", status: "expired" }, "expired", Date.UTC(2026, 0, 1))).toMatchObject({
      message: "reservation r1 expired at 2026-01-01T00:00:00.000Z",
    });
    expect(refusalFailure("r1", { type: "hard", status: "released" }, "released").code).toBe("reservation_released");
    expect(refusalFailure("r1", { type: "hard", status: "fulfilled" }, "fulfilled").code).toBe("invalid_state");
  });

  it("a live line is counted in the bucket of its type and status, and in none once over", () => {
    expect(heldIn("soft", "active")).toBe("softHeld");
    expect(heldIn("hard", "active")).toBe("reserved");
    expect(heldIn("hard", "committed")).toBe("committed");
    for (const status of ["fulfilled", "released", "expired"] as const) expect(heldIn("hard", status)).toBeNull();
  });
});
