import { InternalError } from '../../contract/internal-error.ts';
import { readSchema, SCHEMA_FILES, type SchemaFile } from '../../contract/validation.ts';
import {
  ERROR_RESPONSES,
  HEADERS,
  INFO_DESCRIPTION,
  PAGINATION_LINE,
  PARAMETERS,
  RATE_HEADERS,
  RESPONSE_HEADERS,
  SECURITY_SCHEMES,
} from './openapi-components.ts';
import { PERMISSIONS, type Permission } from './permissions.ts';

/**
 * The route description registry: every public route declares what it does, who may call it and the
 * JSON Schemas of what it reads and answers (references into schemas/, the same definitions the route
 * validates with). `buildOpenApi` turns the list into one OpenAPI 3.1 document.
 */

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * How a caller authenticates. Routes with a permission derive it from the permission matrix (which key
 * kinds hold it); the others say it: `service` (a short-lived service token, as on /internal) or `none`.
 */
export type RouteAuth = 'secret' | 'publishable' | 'admin' | 'service' | 'session' | 'none';

/** A reference into schemas/: `<file>` or `<file>#/$defs/<name>`. */
export type SchemaRef = string;

/** `api.schema.json#/$defs/<name>`: the public API's own definitions. */
export const api = (name: string): SchemaRef => `api.schema.json#/$defs/${name}`;

export interface ParamDoc {
  name: string;
  description?: string;
  required?: boolean;
  /** A JSON Schema of the (string) value as written; ids of 1..200 characters when absent. */
  schema?: Record<string, unknown>;
}

export interface ResponseDoc {
  description: string;
  /** JSON body; absent for `text/plain` or empty answers. */
  schema?: SchemaRef;
  /** A body that is not JSON: `true` for `text/plain`, or its media type (`text/html`, `text/javascript`). */
  text?: boolean | string;
  /** Response headers beyond the shared ones (name → description). */
  headers?: Record<string, string>;
}

export interface RouteDoc {
  method: HttpMethod;
  /** The route as Hono mounts it (`/v1/campaigns/:id`). */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** The permission the route's `authenticate()` names (services/platform/permissions.ts). */
  permission?: Permission;
  /** Only for routes without a permission (`session`: the sign-in cookie, whatever the role). */
  auth?: Extract<RouteAuth, 'service' | 'session' | 'none'>;
  /** Path parameters whose value is not an id (e.g. an integer version). */
  pathParams?: ParamDoc[];
  query?: ParamDoc[];
  /** Request headers beyond the shared ones (X-Correlation-Id, Idempotency-Key). */
  headers?: ParamDoc[];
  /** Cursor pagination: adds `limit` and `starting_after`; the response is a `{ data, has_more, next_cursor }` page. */
  paginated?: boolean;
  /** The JSON body the route validates (a schema the route passes to `readBody`). */
  body?: SchemaRef;
  /** Success responses by status: a schema reference or a full description. */
  responses: Record<number, SchemaRef | ResponseDoc>;
  /** Error statuses beyond the ones every route of its kind can answer (400, 401, 403, 429, 500). */
  errors?: number[];
  /** Mutating requests (POST, PUT, PATCH, DELETE) accept `Idempotency-Key` (services/platform/idempotency.ts). */
  idempotencyKey?: boolean;
}

/** Identity function that types a description: `describe({...})` in a service's api.ts is one line per route. */
export function describe(doc: RouteDoc): RouteDoc {
  return doc;
}

/** The auth kinds a route accepts: from its permission, or as declared. */
export function authOf(doc: RouteDoc): RouteAuth[] {
  if (doc.permission) return [...PERMISSIONS[doc.permission].kinds];
  if (doc.auth) return [doc.auth];
  throw new InternalError('UNREACHABLE', `${doc.operationId} declares neither a permission nor an auth`);
}

