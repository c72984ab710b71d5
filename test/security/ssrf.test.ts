import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isAppError } from '../../contract/errors.ts';
import { createNotificationApp } from '../../services/notification/index.ts';
import { migrations as notificationMigrations } from '../../services/notification/migrations/index.ts';
import { createOutbound } from '../../services/platform/outbound.ts';
import { fakeResolver } from '../support/event.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { createRewardFixture, keys, type RewardFixture } from '../support/reward.ts';
import { testSecretBox } from '../support/secret-box.ts';
import { serviceToken } from '../support/service-token.ts';

/** A loopback fake: each path answers as the test says; every request is recorded. */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Handler>();
const seen: { path: string; host: string | undefined }[] = [];
let server: Server;
let port: number;
let fake: string;

before(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', host: req.headers.host });
    const h = routes.get(req.url ?? '');
    if (h) h(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  fake = `http://127.0.0.1:${port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

/** Asserts the promise fails with the given code, and its message names the reason. */
async function refused(p: Promise<unknown>, code: string, reason?: RegExp) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isAppError(err), `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (reason) assert.match(err.message, reason);
    return true;
  });
}

describe('outbound guard: refused targets', () => {
  const strict = createOutbound();

  const literals: [string, RegExp][] = [
    ['http://127.0.0.1/', /loopback/],
    ['http://127.9.9.9:8080/x', /loopback/],
    ['http://2130706433/', /loopback/], // decimal 127.0.0.1, normalised by the URL parser
    ['http://0x7f.0.0.1/', /loopback/],
    ['http://10.1.2.3/', /private/],
    ['http://172.16.0.1/', /private/],
    ['http://172.31.255.254/', /private/],
    ['http://192.168.0.10/', /private/],
    ['http://169.254.169.254/latest/meta-data/', /metadata/],
    ['http://169.254.10.1/', /link-local/],
    ['http://100.64.0.1/', /carrier-grade NAT/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://224.0.0.1/', /multicast/],
    ['http://[::1]/', /loopback/],
    ['http://[::]/', /unspecified/],
    ['http://[fc00::1]/', /private/],
    ['http://[fd12:3456::1]/', /private/],
    ['http://[fe80::1]/', /link-local/],
    ['http://[ff02::1]/', /multicast/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://[::ffff:a9fe:a9fe]/', /metadata/], // mapped 169.254.169.254 in hex
    ['http://[::ffff:10.0.0.1]/', /private/],
    ['http://[64:ff9b::10.0.0.1]/', /private/], // NAT64 of a private address
    ['http://[2002:a00:1::]/', /private/], // 6to4 of 10.0.0.1
  ];
  for (const [url, reason] of literals) {
    it(`refuses ${url}`, async () => {
      await refused(strict.fetch(url), 'OUTBOUND_REFUSED', reason);
      await refused(strict.check(url), 'OUTBOUND_REFUSED', reason);
    });
  }

  it('refuses a host name resolving to loopback (localhost), after real DNS resolution', async () => {
    await refused(strict.fetch(`http://localhost:${port}/`), 'OUTBOUND_REFUSED', /loopback/);
    assert.equal(seen.length, 0, 'nothing reached the fake');
  });

  it('refuses a name if any of its addresses is private (a rebinding answer cannot slip through)', async () => {
    const guard = createOutbound({ resolve: async () => ['93.184.216.34', '10.0.0.7'] });
    await refused(guard.fetch('https://mixed.example.test/'), 'OUTBOUND_REFUSED', /private/);
  });

  it('refuses schemes other than http(s), and http in production mode', async () => {
    await refused(strict.fetch('file:///etc/passwd'), 'OUTBOUND_REFUSED', /scheme/);
    await refused(strict.check('ftp://example.com/x'), 'OUTBOUND_REFUSED', /scheme/);
    const production = createOutbound({ httpsOnly: true, resolve: async () => ['93.184.216.34'] });
    await refused(production.fetch('http://hooks.example.com/'), 'OUTBOUND_REFUSED', /https/);
    await refused(production.check('http://hooks.example.com/'), 'OUTBOUND_REFUSED', /https/);
    await production.check('https://hooks.example.com/');
  });

  it('a name that does not exist is refused at registration; a DNS outage is a 503, not a refusal', async () => {
    const dnsError = (code: string) =>
      createOutbound({
        resolve: async () => {
          throw Object.assign(new Error(code), { code });
        },
      });
    await refused(
      dnsError('ENOTFOUND').check('https://nope.invalid/', 'url'),
      'OUTBOUND_REFUSED',
      /does not resolve/,
    );
    await refused(dnsError('EAI_AGAIN').check('https://hooks.example.com/', 'url'), 'UPSTREAM_UNAVAILABLE');
  });

  it('a DNS lookup that never answers is bounded by the total timeout', async () => {
    const stuck = createOutbound({
      totalTimeoutMs: 200,
      resolve: () => new Promise<string[]>(() => undefined),
    });
    const t0 = Date.now();
    await refused(stuck.fetch('https://slow-dns.example.com/'), 'UPSTREAM_UNAVAILABLE');
    assert.ok(Date.now() - t0 < 2_000);
  });

  it('a refusal at registration names the field', async () => {
    await assert.rejects(strict.check('http://10.0.0.1/hook', 'url'), (err: unknown) => {
      assert.ok(isAppError(err));
      assert.equal(err.status, 400);
      assert.deepEqual(
        err.details.map((d) => d.path),
        ['url'],
      );
      return true;
    });
  });
});

describe('outbound guard: allowed targets, redirects and bounds', () => {
  const local = createOutbound({ allow: ['127.0.0.1/32'] });

  it('an allow-listed target works (the loopback fake in development)', async () => {
    routes.set('/ok', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
    );
    const res = await local.fetch(`${fake}/ok`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
  });

  it('connects to the checked address and sends the original Host (pinned, no second lookup)', async () => {
    let lookups = 0;
    const pinned = createOutbound({
      allow: ['127.0.0.1/32'],
      resolve: async () => {
        lookups++;
        return ['127.0.0.1'];
      },
    });
    routes.set('/pinned', (req, res) => res.writeHead(200).end(req.headers.host));
    const res = await pinned.fetch(`http://hooks.example.test:${port}/pinned`);
    assert.equal(await res.text(), `hooks.example.test:${port}`);
    assert.equal(lookups, 1);
  });

  it('an allowed name still may not resolve inside unless that address is allowed too', async () => {
    const guard = createOutbound({ allow: ['127.0.0.1/32'], resolve: async () => ['10.0.0.5'] });
    await refused(guard.fetch('http://hooks.example.test/'), 'OUTBOUND_REFUSED', /private/);
  });

  it('refuses a redirect from the allowed fake to a private, loopback or metadata address', async () => {
    for (const to of [
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/',
      'http://[::1]/',
      `http://127.0.0.2:${port}/ok`, // loopback, but outside the allow-listed 127.0.0.1/32
    ]) {
      routes.set('/bounce', (_req, res) => res.writeHead(302, { location: to }).end());
      await refused(local.fetch(`${fake}/bounce`), 'OUTBOUND_REFUSED');
    }
  });

  it('follows up to 3 redirects, each checked, and refuses the fourth', async () => {
    for (const n of [1, 2, 3, 4])
      routes.set(`/r${n}`, (_req, res) => res.writeHead(307, { location: `/r${n + 1}` }).end());
    routes.set('/r5', (_req, res) => res.writeHead(200).end('done'));
    routes.set('/three', (_req, res) => res.writeHead(301, { location: '/r3' }).end());
    const ok = await local.fetch(`${fake}/three`);
    assert.equal(await ok.text(), 'done');
    await refused(local.fetch(`${fake}/r1`), 'OUTBOUND_REFUSED', /redirects/);
  });

  it('caps the response size, declared or streamed', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 97);
    routes.set('/big', (_req, res) => res.writeHead(200, { 'content-length': big.length }).end(big));
    routes.set('/stream', (_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 32; i++) res.write(big.subarray(0, 64 * 1024));
      res.end();
    });
    await refused(local.fetch(`${fake}/big`), 'UPSTREAM_UNAVAILABLE', /larger/);
    await refused(local.fetch(`${fake}/stream`), 'UPSTREAM_UNAVAILABLE', /larger/);
  });

  it('gives up on a target that never answers, within the total timeout', async () => {
    routes.set('/hang', () => undefined);
    const quick = createOutbound({ allow: ['127.0.0.1/32'], totalTimeoutMs: 300 });
    const t0 = Date.now();
    await refused(quick.fetch(`${fake}/hang`), 'UPSTREAM_UNAVAILABLE', /within 300 ms/);
    assert.ok(Date.now() - t0 < 2_000);
  });
});

