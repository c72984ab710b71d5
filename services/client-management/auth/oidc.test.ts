import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, createBrowser } from '../../../test/support/browser-jar.ts';
import { freePort } from '../../../test/support/net.ts';
import { startOidcProvider, type TestOidcProvider } from '../../../test/support/oidc-provider.ts';
import { openTestPlatform, type TestPlatform } from '../../../test/support/platform.ts';
import type { Platform } from '../../app.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read loosely in tests.
type Body = Record<string, any>;

/** Posts the provider's current form (login or consent), as a browser would, and follows on. */
async function submitForm(browser: Browser, page: Response, at: URL, fields: Record<string, string>) {
  const html = await page.text();
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  assert.ok(action, `no form on ${at.href}: ${html.slice(0, 300)}`);
  const hidden = Object.fromEntries(
    [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
  );
  return browser.follow(new URL(action, at), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...hidden, ...fields }).toString(),
  });
}

describe('OIDC sign-in through a real provider on loopback', () => {
  let tp: TestPlatform;
  let platform: Platform;
  let server: ServerType;
  let idp: TestOidcProvider;
  let base: string;
  let clientId: string;

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    idp = await startOidcProvider({
      redirectUri: `${base}/v1/auth/callback`,
      accounts: {
        'sub-ann': { email: 'Ann@Acme.test', email_verified: true, name: 'Ann Admin' },
        'sub-una': { email: 'una@acme.test', email_verified: false },
        'sub-out': { email: 'out@nowhere.test', email_verified: true },
      },
    });
    tp = await openTestPlatform({
      PULSE_PUBLIC_URL: base,
      PULSE_ENV: 'development',
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
    });
    platform = tp.build();
    server = serve({ fetch: platform.app.fetch, hostname: '127.0.0.1', port });
    const acme = await platform.clientManagement.createClient({ name: 'Acme' });
    clientId = acme.client.id;
    await platform.clientManagement.addMember(clientId, 'ann@acme.test', 'admin');
    await platform.clientManagement.addMember(clientId, 'una@acme.test', 'viewer');
  });
  after(async () => {
    server?.close();
    await idp?.close();
    await tp?.close();
  });

  /** Walks the whole sign-in: our /login → the provider's login and consent forms → our callback. */
  async function signIn(browser: Browser, account: string, returnTo = '/portal/campaigns') {
    const start = await browser.follow(`${base}/v1/auth/login?return_to=${encodeURIComponent(returnTo)}`);
    const authorize = start.hops[1]!;
    assert.equal(authorize.origin, idp.issuer, 'sent to the provider');
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(authorize.searchParams.get('code_challenge'));
    assert.ok(authorize.searchParams.get('state'));
    assert.ok(authorize.searchParams.get('nonce'));
    assert.equal(authorize.searchParams.get('client_id'), idp.clientId);
    let step = await submitForm(browser, start.res, start.url, { login: account, password: 'any' });
    if (step.url.origin === idp.issuer && step.res.status === 200)
      step = await submitForm(browser, step.res, step.url, {}); // consent
    return step;
  }

  it('signs in, answers the session, acts with the member role, and signs out', async () => {
    const browser = createBrowser();
    const config = (await (await browser.request(`${base}/v1/auth/config`)).json()) as Body;
    assert.deepEqual(config, { dev_login: true, oidc: { enabled: true, issuer: idp.issuer } });

    const done = await signIn(browser, 'sub-ann');
    const callback = done.hops.find((u) => u.pathname === '/v1/auth/callback');
    assert.ok(callback?.searchParams.get('code'), 'the provider redirected back with a code');
    assert.equal(done.url.href, `${base}/portal/campaigns`, await done.res.clone().text());
    const cookie = browser.cookies(new URL(base).host).get('pulse_session');
    assert.ok(cookie, 'the session cookie is set');

    const session = (await (await browser.request(`${base}/v1/auth/session`)).json()) as Body;
    assert.equal(session.user.email, 'ann@acme.test');
    assert.equal(session.user.name, 'Ann Admin');
    assert.deepEqual([session.client.id, session.role], [clientId, 'admin']);
    const user = await tp.db.db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', 'ann@acme.test')
      .executeTakeFirst();
    assert.deepEqual([user?.oidc_issuer, user?.oidc_subject], [idp.issuer, 'sub-ann'], 'subject linked');

    // Allowed by the admin role; CSRF checked on a mutation; refused above the role.
    assert.equal((await browser.request(`${base}/v1/members`)).status, 200);
    const json = { 'content-type': 'application/json' };
    const noCsrf = await browser.request(`${base}/v1/api-keys`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ kind: 'publishable' }),
    });
    assert.equal(noCsrf.status, 403);
    assert.equal(((await noCsrf.json()) as Body).error.code, 'CSRF_FAILED');
    const withCsrf = { ...json, 'x-csrf-token': session.csrf_token as string };
    const created = await browser.request(`${base}/v1/api-keys`, {
      method: 'POST',
      headers: withCsrf,
      body: JSON.stringify({ kind: 'publishable' }),
    });
    assert.equal(created.status, 201);
    assert.equal((await browser.request(`${base}/v1/admin/clients`)).status, 403);

    const out = await browser.request(`${base}/v1/auth/logout`, { method: 'POST', headers: withCsrf });
    assert.equal(out.status, 204);
    assert.equal(browser.cookies(new URL(base).host).get('pulse_session'), undefined, 'cookie cleared');
    // The old cookie is dead server-side too, not only gone from the browser.
    const replay = await fetch(`${base}/v1/auth/session`, { headers: { cookie: `pulse_session=${cookie}` } });
    assert.equal(replay.status, 401);
  });

  it('refuses an unverified email, a person who is no member, and a replayed or forged callback', async () => {
    const una = await signIn(createBrowser(), 'sub-una');
    assert.equal(una.res.status, 401);
    assert.equal(((await una.res.json()) as Body).error.code, 'OIDC_FAILED');

    const out = await signIn(createBrowser(), 'sub-out');
    assert.equal(out.res.status, 403);
    assert.equal(((await out.res.json()) as Body).error.code, 'NOT_A_MEMBER');

    // A callback without the browser's flow cookie (another browser, a CSRF'd login) is refused.
    const browser = createBrowser();
    const done = await signIn(browser, 'sub-ann');
    const callback = done.hops.find((u) => u.pathname === '/v1/auth/callback')!;
    const stranger = await createBrowser().request(callback);
    assert.equal(stranger.status, 401);
    assert.equal(((await stranger.json()) as Body).error.code, 'OIDC_FAILED');
    // The code was used once: a second exchange fails at the provider, with the right flow cookie.
    const again = createBrowser();
    await again.follow(`${base}/v1/auth/login`);
    const forged = new URL(callback);
    forged.searchParams.set('state', 'not-the-state');
    const wrongState = await again.request(forged);
    assert.equal(wrongState.status, 401);
  });

  it('keeps return_to on this origin', async () => {
    for (const bad of ['https://evil.test/x', '//evil.test/x', '/\\evil.test']) {
      const done = await signIn(createBrowser(), 'sub-ann', bad);
      assert.equal(done.url.href, `${base}/`, bad);
    }
  });
});
