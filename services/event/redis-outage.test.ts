import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fakeResolver, sampleEvent } from '../../test/support/event.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { loadConfig } from '../platform/config.ts';
import { createRedis } from '../platform/redis.ts';
import { createEventApp } from './index.ts';
import { migrations } from './migrations/index.ts';
import { createFallbackRateLimiter, createMemoryRateLimiter, createRedisRateLimiter } from './rate-limit.ts';

/** A port on 127.0.0.1 nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const resolver = fakeResolver({ pk_live: { clientId: 'cli_a' } });
const post = (app: ReturnType<typeof createEventApp>) =>
  app.request('/v1/events', {
    method: 'POST',
    body: JSON.stringify(sampleEvent()),
    headers: { 'content-type': 'application/json', authorization: 'Bearer pk_live' },
  });

describe('event ingest while Redis is unreachable', () => {
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createTestDatabase({ event: migrations });
  });
  after(() => tdb.drop());

  for (const outage of ['closed port', 'accepts but never answers'] as const) {
    test(`${outage}: 20 events answer 202 fast on the in-process limiter, logged once`, async () => {
      let port: number;
      let blackhole: Server | undefined;
      const held: Socket[] = [];
      if (outage === 'closed port') port = await closedPort();
      else {
        blackhole = createServer((s) => {
          held.push(s);
          s.on('error', () => {});
        });
        await new Promise<void>((r) => blackhole?.listen(0, '127.0.0.1', () => r()));
        port = (blackhole.address() as { port: number }).port;
      }
      const config = loadConfig({ REDIS_URL: `redis://127.0.0.1:${port}` });
      const redisLog: string[] = [];
      const limiterLog: string[] = [];
      const handle = createRedis(config.redisUrl as string, { log: (m) => redisLog.push(m) });
      const app = createEventApp({
        db: tdb.db,
        resolver,
        hashSecret: 'test',
        redis: handle.redis,
        log: (m) => limiterLog.push(m),
      });
      try {
        const times: number[] = [];
        for (let i = 0; i < 20; i++) {
          const t0 = performance.now();
          const res = await post(app);
          times.push(performance.now() - t0);
          assert.equal(res.status, 202, `request ${i}: ${await res.text()}`);
        }
        const max = Math.max(...times);
        const first = times[0] ?? 0;
        const rest = times.slice(1).reduce((a, b) => a + b, 0) / (times.length - 1);
        console.log(
          `redis ${outage}: first ${first.toFixed(1)} ms, mean of the other 19 ${rest.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
        );
        assert.ok(max < 1_000, `every request under 1 s, slowest ${max.toFixed(0)} ms`);
        assert.equal(limiterLog.length, 1, `degradation logged once: ${JSON.stringify(limiterLog)}`);
        assert.match(limiterLog[0] ?? '', /unavailable/);
        // The client's own outage log is once per outage too, however many reconnects fail meanwhile.
        assert.ok(redisLog.length <= 1, JSON.stringify(redisLog));
      } finally {
        handle.redis.disconnect();
        for (const s of held) s.destroy();
        await new Promise<void>((r) => (blackhole ? blackhole.close(() => r()) : r()));
      }
    });
  }

  test('the fallback counts what it decided, probes Redis once per interval, and still limits', async () => {
    const handle = createRedis(`redis://127.0.0.1:${await closedPort()}`, { log: () => {} });
    let clock = 0;
    const limiter = createFallbackRateLimiter(
      createRedisRateLimiter(handle.redis),
      createMemoryRateLimiter({ capacity: 5, refillPerSecond: 1 }, () => clock),
      { log: () => {}, now: () => clock, probeAfterMs: 1_000 },
    );
    try {
      const decisions = [];
      for (let i = 0; i < 8; i++) decisions.push(await limiter.take('cli_a', 1));
      assert.deepEqual(
        decisions.map((d) => d.allowed),
        [true, true, true, true, true, false, false, false],
        'the in-process bucket still enforces the policy',
      );
      assert.deepEqual(limiter.stats(), { fallbacks: 8, outages: 1, degraded: true });
      clock = 1_500;
      await limiter.take('cli_a', 1);
      assert.deepEqual(limiter.stats(), { fallbacks: 9, outages: 1, degraded: true }, 'one outage, not two');
    } finally {
      handle.redis.disconnect();
    }
  });
});
