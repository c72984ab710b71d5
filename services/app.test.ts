import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { serviceMigrations } from '../app/migrations.ts';
import { createTemporalClient } from '../engine/client.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.ts';
import { createPlatform, SERVICE_NAMES, type ServiceName } from './app.ts';
import { createSmtpMailer } from './notification/index.ts';
import { createPostgresBus } from './platform/bus/postgres-bus.ts';
import { createClickHouse } from './platform/clickhouse.ts';
import { loadConfig } from './platform/config.ts';

/** One unauthenticated request per service that only that service answers (401 = mounted, 404 = not). */
const PROBES: Record<ServiceName, [method: string, path: string]> = {
  'client-management': ['GET', '/v1/admin/clients'],
  campaign: ['GET', '/v1/campaigns'],
  workflow: ['GET', '/v1/journeys/cmp_x/user-1'],
  event: ['POST', '/v1/events'],
  referral: ['GET', '/v1/referrals/codes/ABCDEFGH'],
  reward: ['GET', '/v1/rewards'],
  analytics: ['GET', '/v1/analytics/funnel'],
  notification: ['GET', '/v1/notifications/participants/p1'],
};

describe('the eight services', () => {
  let t: TestDatabase;
  let temporal: Client;
  let build: (only?: readonly ServiceName[]) => ReturnType<typeof createPlatform>;

  before(async () => {
    t = await createTestDatabase(serviceMigrations);
    const config = loadConfig({ ...process.env, DATABASE_URL: t.url });
    temporal = await createTemporalClient(config.temporalAddress);
    const ch = createClickHouse(config.clickhouseUrl, config.clickhouseDatabase);
    const bus = createPostgresBus({ db: t.db });
    const mailer = createSmtpMailer({ host: '127.0.0.1', port: 9, from: 'x@pulse.test' });
    build = (only) => createPlatform({ config, db: t.db, ch, bus, mailer, temporal }, only);
  });
  after(async () => {
    await temporal.connection.close();
    await t.drop();
  });

  it('mount together in one app, each answering its own routes', async () => {
    const { app } = build();
    for (const name of SERVICE_NAMES) {
      const [method, path] = PROBES[name];
      const res = await app.request(path, { method });
      assert.equal(res.status, 401, `${name}: ${method} ${path} → ${res.status}`);
    }
    assert.equal((await app.request('/health')).status, 200);
  });

  for (const name of SERVICE_NAMES) {
    it(`${name} runs alone and serves nothing of the others`, async () => {
      const { app, apps } = build([name]);
      assert.deepEqual(Object.keys(apps), [name]);
      const [method, path] = PROBES[name];
      assert.equal((await app.request(path, { method })).status, 401);
      for (const other of SERVICE_NAMES.filter((n) => n !== name)) {
        const [m, p] = PROBES[other];
        assert.equal(
          (await app.request(p, { method: m })).status,
          404,
          `${name} alone must not serve ${other}`,
        );
      }
    });
  }
});
