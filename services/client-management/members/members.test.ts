import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';
import { testSecretBox } from '../../../test/support/secret-box.ts';
import { createClientManagement, createClientManagementApp, migrations } from '../index.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in tests.
type Body = Record<string, any>;

describe('members: invites, roles, removal, ownership, at least one owner', () => {
  let t: TestDatabase;
  let cm: ReturnType<typeof createClientManagement>;
  let app: ReturnType<typeof createClientManagementApp>;
  let clientId: string;
  let ownerKey: string;
  const sent: { email: string; url: string; role: string }[] = [];

  before(async () => {
    t = await createTestDatabase({ 'client-management': migrations });
    cm = createClientManagement(t.db, { hashSecret: 'test', cacheMs: 0, secretBox: testSecretBox() });
    app = createClientManagementApp({
      db: t.db,
      clientManagement: cm,
      auth: {
        environment: 'development',
        secureCookies: false,
        oidc: null,
        hashSecret: 'test',
        publicBaseUrl: 'https://pulse.test',
        invites: {
          async send(i) {
            sent.push({ email: i.email, url: i.url, role: i.role });
          },
        },
      },
    });
    const acme = await cm.createClient({ name: 'Acme' });
    clientId = acme.client.id;
    ownerKey = acme.secret.key;
  });
  after(() => t.drop());

  const call = async (
    method: string,
    path: string,
    opts: { key?: string; session?: { cookie: string; csrf: string }; body?: unknown } = {},
  ) => {
    const res = await app.request(path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
        ...(opts.session ? { cookie: opts.session.cookie, 'x-csrf-token': opts.session.csrf } : {}),
      },
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Body, headers: res.headers };
  };
  const sessionOf = (r: { body: Body; headers: Headers }) => ({
    cookie: /pulse_session=[^;]+/.exec(r.headers.get('set-cookie') ?? '')![0],
    csrf: r.body.csrf_token as string,
  });
  /** Invites `email` as `role` with the owner key, accepts the link, returns the new member's session. */
  async function join(email: string, role: string) {
    const inv = await call('POST', '/v1/member-invites', { key: ownerKey, body: { email, role } });
    assert.equal(inv.status, 201, JSON.stringify(inv.body));
    const token = new URL(sent.at(-1)!.url).searchParams.get('token')!;
    const accepted = await call('POST', '/v1/auth/invites/accept', { body: { token } });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    return { session: sessionOf(accepted), token, body: accepted.body };
  }
  const memberId = async (email: string) =>
    (await t.db.selectFrom('members').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;

  it('invites by a signed link that works once and signs the new member in', async () => {
    const inv = await call('POST', '/v1/member-invites', {
      key: ownerKey,
      body: { email: 'Ann@Acme.test', role: 'manager' },
    });
    assert.equal(inv.status, 201);
    assert.equal(inv.body.invite.email, 'ann@acme.test');
    const mail = sent.at(-1)!;
    assert.equal(mail.email, 'ann@acme.test');
    const url = new URL(mail.url);
    assert.equal(url.origin + url.pathname, 'https://pulse.test/v1/auth/invites/accept');
    const token = url.searchParams.get('token')!;
    const listed = await call('GET', '/v1/member-invites', { key: ownerKey });
    assert.deepEqual(
      listed.body.data.map((i: Body) => i.email),
      ['ann@acme.test'],
    );

    // Opening the link changes nothing: a page with a button.
    const page = await app.request(`/v1/auth/invites/accept?token=${encodeURIComponent(token)}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<form method="post" action="\/v1\/auth\/invites\/accept">/);
    assert.equal((await call('GET', '/v1/member-invites', { key: ownerKey })).body.data.length, 1);

    // A token altered by one character is refused; the real one works once.
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    const bad = await call('POST', '/v1/auth/invites/accept', { body: { token: forged } });
    assert.deepEqual([bad.status, bad.body.error.code], [410, 'INVITE_INVALID']);
    const ok = await call('POST', '/v1/auth/invites/accept', { body: { token } });
    assert.equal(ok.status, 200);
    assert.deepEqual(
      [ok.body.client.id, ok.body.role, ok.body.user.email],
      [clientId, 'manager', 'ann@acme.test'],
    );
    const again = await call('POST', '/v1/auth/invites/accept', { body: { token } });
    assert.deepEqual([again.status, again.body.error.code], [410, 'INVITE_INVALID']);
    assert.equal((await call('GET', '/v1/member-invites', { key: ownerKey })).body.data.length, 0);

    // The session works and is the member's role: a manager reads members but does not invite.
    const ann = sessionOf(ok);
    assert.equal((await call('GET', '/v1/members', { session: ann })).status, 200);
    const refused = await call('POST', '/v1/member-invites', {
      session: ann,
      body: { email: 'x@acme.test', role: 'viewer' },
    });
    assert.deepEqual([refused.status, refused.body.error.code], [403, 'FORBIDDEN']);
    // Inviting an existing member is a conflict; a revoked invite cannot be accepted.
    assert.equal(
      (
        await call('POST', '/v1/member-invites', {
          key: ownerKey,
          body: { email: 'ann@acme.test', role: 'viewer' },
        })
      ).status,
      409,
    );
    const inv2 = await call('POST', '/v1/member-invites', {
      key: ownerKey,
      body: { email: 'bob@acme.test', role: 'viewer' },
    });
    const token2 = new URL(sent.at(-1)!.url).searchParams.get('token')!;
    assert.equal(
      (await call('DELETE', `/v1/member-invites/${inv2.body.invite.id}`, { key: ownerKey })).status,
      200,
    );
    const revoked = await call('POST', '/v1/auth/invites/accept', { body: { token: token2 } });
    assert.deepEqual([revoked.status, revoked.body.error.code], [410, 'INVITE_INVALID']);
  });

  it('changes roles within the caller’s own, and the session follows at once', async () => {
    const { session: vic } = await join('vic@acme.test', 'viewer');
    const { session: ada } = await join('ada@acme.test', 'admin');
    const vicId = await memberId('vic@acme.test');
    const keyAsVic = () =>
      call('POST', '/v1/api-keys', { session: vic, body: { kind: 'publishable' } }).then((r) => r.status);
    assert.equal(await keyAsVic(), 403);
    const promoted = await call('PATCH', `/v1/members/${vicId}`, { session: ada, body: { role: 'admin' } });
    assert.equal(promoted.status, 200);
    assert.equal(promoted.body.member.role, 'admin');
    assert.equal(await keyAsVic(), 201, 'the same session now acts as admin');
    const toOwner = await call('PATCH', `/v1/members/${vicId}`, { session: ada, body: { role: 'owner' } });
    assert.equal(toOwner.status, 403, 'an admin cannot make owners');
    const bad = await call('PATCH', `/v1/members/${vicId}`, { session: ada, body: { role: 'boss' } });
    assert.deepEqual([bad.status, bad.body.error.details[0].path], [400, 'role']);
    assert.equal(
      (await call('PATCH', '/v1/members/mem_nope', { session: ada, body: { role: 'viewer' } })).status,
      404,
    );
  });

  it('keeps at least one owner, transfers ownership, and removal ends access', async () => {
    const { session: olga } = await join('olga@acme.test', 'owner');
    const olgaId = await memberId('olga@acme.test');
    const adaId = await memberId('ada@acme.test');
    const { session: ada } = await (async () => {
      const r = await call('POST', '/v1/auth/dev-login', { body: { email: 'ada@acme.test' } });
      return { session: sessionOf(r) };
    })();
    // The only owner member cannot step down or be removed.
    const demote = await call('PATCH', `/v1/members/${olgaId}`, { session: olga, body: { role: 'admin' } });
    assert.deepEqual([demote.status, demote.body.error.code], [409, 'LAST_OWNER']);
    const remove = await call('DELETE', `/v1/members/${olgaId}`, { key: ownerKey });
    assert.deepEqual([remove.status, remove.body.error.code], [409, 'LAST_OWNER']);
    assert.equal(
      (await call('DELETE', `/v1/members/${olgaId}`, { session: ada })).status,
      403,
      'admin vs owner',
    );

    // Only an owner transfers; the owner member handing over becomes admin.
    assert.equal(
      (await call('POST', `/v1/members/${adaId}/transfer-ownership`, { session: ada })).status,
      403,
    );
    const moved = await call('POST', `/v1/members/${adaId}/transfer-ownership`, { session: olga });
    assert.equal(moved.status, 200);
    assert.deepEqual([moved.body.owner.role, moved.body.previous.role], ['owner', 'admin']);
    const now = await call('GET', '/v1/auth/session', { session: olga });
    assert.equal(now.body.role, 'admin');
    assert.ok(!now.body.permissions.includes('member.transfer'));

    // Two owners now? No: olga is admin, ada owner. Ada removes olga: olga's session and keys end.
    const olgaKey = await cm.issueKey(clientId, 'secret', 'admin', olgaId);
    assert.ok(await cm.resolver.resolve(olgaKey.key));
    const removed = await call('DELETE', `/v1/members/${olgaId}`, { session: ada });
    assert.equal(removed.status, 200);
    assert.equal((await call('GET', '/v1/auth/session', { session: olga })).status, 401);
    assert.equal((await call('GET', '/v1/members', { session: olga })).status, 401);
    assert.equal(await cm.resolver.resolve(olgaKey.key), null, 'the member’s key is revoked');
    const adaAlone = await call('PATCH', `/v1/members/${adaId}`, { session: ada, body: { role: 'admin' } });
    assert.deepEqual([adaAlone.status, adaAlone.body.error.code], [409, 'LAST_OWNER']);
  });

  it('serialises concurrent demotions so one owner always remains', async () => {
    const other = await cm.createClient({ name: 'Race Co' });
    const a = await cm.addMember(other.client.id, 'a@race.test', 'owner');
    const b = await cm.addMember(other.client.id, 'b@race.test', 'owner');
    const results = await Promise.all(
      [a, b].map((m) =>
        call('PATCH', `/v1/members/${m.member.id}`, { key: other.secret.key, body: { role: 'admin' } }),
      ),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
    const owners = await t.db
      .selectFrom('members')
      .select('id')
      .where('client_id', '=', other.client.id)
      .where('role', '=', 'owner')
      .execute();
    assert.equal(owners.length, 1);
  });
});
