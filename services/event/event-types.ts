/**
 * Custom event types as data: a client declares a name (`custom_…`) and a JSON Schema for the event's
 * `properties`, through the API or a campaign file's `events:` block; the ingest enforces the current
 * version. Versions are append-only (a new schema is the next version, an identical one changes
 * nothing), so a compiled validator is cached under (client, name, version) without ever going stale.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AppError, type ErrorDetail } from '../../contract/errors.ts';
import {
  type CompiledEventType,
  compileDeclaredSchema,
  customNameProblem,
  declaredSchemaProblems,
} from '../../contract/event-types.ts';
import type { EventTypeBody } from '../../contract/generated/api.generated.ts';
import { toErrorDetails, validatorFor } from '../../contract/validation.ts';
import type { Db } from '../platform/db.ts';
import { api } from '../platform/openapi.ts';
import * as repo from './event-types-repo.ts';

/** Names a client may have declared and not archived at once. */
export const MAX_EVENT_TYPES_PER_CLIENT = 500;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
type TypesDb = Kysely<{ event_types: repo.EventTypesTable }>;

/** A declaration as the API shows it (snake_case). */
export interface EventTypeView {
  name: string;
  version: number;
  description: string | null;
  properties: Obj;
  source: string;
  created_at: string;
  archived_at: string | null;
}

export function viewOf(row: repo.EventTypeRow): EventTypeView {
  return {
    name: row.name,
    version: row.version,
    description: row.description,
    properties: row.schema,
    source: row.source,
    created_at: new Date(row.created_at).toISOString(),
    archived_at: row.archived_at ? new Date(row.archived_at).toISOString() : null,
  };
}

export interface Declaration {
  description: string | null;
  properties: Obj;
}

/**
 * The body of PUT /v1/event-types/:name, checked: its shape by api.schema.json's `eventTypeBody` (the
 * schema the OpenAPI document publishes), the declared schema by the safe subset; every problem of both
 * (and of the name) as one 400 with its paths.
 */
export function readDeclaration(name: string, body: unknown): Declaration {
  const details: ErrorDetail[] = [];
  const nameProblem = customNameProblem(name);
  if (nameProblem)
    details.push({ path: 'name', message: nameProblem, expected: 'custom_ + lower_snake_case' });
  const shape = validatorFor<EventTypeBody>(api('eventTypeBody'));
  if (!shape(body)) details.push(...toErrorDetails(shape.errors));
  if (isObj(body) && isObj(body.properties))
    details.push(...declaredSchemaProblems(body.properties, 'properties'));
  if (details.length > 0) throw new AppError('VALIDATION_FAILED', 'event type is invalid', details);
  const valid = body as EventTypeBody;
  return { description: valid.description ?? null, properties: valid.properties as Obj };
}

/** Key order never makes two equal declarations differ. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

const hashOf = (d: Declaration) =>
  createHash('sha256')
    .update(canonical({ d: d.description, p: d.properties }))
    .digest('hex');

export interface DeclareInput {
  clientId: string;
  name: string;
  declaration: Declaration;
  /** `api`, or `campaign:<campaign id>` for a campaign file's inline declaration. */
  source: string;
  createdBy: string;
}

/**
 * Declares (or re-declares) a name: an identical declaration returns the current version unchanged; a
 * different one becomes the next version. A campaign may not change a name someone else (the API or
 * another campaign) declared last: it must use that schema, or the client changes it through the API.
 */
export async function declareEventType(
  db: Db,
  input: DeclareInput,
  at = 'properties',
): Promise<{ row: repo.EventTypeRow; created: boolean }> {
  const tdb = db as TypesDb;
  const hash = hashOf(input.declaration);
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await repo.findType(tdb, input.clientId, input.name);
    const live = current && current.archived_at === null ? current : undefined;
    if (live && live.schema_hash === hash) return { row: live, created: false };
    if (live && input.source !== 'api' && live.source !== input.source)
      throw new AppError('CONFLICT', `${input.name} is already declared with another schema`, [
        {
          path: at,
          message: `${input.name} version ${live.version} (declared by ${live.source}) has a different schema`,
          expected: `the same schema, or a change through PUT /v1/event-types/${input.name}`,
        },
      ]);
    if (!live && (await repo.countActive(tdb, input.clientId)) >= MAX_EVENT_TYPES_PER_CLIENT)
      throw new AppError('VALIDATION_FAILED', 'too many event types', [
        {
          path: 'name',
          message: `the client already has ${MAX_EVENT_TYPES_PER_CLIENT} event types`,
          expected: 'archive one first',
        },
      ]);
    const row = await repo.appendVersion(tdb, {
      client_id: input.clientId,
      name: input.name,
      description: input.declaration.description,
      schema: input.declaration.properties,
      schema_hash: hash,
      source: input.source,
      created_by: input.createdBy,
    });
    if (row) return { row, created: true };
  }
  throw new AppError('CONFLICT', `${input.name} is being changed concurrently; retry`);
}

