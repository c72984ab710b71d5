import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import type {
  APIKeyCreateBody,
  ClientCreateBody,
  ClientStatusBody,
  MemberCreateBody,
} from '../../contract/generated/api.generated.ts';
import { setAudit } from '../platform/audit.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import type { Db } from '../platform/db.ts';
import { readBody } from '../platform/http.ts';
import { api } from '../platform/openapi.ts';
import { byCreatedAt, pageOf, pageRequest } from '../platform/pagination.ts';
import { idParam } from '../platform/params.ts';
import { mayGrant } from '../platform/permissions.ts';
import * as repo from './repo.ts';
import type { ClientManagement } from './service.ts';

/** Platform-admin routes: clients across tenants. */
export function createAdminRoutes(db: Db, cm: ClientManagement, resolver: ApiKeyResolver) {
  return (
    new Hono<{ Variables: AuthVariables }>()
      .use('*', authenticate(resolver, { permission: 'client.admin' }))
      .post('/clients', async (c) => {
        const { name, plan } = await readBody<ClientCreateBody>(c, api('clientCreateBody'), 'client');
        const { client, publishable, secret } = await cm.createClient({ name, ...(plan ? { plan } : {}) });
        setAudit(c, {
          action: 'client.created',
          target: { client_id: client.id },
          after: { name: client.name, plan: client.plan },
        });
        return c.json({ client, keys: { publishable, secret } }, 201);
      })
      .get('/clients', async (c) => {
        const page = pageRequest((k) => c.req.query(k));
        return c.json(pageOf(await repo.listClients(db, page), page, byCreatedAt));
      })
      // A key for one client, issued by the platform admin (the operator's bootstrap of a new tenant).
      .post('/clients/:id/api-keys', async (c) => {
        const id = idParam(c.req.param('id'), 'id');
        const body = await readBody<APIKeyCreateBody>(c, api('apiKeyCreateBody'), 'API key');
        const role = body.kind === 'secret' ? (body.role ?? null) : null;
        if (!(await repo.findClient(db, id))) throw new AppError('NOT_FOUND', 'no such client');
        const key = await cm.issueKey(id, body.kind, role, null, body.name ?? null);
        setAudit(c, {
          action: 'key.created',
          target: { key: key.id },
          after: { kind: key.kind, role: key.role },
        });
        return c.json({ key }, 201);
      })
      .get('/clients/:id/api-keys', async (c) => {
        const id = idParam(c.req.param('id'), 'id');
        const page = pageRequest((k) => c.req.query(k));
        if (!(await repo.findClient(db, id))) throw new AppError('NOT_FOUND', 'no such client');
        return c.json(pageOf(await repo.listApiKeys(db, id, page), page, byCreatedAt));
      })
      // Any key of one client, revoked by the platform admin (an incident: a leaked owner key).
      .delete('/clients/:id/api-keys/:keyId', async (c) => {
        await cm.revokeClientKey(idParam(c.req.param('id'), 'id'), idParam(c.req.param('keyId'), 'keyId'));
        return c.json({ revoked: true });
      })
      .patch('/clients/:id', async (c) => {
        const id = idParam(c.req.param('id'), 'id');
        const { status } = await readBody<ClientStatusBody>(c, api('clientStatusBody'), 'client status');
        const before = await repo.findClient(db, id);
        const client = await cm.setStatus(id, status);
        setAudit(c, {
          action: 'client.status_changed',
          before: { status: before?.status ?? null },
          after: { status },
        });
        return c.json({ client });
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
    .get('/members', authenticate(resolver, { permission: 'member.read' }), async (c) => {
      const page = pageRequest((k) => c.req.query(k));
      const rows = await repo.listMembers(db, c.get('principal').clientId, page);
      return c.json(pageOf(rows, page, byCreatedAt));
    })
    .post('/members', authenticate(resolver, { permission: 'member.invite' }), async (c) => {
      const { email, role } = await readBody<MemberCreateBody>(c, api('memberCreateBody'), 'member');
      const principal = c.get('principal');
      // Nobody grants more than they hold.
      if (!mayGrant(principal, role))
        throw new AppError('FORBIDDEN', `a ${principal.role} cannot add a member with role ${role}`);
      const { member, key } = await cm.addMember(principal.clientId, email, role);
      setAudit(c, { action: 'member.added', target: { member: member.id, key: key.id }, after: { role } });
      return c.json({ member, key }, 201);
    })
    .get('/api-keys', authenticate(resolver, { permission: 'key.read' }), async (c) => {
      const page = pageRequest((k) => c.req.query(k));
      const rows = await repo.listApiKeys(db, c.get('principal').clientId, page);
      return c.json(pageOf(rows, page, byCreatedAt));
    })
    .post('/api-keys', authenticate(resolver, { permission: 'key.create' }), async (c) => {
      const body = await readBody<APIKeyCreateBody>(c, api('apiKeyCreateBody'), 'API key');
      const kind = body.kind;
      const role = kind === 'secret' ? (body.role ?? null) : null;
      const name = body.name ?? null;
      const principal = c.get('principal');
      if (!mayGrant(principal, role))
        throw new AppError('FORBIDDEN', `a ${principal.role} cannot issue a key with role ${role}`);
      const key = await cm.issueKey(principal.clientId, kind, role, null, name);
      setAudit(c, { action: 'key.created', target: { key: key.id }, after: { kind, role, name } });
      return c.json({ key }, 201);
    })
    .delete('/api-keys/:id', authenticate(resolver, { permission: 'key.revoke' }), async (c) => {
      await cm.revokeKey(c.get('principal'), idParam(c.req.param('id'), 'id'));
      setAudit(c, { action: 'key.revoked', after: { revoked: true } });
      return c.json({ revoked: true });
    });
}
