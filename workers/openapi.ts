/**
 * The OpenAPI 3.1 document, generated from the route table (workers/http/route-table.ts): the
 * same definitions that register each handler, its `authenticate` and its validation. Served at
 * `GET /api/v2/openapi.json`; `/api/v2/docs` renders it (workers/http/docs-page.ts).
 */
import { z } from "zod";
import { queryFields, type RouteTable } from "./http/route-table";

const ERROR_SCHEMA = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "details"],
      properties: { code: { type: "string" }, message: { type: "string" }, details: {} },
    },
  },
};

function jsonSchema(schema: z.ZodType) {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
}

const documents = new WeakMap<RouteTable, unknown>();

/** The document of `table` (built once per isolate). */
export function openApiDocument(table: RouteTable): unknown {
  let doc = documents.get(table);
  if (doc === undefined) documents.set(table, (doc = build(table)));
  return doc;
}

function build(table: RouteTable) {
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Set<string>();
  for (const { path, tag, spec } of table.entries()) {
    tags.add(tag);
    const parameters: unknown[] = Object.entries(spec.params ?? {}).map(([name, schema]) => ({
      name,
      in: "path",
      required: true,
      schema: jsonSchema(schema),
    }));
    for (const [name, schema] of Object.entries(spec.query === undefined ? {} : queryFields(spec.query))) {
      parameters.push({ name, in: "query", required: !schema.safeParse(undefined).success, schema: jsonSchema(schema) });
    }
    if (spec.idempotency !== undefined) {
      parameters.push({
        name: "Idempotency-Key",
        in: "header",
        required: spec.idempotency === "required",
        description: "1–128 visible ASCII characters; a retry with the same key and body returns the first answer",
        schema: { type: "string", maxLength: 128 },
      });
    }
    if (spec.reads === "replica") {
      parameters.push({
        name: "D1-Bookmark",
        in: "header",
        required: false,
        description:
          "read at least as fresh as this bookmark (from an earlier answer's D1-Bookmark header), or `first-primary`; without it a read replica may answer",
        schema: { type: "string" },
      });
    }
    const responses: Record<string, unknown> = {
      [spec.success.status]: {
        description: spec.success.description,
        ...(spec.success.status === 101 || spec.success.status === 204
          ? {}
          : { content: { [spec.success.contentType ?? "application/json"]: { schema: {} } } }),
      },
    };
    for (const status of spec.errors) {
      responses[status] = { description: "error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
    }
    const content: Record<string, unknown> = {};
    if (spec.body !== undefined) content["application/json"] = { schema: jsonSchema(spec.body) };
    if (spec.csvBody !== undefined) content["text/csv"] = { schema: { type: "string", description: spec.csvBody } };
    for (const type of spec.textBody?.contentTypes ?? []) content[type] = { schema: { type: "string", description: spec.textBody!.description } };
    (paths[path] ??= {})[spec.method] = {
      tags: [tag],
      summary: spec.summary,
      description: `${spec.scopes.length > 0 ? `Scopes: ${spec.scopes.join(", ")}.` : "Public, no key."}${spec.maxBytes ? ` Body at most ${spec.maxBytes} bytes.` : ""}`,
      security: spec.scopes.length > 0 ? [{ apiKey: [] }] : [],
      // The scopes as data, for clients and for the test that probes the middleware with them.
      "x-scopes": spec.scopes,
      ...(spec.maxBytes !== undefined ? { "x-max-body-bytes": spec.maxBytes } : {}),
      parameters,
      ...(Object.keys(content).length > 0 ? { requestBody: { required: spec.bodyPresence !== "optional", content } } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "edge-inventory", version: "2" },
    tags: [...tags].map((name) => ({ name })),
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "eik_<id>_<secret>" } },
      schemas: { Error: ERROR_SCHEMA },
    },
    paths,
  };
}
