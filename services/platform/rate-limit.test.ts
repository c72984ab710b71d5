import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { Redis } from 'ioredis';
import { serviceMigrations } from '../../app/migrations.ts';
import { createTemporalClient } from '../../engine/client.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { createPlatform } from '../app.ts';
import { createSmtpMailer } from '../notification/index.ts';
import { createPostgresBus } from './bus/postgres-bus.ts';
import { createClickHouse } from './clickhouse.ts';
import { DEFAULT_RATE_LIMITS, loadConfig } from './config.ts';

const FIELDS = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'];

/** Requests as if from `ip` (the node server's socket), with an optional key. */
const from = (ip: string) => ({ incoming: { socket: { remoteAddress: ip } } });
const bearer = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

describe('rate limits on every public route', () => {
  let t: TestDatabase;
  let temporal: Client;
  let redis: Redis;
  let build: (env: Record<string, string>, withRedis?: boolean) => ReturnType<typeof createPlatform>;

  before(async () => {
    t = await createTestDatabase(serviceMigrations);
    const base = loadConfig({ ...process.env, DATABASE_URL: t.url });
    temporal = await createTemporalClient(base.temporalAddress);
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    const ch = createClickHouse(base.clickhouseUrl, base.clickhouseDatabase);
    const bus = createPostgresBus({ db: t.db });
    const mailer = createSmtpMailer({ host: '127.0.0.1', port: 9, from: 'x@pulse.test' });
    build = (env, withRedis = false) =>
      createPlatform({
        config: loadConfig({ ...process.env, DATABASE_URL: t.url, ...env }),
        db: t.db,
        ch,
        bus,
        mailer,
        temporal,
        ...(withRedis ? { redis } : {}),
      });
  });
  after(async () => {
    await temporal.connection.close();
    redis.disconnect();
    await t.drop();
  });

  it('answers with RateLimit-* fields on routes of every service, with and without a key', async () => {
    const { app, clientManagement } = build({});
    const { secret, publishable } = await clientManagement.createClient({ name: 'Headers' });
    const admin = await clientManagement.issueKey(null, 'admin');
    const probes: [string, RequestInit][] = [
      ['/health', {}],
      ['/v1/campaigns', bearer(secret.key)],
      ['/v1/admin/clients', bearer(admin.key)],
      ['/v1/journeys/cmp_x/user-1', bearer(secret.key)],
      ['/v1/events', { method: 'POST', body: '{}', ...bearer(publishable.key) }],
      ['/v1/referrals/codes/ABCDEFGH', bearer(publishable.key)],
      ['/r/cli_x/ABCDEFGH', {}],
      ['/v1/rewards', bearer(secret.key)],
      ['/v1/analytics/funnel', bearer(secret.key)],
      ['/v1/notifications/participants/p1', bearer(secret.key)],
      ['/v1/campaigns', {}], // 401: no key
      ['/v1/campaigns', bearer('sk_not_a_key')], // 401: unknown key
      ['/v1/no-such-route', {}], // 404
    ];
    for (const [path, init] of probes) {
      const res = await app.request(path, init, from('192.0.2.1'));
      assert.ok(res.status < 500, `${path} → ${res.status}`);
      for (const f of FIELDS) assert.ok(res.headers.get(f), `${path} (${res.status}) lacks ${f}`);
    }
    const keyed = await app.request('/v1/campaigns', bearer(secret.key), from('192.0.2.1'));
    assert.equal(keyed.status, 200);
    assert.equal(keyed.headers.get('RateLimit-Limit'), String(DEFAULT_RATE_LIMITS.key.burst));
    assert.match(keyed.headers.get('RateLimit-Policy') ?? '', /comment="key".*comment="client"/);
    assert.ok(Number(keyed.headers.get('RateLimit-Remaining')) < DEFAULT_RATE_LIMITS.key.burst);
    // Service-to-service routes are not counted (they carry the service token, not a client key).
    const internal = await app.request('/internal/v1/campaigns/x', {}, from('192.0.2.1'));
    assert.equal(internal.headers.get('RateLimit-Limit'), null);
  });

  for (const withRedis of [false, true]) {
    const where = withRedis ? 'Redis' : 'in process';
    it(`${where}: a spent key budget is 429 with Retry-After; another client's key still passes`, async () => {
      const { app, clientManagement } = build(
        { PULSE_RATE_KEY: '3/0.01', PULSE_RATE_CLIENT: '5/0.01' },
        withRedis,
      );
      const a = await clientManagement.createClient({ name: 'A' });
      const b = await clientManagement.createClient({ name: 'B' });
      const ip = from(`198.51.100.${withRedis ? 2 : 1}`);
      const get = (key: string) => app.request('/v1/campaigns', bearer(key), ip);
      for (let i = 0; i < 3; i++) {
        const res = await get(a.secret.key);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('RateLimit-Remaining'), String(2 - i));
      }
      const refused = await get(a.secret.key);
      assert.equal(refused.status, 429);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'RATE_LIMITED');
      assert.match(body.error.message, /API key/);
      assert.ok(Number(refused.headers.get('Retry-After')) >= 1);
      assert.equal(refused.headers.get('RateLimit-Remaining'), '0');
      assert.equal(refused.headers.get('RateLimit-Limit'), '3');
      assert.equal((await get(b.secret.key)).status, 200, 'another client is not affected');

      // A's other key has its own key budget but shares A's client budget (5): 2 more, then refused.
      const second = await clientManagement.issueKey(a.client.id, 'secret', 'owner');
      assert.equal((await get(second.key)).status, 200);
      assert.equal((await get(second.key)).status, 200);
      const clientSpent = await get(second.key);
      assert.equal(clientSpent.status, 429);
      assert.match(((await clientSpent.json()) as { error: { message: string } }).error.message, /client/);
      assert.equal((await get(b.secret.key)).status, 200);
    });
  }

  it('repeated bad keys from one address are throttled; other addresses and valid keys are not', async () => {
    const { app, clientManagement } = build({ PULSE_RATE_AUTH_FAILURES: '4/0.01' });
    const { secret } = await clientManagement.createClient({ name: 'Victim' });
    const attacker = from('203.0.113.7');
    const guess = () => bearer(`sk_${randomUUID().replaceAll('-', '')}`);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await app.request('/v1/campaigns', guess(), attacker)).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 429, 429]);
    const refused = await app.request('/v1/rewards', guess(), attacker);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('Retry-After')) >= 1);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /failed auth/);
    assert.equal((await app.request('/v1/campaigns', guess(), from('203.0.113.8'))).status, 401);
    assert.equal((await app.request('/v1/campaigns', bearer(secret.key), attacker)).status, 200);
  });

  it('missing-key 401s count too, and unauthenticated traffic has a per-address budget', async () => {
    const { app } = build({ PULSE_RATE_AUTH_FAILURES: '2/0.01', PULSE_RATE_ANONYMOUS: '5/0.01' });
    const ip = from('203.0.113.20');
    assert.equal((await app.request('/v1/campaigns', {}, ip)).status, 401);
    assert.equal((await app.request('/v1/campaigns', {}, ip)).status, 401);
    assert.equal((await app.request('/v1/campaigns', bearer('sk_guess'), ip)).status, 429);
    // 2 of 5 anonymous requests spent (the refused guess spent none); 3 more, then refused.
    for (let i = 0; i < 3; i++) assert.equal((await app.request('/health', {}, ip)).status, 200);
    const refused = await app.request('/health', {}, ip);
    assert.equal(refused.status, 429);
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /address/);
    assert.equal((await app.request('/health', {}, from('203.0.113.21'))).status, 200);
  });

  it('refuses a malformed budget at boot', () => {
    assert.throws(
      () => loadConfig({ PULSE_RATE_KEY: 'lots' }),
      /PULSE_RATE_KEY must be <burst>\/<per second>/,
    );
    assert.throws(() => loadConfig({ PULSE_RATE_AUTH_FAILURES: '0/1' }), /PULSE_RATE_AUTH_FAILURES/);
  });
});
