/**
 * A draft's create, replayed after its ship was cut by a crash and undone by the sweeper,
 * answers the document as it stands (cancelled), not the ship's `interrupted` failure: the
 * create itself succeeded (found by the inbound crash drill, seed 252997).
 */
import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { transfers } from "../d1/schema";
import { sweepTransfers, TRANSFER_CREATE_LEASE_MS } from "../services/transfers";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  await createSku("TR-DR-1");
  await setOnHand(keys, "TR-DR-1", "L1", 10);
});

describe("a draft transfer's create replayed after an interrupted ship", () => {
  it("answers the document (cancelled by the sweeper), not 409 interrupted; a plain create's interrupted failure still replays as 409", async () => {
    const body = { fromLocationId: "L1", toLocationId: "L2", draft: true, lines: [{ sku: "TR-DR-1", quantity: 4 }] };
    const created = await api("POST", "/api/v2/transfers", { key: keys.operator, body, idempotencyKey: "tr-dr-1" });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe("draft");
    const id = created.body.id as string;

    // The ship began (the document went `creating`) and the Worker died before any line moved.
    await drizzle(env.DB).update(transfers).set({ status: "creating" }).where(eq(transfers.id, id));
    expect(await sweepTransfers(env, Date.now() + TRANSFER_CREATE_LEASE_MS + 60_000)).toBe(1);
    const swept = await api("GET", `/api/v2/transfers/${id}`, { key: keys.operator });
    expect(swept.body.status).toBe("cancelled");

    const replayed = await api("POST", "/api/v2/transfers", { key: keys.operator, body, idempotencyKey: "tr-dr-1" });
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ id, status: "cancelled" });
    // The ship's own retry still says what happened to it.
    expect((await api("POST", `/api/v2/transfers/${id}/ship`, { key: keys.operator })).status).toBe(409);

    const level = (await skuObject("TR-DR-1").snapshot()).locations.find((l) => l.locationId === "L1")!;
    expect(level.onHand).toBe(10);
    expect(level.available).toBe(10);
    await expectConsistent("TR-DR-1");
  });
});
