/**
 * Reading and validating request input: JSON bodies (content type, size limit, syntax,
 * schema), query strings and path parameters. Failures become 400/413/415 ApiErrors with
 * field paths; nothing unvalidated reaches a service or a Durable Object.
 */
import type { Context } from "hono";
import type { z } from "zod";
import { ApiError, type FieldProblem } from "../../services/api-error";

/** Converts zod issues to field problems, prefixed with where the input came from. */
export function problemsOf(error: z.ZodError, prefix: (string | number)[] = []): FieldProblem[] {
  return error.issues.flatMap((issue): FieldProblem[] => {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
    // One problem per unknown field, located at the field itself.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: [...path, key], message: `unknown field ${key}`, code: issue.code }));
    }
    return [{ path, message: issue.message, code: issue.code }];
  });
}

/** Validates a value against a schema, throwing a 400 with field paths. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string, prefix: (string | number)[] = []): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw ApiError.invalid(`invalid ${what}`, problemsOf(parsed.error, prefix));
  return parsed.data;
}

/**
 * Reads a JSON body of at most `maxBytes`, checks it is JSON and valid against `schema`.
 * The size is checked from Content-Length when present and again while reading.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S, maxBytes: number): Promise<z.infer<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError(415, "unsupported_media_type", "send the body as application/json", {
      contentType: type || null,
    });
  }
  const declared = c.req.header("content-length");
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const text = await readText(c.req.raw, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, "malformed_json", "the body is not valid JSON", {
      reason: error instanceof SyntaxError ? error.message : "unparseable",
    });
  }
  return validate(schema, value, "request body", ["body"]);
}

/**
 * Reads a request body as UTF-8 text of at most `maxBytes` (413 past it, checked while
 * reading; a leading BOM is dropped). Invalid UTF-8 is a 400 with `invalidCode`.
 */
export async function readText(request: Request, maxBytes: number, invalidCode = "malformed_json"): Promise<string> {
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError(400, invalidCode, "the body is not valid UTF-8");
  }
}

/** The 413 for a body over `maxBytes`. */
export function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, "payload_too_large", `the body may be at most ${maxBytes} bytes`, { maxBytes });
}

/** Validates the query string (single values) against a schema. */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  return validate(schema, c.req.query(), "query string", ["query"]);
}

/** Validates one path parameter. */
export function readParam<S extends z.ZodType>(c: Context, name: string, schema: S): z.infer<S> {
  return validate(schema, c.req.param(name), `path parameter ${name}`, ["path", name]);
}
