import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate, type Role } from '../platform/auth.ts';
import type { Db } from '../platform/db.ts';
import { readJson } from '../platform/http.ts';
import { idParam } from '../platform/params.ts';
import { mayGrant } from '../platform/permissions.ts';
import * as repo from './repo.ts';
import type { ClientManagement } from './service.ts';

const ROLES: Role[] = ['owner', 'admin', 'manager', 'analyst', 'viewer'];
const STATUSES = ['active', 'suspended', 'inactive'] as const;

function field<T>(body: unknown, key: string, check: (v: unknown) => v is T, expected: string): T {
  const v = (body as Record<string, unknown> | null)?.[key];
  if (!check(v))
    throw new AppError('VALIDATION_FAILED', `${key} is invalid`, [
      { path: key, message: 'invalid', expected },
    ]);
  return v;
}
const isName = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0 && v.length <= 200;
const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as string[]).includes(v);
const isStatus = (v: unknown): v is (typeof STATUSES)[number] =>
  typeof v === 'string' && (STATUSES as readonly string[]).includes(v);
const isPlan = (v: unknown): v is string => typeof v === 'string' && /^[a-z0-9][a-z0-9_-]{0,49}$/.test(v);
const isKind = (v: unknown): v is 'publishable' | 'secret' => v === 'publishable' || v === 'secret';
/** An optional label of a key: absent, or 1..100 printable characters. */
function keyName(body: unknown): string | null {
  const v = (body as Record<string, unknown> | null)?.name;
  if (v === undefined || v === null) return null;
  const printable = typeof v === 'string' && [...v].every((ch) => ch.charCodeAt(0) >= 0x20);
  if (typeof v !== 'string' || !printable || v.trim().length === 0 || v.length > 100)
    throw new AppError('VALIDATION_FAILED', 'name is invalid', [
      { path: 'name', message: 'invalid', expected: 'a label of 1 to 100 printable characters' },
    ]);
  return v;
}
const isEmail = (v: unknown): v is string => typeof v === 'string' && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v);

/** Platform-admin routes: clients across tenants. */
export function createAdminRoutes(db: Db, cm: ClientManagement, resolver: ApiKeyResolver) {
  return (
    new Hono<{ Variables: AuthVariables }>()
      .use('*', authenticate(resolver, { permission: 'client.admin' }))
      .post('/clients', async (c) => {
        const body = await readJson(c);
        const name = field(body, 'name', isName, 'a non-empty name');
        const plan =
          (body as Record<string, unknown> | null)?.plan === undefined
            ? undefined
            : field(body, 'plan', isPlan, 'a plan name: lower-case letters, digits, - and _ (≤ 50)');
        const { client, publishable, secret } = await cm.createClient({ name, ...(plan ? { plan } : {}) });
        return c.json({ client, keys: { publishable, secret } }, 201);
      })
      .get('/clients', async (c) => c.json({ clients: await repo.listClients(db) }))
      // A key for one client, issued by the platform admin (the operator's bootstrap of a new tenant).
      .post('/clients/:id/api-keys', async (c) => {
        const id = idParam(c.req.param('id'), 'id');
        const body = await readJson(c);
        const kind = field(body, 'kind', isKind, 'publishable or secret');
        const role = kind === 'secret' ? field(body, 'role', isRole, `one of ${ROLES.join(', ')}`) : null;
        const name = keyName(body);
        if (!(await repo.findClient(db, id))) throw new AppError('NOT_FOUND', 'no such client');
        return c.json({ key: await cm.issueKey(id, kind, role, null, name) }, 201);
      })
      .get('/clients/:id/api-keys', async (c) => {
        const id = idParam(c.req.param('id'), 'id');
        if (!(await repo.findClient(db, id))) throw new AppError('NOT_FOUND', 'no such client');
        return c.json({ keys: await repo.listApiKeys(db, id) });
      })
      // Any key of one client, revoked by the platform admin (an incident: a leaked owner key).
      .delete('/clients/:id/api-keys/:keyId', async (c) => {
        await cm.revokeClientKey(idParam(c.req.param('id'), 'id'), idParam(c.req.param('keyId'), 'keyId'));
        return c.json({ revoked: true });
      })
      .patch('/clients/:id', async (c) => {
        const id = idParam(c.req.param('id'), 'id');
        const status = field(await readJson(c), 'status', isStatus, `one of ${STATUSES.join(', ')}`);
        return c.json({ client: await cm.setStatus(id, status) });
      })
  );
}

/** A client's own account: profile, members (RBAC) and keys. */
export function createAccountRoutes(db: Db, cm: ClientManagement, resolver: ApiKeyResolver) {
  return new Hono<{ Variables: AuthVariables }>()
    .get('/client', authenticate(resolver, { permission: 'client.read' }), async (c) => {
      const client = await repo.findClient(db, c.get('principal').clientId);
      if (!client) throw new AppError('NOT_FOUND', 'no such client');
      return c.json({ client });
    })
    .get('/members', authenticate(resolver, { permission: 'member.read' }), async (c) =>
      c.json({ members: await repo.listMembers(db, c.get('principal').clientId) }),
    )
    .post('/members', authenticate(resolver, { permission: 'member.invite' }), async (c) => {
      const body = await readJson(c);
      const email = field(body, 'email', isEmail, 'an email address');
      const role = field(body, 'role', isRole, `one of ${ROLES.join(', ')}`);
      const principal = c.get('principal');
      // Nobody grants more than they hold.
      if (!mayGrant(principal, role))
        throw new AppError('FORBIDDEN', `a ${principal.role} cannot add a member with role ${role}`);
      const { member, key } = await cm.addMember(principal.clientId, email, role);
      return c.json({ member, key }, 201);
    })
    .get('/api-keys', authenticate(resolver, { permission: 'key.read' }), async (c) =>
      c.json({ keys: await repo.listApiKeys(db, c.get('principal').clientId) }),
    )
    .post('/api-keys', authenticate(resolver, { permission: 'key.create' }), async (c) => {
      const body = (await readJson(c)) as Record<string, unknown>;
      const kind = field(body, 'kind', isKind, 'publishable or secret');
      const role = kind === 'secret' ? field(body, 'role', isRole, `one of ${ROLES.join(', ')}`) : null;
      const name = keyName(body);
      const principal = c.get('principal');
      if (!mayGrant(principal, role))
        throw new AppError('FORBIDDEN', `a ${principal.role} cannot issue a key with role ${role}`);
      const key = await cm.issueKey(principal.clientId, kind, role, null, name);
      return c.json({ key }, 201);
    })
    .delete('/api-keys/:id', authenticate(resolver, { permission: 'key.revoke' }), async (c) => {
      await cm.revokeKey(c.get('principal'), idParam(c.req.param('id'), 'id'));
      return c.json({ revoked: true });
    });
}
