import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import {
  type ApiKeyResolver,
  type AuthVariables,
  authenticate,
  type Principal,
  roleAtLeast,
} from './auth.ts';
import { withErrorHandling } from './http.ts';
import { holds, mayGrant, PERMISSIONS, type Permission, type Role } from './permissions.ts';

const principals: Record<string, Principal> = {
  pk_live: { clientId: 'c1', clientStatus: 'active', keyKind: 'publishable', keyId: 'k1', role: null },
  sk_live: { clientId: 'c1', clientStatus: 'active', keyKind: 'secret', keyId: 'k2', role: 'viewer' },
  sk_gone: { clientId: 'c2', clientStatus: 'suspended', keyKind: 'secret', keyId: 'k3', role: 'owner' },
};
const resolver: ApiKeyResolver = { resolve: async (raw) => principals[raw] ?? null };

function app(opts: Parameters<typeof authenticate>[1]) {
  return withErrorHandling(
    new Hono<{ Variables: AuthVariables }>().get('/x', authenticate(resolver, opts), (c) =>
      c.json({ client: c.get('principal').clientId }),
    ),
  );
}
const code = async (res: Response) => ((await res.json()) as { error?: { code: string } }).error?.code;

describe('authenticate', () => {
  it('accepts a publishable key in the URL (beacons, widgets) but never a secret one', async () => {
    const sdk = app({ permission: 'event.send' });
    assert.equal((await sdk.request('/x?key=pk_live')).status, 200);
    const leaked = await sdk.request('/x?key=sk_live');
    assert.deepEqual([leaked.status, await code(leaked)], [401, 'UNAUTHORIZED']);
    assert.equal((await sdk.request('/x', { headers: { authorization: 'Bearer sk_live' } })).status, 200);
    const portalOnly = app({ permission: 'member.read' });
    assert.equal(
      (await portalOnly.request('/x?key=pk_live')).status,
      401,
      'no URL keys where publishable keys are not accepted',
    );
  });

  it('answers 401 for missing or unknown keys, 403 for wrong kind, role or an inactive client', async () => {
    const a = app({ permission: 'campaign.deploy' });
    assert.equal((await a.request('/x')).status, 401);
    assert.equal((await a.request('/x', { headers: { 'x-api-key': 'nope' } })).status, 401);
    const low = await a.request('/x', { headers: { 'x-api-key': 'sk_live' } });
    assert.deepEqual([low.status, await code(low)], [403, 'FORBIDDEN']);
    const inactive = await a.request('/x', { headers: { 'x-api-key': 'sk_gone' } });
    assert.deepEqual([inactive.status, await code(inactive)], [403, 'CLIENT_INACTIVE']);
    const wrongKind = await a.request('/x', { headers: { authorization: 'Bearer pk_live' } });
    assert.deepEqual([wrongKind.status, await code(wrongKind)], [403, 'FORBIDDEN']);
  });

  it('orders roles', () => {
    assert.ok(roleAtLeast('owner', 'admin'));
    assert.ok(!roleAtLeast('analyst', 'manager'));
    assert.ok(!roleAtLeast(null, 'viewer'));
  });

  it('grants only up to one’s own role; only owners touch owners', () => {
    const sk = (role: Role) => ({ keyKind: 'secret' as const, role });
    assert.ok(!mayGrant(sk('admin'), 'owner'));
    assert.ok(mayGrant(sk('admin'), 'admin'));
    assert.ok(mayGrant(sk('owner'), 'owner'));
    assert.ok(!mayGrant(sk('manager'), 'admin'));
    assert.ok(mayGrant(sk('viewer'), null), 'a publishable key carries no role');
    assert.ok(!mayGrant({ keyKind: 'publishable', role: null }, null));
    assert.ok(!mayGrant({ keyKind: 'admin', role: null }, 'viewer'));
  });

  it('the matrix is monotonic in role, and a suspended client keeps only what is marked for it', () => {
    const roles: Role[] = ['viewer', 'analyst', 'manager', 'admin', 'owner'];
    for (const p of Object.keys(PERMISSIONS) as Permission[]) {
      const held = roles.map((role) => holds({ keyKind: 'secret', role, clientStatus: 'active' }, p));
      assert.ok(
        held.every((h, i) => !h || held.slice(i).every(Boolean)),
        `${p}: a higher role holds what a lower one does`,
      );
      const suspended = holds({ keyKind: 'secret', role: 'owner', clientStatus: 'suspended' }, p);
      // A suspended client still sees itself, its usage and its bills (and may pay them).
      assert.equal(suspended, ['client.read', 'usage.read', 'billing.manage'].includes(p), p);
    }
  });

  it('gives the billing role usage and billing only, outside the linear order', () => {
    const billing = { keyKind: 'secret', role: 'billing', clientStatus: 'active' } as const;
    assert.deepEqual(
      (Object.keys(PERMISSIONS) as Permission[]).filter((p) => holds(billing, p)),
      ['client.read', 'usage.read', 'billing.manage'],
    );
    assert.ok(holds({ ...billing, role: 'admin' }, 'usage.read'));
    assert.ok(!holds({ ...billing, role: 'admin' }, 'billing.manage'), 'owner or billing');
    assert.ok(holds({ ...billing, role: 'owner' }, 'billing.manage'));
    assert.ok(!roleAtLeast('billing', 'viewer'));
    assert.ok(!roleAtLeast('owner', 'billing'));
    const sk = (role: Role) => ({ keyKind: 'secret' as const, role });
    assert.ok(mayGrant(sk('admin'), 'billing'));
    assert.ok(!mayGrant(sk('manager'), 'billing'));
    assert.ok(!mayGrant(sk('billing'), 'viewer'));
  });

  it('limits a scoped key to its scopes within its role', () => {
    const scoped = {
      keyKind: 'secret',
      role: 'admin',
      clientStatus: 'active',
      scopes: ['campaign.read'],
    } as const;
    assert.ok(holds(scoped, 'campaign.read'));
    assert.ok(!holds(scoped, 'campaign.deploy'), 'the role holds it, the scopes do not');
    assert.ok(!holds({ ...scoped, role: 'viewer', scopes: ['campaign.deploy'] }, 'campaign.deploy'));
  });
});
