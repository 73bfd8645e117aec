/**
 * The one route table. Each route is defined once — method, path, summary, scopes, the zod
 * schemas of its path parameters, query string and body, the body's byte limit, whether it
 * takes an Idempotency-Key, its success and error statuses — and that one definition is what
 * registers the Hono handler, builds its `authenticate` middleware, hands the handler its
 * validated input (`RouteInput`), and feeds the OpenAPI document (workers/openapi.ts). A
 * handler cannot read a body with another schema or limit than the one documented: it has no
 * other way to read it.
 *
 * Handlers still decide the order in which input is read (a path parameter, then a lookup,
 * then the body…), so the first problem reported for a bad request is the one it always was.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { Scope } from "../../domain/api-keys";
import { IdempotencyKey } from "../../domain/schemas/common";
import { ApiError } from "../../services/api-error";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { readJson, readParam, readQuery, validate } from "./read-input";
import { inReplicaSession } from "./read-replicas";

export type Method = "get" | "post" | "put" | "patch" | "delete";

/** One route, as it is served and documented. */
export interface RouteSpec {
  method: Method;
  /** Hono syntax, relative to where the group is mounted (`/:sku/ledger`). */
  path: string;
  summary: string;
  /** Key scopes admitted, in the order `authenticate` names them; empty for a public route. */
  scopes: readonly Scope[];
  /** One schema per `:name` in the path. */
  params?: Readonly<Record<string, z.ZodType>>;
  /** The query string (single values); an object schema, its fields the parameters. */
  query?: z.ZodType;
  /** The JSON body. */
  body?: z.ZodType;
  /** The schema that validates the body where it depends on the deployment (the document shows `body`). */
  bodyFor?: (env: Env) => z.ZodType;
  /** "optional": a request with no body at all is read as `{}`. Default "required". */
  bodyPresence?: "required" | "optional";
  /** The body may also be sent as `text/csv`; this describes the file (read by the handler itself). */
  csvBody?: string;
  /** The body is a text file of these media types (an X12 interchange…), read by the handler itself; `description` says what it holds. */
  textBody?: { contentTypes: readonly string[]; description: string };
  /** Largest body accepted, bytes (413 past it). */
  maxBytes?: number;
  idempotency?: "required" | "optional";
  success: { status: number; description: string; contentType?: string };
  /** Error statuses the route may answer, besides 500. */
  errors: readonly number[];
  /** "replica": a list read whose D1 queries may go to a read replica (read-replicas.ts: the `D1-Bookmark` header). */
  reads?: "replica";
}

type Params<S extends RouteSpec> = NonNullable<S["params"]>;
type Infer<T> = T extends z.ZodType ? z.infer<T> : never;

/** The route's input, read and validated against its own definition when the handler asks. */
export interface RouteInput<S extends RouteSpec> {
  readonly spec: S;
  /** A path parameter (400 `invalid_request` at `["path", name]`). */
  param<K extends keyof Params<S> & string>(name: K): Infer<Params<S>[K]>;
  /** The query string (400 at `["query", …]`). */
  query(): Infer<S["query"]>;
  /** The JSON body: 415, 413 past `maxBytes`, 400 `malformed_json`, 400 at `["body", …]`. */
  body(): Promise<Infer<S["body"]>>;
  /** The Idempotency-Key header; its absence is a 400 when the route requires one. */
  idempotencyKey(): S["idempotency"] extends "required" ? string : string | undefined;
}

export type RouteHandler<S extends RouteSpec> = (c: Context<AppEnv>, input: RouteInput<S>) => Response | Promise<Response>;

/** The `Idempotency-Key` header's value, validated; `required` makes its absence a 400. */
export function readIdempotencyKey(c: Context, required: boolean): string | undefined {
  const value = c.req.header("idempotency-key");
  if (value === undefined) {
    if (!required) return undefined;
    throw ApiError.invalid("the Idempotency-Key header is required", [
      { path: ["headers", "idempotency-key"], message: "required: a unique key per logical request (e.g. a UUID)", code: "required" },
    ]);
  }
  return validate(IdempotencyKey, value, "Idempotency-Key header", ["headers", "idempotency-key"]);
}

