import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serviceMigrations } from '../../../app/migrations.ts';
import {
  createTestClickHouse,
  emptyEventRow,
  type TestClickHouse,
} from '../../../test/support/clickhouse.ts';
import { openTestPlatform } from '../../../test/support/platform.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';
import { testSecretBox } from '../../../test/support/secret-box.ts';
import { createEventApp } from '../../event/index.ts';
import { migrateClickHouse } from '../../platform/clickhouse-migrate.ts';
import { createRedis, type RedisHandle } from '../../platform/redis.ts';
import { createClientManagement } from '../index.ts';
import { createUsageMeter, USAGE_WARNING_HEADER, type UsageMeter } from './meter.ts';
import { monthOf, PLANS, type Plan } from './plans.ts';

const SERVICES_DIR = fileURLToPath(new URL('../../', import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/6';

const tiny: Plan = {
  ...(PLANS.starter as Plan),
  name: 'tiny',
  limits: { ...(PLANS.starter as Plan).limits, events_accepted: 10 },
};

/** The events limit on the real ingest, Redis counter and ClickHouse reconciliation. */
describe('usage: plan limits on the ingest', () => {
  let t: TestDatabase;
  let tch: TestClickHouse;
  let redis: RedisHandle;
  let meter: UsageMeter;
  let app: ReturnType<typeof createEventApp>;
  let cm: ReturnType<typeof createClientManagement>;
  const prefix = `pulse:test-usage:${randomBytes(4).toString('hex')}`;

  before(async () => {
    t = await createTestDatabase(serviceMigrations);
    tch = await createTestClickHouse((ch) => migrateClickHouse(ch, SERVICES_DIR).then(() => undefined));
    redis = createRedis(REDIS_URL);
    cm = createClientManagement(t.db, { hashSecret: 'h', secretBox: testSecretBox(), cacheMs: 0 });
    meter = createUsageMeter({
      db: t.db,
      ch: tch.ch,
      redis: redis.redis,
      prefix,
      plans: { ...PLANS, tiny },
    });
    app = createEventApp({
      db: t.db,
      resolver: cm.resolver,
      hashSecret: 'h',
      redis: redis.redis,
      quota: meter,
    });
  });
  after(async () => {
    const keys = await redis.redis.keys(`${prefix}:*`);
    if (keys.length) await redis.redis.del(...keys);
    redis.redis.disconnect();
    await tch.drop();
    await t.drop();
  });

  const send = (key: string, n: number, bad = 0) =>
    app.request('/v1/events/batch', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        events: [
          ...Array.from({ length: n }, () => ({
            event: 'page_viewed',
            event_id: randomUUID(),
            anonymous_id: 'a1',
          })),
          ...Array.from({ length: bad }, () => ({ event: 'page_viewed', event_id: 'not a uuid!' })),
        ],
      }),
    });

  it('warns from 80%, refuses past the limit with 429 naming it, and never touches another tenant', async () => {
    const a = await cm.createClient({ name: 'A', plan: 'tiny' });
    const b = await cm.createClient({ name: 'B', plan: 'tiny' });
    const month = monthOf(new Date());

    const r1 = await send(a.publishable.key, 7);
    assert.equal(r1.status, 202);
    assert.equal(r1.headers.get(USAGE_WARNING_HEADER), null, '70%: no warning yet');
    // A batch with one invalid event counts only what was accepted.
    const r2 = await send(a.publishable.key, 1, 1);
    assert.equal(r2.status, 202);
    assert.match(
      r2.headers.get(USAGE_WARNING_HEADER) ?? '',
      /^events_accepted=8\/10; percent=80; plan=tiny; resets=/,
    );
    assert.equal(await meter.counted(a.client.id, month), 8);

    const refused = await send(a.publishable.key, 3);
    assert.equal(refused.status, 429);
    const body = (await refused.json()) as {
      error: {
        code: string;
        message: string;
        details: { path: string; message: string; expected?: string }[];
      };
    };
    assert.equal(body.error.code, 'PLAN_LIMIT_EXCEEDED');
    assert.match(body.error.message, /plan tiny allows 10 events a month; 8 accepted/);
    assert.deepEqual(
      body.error.details.map((d) => d.path),
      ['limit', 'current', 'resets_at'],
    );
    assert.equal(body.error.details[1]?.message, '8');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.equal(await meter.counted(a.client.id, month), 8, 'a refused request counts nothing');

    // Tenant B is on the same plan and is not affected by A being near or over its limit.
    const rb = await send(b.publishable.key, 5);
    assert.equal(rb.status, 202);
    assert.equal(rb.headers.get(USAGE_WARNING_HEADER), null);

    const r3 = await send(a.publishable.key, 2);
    assert.equal(r3.status, 202);
    assert.match(r3.headers.get(USAGE_WARNING_HEADER) ?? '', /percent=100/);
    assert.equal((await send(a.publishable.key, 1)).status, 429);
    assert.equal((await send(b.publishable.key, 1)).status, 202, 'B still sends after A is refused');

    // One notice per threshold, however many requests crossed it.
    await new Promise((r) => setTimeout(r, 100));
    const notices = await meter.notices(a.client.id, month);
    assert.deepEqual(
      notices.map((n) => [n.metric, n.threshold]),
      [
        ['events_accepted', 80],
        ['events_accepted', 100],
      ],
    );
    assert.deepEqual(await meter.notices(b.client.id, month), []);
    // Metrics metered later (participants, journeys, rewards) warn the same way, once.
    assert.equal(await meter.warnIfNear(b.client.id, month, 'rewards_issued', 9, 10), 80);
    assert.equal(await meter.warnIfNear(b.client.id, month, 'rewards_issued', 9, 10), 80);
    assert.equal(await meter.warnIfNear(b.client.id, month, 'journeys_started', 3, 10), null);
    assert.deepEqual(
      (await meter.notices(b.client.id, month)).map((n) => [n.metric, n.threshold]),
      [['rewards_issued', 80]],
    );
  });

  it('reconciles the Redis counter from ClickHouse (raised when Redis lost it, never lowered)', async () => {
    const c = await cm.createClient({ name: 'C', plan: 'tiny' });
    const month = monthOf(new Date());
    const now = new Date().toISOString().slice(0, 19).replace('T', ' ');
    await tch.ch.insert(
      'events',
      Array.from({ length: 6 }, () =>
        emptyEventRow({
          event_id: randomUUID(),
          event: 'page_viewed',
          client_id: c.client.id,
          occurred_at: now,
          received_at: now,
        }),
      ),
    );
    assert.equal(await meter.counted(c.client.id, month), 0, 'the counter lost what ClickHouse holds');
    assert.deepEqual(await meter.reconcile(c.client.id, month), { counter: 6, clickhouse: 6 });
    // Now 6 of 10: a batch of 5 goes over.
    assert.equal((await send(c.publishable.key, 5)).status, 429);
    assert.equal((await send(c.publishable.key, 2)).status, 202);
    // Events still on their way (counted, not in ClickHouse yet) keep the counter above ClickHouse.
    assert.deepEqual(await meter.reconcile(c.client.id, month), { counter: 8, clickhouse: 6 });
    // The periodic job does the same for every active client.
    await redis.redis.del(`${prefix}:${c.client.id}:${month}:events`);
    assert.ok((await meter.reconcileAll()) >= 1);
    assert.equal(await meter.counted(c.client.id, month), 6);
  });
});