/** A client's declared types as the ingest needs them, from one cached read. */
export interface ClientEventTypes {
  /** Current names that are not archived (for "did you mean"). */
  names: readonly string[];
  /** The compiled current version, `archived`, or undefined when never declared. */
  get(name: string): CompiledEventType | 'archived' | undefined;
}

export interface EventTypeRegistry {
  forClient(clientId: string): Promise<ClientEventTypes>;
  /** Drops a client's cached declarations (this process); others see a change within `cacheMs`. */
  invalidate(clientId?: string): void;
}

/**
 * Per-client cache of declarations with a short TTL (a change made in another process is enforced here
 * within `cacheMs`; one made in this process at once, through `invalidate`). Compiled validators are kept
 * per (client, name, version), so a TTL refresh recompiles nothing that did not change.
 */
export function createEventTypeRegistry(db: Db, opts: { cacheMs?: number } = {}): EventTypeRegistry {
  const cacheMs = opts.cacheMs ?? 2_000;
  const clients = new Map<string, { at: number; value: ClientEventTypes }>();
  const compiled = new Map<string, CompiledEventType>();
  const compile = (clientId: string, row: repo.EventTypeRow): CompiledEventType => {
    const key = `${clientId}\u0000${row.name}\u0000${row.version}`;
    let hit = compiled.get(key);
    if (!hit) {
      if (compiled.size > 20_000) compiled.clear();
      hit = compileDeclaredSchema(row.name, row.version, row.schema);
      compiled.set(key, hit);
    }
    return hit;
  };
  return {
    async forClient(clientId) {
      const hit = clients.get(clientId);
      if (hit && Date.now() - hit.at < cacheMs) return hit.value;
      const rows = await repo.currentTypes(db as TypesDb, clientId, { limit: 10_000 });
      const byName = new Map(rows.map((r) => [r.name, r]));
      const value: ClientEventTypes = {
        names: rows.filter((r) => r.archived_at === null).map((r) => r.name),
        get(name) {
          const row = byName.get(name);
          if (!row) return undefined;
          if (row.archived_at !== null) return 'archived';
          return compile(clientId, row);
        },
      };
      if (clients.size > 50_000) clients.clear();
      clients.set(clientId, { at: Date.now(), value });
      return value;
    },
    invalidate(clientId) {
      if (clientId === undefined) clients.clear();
      else clients.delete(clientId);
    },
  };
}

/**
 * A campaign file's `events:` block at deploy (already checked by the DSL): each declaration becomes (or
 * stays) the client's current version of that name, with `source` naming the campaign. Returns the
 * versions, by name; a name another source declared differently is a 409 at `events.<name>`.
 */
export async function declareCampaignEvents(
  db: Db,
  registry: EventTypeRegistry,
  input: {
    clientId: string;
    campaignKey: string;
    events: Record<string, { description?: string; properties: Record<string, unknown> }>;
    createdBy: string;
  },
): Promise<Record<string, number>> {
  const versions: Record<string, number> = {};
  try {
    for (const [name, decl] of Object.entries(input.events)) {
      const r = await declareEventType(
        db,
        {
          clientId: input.clientId,
          name,
          declaration: { description: decl.description ?? null, properties: decl.properties },
          source: `campaign:${input.campaignKey}`,
          createdBy: input.createdBy,
        },
        `events.${name}`,
      );
      versions[name] = r.row.version;
    }
  } finally {
    registry.invalidate(input.clientId);
  }
  return versions;
}
