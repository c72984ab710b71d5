import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type ServerType, serve } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import { createTemporalClient } from '../engine/client.ts';
import { createPlatform } from '../services/app.ts';
import { createSmtpMailer } from '../services/notification/index.ts';
import { createPostgresBus } from '../services/platform/bus/postgres-bus.ts';
import { createClickHouse } from '../services/platform/clickhouse.ts';
import { loadConfig } from '../services/platform/config.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.ts';
import { createApiClient } from './api-client.ts';
import { serviceMigrations } from './migrations.ts';

const SIGNUP = await readFile(new URL('../campaigns/signup.pulse.yaml', import.meta.url), 'utf8');

describe('the typed API client', () => {
  let t: TestDatabase;
  let temporal: Client;
  let server: ServerType;
  let url: string;
  let adminKey: string;

  before(async () => {
    t = await createTestDatabase(serviceMigrations);
    const config = loadConfig({ ...process.env, DATABASE_URL: t.url });
    temporal = await createTemporalClient(config.temporalAddress);
    const platform = createPlatform({
      config,
      db: t.db,
      ch: createClickHouse(config.clickhouseUrl, config.clickhouseDatabase),
      bus: createPostgresBus({ db: t.db }),
      mailer: createSmtpMailer({ host: '127.0.0.1', port: 9, from: 'x@pulse.test' }),
      temporal,
    });
    adminKey = (await platform.clientManagement.issueKey(null, 'admin')).key;
    server = serve({ fetch: platform.app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await temporal.connection.close();
    await t.drop();
  });

  it('calls real endpoints over HTTP with typed bodies and answers', async () => {
    const admin = createApiClient({ url, apiKey: adminKey });
    const created = await admin.POST('/v1/admin/clients', { body: { name: 'Typed Co' } });
    assert.equal(created.response.status, 201);
    const secret = created.data?.keys.secret.key;
    assert.match(secret ?? '', /^sk_/);

    const api = createApiClient({ url: `${url}/`, apiKey: secret ?? '' });
    const me = await api.GET('/v1/client');
    assert.equal(me.data?.client.name, 'Typed Co');

    const deployed = await api.POST('/v1/campaigns/deploy', {
      body: { source: SIGNUP, file: 'campaigns/signup.pulse.yaml' },
    });
    assert.equal(deployed.response.status, 201, JSON.stringify(deployed.error));
    assert.equal(deployed.data?.pulse, 'signup');

    const list = await api.GET('/v1/campaigns', { params: { query: { limit: 1 } } });
    assert.deepEqual(
      list.data?.data.map((c) => c.id),
      [deployed.data?.campaign_id],
    );
    assert.equal(list.data?.has_more, false);
    assert.equal(list.data?.next_cursor, null);

    const one = await api.GET('/v1/campaigns/{id}', {
      params: { path: { id: deployed.data?.campaign_id ?? '' } },
    });
    assert.equal(one.data?.versions[0]?.version, 1);
  });

  it('returns the shared error shape, with field paths for a bad body', async () => {
    const admin = createApiClient({ url, apiKey: adminKey });
    const missing = await admin.PATCH('/v1/admin/clients/{id}', {
      params: { path: { id: 'cli_nope' } },
      body: { status: 'suspended' },
    });
    assert.equal(missing.response.status, 404);
    assert.equal(missing.error?.error.code, 'NOT_FOUND');

    const bad = await admin.POST('/v1/admin/clients', {
      // @ts-expect-error: `name` must be a string; tsc refuses this call, the server answers 400.
      body: { name: 42 },
    });
    assert.equal(bad.response.status, 400);
    assert.equal(bad.error?.error.code, 'VALIDATION_FAILED');
    assert.equal(bad.error?.error.details?.[0]?.path, 'name');

    const anonymous = await createApiClient({ url }).GET('/v1/client');
    assert.equal(anonymous.response.status, 401);
    assert.equal(anonymous.error?.error.code, 'UNAUTHORIZED');
  });
});