describe('usage: GET /v1/usage on the composed platform', () => {
  it('reports the month’s events, participants, journeys and rewards against the plan', async () => {
    const tp = await openTestPlatform();
    try {
      const platform = tp.build();
      const { client, secret, publishable } = await platform.clientManagement.createClient({
        name: 'U',
        plan: 'growth',
      });
      const ev = (participant: string) => ({
        event: 'page_viewed',
        event_id: randomUUID(),
        participant_id: participant,
      });
      const res = await platform.app.request('/v1/events/batch', {
        method: 'POST',
        headers: { authorization: `Bearer ${publishable.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events: [ev('u1'), ev('u2'), ev('u1')] }),
      });
      assert.equal(res.status, 202);
      platform.drainer.start();
      await platform.drainer.settle(20_000);
      await platform.drainer.stop();
      const get = (q: string, key = secret.key) =>
        platform.app.request(`/v1/usage${q}`, { headers: { authorization: `Bearer ${key}` } });
      const r = await get('');
      assert.equal(r.status, 200);
      const { usage } = (await r.json()) as {
        usage: {
          plan: string;
          month: string;
          metrics: Record<string, { value: number; limit: number | null }>;
        };
      };
      assert.equal(usage.plan, 'growth');
      assert.equal(usage.month, monthOf(new Date()));
      assert.equal(usage.metrics.events_accepted?.value, 3);
      assert.equal(usage.metrics.events_accepted?.limit, 5_000_000);
      assert.equal(usage.metrics.monthly_active_participants?.value, 2);
      assert.equal(usage.metrics.journeys_started?.value, 0);
      assert.equal(usage.metrics.rewards_issued?.value, 0);
      const bad = await get('?month=2026-13');
      assert.equal(bad.status, 400);
      assert.equal(
        ((await bad.json()) as { error: { details: { path: string }[] } }).error.details[0]?.path,
        'month',
      );
      const viewer = await platform.clientManagement.issueKey(client.id, 'secret', 'viewer');
      assert.equal((await get('', viewer.key)).status, 403);
      // The platform admin reads the same figures per client; a client's own owner may not.
      const admin = (await platform.clientManagement.issueKey(null, 'admin')).key;
      const asAdmin = (id: string, q = '', key = admin) =>
        platform.app.request(`/v1/admin/clients/${id}/usage${q}`, {
          headers: { authorization: `Bearer ${key}` },
        });
      const seen = (await (await asAdmin(client.id)).json()) as {
        usage: typeof usage & { client_id: string };
      };
      assert.equal(seen.usage.client_id, client.id);
      assert.deepEqual(seen.usage.metrics, usage.metrics);
      assert.equal((await asAdmin(client.id, '', secret.key)).status, 403);
      assert.equal((await asAdmin('cli_nobody')).status, 404);
      assert.equal((await asAdmin(client.id, '?month=26-1')).status, 400);
    } finally {
      await tp.close();
    }
  });
});
