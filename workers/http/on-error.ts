/**
 * `app.onError` and `app.notFound`: every failure leaves as the one error envelope. Only
 * unexpected errors (5xx) are logged, and their text is never sent to the client.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, errorBody } from "./api-error";

export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) {
    if (err.status >= 500) console.error(JSON.stringify({ requestId: c.get("requestId"), code: err.code, message: err.message }));
    return c.json(errorBody(err.code, err.message, err.details), err.status, err.headers);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    const code = status === 413 ? "payload_too_large" : status === 401 ? "unauthorized" : status >= 500 ? "internal_error" : "bad_request";
    return c.json(errorBody(code, status >= 500 ? "internal error" : err.message || "bad request"), status);
  }
  console.error(JSON.stringify({ requestId: c.get("requestId"), error: err.name, message: err.message, stack: err.stack }));
  return c.json(errorBody("internal_error", "internal error; quote the X-Request-Id header when reporting it"), 500);
}

export function notFound(c: Context): Response {
  return c.json(errorBody("route_not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404);
}
