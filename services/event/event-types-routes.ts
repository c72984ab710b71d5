import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { AppError } from '../../contract/errors.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import type { Db } from '../platform/db.ts';
import { readJson } from '../platform/http.ts';
import { idParam, intParam } from '../platform/params.ts';
import { declareEventType, type EventTypeRegistry, readDeclaration, viewOf } from './event-types.ts';
import * as repo from './event-types-repo.ts';

type TypesDb = Kysely<{ event_types: repo.EventTypesTable }>;

/** Opaque list cursor: the last name of a page, base64url. */
const cursorOf = (name: string) => Buffer.from(JSON.stringify({ n: name })).toString('base64url');
function afterOf(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    const n = (JSON.parse(Buffer.from(raw.slice(0, 400), 'base64url').toString('utf8')) as { n?: unknown }).n;
    if (typeof n === 'string' && n.length <= 64) return n;
  } catch {
    // fall through: a cursor we did not issue
  }
  throw new AppError('VALIDATION_FAILED', 'starting_after is invalid', [
    {
      path: 'starting_after',
      message: 'not a cursor of this list',
      expected: 'next_cursor of a previous page',
    },
  ]);
}

/**
 * The client's custom event types: `PUT /:name` declares (a new version when the schema changed),
 * `GET /` lists current versions (paginated), `GET /:name` shows one (`?version=n` an older one, with
 * the version list), `DELETE /:name` archives it (the ingest then refuses the type).
 */
export function createEventTypeRoutes(db: Db, resolver: ApiKeyResolver, registry: EventTypeRegistry) {
  const tdb = db as TypesDb;
  const read = authenticate(resolver, { permission: 'event_type.read' });
  const manage = authenticate(resolver, { permission: 'event_type.manage' });
  return new Hono<{ Variables: AuthVariables }>()
    .get('/', read, async (c) => {
      const limit = intParam(c.req.query('limit'), 'limit', { min: 1, max: 100, fallback: 20 });
      const after = afterOf(c.req.query('starting_after'));
      const rows = await repo.currentTypes(tdb, c.get('principal').clientId, {
        limit: limit + 1,
        ...(after !== undefined ? { after } : {}),
      });
      const page = rows.slice(0, limit);
      const hasMore = rows.length > limit;
      const last = page.at(-1);
      return c.json({
        data: page.map(viewOf),
        has_more: hasMore,
        next_cursor: hasMore && last ? cursorOf(last.name) : null,
      });
    })
    .get('/:name', read, async (c) => {
      const name = idParam(c.req.param('name'), 'name');
      const raw = c.req.query('version');
      const version = raw === undefined ? undefined : intParam(raw, 'version', { min: 1, max: 2 ** 31 - 1 });
      const clientId = c.get('principal').clientId;
      const row = await repo.findType(tdb, clientId, name, version);
      if (!row) throw new AppError('NOT_FOUND', 'no such event type');
      const versions = (await repo.listVersions(tdb, clientId, name)).map((r) => r.version);
      return c.json({ event_type: viewOf(row), versions });
    })
    .put('/:name', manage, async (c) => {
      const name = idParam(c.req.param('name'), 'name');
      const declaration = readDeclaration(name, await readJson(c));
      const p = c.get('principal');
      const r = await declareEventType(db, {
        clientId: p.clientId,
        name,
        declaration,
        source: 'api',
        createdBy: p.keyId,
      });
      if (r.created) registry.invalidate(p.clientId);
      return c.json({ event_type: viewOf(r.row), created: r.created }, r.created ? 201 : 200);
    })
    .delete('/:name', manage, async (c) => {
      const name = idParam(c.req.param('name'), 'name');
      const clientId = c.get('principal').clientId;
      const row = await repo.archiveCurrent(tdb, clientId, name);
      if (!row) throw new AppError('NOT_FOUND', 'no such event type (or already archived)');
      registry.invalidate(clientId);
      return c.json({ event_type: viewOf(row) });
    });
}
