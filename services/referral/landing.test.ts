import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { serviceMigrations } from '../../app/migrations.ts';
import { compileCampaignSource } from '../../dsl/index.ts';
import { createTemporalClient } from '../../engine/client.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { createPlatform } from '../app.ts';
import { createSmtpMailer, type Mailer } from '../notification/index.ts';
import { createPostgresBus } from '../platform/bus/postgres-bus.ts';
import { createClickHouse } from '../platform/clickhouse.ts';
import { loadConfig } from '../platform/config.ts';
import { landingProblems, landingUrlProblem } from './landing.ts';
import * as service from './service.ts';

const SIGNUP = readFileSync(new URL('../../campaigns/signup.pulse.yaml', import.meta.url), 'utf8');
/** The signup pulse with a landing block (and its own id, so several can be deployed side by side). */
const withLanding = (id: string, landing: string) =>
  `${SIGNUP.replace(/^id: .*$/m, `id: ${id}`)}\nlanding:\n${landing}\n`;

type Cookie = { value: string; attrs: Map<string, string> };
function cookieOf(res: Response): Cookie | undefined {
  const raw = res.headers.get('set-cookie');
  if (!raw) return undefined;
  const [pair = '', ...attrs] = raw.split(/;\s*/);
  const [name, value = ''] = pair.split('=');
  assert.equal(name, 'pulse_ref');
  return {
    value,
    attrs: new Map(
      attrs.map((a) => [a.split('=')[0]!.toLowerCase(), a.split('=')[1] ?? ''] as [string, string]),
    ),
  };
}

describe('share links land on the campaign’s landing page', () => {
  let t: TestDatabase;
  let temporal: Client;
  let mailer: Mailer;
  let platform: ReturnType<typeof createPlatform>;
  let key: string;
  let clientId: string;

  before(async () => {
    t = await createTestDatabase(serviceMigrations);
    const config = loadConfig({ ...process.env, DATABASE_URL: t.url, PULSE_PUBLIC_URL: 'http://pulse.test' });
    temporal = await createTemporalClient(config.temporalAddress);
    mailer = createSmtpMailer({ host: '127.0.0.1', port: 9, from: 'x@pulse.test', log: () => {} });
    platform = createPlatform({
      config,
      db: t.db,
      ch: createClickHouse(config.clickhouseUrl, config.clickhouseDatabase),
      bus: createPostgresBus({ db: t.db }),
      mailer,
      temporal,
    });
    const created = await platform.clientManagement.createClient({ name: 'Acme' });
    key = created.secret.key;
    clientId = created.client.id;
  });
  after(async () => {
    mailer.close();
    await temporal.connection.close();
    await t.drop();
  });

  const deploy = async (source: string) => {
    const res = await platform.app.request('/v1/campaigns/deploy', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source, file: 'signup.pulse.yaml' }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** Deploys a campaign and gives one participant a code in it, as its journey's first step would. */
  const codeIn = async (source: string, participantId: string, landingUrl?: string) => {
    const d = await deploy(source);
    assert.equal(d.status, 201, JSON.stringify(d.body));
    const campaignId = d.body.campaign_id as string;
    const assets = await service.generateAssets(
      t.db,
      { clientId, campaignId },
      { participantId, ...(landingUrl ? { landingUrl } : {}) },
      'http://pulse.test',
    );
    return { code: assets.code, campaignId };
  };
  const visit = (path: string, init?: RequestInit) => platform.app.request(`http://pulse.test${path}`, init);

  it('302 to the landing URL with ?ref merged into its query, and a first-party cookie', async () => {
    const { code } = await codeIn(
      withLanding(
        'landing-a',
        '  url: https://acme.example/join?utm_source=referral&ref=STALE#top\n  attribution_days: 14',
      ),
      'ann',
    );
    const res = await visit(`/r/${clientId}/${code.toLowerCase()}`);
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get('location') ?? '');
    assert.equal(location.origin + location.pathname, 'https://acme.example/join');
    assert.deepEqual(
      [...location.searchParams],
      [
        ['utm_source', 'referral'],
        ['ref', code],
      ],
    );
    assert.equal(location.hash, '#top');
    const cookie = cookieOf(res);
    assert.equal(cookie?.value, code);
    assert.equal(cookie?.attrs.get('max-age'), String(14 * 86_400));
    assert.equal(cookie?.attrs.get('samesite'), 'Lax');
    assert.equal(cookie?.attrs.get('path'), '/');
    assert.ok(cookie?.attrs.has('httponly'));
    assert.ok(!cookie?.attrs.has('secure'), 'not Secure over http');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    // Over https the cookie is Secure.
    const secure = await platform.app.request(`https://pulse.test/r/${clientId}/${code}`);
    assert.ok(cookieOf(secure)?.attrs.has('secure'));
  });

  it('keeps click tracking: each visiting address is recorded once', async () => {
    const { code } = await codeIn(withLanding('landing-clicks', '  url: https://acme.example/'), 'cy');
    const peer = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });
    for (const ip of ['198.51.100.1', '198.51.100.1', '198.51.100.2'])
      assert.equal((await platform.app.request(`/r/${clientId}/${code}`, {}, peer(ip))).status, 302);
    const clicks = await t.db
      .selectFrom('referral_clicks')
      .select('ip_hash')
      .where('client_id', '=', clientId)
      .where('code', '=', code)
      .execute();
    assert.equal(clicks.length, 2);
  });

  it('cannot be made an open redirect: the target comes from the campaign only', async () => {
    const { code } = await codeIn(withLanding('landing-b', '  url: https://acme.example/welcome'), 'bob');
    const attempts: [string, RequestInit?][] = [
      [`/r/${clientId}/${code}?next=https://evil.example/`],
      [`/r/${clientId}/${code}?url=https://evil.example/&redirect=//evil.example&ref=EVIL`],
      [`/r/${clientId}/${code}`, { headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' } }],
      [`/r/${clientId}/${code}`, { headers: { referer: 'https://evil.example/' } }],
    ];
    for (const [path, init] of attempts) {
      const res = await visit(path, init);
      assert.equal(res.status, 302, path);
      assert.equal(res.headers.get('location'), `https://acme.example/welcome?ref=${code}`, path);
    }
    // A code's own landing URL (a journey step's deep link) counts only on the campaign's origin.
    const deep = await service.generateAssets(
      t.db,
      {
        clientId,
        campaignId: (await codeIn(withLanding('landing-c', '  url: https://acme.example/'), 'cat'))
          .campaignId,
      },
      { participantId: 'dan', landingUrl: 'https://acme.example/pricing?plan=pro' },
      'http://pulse.test',
    );
    assert.equal(
      (await visit(`/r/${clientId}/${deep.code}`)).headers.get('location'),
      `https://acme.example/pricing?plan=pro&ref=${deep.code}`,
    );
    const { campaignId } = await codeIn(withLanding('landing-d', '  url: https://acme.example/'), 'eve');
    const foreign = await service.generateAssets(
      t.db,
      { clientId, campaignId },
      { participantId: 'fay', landingUrl: 'https://evil.example/phish' },
      'http://pulse.test',
    );
    assert.equal(
      (await visit(`/r/${clientId}/${foreign.code}`)).headers.get('location'),
      `https://acme.example/?ref=${foreign.code}`,
    );
  });

  it('no landing page: a small HTML page saying the code is valid (and the cookie for 30 days)', async () => {
    const { code } = await codeIn(SIGNUP.replace(/^id: .*$/m, 'id: no-landing'), 'gus');
    const res = await visit(`/r/${clientId}/${code}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const html = await res.text();
    assert.match(html, /^<!doctype html>/);
    assert.match(html, new RegExp(`<code>${code}</code> is valid`));
    assert.match(html, /no landing page/);
    assert.equal(cookieOf(res)?.attrs.get('max-age'), String(30 * 86_400));
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  });

  it('unknown code, another client’s code, or an ended campaign: a clear 404 page, no cookie', async () => {
    const { code, campaignId } = await codeIn(
      withLanding('landing-e', '  url: https://acme.example/'),
      'hal',
    );
    const other = await platform.clientManagement.createClient({ name: 'Other' });
    for (const path of [`/r/${clientId}/ZZZZ2345`, `/r/${other.client.id}/${code}`]) {
      const res = await visit(path);
      assert.equal(res.status, 404, path);
      assert.match(await res.text(), /This referral link is not valid/);
      assert.equal(res.headers.get('set-cookie'), null);
    }
    const ended = await platform.app.request(`/v1/campaigns/${campaignId}/status`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'ended' }),
    });
    assert.equal(ended.status, 200, await ended.clone().text());
    const res = await visit(`/r/${clientId}/${code}`);
    assert.equal(res.status, 404);
    assert.match(await res.text(), /no longer active/);
    assert.equal(res.headers.get('set-cookie'), null);
  });

  it('a bad landing URL stops the deploy with 400 at landing.url', async () => {
    for (const url of [
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      '/relative/path',
      'https://user:pass@acme.example/',
      'https://acme.example@evil.example/',
      `https://acme.example/${'a'.repeat(2100)}`,
    ]) {
      const d = await deploy(withLanding('landing-bad', `  url: ${JSON.stringify(url)}`));
      assert.equal(d.status, 400, url);
      const details = (d.body.error as { details: { path: string }[] }).details;
      assert.ok(
        details.some((x) => x.path.startsWith('landing')),
        `${url}: ${JSON.stringify(details)}`,
      );
    }
  });
});

