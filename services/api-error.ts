/**
 * The one error shape of the API: `{"error":{"code","message","details"}}`. Handlers and
 * middleware throw ApiError; `app.onError` writes it. Internal errors never leak.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { FAILURE_STATUS, publicFailure, type Failure } from "../domain/failures";

/** One problem with the input, located by its path (e.g. `["items", 2, "quantity"]`). */
export interface FieldProblem {
  path: (string | number)[];
  message: string;
  code?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  /** An invalid-input error (400) listing every problem with its field path. */
  static invalid(message: string, details: FieldProblem[]): ApiError {
    return new ApiError(400, "invalid_request", message, details);
  }

  /** Maps a business failure returned by a Durable Object or service to its HTTP status (limits first: `publicFailure`). */
  static fromFailure(returned: Failure): ApiError {
    const failure = publicFailure(returned);
    return new ApiError(FAILURE_STATUS[failure.code] as ContentfulStatusCode, failure.code, failure.message, failure.details);
  }
}

/** The JSON body for an error. `details` is always present (null when there is none). */
export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, details: details ?? null } };
}
