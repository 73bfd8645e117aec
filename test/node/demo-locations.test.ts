/**
 * The demo seed's locations (scripts/local-stack.mjs `demoLocationBodies`) carry the order
 * routing data of domain/allocation-demo-locations.ts, the one source of those values, and
 * agree with DEMO_LOCATIONS on every centre's place and priority.
 */
import { describe, expect, it } from "vitest";
import { DEMO_ROUTING_LOCATIONS } from "../../domain/allocation-demo-locations";
import { DEMO_LOCATIONS, demoLocationBodies } from "../../scripts/local-stack.mjs";

describe("demo locations", () => {
  it("every demo centre is seeded with its routing data, exactly as the domain's demo list has it", async () => {
    const bodies = await demoLocationBodies();
    expect(bodies.map((b) => b.id)).toEqual(DEMO_LOCATIONS.map((l) => l.id));
    for (const body of bodies) {
      const { name, city, type, ...routing } = DEMO_ROUTING_LOCATIONS.find((r) => r.id === body.id)!;
      expect(body).toMatchObject({ name, city, type, ...routing });
    }
  });
});