/** `/v1/campaigns/:id` → `/v1/campaigns/{id}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

type Json = Record<string, unknown>;

// Secret-key and admin routes also take a signed-in person's session cookie (with X-CSRF-Token on
// mutations): a member's session acts with the member's role, a platform admin's as an admin key.
const SECURITY: Record<Exclude<RouteAuth, 'none'>, Json[]> = {
  secret: [{ secretKey: [] }, { sessionCookie: [] }],
  publishable: [{ publishableKey: [] }],
  admin: [{ adminKey: [] }, { sessionCookie: [] }],
  session: [{ sessionCookie: [] }],
  service: [{ serviceToken: [] }],
};

const ID_SCHEMA = { type: 'string', minLength: 1, maxLength: 200 };

export interface BuildOptions {
  version: string;
  /** The public base URL the document names as its server. */
  serverUrl?: string;
  /** Reads a schema file (default: schemas/ through the Ajv registry's reader). */
  readSchema?: (file: SchemaFile) => Json;
}

/** The OpenAPI 3.1 document of `docs`, with every referenced schema copied into `components.schemas`. */
export function buildOpenApi(docs: readonly RouteDoc[], opts: BuildOptions): Json {
  const schemas = createSchemaCollector(opts.readSchema ?? readSchema);
  const paths: Record<string, Json> = {};
  const tags = new Set<string>();
  for (const doc of docs) {
    const path = openApiPath(doc.path);
    const item = paths[path] ?? {};
    paths[path] = item;
    if (item[doc.method])
      throw new InternalError('UNREACHABLE', `${doc.method.toUpperCase()} ${doc.path} is described twice`);
    for (const t of doc.tags) tags.add(t);
    item[doc.method] = operation(doc, schemas.ref);
  }
  const errorResponses = Object.fromEntries(
    Object.entries(ERROR_RESPONSES).map(([status, description]) => [
      `Error${status}`,
      {
        description,
        headers: {
          ...RESPONSE_HEADERS,
          ...(status === '429' || status === '503'
            ? { 'Retry-After': { $ref: '#/components/headers/Retry-After' } }
            : {}),
        },
        content: { 'application/json': { schema: schemas.ref(api('error')) } },
      },
    ]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pulse API',
      version: opts.version,
      description: INFO_DESCRIPTION,
    },
    ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...schemas.collected() },
      securitySchemes: SECURITY_SCHEMES,
      headers: HEADERS,
      parameters: PARAMETERS,
      responses: errorResponses,
    },
  };
}

function operation(doc: RouteDoc, ref: (r: SchemaRef) => Json): Json {
  const auth = authOf(doc);
  const needsKey = !auth.includes('none');
  const pathNames = [...doc.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string);
  const declaredPath = new Map((doc.pathParams ?? []).map((p) => [p.name, p]));
  const parameters: Json[] = [
    ...pathNames.map((name) => param('path', { ...declaredPath.get(name), name, required: true })),
    ...(doc.query ?? []).map((p) => param('query', p)),
    ...(doc.headers ?? []).map((p) => param('header', p)),
    ...(doc.paginated
      ? [{ $ref: '#/components/parameters/Limit' }, { $ref: '#/components/parameters/StartingAfter' }]
      : []),
    ...((doc.idempotencyKey ?? (doc.method !== 'get' && doc.auth !== 'service'))
      ? [{ $ref: '#/components/parameters/IdempotencyKey' }]
      : []),
    { $ref: '#/components/parameters/CorrelationId' },
  ];
  const responses: Json = {};
  for (const [status, r] of Object.entries(doc.responses)) {
    const d: ResponseDoc = typeof r === 'string' ? { description: 'OK', schema: r } : r;
    responses[status] = {
      description: d.description,
      headers: {
        ...RESPONSE_HEADERS,
        ...RATE_HEADERS,
        ...Object.fromEntries(
          Object.entries(d.headers ?? {}).map(([n, description]) => [
            n,
            { description, schema: { type: 'string' } },
          ]),
        ),
      },
      ...(d.schema
        ? { content: { 'application/json': { schema: ref(d.schema) } } }
        : d.text
          ? { content: { [d.text === true ? 'text/plain' : d.text]: { schema: { type: 'string' } } } }
          : {}),
    };
  }
  const errors = new Set<number>([400, 429, 500, ...(doc.errors ?? [])]);
  if (needsKey) for (const s of [401, 403]) errors.add(s);
  for (const s of [...errors].sort()) responses[s] ??= { $ref: `#/components/responses/Error${s}` };
  return {
    operationId: doc.operationId,
    summary: doc.summary,
    description: [doc.description, accessLine(doc, auth), doc.paginated ? PAGINATION_LINE : '']
      .filter(Boolean)
      .join('\n\n'),
    tags: doc.tags,
    security: auth.flatMap((a) => (a === 'none' ? [] : SECURITY[a])),
    ...(doc.permission ? { 'x-permission': doc.permission } : {}),
    parameters,
    ...(doc.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: ref(doc.body) } } } }
      : {}),
    responses,
  };
}

