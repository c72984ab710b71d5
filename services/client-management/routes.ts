import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import type {
  APIKeyCreateBody,
  APIKeyRotateBody,
  ClientCreateBody,
  ClientUpdateBody,
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
import { checkKeyRequest } from './keys/policy.ts';
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
        const status = c.req.query('status');
        if (status !== undefined && !['active', 'suspended', 'inactive'].includes(status))
          throw new AppError('VALIDATION_FAILED', 'status is invalid', [
            { path: 'status', message: 'invalid', expected: 'active|suspended|inactive' },
          ]);
        const rows = await repo.listClients(db, page, status as repo.ClientRow['status'] | undefined);
        return c.json(pageOf(rows, page, byCreatedAt));
      })
      .get('/clients/:id', async (c) => {
        const client = await repo.findClient(db, idParam(c.req.param('id'), 'id'));
        if (!client) throw new AppError('NOT_FOUND', 'no such client');
        return c.json({ client });
      })
      // A key for one client, issued by the platform admin (the operator's bootstrap of a new tenant).
      .post('/clients/:id/api-keys', async (c) => {
        const id = idParam(c.req.param('id'), 'id');
        const body = await readBody<APIKeyCreateBody>(c, api('apiKeyCreateBody'), 'API key');
        const role = body.kind === 'secret' ? (body.role ?? null) : null;
        if (!(await repo.findClient(db, id))) throw new AppError('NOT_FOUND', 'no such client');
        const options = checkKeyRequest(null, { ...body, role });
        const key = await cm.issueKey(id, body.kind, role, null, body.name ?? null, options);
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
        const body = await readBody<ClientUpdateBody>(c, api('clientUpdateBody'), 'client');
        const before = await repo.findClient(db, id);
        if (body.name !== undefined || body.plan !== undefined) {
          const row = await repo.updateClient(db, id, {
            ...(body.name !== undefined ? { name: body.name } : {}),
            ...(body.plan !== undefined ? { plan: body.plan } : {}),
          });
          if (!row) throw new AppError('NOT_FOUND', 'no such client');
          if (body.status === undefined) {
            setAudit(c, {
              action: 'client.updated',
              before: { name: before?.name ?? null, plan: before?.plan ?? null },
              after: { name: row.name, plan: row.plan },
            });
            return c.json({ client: row });
          }
        }
        const client = await cm.setStatus(id, body.status as repo.ClientRow['status']);
        setAudit(c, {
          action: 'client.status_changed',
          before: { status: before?.status ?? null },
          after: { status: client.status },
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
      const options = checkKeyRequest(principal, { ...body, role });
      const key = await cm.issueKey(principal.clientId, kind, role, null, name, options);
      setAudit(c, { action: 'key.created', target: { key: key.id }, after: { kind, role, name } });
      return c.json({ key }, 201);
    })
    .post('/api-keys/:id/rotate', authenticate(resolver, { permission: 'key.rotate' }), async (c) => {
      const id = idParam(c.req.param('id'), 'id');
      const body = await readBody<APIKeyRotateBody>(c, api('apiKeyRotateBody'), 'key rotation');
      return c.json(await cm.rotateKey(c.get('principal'), id, body.overlap_seconds ?? 86_400), 201);
    })
    .delete('/api-keys/:id', authenticate(resolver, { permission: 'key.revoke' }), async (c) => {
      await cm.revokeKey(c.get('principal'), idParam(c.req.param('id'), 'id'));
      setAudit(c, { action: 'key.revoked', after: { revoked: true } });
      return c.json({ revoked: true });
    });
}
