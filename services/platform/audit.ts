import type { Context, MiddlewareHandler } from 'hono';
import { type Kysely, type Migration, sql } from 'kysely';
import { routePattern } from './access-log.ts';
import type { Principal } from './auth.ts';
import type { Db } from './db.ts';
import { keyedHash, newId } from './ids.ts';
import { logger } from './log.ts';
import { afterCursor, type Cursor, keysetTime, type PageRequest } from './pagination.ts';
import type { Permission } from './permissions.ts';
import { requestIdOf } from './request-id.ts';

/**
 * The audit log: one append-only row per successful change made through the public API, by whom (key,
 * member, platform admin), what (method, route pattern, permission, an action name), on what (the route's
 * ids), from where (a keyed hash of the address, never the address; the user agent) and under which
 * request id. A route may add detail with `setAudit` (an action name, a target, small before/after).
 *
 * Not recorded: reads, refused or failed requests, `/internal` routes, event intake (`POST /v1/events…`,
 * the platform's data, not a change of configuration) and publishable-key calls (a participant's own
 * actions). A row is never updated or deleted: a trigger refuses it.
 *
 * Participant ids never enter the log in clear (a data-subject erasure must leave nothing identifying):
 * a route parameter under `/participants/` is stored as a keyed hash.
 */

export interface AuditDetail {
  /** A name for what happened (`campaign.deployed`); defaults to the route's permission. */
  action?: string;
  /** What was acted on, beyond the route's ids (`{ campaign: 'welcome', version: 3 }`). */
  target?: Record<string, unknown>;
  /** The state before and after the change, when small. Never secrets or personal data. */
  before?: unknown;
  after?: unknown;
  /**
   * The request changed nothing: a read sent as POST for its body (a custom report). No entry is written;
   * the route says so itself, so a route that does change something can never be skipped by accident.
   */
  read?: true;
}

export type AuditVariables = { audit?: AuditDetail };

/** Adds detail to the audit entry of the current request (optional: every change is recorded anyway). */
export function setAudit(c: Context, detail: AuditDetail): void {
  const prior = (c.get('audit') as AuditDetail | undefined) ?? {};
  c.set('audit', { ...prior, ...detail });
}

export interface AuditLogTable {
  id: string;
  /** The client acted on: the caller's, or for platform-admin routes on one client, that client. */
  client_id: string | null;
  actor_kind: 'key' | 'member' | 'admin';
  actor_key_id: string | null;
  actor_member_id: string | null;
  method: string;
  route: string;
  permission: string | null;
  action: string;
  target: unknown;
  before: unknown;
  after: unknown;
  status: number;
  request_id: string;
  ip_hash: string | null;
  user_agent: string | null;
  created_at: Date;
}

export const auditMigrations: Record<string, Migration> = {
  '0601_audit_log': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text')
        .addColumn('actor_kind', 'text', (c) =>
          c.notNull().check(sql`actor_kind in ('key','member','admin')`),
        )
        .addColumn('actor_key_id', 'text')
        .addColumn('actor_member_id', 'text')
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('permission', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('before', 'jsonb')
        .addColumn('after', 'jsonb')
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('ip_hash', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await sql`create index audit_log_client_time on audit_log (client_id, created_at desc, id desc)`.execute(
        db,
      );
      // Append-only: no row is changed or removed, not even by the application's own role.
      await sql`create function audit_log_refuse_change() returns trigger language plpgsql as $$
        begin
          raise exception 'audit_log is append-only (% refused)', tg_op using errcode = 'P0001';
        end $$`.execute(db);
      await sql`create trigger audit_log_append_only before update or delete on audit_log
        for each row execute function audit_log_refuse_change()`.execute(db);
      await sql`create trigger audit_log_no_truncate before truncate on audit_log
        for each statement execute function audit_log_refuse_change()`.execute(db);
    },
  },
};

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Longest user agent kept (the rest is cut). */
const MAX_USER_AGENT = 300;
/** Before/after larger than this (as JSON) are left out: the log keeps small changes only. */
const MAX_STATE_BYTES = 4_000;

function skipped(path: string): boolean {
  return path.startsWith('/internal/') || path === '/v1/events' || path.startsWith('/v1/events/');
}

export interface AuditOptions {
  db: Db;
  hashSecret: string;
  /** The permission each route names (`POST /v1/campaigns` → `campaign.deploy`), from the route descriptions. */
  permissionOf: (method: string, route: string) => Permission | undefined;
  /** The caller's address (the same the rate limits and the ingest use). */
  clientIp: (c: Context) => string | null;
}