describe('URLs registered through the API are checked at registration', () => {
  const box = testSecretBox();
  let t: TestDatabase;
  let rewards: RewardFixture;
  before(async () => {
    t = await createTestDatabase({ notification: notificationMigrations });
    rewards = await createRewardFixture();
  });
  after(async () => {
    await t.drop();
    await rewards.close();
  });

  it('webhook endpoints: 400 OUTBOUND_REFUSED at path url, nothing stored; a public URL is accepted', async () => {
    const app = createNotificationApp({
      db: t.db,
      mailer: { send: async () => ({ messageId: 'unused' }), close: () => undefined },
      resolver: fakeResolver({ sk_owner: { clientId: 'cli_a' } }),
      internalToken: 'tok',
      secretBox: box,
      outbound: { resolve: async () => ['93.184.216.34'] },
    });
    const register = (url: string) =>
      app.request('/v1/notifications/webhook-endpoints', {
        method: 'POST',
        headers: { authorization: 'Bearer sk_owner', 'content-type': 'application/json' },
        body: JSON.stringify({ url }),
      });
    const bad = await register('http://169.254.169.254/latest/meta-data/');
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { error: { code: string; details: { path: string }[] } };
    assert.equal(body.error.code, 'OUTBOUND_REFUSED');
    assert.equal(body.error.details[0]?.path, 'url');
    assert.equal((await register('http://[::ffff:127.0.0.1]:9/')).status, 400);
    const rows = await t.db
      .selectFrom('webhook_endpoints' as never)
      .selectAll()
      .execute();
    assert.equal(rows.length, 0);
    assert.equal((await register('https://hooks.example.com/pulse')).status, 201);
  });

  it('a stored webhook URL pointing inside is skipped at delivery; the other endpoints are still served', async () => {
    const { insertEndpoint } = await import('../../services/notification/repo.ts');
    const app = createNotificationApp({
      db: t.db,
      mailer: { send: async () => ({ messageId: 'unused' }), close: () => undefined },
      resolver: fakeResolver({}),
      internalToken: 'tok',
      secretBox: box,
      outbound: { allow: ['127.0.0.1/32'] },
    });
    routes.set('/hook', (_req, res) => res.writeHead(200).end('ok'));
    const base = { client_id: 'cli_w', secret: box.encrypt('whsec_x'), topics: ['*'] };
    // Stored before the registration check existed, or by hand: the delivery-time check still holds.
    await insertEndpoint(t.db, { ...base, id: 'whe_inside', url: 'http://169.254.169.254/latest/' });
    await insertEndpoint(t.db, { ...base, id: 'whe_fake', url: `${fake}/hook` });
    const res = await app.request('/internal/v1/notifications/webhooks', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${serviceToken('tok', 'notification')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        client_id: 'cli_w',
        topic: 'reward.allocated',
        idempotency_key: 'k1',
        payload: {},
      }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { delivered: 1, refused: 1 });
  });

  it('the reward fulfilment endpoint: 400 OUTBOUND_REFUSED at path url', async () => {
    const res = await rewards.app.request('/v1/reward-fulfilment-endpoint', {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${keys.secret('acme', 'admin')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ url: 'http://10.0.0.8/payouts' }),
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
    assert.deepEqual([body.error.code, body.error.details[0]?.path], ['OUTBOUND_REFUSED', 'url']);
  });

  it('a stored URL pointing inside is refused at delivery too: the payout fails for good, not retried', async () => {
    const { saveEndpoint } = await import('../../services/reward/fulfilment/repo.ts');
    await saveEndpoint(
      rewards.test.db,
      'acme',
      `${fake}/payouts`,
      rewards.service.deps.secretBox.encrypt('whsec_test_secret_123'),
    );
    await rewards.register('acme', 'camp', {
      cash: { type: 'single', give: { category: 'cash', amount: 20, currency: 'USD' } },
    });
    const r = await rewards.service.allocate({
      clientId: 'acme',
      campaignId: 'camp',
      version: 1,
      rule: 'cash',
      participantId: 'p1',
      idempotencyKey: 'ssrf-1',
    });
    assert.ok(r.allocated && r.reward_id);
    const s = await rewards.service.fulfilNow('acme', r.reward_id);
    assert.equal(s.state, 'FAILED');
    assert.equal(seen.filter((x) => x.path === '/payouts').length, 0);
  });
});
