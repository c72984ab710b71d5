import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { testSecretBox } from '../../test/support/secret-box.ts';
import { createClientManagement, createClientManagementApp, migrations } from './index.ts';

describe('client management', () => {
  let t: TestDatabase;
  let app: ReturnType<typeof createClientManagementApp>;
  let cm: ReturnType<typeof createClientManagement>;
  let adminKey: string;

  before(async () => {
    t = await createTestDatabase({ 'client-management': migrations });
    cm = createClientManagement(t.db, { hashSecret: 'test', cacheMs: 0, secretBox: testSecretBox() });
    app = createClientManagementApp({ db: t.db, clientManagement: cm });
    adminKey = (await cm.issueKey(null, 'admin')).key;
  });
  after(() => t.drop());

  const call = (method: string, path: string, key: string | null, body?: unknown) =>
    app.request(path, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('creates a client with a publishable and a secret key, stored only as hashes', async () => {
    const res = await call('POST', '/v1/admin/clients', adminKey, { name: 'Acme' });
    assert.equal(res.status, 201);
    const body = (await res.json()) as {
      client: { id: string };
      keys: { publishable: { key: string }; secret: { key: string } };
    };
    assert.match(body.keys.publishable.key, /^pk_[0-9a-z]{32}$/);
    assert.match(body.keys.secret.key, /^sk_[0-9a-z]{32}$/);
    const stored = await t.db
      .selectFrom('api_keys')
      .select(['key_hash', 'key_prefix'])
      .where('client_id', '=', body.client.id)
      .execute();
    assert.equal(stored.length, 2);
    for (const row of stored) {
      assert.notEqual(row.key_hash, body.keys.publishable.key);
      assert.notEqual(row.key_hash, body.keys.secret.key);
      assert.equal(row.key_prefix.length, 7);
    }
    const principal = await cm.resolver.resolve(body.keys.secret.key);
    assert.equal(principal?.clientId, body.client.id);
    assert.equal(principal?.role, 'owner');
  });

  it('lets the platform admin issue and list keys of one client, with a plan and key names checked', async () => {
    const created = await call('POST', '/v1/admin/clients', adminKey, { name: 'Gamma', plan: 'growth' });
    assert.equal(created.status, 201);
    const { client } = (await created.json()) as { client: { id: string; plan: string } };
    assert.equal(client.plan, 'growth');
    const badPlan = await call('POST', '/v1/admin/clients', adminKey, { name: 'Delta', plan: 'Big Plan!' });
    assert.equal(badPlan.status, 400);
    assert.equal(
      ((await badPlan.json()) as { error: { details: { path: string }[] } }).error.details[0]!.path,
      'plan',
    );

    const path = `/v1/admin/clients/${client.id}/api-keys`;
    const issued = await call('POST', path, adminKey, {
      kind: 'secret',
      role: 'manager',
      name: 'CI deploys',
    });
    assert.equal(issued.status, 201);
    const { key } = (await issued.json()) as { key: { id: string; key: string; role: string; name: string } };
    assert.equal(key.role, 'manager');
    assert.equal(key.name, 'CI deploys');
    const principal = await cm.resolver.resolve(key.key);
    assert.deepEqual([principal?.clientId, principal?.role], [client.id, 'manager']);

    const listed = (await (await call('GET', path, adminKey)).json()) as {
      data: { id: string; name: string | null }[];
    };
    assert.equal(listed.data.length, 3);
    assert.equal(listed.data.find((k) => k.id === key.id)?.name, 'CI deploys');

    for (const name of ['', 'x'.repeat(101), 'tab\there', 42]) {
      const res = await call('POST', path, adminKey, { kind: 'publishable', name });
      assert.equal(res.status, 400, JSON.stringify(name));
      assert.equal(
        ((await res.json()) as { error: { details: { path: string }[] } }).error.details[0]!.path,
        'name',
      );
    }
    assert.equal(
      (await call('POST', '/v1/admin/clients/cli_missing/api-keys', adminKey, { kind: 'publishable' }))
        .status,
      404,
    );
    assert.equal((await call('GET', '/v1/admin/clients/cli_missing/api-keys', adminKey)).status, 404);
    // Only platform admins reach these routes: a client's owner key may not issue keys for a client this way.
    const owner = (await cm.createClient({ name: 'Epsilon' })).secret.key;
    assert.equal((await call('POST', path, owner, { kind: 'publishable' })).status, 403);

    // The admin revokes a key of this client only: under another client's id the key is not found.
    assert.equal(
      (await call('DELETE', `/v1/admin/clients/${client.id}x/api-keys/${key.id}`, adminKey)).status,
      404,
    );
    const other = (await cm.createClient({ name: 'Zeta' })).client.id;
    assert.equal(
      (await call('DELETE', `/v1/admin/clients/${other}/api-keys/${key.id}`, adminKey)).status,
      404,
    );
    assert.equal(await cm.resolver.resolve(key.key).then((p) => p?.keyId), key.id);
    assert.equal((await call('DELETE', `${path}/${key.id}`, adminKey)).status, 200);
    assert.equal(await cm.resolver.resolve(key.key), null);
    assert.equal((await call('DELETE', `${path}/${key.id}`, adminKey)).status, 404);
  });

  it('bootstraps one admin key, refusing a second unless forced', async () => {
    const before = await t.db.selectFrom('api_keys').select('id').where('kind', '=', 'admin').execute();
    const first = await cm.bootstrapAdminKey();
    assert.equal(first.key, null, 'an admin exists already (issued in before)');
    assert.equal(first.existing, before.length);
    const forced = await cm.bootstrapAdminKey({ force: true, name: 'second' });
    assert.equal(forced.key?.kind, 'admin');
    assert.equal((await cm.resolver.resolve(forced.key!.key))?.keyKind, 'admin');
  });

  it('refuses missing, unknown and wrong-kind keys', async () => {
    assert.equal((await call('GET', '/v1/admin/clients', null)).status, 401);
    assert.equal((await call('GET', '/v1/admin/clients', 'sk_nope')).status, 401);
    const { secret } = await cm.createClient({ name: 'Beta' });
    const res = await call('GET', '/v1/admin/clients', secret.key);
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'FORBIDDEN');
  });

  it('enforces roles: a viewer cannot add members; an admin can, but not owners', async () => {
    const { client, secret } = await cm.createClient({ name: 'Gamma' });
    const admin = await call('POST', '/v1/members', secret.key, { email: 'ann@gamma.test', role: 'admin' });
    assert.equal(admin.status, 201);
    const adminMemberKey = ((await admin.json()) as { key: { key: string } }).key.key;
    const viewer = await call('POST', '/v1/members', adminMemberKey, {
      email: 'vic@gamma.test',
      role: 'viewer',
    });
    assert.equal(viewer.status, 201);
    const viewerKey = ((await viewer.json()) as { key: { key: string } }).key.key;
    assert.equal(
      (await call('POST', '/v1/members', viewerKey, { email: 'x@gamma.test', role: 'viewer' })).status,
      403,
    );
    assert.equal(
      (await call('POST', '/v1/members', adminMemberKey, { email: 'o@gamma.test', role: 'owner' })).status,
      403,
    );
    const list = (await (await call('GET', '/v1/members', viewerKey)).json()) as {
      data: { client_id: string }[];
    };
    assert.equal(list.data.length, 2);
    assert.ok(list.data.every((m) => m.client_id === client.id));
  });

  it('reports the field path of invalid input', async () => {
    const { secret } = await cm.createClient({ name: 'Delta' });
    const res = await call('POST', '/v1/members', secret.key, { email: 'not-an-email', role: 'viewer' });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { details: { path: string }[] } };
    assert.equal(body.error.details[0]?.path, 'email');
  });

  it('keeps tenants apart: one client cannot revoke or list another client’s keys', async () => {
    const a = await cm.createClient({ name: 'Tenant A' });
    const b = await cm.createClient({ name: 'Tenant B' });
    const res = await call('DELETE', `/v1/api-keys/${a.publishable.id}`, b.secret.key);
    assert.equal(res.status, 404);
    assert.ok(await cm.resolver.resolve(a.publishable.key), 'A key still works');
    const keys = (await (await call('GET', '/v1/api-keys', b.secret.key)).json()) as {
      data: { id: string }[];
    };
    assert.ok(!keys.data.some((k) => k.id === a.publishable.id));
  });

  it('revokes keys and marks clients inactive', async () => {
    const { client, publishable, secret } = await cm.createClient({ name: 'Epsilon' });
    assert.equal((await call('DELETE', `/v1/api-keys/${publishable.id}`, secret.key)).status, 200);
    assert.equal(await cm.resolver.resolve(publishable.key), null);
    await call('PATCH', `/v1/admin/clients/${client.id}`, adminKey, { status: 'suspended' });
    const res = await call('GET', '/v1/members', secret.key);
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'CLIENT_INACTIVE');
  });

  it('nobody grants above their own role: keys, members and revocations', async () => {
    const { client, secret: owner } = await cm.createClient({ name: 'Zeta' });
    const issue = (key: string, body: unknown) => call('POST', '/v1/api-keys', key, body);
    const admin = (
      (await (await issue(owner.key, { kind: 'secret', role: 'admin' })).json()) as {
        key: { id: string; key: string };
      }
    ).key;
    const manager = await cm.issueKey(client.id, 'secret', 'manager');
    // An admin may issue keys up to admin, never owner.
    assert.equal((await issue(admin.key, { kind: 'secret', role: 'owner' })).status, 403);
    assert.equal((await issue(admin.key, { kind: 'secret', role: 'admin' })).status, 201);
    assert.equal((await issue(admin.key, { kind: 'secret', role: 'viewer' })).status, 201);
    assert.equal((await issue(admin.key, { kind: 'publishable' })).status, 201);
    // Below admin, no keys at all (key.create); the owner may mint owners.
    assert.equal((await issue(manager.key, { kind: 'secret', role: 'viewer' })).status, 403);
    assert.equal((await issue(owner.key, { kind: 'secret', role: 'owner' })).status, 201);
    // Members: only an owner adds an owner.
    const member = (key: string, email: string, role: string) =>
      call('POST', '/v1/members', key, { email, role });
    assert.equal((await member(admin.key, 'o@zeta.test', 'owner')).status, 403);
    assert.equal((await member(admin.key, 'a@zeta.test', 'admin')).status, 201);
    assert.equal((await member(owner.key, 'o@zeta.test', 'owner')).status, 201);
    // Revocation: an admin cannot revoke an owner's key, the owner can; an admin revokes lesser keys.
    const denied = await call('DELETE', `/v1/api-keys/${owner.id}`, admin.key);
    assert.equal(denied.status, 403);
    assert.ok(await cm.resolver.resolve(owner.key), 'the owner key still works');
    assert.equal((await call('DELETE', `/v1/api-keys/${manager.id}`, admin.key)).status, 200);
    assert.equal(await cm.resolver.resolve(manager.key), null);
    assert.equal((await call('DELETE', `/v1/api-keys/${admin.id}`, owner.key)).status, 200);
    assert.equal(await cm.resolver.resolve(admin.key), null);
    assert.equal(
      (await call('DELETE', `/v1/api-keys/${admin.id}`, owner.key)).status,
      404,
      'already revoked',
    );
  });

  it('stores signing secrets encrypted; the resolver hands back the plaintext', async () => {
    const { secret } = await cm.createClient({ name: 'Eta' });
    const row = await t.db
      .selectFrom('api_keys')
      .select('signing_secret')
      .where('id', '=', secret.id)
      .executeTakeFirstOrThrow();
    assert.match(row.signing_secret ?? '', /^enc:v1:test:/);
    assert.ok(!(row.signing_secret ?? '').includes(secret.signing_secret ?? '?'));
    assert.equal((await cm.resolver.resolve(secret.key))?.signingSecret, secret.signing_secret);
    await assert.rejects(
      t.db
        .updateTable('api_keys')
        .set({ signing_secret: 'whsec_plain' })
        .where('id', '=', secret.id)
        .execute(),
      /api_keys_signing_secret_encrypted/,
      'the database refuses a plaintext secret',
    );
  });
});
