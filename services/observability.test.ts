import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { createTemporalClient } from '../engine/client.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.ts';
import { migrations as eventMigrations } from './event/migrations/index.ts';
import { createObservability } from './observability.ts';
import { busMigrations, createPostgresBus } from './platform/bus/postgres-bus.ts';
import { createClickHouse } from './platform/clickhouse.ts';
import { loadConfig } from './platform/config.ts';
import { createDb } from './platform/db.ts';

/** A port that accepts connections and never answers: the worst kind of dead dependency. */
async function blackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Ready {
  ok: boolean;
  status: string;
  checks: Record<string, { status: string; latency_ms: number; error?: string; required: boolean }>;
}

describe('health: liveness and readiness', () => {
  let t: TestDatabase;
  let temporal: Client;
  before(async () => {
    t = await createTestDatabase({ event: eventMigrations, bus: busMigrations });
    temporal = await createTemporalClient(loadConfig().temporalAddress);
  });
  after(async () => {
    await temporal?.connection.close();
    await t?.drop();
  });

  it('is ready when Postgres, ClickHouse, Temporal and the bus answer, each with its latency', async () => {
    const config = loadConfig();
    const ch = createClickHouse(config.clickhouseUrl, config.clickhouseDatabase);
    const bus = createPostgresBus({ db: t.db });
    try {
      const { app } = createObservability({
        db: t.db,
        ch,
        bus,
        temporal,
        services: ['event'],
        metricsToken: undefined,
      });
      const res = await app.request('/health/ready');
      const body = (await res.json()) as Ready;
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.status, 'ready');
      assert.deepEqual(Object.keys(body.checks).sort(), ['bus', 'clickhouse', 'postgres', 'temporal']);
      for (const [name, c] of Object.entries(body.checks)) {
        assert.equal(c.status, 'up', name);
        assert.equal(typeof c.latency_ms, 'number');
      }
      const alias = await app.request('/health');
      assert.equal(alias.status, 200);
      assert.deepEqual(((await alias.json()) as { services: string[] }).services, ['event']);
      const live = await app.request('/health/live');
      assert.equal(live.status, 200);
      assert.equal(((await live.json()) as { status: string }).status, 'live');
    } finally {
      await bus.close();
      await ch.close();
    }
  });

  it('answers 503 within its timeout when every dependency hangs, naming each, without secrets', async () => {
    const hole = await blackHole();
    const db = createDb(`postgres://postgres:s3cret-pw@127.0.0.1:${hole.port}/pulse`, 2, {
      connectionTimeoutMs: 30_000,
    });
    const ch = createClickHouse(`http://127.0.0.1:${hole.port}`, 'pulse');
    const deadTemporal = new Client({
      connection: Connection.lazy({ address: `127.0.0.1:${hole.port}`, connectTimeout: 30_000 }),
    });
    const bus = createPostgresBus({ db });
    try {
      const { app } = createObservability({
        db,
        ch,
        bus,
        temporal: deadTemporal,
        services: ['event'],
        metricsToken: undefined,
        readyTimeoutMs: 400,
      });
      const started = performance.now();
      const res = await app.request('/health/ready');
      const elapsed = performance.now() - started;
      const body = (await res.json()) as Ready;
      assert.equal(res.status, 503);
      assert.equal(body.status, 'unready');
      console.log(
        `readiness with every dependency hanging: 503 in ${Math.round(elapsed)} ms (timeout 400 ms)`,
      );
      assert.ok(elapsed < 2_000, `readiness took ${Math.round(elapsed)} ms`);
      for (const name of ['postgres', 'clickhouse', 'temporal', 'bus']) {
        assert.equal(body.checks[name]?.status, 'down', name);
        assert.ok(body.checks[name]?.error, `${name} has a reason`);
      }
      assert.ok(!JSON.stringify(body).includes('s3cret-pw'));
      // The alias answers the same; liveness does not ask the dependencies.
      assert.equal((await app.request('/health')).status, 503);
      const liveStarted = performance.now();
      assert.equal((await app.request('/health/live')).status, 200);
      assert.ok(performance.now() - liveStarted < 200);
    } finally {
      await hole.close();
      await bus.close().catch(() => {});
      await ch.close().catch(() => {});
      await db.destroy().catch(() => {});
    }
  });
});

describe('/metrics access', () => {
  const build = (token: string | undefined) =>
    createObservability({
      db: createDb('postgres://postgres@127.0.0.1:9/none', 1),
      ch: createClickHouse('http://127.0.0.1:9', 'none'),
      bus: {
        publish: async () => {},
        publishMany: async () => {},
        subscribe: async () => ({ stop: async () => {} }),
        close: async () => {},
      },
      temporal: new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) }),
      services: [],
      metricsToken: token,
    }).app;

  it('with PULSE_METRICS_TOKEN, only the bearer of that token may scrape', async () => {
    const app = build('metrics-token-of-this-test-0123456789');
    assert.equal((await app.request('/metrics')).status, 401);
    const wrong = await app.request('/metrics', { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    const right = await app.request('/metrics', {
      headers: { authorization: 'Bearer metrics-token-of-this-test-0123456789' },
    });
    assert.equal(right.status, 200);
    const text = await right.text();
    assert.match(text, /^# HELP pulse_http_requests_total /m);
    // The gauges whose database is dead are left out of the scrape and counted, not a 500.
    assert.match(text, /pulse_metrics_source_errors_total\{source="pulse_event_outbox_pending_events"\} \d/);
  });

  it('without a token, callers off the loopback interface are refused', async () => {
    const res = await build(undefined).request('/metrics');
    assert.equal(res.status, 403);
  });
});
