import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readSchema } from '../../../contract/validation.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';
import { testSecretBox } from '../../../test/support/secret-box.ts';
import { holds, PERMISSION_NAMES, type Permission, ROLES } from '../../platform/permissions.ts';
import { createClientManagement, createClientManagementApp, migrations } from '../index.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in tests.
type Body = Record<string, any>;

describe('API keys: scopes, expiry, rotation with overlap, last use', () => {
  let t: TestDatabase;
  let cm: ReturnType<typeof createClientManagement>;
  let app: ReturnType<typeof createClientManagementApp>;
  let owner: string;

  before(async () => {
    t = await createTestDatabase({ 'client-management': migrations });
    cm = createClientManagement(t.db, { hashSecret: 'test', cacheMs: 0, secretBox: testSecretBox() });
    app = createClientManagementApp({ db: t.db, clientManagement: cm });
    owner = (await cm.createClient({ name: 'Acme' })).secret.key;
  });
  after(() => t.drop());

  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const create = (key: string, body: Body) => call('POST', '/v1/api-keys', key, body);

  it('issues scoped keys that hold only their scopes, never wider than the role or the creator', async () => {
    const scoped = await create(owner, {
      kind: 'secret',
      role: 'admin',
      scopes: ['member.read', 'key.read'],
    });
    assert.equal(scoped.status, 201);
    assert.deepEqual(scoped.body.key.scopes, ['member.read', 'key.read']);
    const k = scoped.body.key.key as string;
    assert.equal((await call('GET', '/v1/members', k)).status, 200);
    assert.equal((await call('GET', '/v1/api-keys', k)).status, 200);
    const off = await create(k, { kind: 'publishable' });
    assert.equal(off.status, 403, 'key.create is outside its scopes although an admin holds it');
    assert.match(off.body.error.message, /scopes/);

    // A scope the key's own role does not hold is refused with its path.
    const dead = await create(owner, {
      kind: 'secret',
      role: 'viewer',
      scopes: ['campaign.read', 'campaign.deploy'],
    });
    assert.deepEqual([dead.status, dead.body.error.details[0].path], [400, 'scopes.1']);
    const unknown = await create(owner, { kind: 'secret', role: 'viewer', scopes: ['campaign.fly'] });
    assert.deepEqual([unknown.status, unknown.body.error.details[0].path], [400, 'scopes.0']);
    const pk = await create(owner, { kind: 'publishable', scopes: ['event.send'] });
    assert.deepEqual([pk.status, pk.body.error.details[0].path], [400, 'scopes']);

    // A scoped creator issues only within its scopes.
    const issuer = (
      await create(owner, { kind: 'secret', role: 'admin', scopes: ['key.create', 'member.read'] })
    ).body.key.key as string;
    assert.equal((await create(issuer, { kind: 'secret', role: 'viewer' })).status, 403, 'unscoped = wider');
    assert.equal(
      (await create(issuer, { kind: 'secret', role: 'viewer', scopes: ['campaign.read'] })).status,
      403,
      'campaign.read is not among the issuer’s scopes',
    );
    assert.equal(
      (await create(issuer, { kind: 'secret', role: 'viewer', scopes: ['member.read'] })).status,
      201,
    );
  });

  it('refuses an expiry in the past or too far ahead, and stops an expired key', async () => {
    const past = await create(owner, { kind: 'publishable', expires_at: '2020-01-01T00:00:00Z' });
    assert.deepEqual([past.status, past.body.error.details[0].path], [400, 'expires_at']);
    const far = await create(owner, { kind: 'publishable', expires_at: '2999-01-01T00:00:00Z' });
    assert.equal(far.status, 400);
    const soon = new Date(Date.now() + 1500).toISOString();
    const k = await create(owner, { kind: 'secret', role: 'viewer', expires_at: soon });
    assert.equal(k.status, 201);
    assert.equal(k.body.key.expires_at, soon);
    assert.equal((await call('GET', '/v1/members', k.body.key.key)).status, 200);
    await sleep(1600);
    const expired = await call('GET', '/v1/members', k.body.key.key);
    assert.deepEqual([expired.status, expired.body.error.code], [401, 'UNAUTHORIZED']);
  });

  it('rotates: the new secret is shown once, the old key works until overlap_until, then is refused', async () => {
    const created = await create(owner, {
      kind: 'secret',
      role: 'manager',
      name: 'checkout',
      scopes: ['campaign.read'],
    });
    const old = created.body.key as Body;
    const rotated = await call('POST', `/v1/api-keys/${old.id}/rotate`, owner, { overlap_seconds: 1 });
    assert.equal(rotated.status, 201);
    const fresh = rotated.body.key as Body;
    assert.notEqual(fresh.key, old.key);
    assert.deepEqual([fresh.role, fresh.name, fresh.scopes], ['manager', 'checkout', ['campaign.read']]);
    assert.equal(rotated.body.previous.id, old.id);
    for (const k of [old.key, fresh.key])
      assert.ok(await cm.resolver.resolve(k), 'both valid in the overlap');
    assert.equal(
      (await call('POST', `/v1/api-keys/${old.id}/rotate`, owner, {})).status,
      404,
      'rotated once',
    );
    await sleep(1100);
    assert.equal(await cm.resolver.resolve(old.key), null, 'the old key is refused after the overlap');
    assert.ok(await cm.resolver.resolve(fresh.key));
    const listed = (await call('GET', '/v1/api-keys?limit=100', owner)).body.data as Body[];
    const row = listed.find((r) => r.id === old.id)!;
    assert.equal(row.replaced_by, fresh.id);
    assert.ok(row.overlap_until);
    assert.ok(!('key' in row) && !('key_hash' in row), 'never the secret again');

    // Rotation obeys the role rule: a manager cannot rotate an owner key.
    const manager = (await create(owner, { kind: 'secret', role: 'admin' })).body.key.key as string;
    const ownerRow = listed.find((r) => r.role === 'owner')!;
    assert.equal((await call('POST', `/v1/api-keys/${ownerRow.id}/rotate`, manager, {})).status, 403);
    const bad = await call('POST', `/v1/api-keys/${fresh.id}/rotate`, owner, { overlap_seconds: 10 ** 9 });
    assert.deepEqual([bad.status, bad.body.error.details[0].path], [400, 'overlap_seconds']);
  });

  it('publishes the one matrix, and key scopes name exactly its permissions', async () => {
    const res = await app.request('/v1/permissions');
    const matrix = (await res.json()) as Body;
    assert.deepEqual(
      matrix.permissions.map((p: Body) => p.name),
      PERMISSION_NAMES,
    );
    for (const p of matrix.permissions as Body[])
      for (const role of ROLES)
        assert.equal(
          p.roles.includes(role),
          p.kinds.includes('secret') &&
            holds({ keyKind: 'secret', role, clientStatus: 'active' }, p.name as Permission),
          `${p.name} × ${role}`,
        );
    // A permission added to the matrix must be added to the scopes' enum (schemas/api.schema.json).
    const schema = readSchema('api.schema.json') as { $defs: { permissionName: { enum: string[] } } };
    assert.deepEqual(schema.$defs.permissionName.enum, PERMISSION_NAMES);
  });

  it('records the last use, at most once a minute', async () => {
    const k = (await create(owner, { kind: 'secret', role: 'viewer' })).body.key as Body;
    const lastUsed = async () =>
      (
        await t.db
          .selectFrom('api_keys')
          .select('last_used_at')
          .where('id', '=', k.id)
          .executeTakeFirstOrThrow()
      ).last_used_at;
    assert.equal(await lastUsed(), null);
    await call('GET', '/v1/members', k.key);
    await sleep(100); // written off the request's path
    const first = await lastUsed();
    assert.ok(first);
    await call('GET', '/v1/members', k.key);
    await sleep(100);
    assert.deepEqual(await lastUsed(), first, 'not written again within the minute');
  });
});
