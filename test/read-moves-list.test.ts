/**
 * `GET /api/v2/read-partitions/moves` as the operator dashboard's Partitions page reads it:
 * without `vendorId` every vendor's moves, newest first (ties by id), bounded by `limit`; with
 * `vendorId` that vendor's moves and its placement now (read database, pinned or at its home;
 * null for no such vendor), read uncached from `DB`. Input errors 400, vendor keys 403, no key 401.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { homeReadPartition } from "../domain/read-partitions";
import { vendorReadPartition } from "../repositories/read-partitions";
import { advanceMove, MOVE_TIMING, moveJson, startMove } from "../services/read-moves";
import { api, seedBasics, type Keys } from "./support/fixtures";

let keys: Keys;

beforeAll(async () => {
  keys = await seedBasics();
  // V3 and V4 beside the fixtures' V1 (home READ_1, not pinned) and V2 (pinned to READ_2).
  await env.DB.prepare("INSERT INTO vendors (id, name) VALUES ('V3', 'Vendor Three'), ('V4', 'Vendor Four')").run();
});

const list = (query = "") => api("GET", `/api/v2/read-partitions/moves${query}`, { key: keys.operator });

describe("GET /api/v2/read-partitions/moves", () => {
  it("lists every vendor's moves newest first (ties by id), bounded by limit; a vendor's with its placement", async () => {
    expect((await list()).body).toEqual({ items: [] });
    // Placement before any move: V1 at its home, V2 pinned, an unknown vendor null.
    expect(homeReadPartition("V1", 4)).toBe(1);
    expect((await list("?vendorId=V1")).body).toEqual({ items: [], placement: { partition: 1, pinned: false, databaseExists: true } });
    expect((await list("?vendorId=V2")).body).toEqual({ items: [], placement: { partition: 2, pinned: true, databaseExists: true } });
    expect((await list("?vendorId=NOPE")).body).toEqual({ items: [], placement: null });

    // Four moves: one through the API (now), three with set times — two at the same instant.
    const t0 = Date.now() - 60_000;
    const m1 = await startMove(env, "V1", 3, "operator:test", t0);
    const m3 = await startMove(env, "V3", 0, "operator:test", t0 + 1_000);
    const m4 = await startMove(env, "V4", 3, "operator:test", t0 + 1_000);
    const viaApi = await api("POST", "/api/v2/read-partitions/moves", { key: keys.operator, body: { vendorId: "V2", to: 0 } });
    expect(viaApi.status).toBe(202);
    const tied = [m3, m4].sort((a, b) => (a.id < b.id ? 1 : -1));
    const newestFirst = [viaApi.body.id, tied[0]!.id, tied[1]!.id, m1.id];

    const all = await list();
    expect(all.status).toBe(200);
    expect(all.body.items.map((m: { id: string }) => m.id)).toEqual(newestFirst);
    expect(Object.keys(all.body)).toEqual(["items"]);
    // Each as the move's own endpoint shows it.
    expect(all.body.items[3]).toEqual(moveJson(m1));
    expect(all.body.items[3]).toMatchObject({ vendorId: "V1", from: 1, to: 3, state: "draining", rowsCopied: 0, requestedBy: "operator:test" });
    expect((await list("?limit=2")).body.items.map((m: { id: string }) => m.id)).toEqual(newestFirst.slice(0, 2));
    expect((await list("?limit=100")).body.items).toHaveLength(4);

    // A vendor's: only its moves; its placement moves with the switch, not before.
    expect((await list("?vendorId=V1")).body).toEqual({ items: [moveJson(m1)], placement: { partition: 1, pinned: false, databaseExists: true } });
    const switched = await advanceMove(env, m1.id, t0 + MOVE_TIMING.drainMs + 1);
    expect(switched!.state).toBe("switched");
    const afterSwitch = await list("?vendorId=V1");
    expect(afterSwitch.body.placement).toEqual({ partition: 3, pinned: true, databaseExists: true });
    expect(afterSwitch.body.items.map((m: { id: string; state: string }) => [m.id, m.state])).toEqual([[m1.id, "switched"]]);
    // The all-vendors list shows the same move's new state.
    expect((await list()).body.items.find((m: { id: string }) => m.id === m1.id).state).toBe("switched");
  });

  it("reads the placement uncached: a change in DB shows at once where the isolate's cache still has the old one", async () => {
    // A fresh vendor, its placement cached by this isolate.
    await env.DB.prepare("INSERT INTO vendors (id, name) VALUES ('V6', 'Vendor Six')").run();
    const home = homeReadPartition("V6", 4);
    expect(await vendorReadPartition(env, "V6")).toBe(home);
    const elsewhere = (home + 1) % 4;
    await env.DB.prepare("UPDATE vendors SET read_partition = ? WHERE id = 'V6'").bind(elsewhere).run();
    // Positive control: the cached lookup still says home.
    expect(await vendorReadPartition(env, "V6")).toBe(home);
    expect((await list("?vendorId=V6")).body.placement).toEqual({ partition: elsewhere, pinned: true, databaseExists: true });
  });

  it("a vendor pinned to a read database that does not exist (≥ M) is shown as such, not a 500", async () => {
    await env.DB.prepare("INSERT INTO vendors (id, name, read_partition) VALUES ('V7', 'Vendor Seven', 7)").run();
    const res = await list("?vendorId=V7");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [], placement: { partition: 7, pinned: true, databaseExists: false } });
  });

  it("refuses bad input (400 at its query path), vendor and checkout keys (403) and no key (401)", async () => {
    for (const [query, field] of [
      ["?vendorId=bad%20id", "vendorId"],
      ["?limit=0", "limit"],
      ["?limit=101", "limit"],
      ["?vendorId=V1&state=open", ""],
    ] as const) {
      const res = await list(query);
      expect([res.status, res.body.error.code], query).toEqual([400, "invalid_request"]);
      if (field) expect(JSON.stringify(res.body.error.details), query).toContain(field);
    }
    expect((await api("GET", "/api/v2/read-partitions/moves", { key: keys.vendor })).status).toBe(403);
    expect((await api("GET", "/api/v2/read-partitions/moves", { key: keys.checkout })).status).toBe(403);
    expect((await api("GET", "/api/v2/read-partitions/moves")).status).toBe(401);
  });
});