/** Target ids from the route's parameters; participant ids as keyed hashes. */
function targetOf(c: Context, route: string, hashSecret: string): Record<string, string> {
  const params = c.req.param() as Record<string, string>;
  const segments = route.split('/');
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    const at = segments.indexOf(`:${name}`);
    const personal = /participant/i.test(name) || (at > 0 && segments[at - 1] === 'participants');
    out[name] = personal ? `hash:${keyedHash(hashSecret, `participant:${value}`).slice(0, 32)}` : value;
  }
  return out;
}

function small(value: unknown): unknown {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text !== undefined && text.length <= MAX_STATE_BYTES ? value : { omitted: 'too large' };
}

/**
 * The one audit middleware, mounted once on the composed app: after a successful (2xx/3xx) mutating
 * request by a key, member or admin, it writes the entry. A failure to write is logged, never turned into
 * a failed answer for a change that already happened.
 */
export function auditLog(opts: AuditOptions): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (!MUTATING.has(c.req.method) || c.res.status >= 400 || skipped(c.req.path)) return;
    const principal = c.get('principal') as
      | (Principal & { memberId?: string; via?: 'key' | 'session' })
      | undefined;
    if (!principal || principal.keyKind === 'publishable') return;
    const route = routePattern(c);
    const permission = opts.permissionOf(c.req.method, route) ?? null;
    const detail = (c.get('audit') as AuditDetail | undefined) ?? {};
    if (detail.read) return;
    const target = { ...targetOf(c, route, opts.hashSecret), ...(detail.target ?? {}) };
    // A platform admin's change to one client is that client's to see (the route's `:id`, or a target's).
    const onClient =
      (typeof target.client_id === 'string' ? target.client_id : null) ??
      (route.startsWith('/v1/admin/clients/:id') ? (target.id ?? null) : null);
    const ip = opts.clientIp(c);
    const row: AuditLogTable = {
      id: newId('aud'),
      client_id: principal.keyKind === 'admin' ? (onClient as string | null) : principal.clientId,
      actor_kind: principal.keyKind === 'admin' ? 'admin' : principal.memberId ? 'member' : 'key',
      actor_key_id: principal.keyId || null,
      actor_member_id: principal.memberId ?? null,
      method: c.req.method,
      route,
      permission,
      action: detail.action ?? permission ?? `${c.req.method.toLowerCase()} ${route}`,
      target: JSON.stringify(target),
      before: detail.before === undefined ? null : JSON.stringify(small(detail.before)),
      after: detail.after === undefined ? null : JSON.stringify(small(detail.after)),
      status: c.res.status,
      request_id: requestIdOf(c),
      ip_hash: ip ? keyedHash(opts.hashSecret, `ip:${ip}`) : null,
      user_agent: c.req.header('user-agent')?.slice(0, MAX_USER_AGENT) ?? null,
      created_at: new Date(),
    };
    try {
      await opts.db.insertInto('audit_log').values(row).execute();
    } catch (err) {
      logger.error({ err, request_id: row.request_id, route }, 'audit entry not written');
    }
  };
}

export interface AuditQuery {
  clientId: string;
  action?: string;
  actorKeyId?: string;
  actorMemberId?: string;
  route?: string;
  since?: Date;
  until?: Date;
}

/** One page of a client's audit entries, newest first (`limit + 1` rows: see pagination.ts). */
export function listAudit(db: Db, q: AuditQuery, page: PageRequest): Promise<AuditLogTable[]> {
  let query = db
    .selectFrom('audit_log')
    .selectAll()
    .where('client_id', '=', q.clientId)
    .where(afterCursor('created_at', page.after, 'desc'));
  if (q.action) query = query.where('action', '=', q.action);
  if (q.actorKeyId) query = query.where('actor_key_id', '=', q.actorKeyId);
  if (q.actorMemberId) query = query.where('actor_member_id', '=', q.actorMemberId);
  if (q.route) query = query.where('route', '=', q.route);
  if (q.since) query = query.where('created_at', '>=', q.since);
  if (q.until) query = query.where('created_at', '<', q.until);
  return query
    .orderBy(keysetTime('created_at'), 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute() as Promise<AuditLogTable[]>;
}

export const auditCursor = (r: AuditLogTable): Cursor => ({ at: r.created_at, id: r.id });

/** The API's view of an entry. */
export function auditView(r: AuditLogTable) {
  return {
    id: r.id,
    client_id: r.client_id,
    actor: { kind: r.actor_kind, key_id: r.actor_key_id, member_id: r.actor_member_id },
    method: r.method,
    route: r.route,
    permission: r.permission,
    action: r.action,
    target: r.target,
    before: r.before ?? null,
    after: r.after ?? null,
    status: r.status,
    request_id: r.request_id,
    ip_hash: r.ip_hash,
    user_agent: r.user_agent,
    created_at: r.created_at.toISOString(),
  };
}
