import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, createBrowser } from '../../../test/support/browser-jar.ts';
import { freePort } from '../../../test/support/net.ts';
import { startOidcProvider, type TestOidcProvider } from '../../../test/support/oidc-provider.ts';
import { openTestPlatform, type TestPlatform } from '../../../test/support/platform.ts';
import {
  decodeQuotedPrintable,
  startTestSmtpServer,
  type TestSmtpServer,
} from '../../../test/support/smtp.ts';
import { createPlatform, type Platform } from '../../app.ts';
import { createSmtpMailer } from '../../notification/index.ts';
import { createPostgresBus } from '../../platform/bus/postgres-bus.ts';

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
  let smtp: TestSmtpServer;

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    idp = await startOidcProvider({
      redirectUri: `${base}/v1/auth/callback`,
      accounts: {
        'sub-ann': { email: 'Ann@Acme.test', email_verified: true, name: 'Ann Admin' },
        'sub-una': { email: 'una@acme.test', email_verified: false },
        'sub-out': { email: 'out@nowhere.test', email_verified: true },
        'sub-new': { email: 'newbie@acme.test', email_verified: true, name: 'New Bie' },
      },
    });
    tp = await openTestPlatform({
      PULSE_PUBLIC_URL: base,
      PULSE_ENV: 'development',
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
    });
    smtp = await startTestSmtpServer();
    // Built as the test platform is, with a mailer on a real SMTP server: invites go out as emails.
    platform = createPlatform({
      config: tp.config(),
      db: tp.db.db,
      ch: tp.ch,
      bus: createPostgresBus({ db: tp.db.db }),
      mailer: createSmtpMailer({ host: '127.0.0.1', port: smtp.port, from: 'team@pulse.test' }),
      temporal: tp.temporal,
    });
    server = serve({ fetch: platform.app.fetch, hostname: '127.0.0.1', port });
    const acme = await platform.clientManagement.createClient({ name: 'Acme' });
    clientId = acme.client.id;
    await platform.clientManagement.addMember(clientId, 'ann@acme.test', 'admin');
    await platform.clientManagement.addMember(clientId, 'una@acme.test', 'viewer');
  });
  after(async () => {
    server?.close();
    await smtp?.close();
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

  it('invite → email → accept → signed in with the role → allowed and refused; a role change; OIDC later', async () => {
    const ann = createBrowser();
    await signIn(ann, 'sub-ann');
    const annSession = (await (await ann.request(`${base}/v1/auth/session`)).json()) as Body;
    const asAnn = { 'content-type': 'application/json', 'x-csrf-token': annSession.csrf_token as string };
    const invited = await ann.request(`${base}/v1/member-invites`, {
      method: 'POST',
      headers: asAnn,
      body: JSON.stringify({ email: 'newbie@acme.test', role: 'viewer' }),
    });
    assert.equal(invited.status, 201, await invited.clone().text());

    // The email arrives through the notification service over SMTP, with a link to this platform.
    const mail = await smtp.waitFor((m) => m.to.includes('newbie@acme.test'));
    assert.match(mail.subject, /invited to Acme/);
    const body = decodeQuotedPrintable(mail.raw).replace(/=\r?\n/g, '');
    const link = /(http:\/\/127\.0\.0\.1:\d+\/v1\/auth\/invites\/accept\?token=[A-Za-z0-9._%-]+)/.exec(
      body,
    )?.[1];
    assert.ok(link?.startsWith(base), `the invite link: ${body.slice(0, 400)}`);

    // The invitee opens the link and presses the button (a form post), signed in afterwards.
    const newbie = createBrowser();
    const page = await newbie.request(link!);
    assert.equal(page.status, 200);
    const accepted = await submitForm(newbie, page, new URL(link!), {});
    assert.equal(accepted.url.href, `${base}/`, 'to the start page');
    const session = (await (await newbie.request(`${base}/v1/auth/session`)).json()) as Body;
    assert.deepEqual(
      [session.user.email, session.client.id, session.role],
      ['newbie@acme.test', clientId, 'viewer'],
    );
    const asNewbie = { 'content-type': 'application/json', 'x-csrf-token': session.csrf_token as string };
    assert.equal((await newbie.request(`${base}/v1/campaigns`)).status, 200, 'a viewer reads');
    const refused = await newbie.request(`${base}/v1/api-keys`, {
      method: 'POST',
      headers: asNewbie,
      body: JSON.stringify({ kind: 'publishable' }),
    });
    assert.equal(refused.status, 403, 'a viewer does not issue keys');
    // The link works once.
    const replay = await createBrowser().request(link!);
    assert.equal(replay.status, 200, 'the page still opens (it changes nothing)');
    const token = decodeURIComponent(new URL(link!).searchParams.get('token')!);
    const again = await fetch(`${base}/v1/auth/invites/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    assert.equal(again.status, 410);

    // Ann makes them an admin: the same session may now issue keys.
    const members = (await (await ann.request(`${base}/v1/members?limit=100`)).json()) as Body;
    const id = (members.data as Body[]).find((m) => m.email === 'newbie@acme.test')!.id as string;
    const promoted = await ann.request(`${base}/v1/members/${id}`, {
      method: 'PATCH',
      headers: asAnn,
      body: JSON.stringify({ role: 'admin' }),
    });
    assert.equal(promoted.status, 200);
    const allowed = await newbie.request(`${base}/v1/api-keys`, {
      method: 'POST',
      headers: asNewbie,
      body: JSON.stringify({ kind: 'publishable' }),
    });
    assert.equal(allowed.status, 201);

    // Later they sign in through the provider: matched to the membership by their verified email.
    const later = createBrowser();
    await signIn(later, 'sub-new');
    const viaOidc = (await (await later.request(`${base}/v1/auth/session`)).json()) as Body;
    assert.deepEqual(
      [viaOidc.user.email, viaOidc.user.name, viaOidc.role],
      ['newbie@acme.test', 'New Bie', 'admin'],
    );
  });
});
