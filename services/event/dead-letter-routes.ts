import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { AppError } from '../../contract/errors.ts';
import { setAudit } from '../platform/audit.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import type { Db } from '../platform/db.ts';
import { isMicrosecondInstant } from '../platform/pagination.ts';
import { enumParam, intParam, optionalIdParam } from '../platform/params.ts';
import * as parked from './dead-letter-repo.ts';
import { countDeadLetters, type EventTables } from './repo.ts';

const SINKS = ['clickhouse', 'bus'] as const;

function idOf(raw: string | undefined): string {
  if (raw === undefined || !/^[1-9][0-9]{0,17}$/.test(raw))
    throw new AppError('VALIDATION_FAILED', 'id is invalid', [
      { path: 'id', message: 'not a dead-letter id', expected: 'a positive integer' },
    ]);
  return raw;
}

const notParked = () =>
  new AppError('NOT_FOUND', 'no such dead-lettered event', [{ path: 'id', message: 'not parked' }]);

function view(r: parked.ParkedRow) {
  return {
    id: r.id,
    sink: r.sink,
    client_id: r.client_id,
    event_id: r.event_id,
    event: r.event,
    outbox_seq: Number(r.outbox_seq),
    error: r.error,
    attempts: r.attempts,
    parked_at: r.parked_at.toISOString(),
  };
}

/** Cursors are opaque: base64url of the last row's microsecond time and id. */
function decodeCursor(raw: string | undefined): parked.ParkedCursor | undefined {
  if (raw === undefined || raw === '') return undefined;
  const text = raw.length <= 200 ? Buffer.from(raw, 'base64url').toString('utf8') : '';
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([1-9][0-9]{0,17})$/.exec(text);
  if (!m || !isMicrosecondInstant(m[1]!))
    throw new AppError('VALIDATION_FAILED', 'starting_after is invalid', [
      {
        path: 'starting_after',
        message: 'not a cursor of this list',
        expected: 'next_cursor of a previous page',
      },
    ]);
  return { at: m[1]!, id: m[2]! };
}

/**
 * `/v1/admin/dead-letters`: the platform operator's view of events a sink refused (every client), the
 * counts per sink and client, and per event a retry (back into the outbox, drained again) or a discard.
 * Platform admins only, gated per route; the changes are audited on the event's client.
 */
export function createDeadLetterRoutes(db: Db, resolver: ApiKeyResolver) {
  const edb = db as Kysely<EventTables>;
  const admin = authenticate(resolver, { permission: 'client.admin' });
  return new Hono<{ Variables: AuthVariables }>()
    .get('/', admin, async (c) => {
      const q = (k: string) => c.req.query(k);
      const sink = enumParam(q('sink'), 'sink', SINKS);
      const clientId = optionalIdParam(q('client_id'), 'client_id');
      const after = decodeCursor(q('starting_after'));
      const page = await parked.listParked(edb, {
        ...(sink ? { sink } : {}),
        ...(clientId ? { clientId } : {}),
        ...(after ? { after } : {}),
        limit: intParam(q('limit'), 'limit', { min: 1, max: 100, fallback: 20 }),
      });
      const last = page.rows.at(-1) as (parked.ParkedRow & { cursor_at: string }) | undefined;
      const counts = (await countDeadLetters(edb)).map((x) => ({
        sink: x.sink,
        client_id: x.clientId,
        count: x.count,
      }));
      return c.json({
        data: page.rows.map(view),
        has_more: page.hasMore,
        next_cursor:
          page.hasMore && last ? Buffer.from(`${last.cursor_at}|${last.id}`).toString('base64url') : null,
        counts,
      });
    })
    .post('/:id/retry', admin, async (c) => {
      const row = await parked.requeueParked(edb, idOf(c.req.param('id')));
      if (!row) throw notParked();
      setAudit(c, {
        action: 'dead_letter.retried',
        target: { client_id: row.client_id, event_id: row.event_id, sink: row.sink },
      });
      return c.json({ retried: true as const, event_id: row.event_id, sinks: row.sinks.join(' and ') });
    })
    .delete('/:id', admin, async (c) => {
      const row = await parked.discardParked(edb, idOf(c.req.param('id')));
      if (!row) throw notParked();
      setAudit(c, {
        action: 'dead_letter.discarded',
        target: { client_id: row.client_id, event_id: row.event_id, sink: row.sink },
      });
      return c.json({ discarded: true as const });
    })
    .get('/:id', admin, async (c) => {
      const row = await parked.findParked(edb, idOf(c.req.param('id')));
      if (!row) throw notParked();
      return c.json(view(row));
    });
}
