import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';
import { testSecretBox } from '../../../test/support/secret-box.ts';
import { createClientManagement, createClientManagementApp, migrations } from '../index.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in tests.
type Body = Record<string, any>;

/** The `pulse_session` value a Set-Cookie header carries, with its attributes. */
function sessionCookie(res: Response): { value: string; attrs: string } | null {
  const line = res.headers.getSetCookie().find((l) => l.startsWith('pulse_session='));
  if (!line) return null;
  const [pair, ...attrs] = line.split(';');
  return { value: pair!.slice('pulse_session='.length), attrs: attrs.join(';') };
}

describe('sessions: development login, session, CSRF, logout', () => {
  let t: TestDatabase;
  let cm: ReturnType<typeof createClientManagement>;
  let clock = Date.now();
  const build = (environment: 'development' | 'production') =>
    createClientManagementApp({
      db: t.db,
      clientManagement: cm,
      auth: { environment, secureCookies: environment === 'production', oidc: null, hashSecret: 'test' },
    });
  let app: ReturnType<typeof build>;
  let acme: { id: string };
  let beta: { id: string };

  before(async () => {
    t = await createTestDatabase({ 'client-management': migrations });
    cm = createClientManagement(t.db, {
      hashSecret: 'test',
      cacheMs: 0,
      secretBox: testSecretBox(),
      sessions: {
        platformAdmins: ['ops@pulse.test'],
        idleMinutes: 30,
        maxMinutes: 120,
        now: () => new Date(clock),
      },
    });
    app = build('development');
    acme = (await cm.createClient({ name: 'Acme' })).client;
    beta = (await cm.createClient({ name: 'Beta' })).client;
    await cm.addMember(acme.id, 'ann@acme.test', 'admin');
    await cm.addMember(beta.id, 'ann@acme.test', 'viewer');
    await cm.addMember(acme.id, 'vic@acme.test', 'viewer');
  });
  after(() => t.drop());

  const call = (
    method: string,
    path: string,
    opts: { cookie?: string; csrf?: string; body?: unknown; on?: ReturnType<typeof build> } = {},
  ) =>
    (opts.on ?? app).request(path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(opts.cookie ? { cookie: `pulse_session=${opts.cookie}` } : {}),
        ...(opts.csrf ? { 'x-csrf-token': opts.csrf } : {}),
      },
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    });
  const login = async (email: string, clientId?: string) => {
    const res = await call('POST', '/v1/auth/dev-login', {
      body: { email, ...(clientId ? { client_id: clientId } : {}) },
    });
    assert.equal(res.status, 200, await res.clone().text());
    return { cookie: sessionCookie(res)!.value, body: (await res.json()) as Body, res };
  };

  it('signs a member in with an HttpOnly, SameSite=Lax cookie and answers the session', async () => {
    const { cookie, body, res } = await login('Ann@Acme.test');
    const attrs = sessionCookie(res)!.attrs;
    assert.match(attrs, /HttpOnly/);
    assert.match(attrs, /SameSite=Lax/);
    assert.match(attrs, /Path=\//);
    assert.doesNotMatch(attrs, /Secure/, 'development on plain http');
    assert.equal(body.user.email, 'ann@acme.test');
    assert.deepEqual(body.client, { id: acme.id, name: 'Acme' }, 'the oldest membership');
    assert.equal(body.role, 'admin');
    assert.equal(body.platform_admin, false);
    assert.ok(body.permissions.includes('member.invite'));
    assert.ok(!body.permissions.includes('client.admin'));
    assert.ok(!body.permissions.includes('member.transfer'), 'owner only');
    assert.deepEqual(
      body.memberships.map((m: Body) => [m.client_name, m.role]),
      [
        ['Acme', 'admin'],
        ['Beta', 'viewer'],
      ],
    );
    const session = await call('GET', '/v1/auth/session', { cookie });
    assert.equal(session.status, 200);
    assert.deepEqual(await session.json(), body);
    // The cookie's value is never stored: only a keyed hash.
    const rows = await t.db.selectFrom('sessions').select('token_hash').execute();
    assert.ok(rows.every((r) => r.token_hash !== cookie));
  });

  it('lets the session act through authenticate() with the member role, CSRF-checked on mutations', async () => {
    const { cookie, body } = await login('ann@acme.test');
    const members = await call('GET', '/v1/members', { cookie });
    assert.equal(members.status, 200);
    assert.equal(((await members.json()) as Body).data.length, 2, "only Acme's members");

    const noToken = await call('POST', '/v1/api-keys', { cookie, body: { kind: 'publishable' } });
    assert.equal(noToken.status, 403);
    assert.equal(((await noToken.json()) as Body).error.code, 'CSRF_FAILED');
    const wrong = await call('POST', '/v1/api-keys', {
      cookie,
      csrf: 'x'.repeat(32),
      body: { kind: 'publishable' },
    });
    assert.equal(((await wrong.json()) as Body).error.code, 'CSRF_FAILED');
    const ok = await call('POST', '/v1/api-keys', {
      cookie,
      csrf: body.csrf_token,
      body: { kind: 'publishable' },
    });
    assert.equal(ok.status, 201);
    // An admin may not grant above itself, by session as by key.
    const owner = await call('POST', '/v1/api-keys', {
      cookie,
      csrf: body.csrf_token,
      body: { kind: 'secret', role: 'owner' },
    });
    assert.equal(owner.status, 403);

    const viewer = await login('vic@acme.test');
    const refused = await call('POST', '/v1/api-keys', {
      cookie: viewer.cookie,
      csrf: viewer.body.csrf_token,
      body: { kind: 'publishable' },
    });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as Body).error.code, 'FORBIDDEN');
    assert.equal((await call('GET', '/v1/members', { cookie: viewer.cookie })).status, 200);
    assert.equal((await call('GET', '/v1/admin/clients', { cookie: viewer.cookie })).status, 403);
  });

  it('switches between the person’s clients only', async () => {
    const { cookie, body } = await login('ann@acme.test');
    const noCsrf = await call('POST', '/v1/auth/switch-client', { cookie, body: { client_id: beta.id } });
    assert.equal(((await noCsrf.json()) as Body).error.code, 'CSRF_FAILED');
    const moved = await call('POST', '/v1/auth/switch-client', {
      cookie,
      csrf: body.csrf_token,
      body: { client_id: beta.id },
    });
    assert.equal(moved.status, 200);
    const now = (await moved.json()) as Body;
    assert.deepEqual([now.client.id, now.role], [beta.id, 'viewer']);
    assert.equal(
      (await call('POST', '/v1/api-keys', { cookie, csrf: body.csrf_token, body: { kind: 'publishable' } }))
        .status,
      403,
      'a viewer in Beta',
    );
    const elsewhere = await call('POST', '/v1/auth/switch-client', {
      cookie: (await login('vic@acme.test')).cookie,
      csrf: body.csrf_token,
      body: { client_id: beta.id },
    });
    assert.equal(elsewhere.status, 403);
    const bad = await call('POST', '/v1/auth/switch-client', { cookie, csrf: body.csrf_token, body: {} });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as Body).error.details[0].path, 'client_id');
  });

  it('refuses people who are members nowhere, and a client they do not belong to', async () => {
    const res = await call('POST', '/v1/auth/dev-login', { body: { email: 'eve@evil.test' } });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as Body).error.code, 'NOT_A_MEMBER');
    assert.equal(sessionCookie(res), null);
    const other = await call('POST', '/v1/auth/dev-login', {
      body: { email: 'vic@acme.test', client_id: beta.id },
    });
    assert.equal(((await other.json()) as Body).error.code, 'NOT_A_MEMBER');
    const bad = await call('POST', '/v1/auth/dev-login', { body: { email: 'not an email' } });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as Body).error.details[0].path, 'email');
  });

  it('gives a platform admin an admin session', async () => {
    const { cookie, body } = await login('ops@pulse.test');
    assert.equal(body.platform_admin, true);
    assert.equal(body.client, null);
    assert.deepEqual(body.permissions, ['client.admin']);
    assert.equal((await call('GET', '/v1/admin/clients', { cookie })).status, 200);
    assert.equal((await call('GET', '/v1/members', { cookie })).status, 403);
    const created = await call('POST', '/v1/admin/clients', {
      cookie,
      csrf: body.csrf_token,
      body: { name: 'Gamma' },
    });
    assert.equal(created.status, 201);
  });

  it('logs out: the session ends server-side and the cookie is cleared', async () => {
    const { cookie, body } = await login('ann@acme.test');
    const forced = await call('POST', '/v1/auth/logout', { cookie });
    assert.equal(forced.status, 403, 'no logout from another site without the CSRF token');
    const out = await call('POST', '/v1/auth/logout', { cookie, csrf: body.csrf_token });
    assert.equal(out.status, 204);
    assert.match(out.headers.getSetCookie().join('\n'), /pulse_session=;.*Max-Age=0/);
    assert.equal((await call('GET', '/v1/auth/session', { cookie })).status, 401);
    const members = await call('GET', '/v1/members', { cookie });
    assert.equal(members.status, 401);
    assert.equal(((await members.json()) as Body).error.code, 'UNAUTHORIZED');
  });

  it('ends sessions after the idle and the absolute expiry', async () => {
    const start = clock;
    const { cookie } = await login('ann@acme.test');
    for (let i = 1; i <= 3; i++) {
      clock = start + i * 25 * 60_000; // every 25 minutes: idle 30 never reached
      assert.equal((await call('GET', '/v1/auth/session', { cookie })).status, 200, `at ${i * 25} min`);
    }
    clock = start + 121 * 60_000; // past the absolute 120 minutes, though used 46 minutes ago
    assert.equal((await call('GET', '/v1/auth/session', { cookie })).status, 401);
    const idle = await login('ann@acme.test');
    clock += 31 * 60_000;
    assert.equal((await call('GET', '/v1/auth/session', { cookie: idle.cookie })).status, 401);
    clock = Date.now();
  });

  it('refuses the development login in production, with Secure cookies there', async () => {
    const prod = build('production');
    const res = await call('POST', '/v1/auth/dev-login', { on: prod, body: { email: 'ann@acme.test' } });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as Body).error.code, 'DEV_LOGIN_DISABLED');
    assert.equal(sessionCookie(res), null);
    const config = (await (await call('GET', '/v1/auth/config', { on: prod })).json()) as Body;
    assert.deepEqual(config, { dev_login: false, oidc: { enabled: false } });
    assert.equal(((await (await call('GET', '/v1/auth/config')).json()) as Body).dev_login, true);
  });
});
