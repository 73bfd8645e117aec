/**
 * 5xx answers say nothing internal (issue 10/12, finding F): an invariant breach inside a SKU
 * object and an unexpected exception both answer a generic message that quotes the request
 * id, with no details; what went wrong is logged under that request id instead.
 */
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { AppEnv } from "../workers/app-env";
import { ApiError } from "../services/api-error";
import { onError } from "../workers/http/on-error";
import { api, createSku, seedBasics, skuObject, type Keys } from "./support/fixtures";
import { expectLogged } from "./support/log-capture";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  await createSku("SEC-ERR-1");
});

describe("5xx answers", () => {
  it("an invariant_violation is logged with its breaches under the request id; the client gets a generic 500 with that id", async () => {
    const set = await api("PATCH", "/api/v2/inventory/SEC-ERR-1", { key: keys.operator, body: { locationId: "L1", onHand: 10, reason: "initial" } });
    expect(set.status).toBe(200);
    await runInDurableObject(skuObject("SEC-ERR-1"), (_instance, state) => {
      state.storage.sql.exec("UPDATE stock SET reserved = 3 WHERE location_id = 'L1'");
    });
    const res = await api("PATCH", "/api/v2/inventory/SEC-ERR-1", { key: keys.operator, body: { locationId: "L1", delta: 1, reason: "restock" } });
    expect(res.status).toBe(500);
    const requestId = res.headers.get("x-request-id");
    expect(requestId).toMatch(/\S/);
    expect(res.body).toEqual({
      error: { code: "internal_error", message: `internal error; quote request id ${requestId} when reporting it`, details: { requestId } },
    });
    const text = JSON.stringify(res.body);
    for (const secret of ["invariant", "reserved", "L1", "rolled back", "Σ"]) expect(text).not.toContain(secret);
    const [logged] = expectLogged({ requestId: requestId!, code: "invariant_violation" }, { count: 1, exactly: true });
    expect(JSON.stringify(logged!.details)).toContain("reserved_matches_lines");
  });

  it("an ApiError ≥ 500 thrown anywhere and an unexpected exception are answered the same generic way", async () => {
    // The app's own request-id middleware and error handler, in front of two failing routes.
    const probe = new Hono<AppEnv>();
    probe.use("*", requestId({ headerName: "X-Request-Id" }));
    probe.get("/boom-api", () => {
      throw new ApiError(500, "db_exploded", "D1 said: table skus is locked by 10.0.0.7", { sql: "SELECT secret" });
    });
    probe.get("/boom-raw", () => {
      throw new TypeError("cannot read property 'vendorId' of undefined at /src/secret.ts:12");
    });
    probe.onError(onError);
    for (const path of ["/boom-api", "/boom-raw"]) {
      const res = await probe.request(path, { headers: { "X-Request-Id": `probe-${path.slice(1)}` } });
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: { code: string; message: string; details: unknown } };
      expect(body.error.code).toBe("internal_error");
      expect(body.error.details).toEqual({ requestId: `probe-${path.slice(1)}` });
      expect(JSON.stringify(body)).not.toMatch(/10\.0\.0\.7|secret|vendorId|D1|locked/);
      expectLogged({ requestId: `probe-${path.slice(1)}` }, { count: 1, exactly: true });
    }
  });
});
