import { stringify } from 'csv-stringify/sync';
import { type Context, Hono } from 'hono';
import { type AuditQuery, auditCursor, auditView, listAudit } from '../../platform/audit.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../../platform/auth.ts';
import type { Db } from '../../platform/db.ts';
import { pageOf, pageRequest } from '../../platform/pagination.ts';
import { dateParam, optionalIdParam } from '../../platform/params.ts';

/** Most entries one export holds (newest first); narrow with `since`/`until` for more. */
export const AUDIT_EXPORT_MAX = 50_000;

const CSV_COLUMNS = [
  'id',
  'created_at',
  'actor_kind',
  'actor_key_id',
  'actor_member_id',
  'method',
  'route',
  'permission',
  'action',
  'target',
  'before',
  'after',
  'status',
  'request_id',
  'ip_hash',
  'user_agent',
] as const;

function auditQuery(clientId: string, q: (k: string) => string | undefined): AuditQuery {
  const out: AuditQuery = { clientId };
  const action = q('action');
  if (action) out.action = optionalIdParam(action, 'action') as string;
  const keyId = optionalIdParam(q('actor_key_id'), 'actor_key_id');
  if (keyId) out.actorKeyId = keyId;
  const memberId = optionalIdParam(q('actor_member_id'), 'actor_member_id');
  if (memberId) out.actorMemberId = memberId;
  const route = q('route');
  if (route) out.route = optionalIdParam(route, 'route') as string;
  const since = dateParam(q('since'), 'since');
  if (since) out.since = since;
  const until = dateParam(q('until'), 'until');
  if (until) out.until = until;
  return out;
}

/**
 * `GET /v1/audit` (a page, newest first, filtered) and `GET /v1/audit/export.csv|.jsonl` (all of it) of the
 * caller's client: its own members' and keys' changes and the platform admins' changes to it.
 */
export function createAuditRoutes(db: Db, resolver: ApiKeyResolver) {
  return new Hono<{ Variables: AuthVariables }>()
    .use('*', authenticate(resolver, { permission: 'audit.read' }))
    .get('/', async (c) => {
      const page = pageRequest((k) => c.req.query(k));
      const q = auditQuery(c.get('principal').clientId, (k) => c.req.query(k));
      return c.json(pageOf(await listAudit(db, q, page), page, auditCursor, auditView));
    })
    .get('/export.jsonl', (c) => exportAudit(c, db, 'jsonl'))
    .get('/export.csv', (c) => exportAudit(c, db, 'csv'));
}

async function exportAudit(c: Context<{ Variables: AuthVariables }>, db: Db, format: 'csv' | 'jsonl') {
  const q = auditQuery(c.get('principal').clientId, (k) => c.req.query(k));
  const rows = (await listAudit(db, q, { limit: AUDIT_EXPORT_MAX - 1, after: null })).map(auditView);
  const stamp = new Date().toISOString().slice(0, 10);
  c.header('content-disposition', `attachment; filename="audit-${stamp}.${format}"`);
  if (format === 'jsonl') {
    c.header('content-type', 'application/x-ndjson; charset=utf-8');
    return c.body(rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
  }
  c.header('content-type', 'text/csv; charset=utf-8');
  const records = rows.map((r) => ({
    ...r,
    actor_kind: r.actor.kind,
    actor_key_id: r.actor.key_id,
    actor_member_id: r.actor.member_id,
    target: JSON.stringify(r.target),
    before: r.before === null ? '' : JSON.stringify(r.before),
    after: r.after === null ? '' : JSON.stringify(r.after),
  }));
  return c.body(stringify(records, { header: true, columns: [...CSV_COLUMNS] }));
}