describe('landing URL rules', () => {
  it('absolute http(s) only, https in production, no credentials, bounded length', () => {
    assert.equal(landingUrlProblem('https://acme.example/join?x=1', true), null);
    assert.equal(landingUrlProblem('http://localhost:3000/', false), null);
    assert.equal(landingUrlProblem('http://acme.example/', true), 'an https URL (NODE_ENV=production)');
    assert.equal(landingUrlProblem('javascript:alert(1)', false), 'an http(s) URL');
    assert.equal(landingUrlProblem('ftp://acme.example/', false), 'an http(s) URL');
    assert.equal(landingUrlProblem('//acme.example/', false), 'an absolute URL');
    assert.equal(landingUrlProblem('https://a:b@acme.example/', false), 'a URL without user:password@');
    assert.deepEqual(landingProblems({ url: 'http://acme.example/' }, true), [
      {
        path: 'landing.url',
        message: 'must be an https URL (NODE_ENV=production)',
        expected: 'an https URL (NODE_ENV=production)',
      },
    ]);
  });

  it('the DSL carries the landing block into the plan with the default attribution window', () => {
    const { plan } = compileCampaignSource(
      withLanding('landing-plan', '  url: https://acme.example/'),
      'x.pulse.yaml',
    );
    assert.deepEqual(plan?.landing, { url: 'https://acme.example/', attributionDays: 30 });
    const none = compileCampaignSource(SIGNUP, 'signup.pulse.yaml');
    assert.equal(none.plan?.landing, undefined, 'absent when the campaign sets none (plan hashes unchanged)');
    const bad = compileCampaignSource(
      withLanding('landing-plan', '  url: javascript:alert(1)'),
      'x.pulse.yaml',
    );
    assert.equal(bad.plan, undefined);
    assert.ok(bad.diagnostics.some((d) => d.path.startsWith('landing')));
  });
});
