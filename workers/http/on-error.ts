/**
 * `app.onError` and `app.notFound`: every failure leaves as the one error envelope. Errors of
 * status 500 and above are logged in full (code, message, details, stack) under the request
 * id, and the client gets a generic message that quotes that id and nothing else: no message,
 * no details (an `invariant_violation`'s breaches, a D1 error's text). A 503 `retry_later`
 * that the code raised on purpose (an ApiError) is an answer, not an accident: its message,
 * details (e.g. the sync job to retry) and headers (`Retry-After`) were written for the client
 * and are kept. Any other 503 keeps its code and headers only.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError, errorBody } from "../../services/api-error";

/** The answer to a 5xx: a generic message quoting the request id (the log has the rest). */
function serverError(c: Context, status: ContentfulStatusCode, code: string, headers?: Record<string, string>): Response {
  const requestId = (c.get("requestId") as string | undefined) ?? null;
  const quoted = requestId === null ? "" : `; quote request id ${requestId} when reporting it`;
  const publicCode = status === 503 ? code : "internal_error";
  const message = status === 503 ? `temporarily unavailable, retry later${quoted}` : `internal error${quoted}`;
  return c.json(errorBody(publicCode, message, { requestId }), status, headers);
}

export function onError(err: Error, c: Context): Response {
  const requestId = c.get("requestId") as string | undefined;
  if (err instanceof ApiError) {
    if (err.status < 500) return c.json(errorBody(err.code, err.message, err.details), err.status, err.headers);
    console.error(JSON.stringify({ requestId, status: err.status, code: err.code, message: err.message, details: err.details ?? null }));
    if (err.status === 503 && err.code === "retry_later") return c.json(errorBody(err.code, err.message, err.details), 503, err.headers);
    return serverError(c, err.status, err.code, err.headers);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    if (status < 500) {
      const code = status === 413 ? "payload_too_large" : status === 401 ? "unauthorized" : "bad_request";
      return c.json(errorBody(code, err.message || "bad request"), status);
    }
    console.error(JSON.stringify({ requestId, status, error: "HTTPException", message: err.message }));
    return serverError(c, status, "internal_error");
  }
  console.error(JSON.stringify({ requestId, error: err.name, message: err.message, stack: err.stack }));
  return serverError(c, 500, "internal_error");
}

export function notFound(c: Context): Response {
  return c.json(errorBody("route_not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404);
}
