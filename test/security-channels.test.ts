/**
 * Storefront isolation (issue 12, finding E): a checkout key issued for a channel (a
 * storefront) owns its reservations. Another channel's key, and a checkout key without a
 * channel, cannot read, replay, promote, commit, fulfil or release them (404, as if they did
 * not exist); operators can. Keys without a channel keep today's behaviour: they share one
 * principal. Keys of the same channel share it too (key rotation).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, createSku, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
const channel: Record<string, string> = {};

async function issue(body: Record<string, unknown>) {
  return api("POST", "/api/v2/api-keys", { key: keys.operator, body: { name: "storefront", scope: "checkout", ...body } });
}

beforeAll(async () => {
  keys = await seedBasics();
  await createSku("CH-1");
  await setOnHand(keys, "CH-1", "L1", 100);
  for (const [name, ch] of [
    ["web", "web-eu"],
    ["web2", "web-eu"],
    ["app", "app"],
  ] as const) {
    const res = await issue({ channel: ch });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ scope: "checkout", channel: ch });
    channel[name] = res.body.key;
  }
  const plain = await issue({});
  expect(plain.body.channel).toBeNull();
  channel.plain = plain.body.key;
  channel.plain2 = (await issue({})).body.key;
});

const reserve = (key: string, idempotencyKey: string, quantity = 2) =>
  api("POST", "/api/v2/inventory/reserve", {
    key,
    idempotencyKey,
    body: { type: "hard", reference: idempotencyKey, items: [{ sku: "CH-1", quantity, locationId: "L1" }] },
  });
const act = (key: string, op: "commit" | "release" | "fulfil" | "promote", reservationId: string) =>
  api("POST", `/api/v2/inventory/${op}`, { key, body: { reservationId } });
const reserved = async () => (await skuObject("CH-1").snapshot()).totals.reserved;

describe("issuing channel keys", () => {
  it("channel is for checkout keys only, and must be an id", async () => {
    for (const scope of ["operator", "vendor"]) {
      const res = await issue({ scope, channel: "web-eu", ...(scope === "vendor" ? { vendorId: "V1" } : {}) });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toContainEqual(expect.objectContaining({ path: ["body", "channel"] }));
    }
    expect((await issue({ channel: "web:eu" })).status).toBe(400);
    expect((await api("POST", "/api/v2/api-keys", { key: channel.web!, body: { name: "x", scope: "checkout", channel: "web-eu" } })).status).toBe(403);
  });
});

describe("a storefront's reservations are its own", () => {
  it("another storefront, or an unchannelled checkout key, cannot see, replay, change or release them; operators can", async () => {
    const mine = await reserve(channel.web!, "order-1");
    expect(mine.status).toBe(201);
    const id = mine.body.id as string;
    const before = await reserved();

    for (const other of [channel.app!, channel.plain!]) {
      expect((await api("GET", `/api/v2/reservations/${id}`, { key: other })).status).toBe(404);
      for (const op of ["promote", "commit", "fulfil", "release"] as const) {
        const res = await act(other, op, id);
        expect(res.status, `${op} by another storefront`).toBe(404);
        expect(res.body.error.code).toBe("reservation_not_found");
      }
      // The same Idempotency-Key is another storefront's own, new reservation: no replay of ours.
      const replay = await reserve(other, "order-1");
      expect(replay.status).toBe(201);
      expect(replay.body.id).not.toBe(id);
      expect(replay.headers.get("idempotent-replayed")).toBeNull();
    }
    expect(await reserved()).toBe(before + 4);
    expect((await api("GET", `/api/v2/reservations/${id}`, { key: channel.web! })).body.status).toBe("active");

    // Keys of the same channel share it (rotation); the owner and operators may act on it.
    const again = await reserve(channel.web2!, "order-1");
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(id);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await api("GET", `/api/v2/reservations/${id}`, { key: keys.operator })).status).toBe(200);
    expect((await act(channel.web2!, "commit", id)).status).toBe(200);
    expect((await act(keys.operator, "release", id)).body.status).toBe("released");
  });

  it("keys without a channel keep today's behaviour: they share one principal", async () => {
    const first = await reserve(channel.plain!, "shared-1");
    expect(first.status).toBe(201);
    expect((await api("GET", `/api/v2/reservations/${first.body.id}`, { key: channel.plain2! })).status).toBe(200);
    expect((await api("GET", `/api/v2/reservations/${first.body.id}`, { key: keys.checkout })).status).toBe(200);
    expect((await reserve(keys.checkout, "shared-1")).body.id).toBe(first.body.id);
    // ...but not a channel's.
    expect((await api("GET", `/api/v2/reservations/${first.body.id}`, { key: channel.web! })).status).toBe(404);
    expect((await act(channel.plain2!, "release", first.body.id)).status).toBe(200);
  });
});