/** The `:name`s of a Hono path, in order. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
}

/** Throws at module load when a definition contradicts itself, so a wrong one never serves. */
function checkSpec(spec: RouteSpec, groupScopes: readonly Scope[] | undefined): void {
  const where = `${spec.method.toUpperCase()} ${spec.path}`;
  const named = pathParamNames(spec.path).sort();
  const schemas = Object.keys(spec.params ?? {}).sort();
  if (named.join() !== schemas.join()) throw new Error(`${where}: path parameters ${named.join()} but schemas for ${schemas.join()}`);
  if ((spec.body !== undefined || spec.csvBody !== undefined || spec.textBody !== undefined) !== (spec.maxBytes !== undefined)) {
    throw new Error(`${where}: a body needs a byte limit, and a limit a body`);
  }
  if (spec.bodyFor !== undefined && spec.body === undefined) throw new Error(`${where}: bodyFor without a documented body`);
  if (groupScopes !== undefined) {
    if (spec.scopes.length === 0) throw new Error(`${where}: a public route in a group that requires a key`);
    const outside = spec.scopes.filter((s) => !groupScopes.includes(s));
    if (outside.length > 0) throw new Error(`${where}: the group's authenticate refuses ${outside.join()} before the route sees it`);
  }
}

function inputOf<S extends RouteSpec>(c: Context<AppEnv>, spec: S): RouteInput<S> {
  const input: RouteInput<RouteSpec> = {
    spec,
    param(name) {
      const schema = spec.params?.[name];
      if (schema === undefined) throw new Error(`no schema for path parameter ${name}`);
      return readParam(c, name, schema);
    },
    query() {
      if (spec.query === undefined) throw new Error(`${spec.method} ${spec.path} defines no query`);
      return readQuery(c, spec.query);
    },
    async body() {
      if (spec.body === undefined || spec.maxBytes === undefined) throw new Error(`${spec.method} ${spec.path} defines no body`);
      const schema = spec.bodyFor?.(c.env) ?? spec.body;
      if (spec.bodyPresence === "optional" && c.req.raw.body === null) return schema.parse({});
      return readJson(c, schema, spec.maxBytes);
    },
    idempotencyKey() {
      if (spec.idempotency === undefined) throw new Error(`${spec.method} ${spec.path} defines no Idempotency-Key`);
      return readIdempotencyKey(c, spec.idempotency === "required");
    },
  };
  // Each reader validates against the very schema in `spec`, so its result is that schema's output type.
  return input as unknown as RouteInput<S>;
}

/**
 * A sub-app for one resource and the definitions of its routes. `scopes` (optional) is an
 * `authenticate` for every path under the group's mount point, matched or not (so an unknown
 * path there is a 401 without a key, as it always was); a route whose scopes differ gets its
 * own `authenticate` after it, and a route of a group without one gets its own.
 */
export class RouteGroup {
  readonly app = new Hono<AppEnv>();
  readonly routes: RouteSpec[] = [];

  constructor(
    /** The OpenAPI tag. */
    readonly tag: string,
    readonly scopes?: readonly Scope[],
  ) {
    if (scopes !== undefined) this.app.use("*", authenticate(...scopes));
  }

  /** Defines a route once: registers its handler (behind its `authenticate`) and records it for the document. */
  route<const S extends RouteSpec>(spec: S, handler: RouteHandler<S>): void {
    checkSpec(spec, this.scopes);
    const final =
      spec.reads === "replica"
        ? (c: Context<AppEnv>) => inReplicaSession(c, () => handler(c, inputOf(c, spec)))
        : (c: Context<AppEnv>) => handler(c, inputOf(c, spec));
    const method = spec.method.toUpperCase();
    const sameAsGroup = this.scopes !== undefined && this.scopes.join() === spec.scopes.join();
    if (spec.scopes.length === 0 || sameAsGroup) this.app.on(method, spec.path, final);
    else this.app.on(method, spec.path, authenticate(...spec.scopes), final);
    this.routes.push(spec);
  }
}

/** A route with the path it is served at, in OpenAPI form (`/api/v2/inventory/{sku}`). */
export interface TableEntry {
  path: string;
  tag: string;
  spec: RouteSpec;
}

/** Every group, with where it is mounted. */
export class RouteTable {
  readonly #mounted: { prefix: string; group: RouteGroup }[] = [];

  /** `app.route(prefix, group.app)`, remembered for the document. */
  mount(app: Hono<AppEnv>, prefix: string, group: RouteGroup): void {
    app.route(prefix, group.app);
    this.#mounted.push({ prefix, group });
  }

  /** Every route, in the order mounted and defined. */
  entries(): TableEntry[] {
    return this.#mounted.flatMap(({ prefix, group }) =>
      group.routes.map((spec) => ({
        path: `${prefix.replace(/\/$/, "")}${spec.path}`.replace(/\/$/, "").replace(/:([A-Za-z0-9_]+)/g, "{$1}") || "/",
        tag: group.tag,
        spec,
      })),
    );
  }
}

/** The fields of a query schema (an object schema, possibly refined). */
export function queryFields(schema: z.ZodType): Record<string, z.ZodType> {
  return schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : {};
}