function param(where: 'path' | 'query' | 'header', p: ParamDoc): Json {
  return {
    name: p.name,
    in: where,
    required: where === 'path' ? true : (p.required ?? false),
    ...(p.description ? { description: p.description } : {}),
    schema: p.schema ?? ID_SCHEMA,
  };
}

function accessLine(doc: RouteDoc, auth: RouteAuth[]): string {
  if (!doc.permission)
    return auth[0] === 'service'
      ? 'Access: a service token (workers only).'
      : auth[0] === 'session'
        ? 'Access: a signed-in session (the `pulse_session` cookie).'
        : '';
  const grant = PERMISSIONS[doc.permission] as {
    kinds: readonly string[];
    role?: string;
    also?: readonly string[];
  };
  const roles = [
    ...(grant.role ? [`${grant.role}${grant.role === 'owner' ? '' : ' or above'}`] : []),
    ...(grant.also ?? []),
  ].join(', or ');
  const who = grant.kinds
    .map((k) => (k === 'secret' && roles ? `secret key or member session (role ${roles})` : `${k} key`))
    .join(' or ');
  return `Access: permission \`${doc.permission}\`: ${who}.`;
}

/**
 * Copies each referenced definition (and what it references, transitively) into components.schemas,
 * rewriting every `$ref` to point there. Names: `<def>` for api.schema.json, `<file>_<def>` for the
 * others, `<file>` for a whole file.
 */
function createSchemaCollector(read: (file: SchemaFile) => Json) {
  const files = new Map<string, Json>();
  const out = new Map<string, Json>();
  const fileOf = (name: string): Json => {
    if (!(SCHEMA_FILES as readonly string[]).includes(name))
      throw new InternalError('UNREACHABLE', `no schema file ${name}`);
    const f = files.get(name) ?? read(name as SchemaFile);
    files.set(name, f);
    return f;
  };
  const stem = (file: string) => file.replace(/\.schema\.json$/, '');
  const nameOf = (file: string, def: string | null) =>
    def === null ? stem(file) : file === 'api.schema.json' ? def : `${stem(file)}_${def}`;

  const add = (file: string, def: string | null): string => {
    const name = nameOf(file, def);
    if (out.has(name)) return name;
    const source = fileOf(file);
    const node = def === null ? source : (source.$defs as Record<string, Json> | undefined)?.[def];
    if (!node) throw new InternalError('UNREACHABLE', `no schema ${file}#/$defs/${def}`);
    out.set(name, {}); // reserve: recursive definitions refer to themselves
    const { $schema: _s, $id: _i, $defs: _d, ...rest } = node;
    out.set(name, rewrite(def === null ? rest : node, file) as Json);
    return name;
  };
  const toRef = (raw: string, base: string): Json => {
    const [file, pointer] = raw.startsWith('#') ? [base, raw.slice(1)] : raw.split('#');
    const m = pointer ? /^\/\$defs\/([^/]+)$/.exec(pointer) : null;
    if (pointer && !m) throw new InternalError('UNREACHABLE', `unsupported $ref ${raw} in ${base}`);
    return { $ref: `#/components/schemas/${add(file as string, m ? (m[1] as string) : null)}` };
  };
  const rewrite = (node: unknown, base: string): unknown => {
    if (Array.isArray(node)) return node.map((n) => rewrite(n, base));
    if (node === null || typeof node !== 'object') return node;
    const o = node as Json;
    const result: Json = {};
    for (const [k, v] of Object.entries(o)) {
      // `tsType` steers our codegen only; `$defs` are emitted as components of their own.
      if (k === 'tsType' || k === '$schema' || k === '$id' || k === '$defs') continue;
      if (k === '$ref' && typeof v === 'string') Object.assign(result, toRef(v, base));
      else result[k] = rewrite(v, base);
    }
    return result;
  };
  return {
    ref: (r: SchemaRef): Json => toRef(r, 'api.schema.json'),
    collected: (): Record<string, Json> =>
      Object.fromEntries([...out.entries()].sort(([a], [b]) => a.localeCompare(b))),
  };
}
