import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { createMemoryRateLimiter, createRedisRateLimiter } from './rate-limit.ts';

let redis: Redis;
before(() => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    lazyConnect: false,
    maxRetriesPerRequest: 1,
  });
});
after(() => redis.quit());

test('redis token bucket: burst up to capacity, then 429 advice, shared across limiter instances', async () => {
  const key = `test_${randomUUID()}`;
  const a = createRedisRateLimiter(redis, { capacity: 10, refillPerSecond: 2 }, 'pulse:test:rl:');
  const b = createRedisRateLimiter(redis, { capacity: 10, refillPerSecond: 2 }, 'pulse:test:rl:');
  assert.equal((await a.take(key, 6)).allowed, true);
  assert.equal((await b.take(key, 4)).allowed, true);
  const denied = await a.take(key, 2);
  assert.equal(denied.allowed, false);
  assert.ok(
    denied.retryAfterMs > 500 && denied.retryAfterMs <= 1000,
    `retry in ~1 s, got ${denied.retryAfterMs}`,
  );
  await new Promise((r) => setTimeout(r, 600));
  assert.equal((await b.take(key, 1)).allowed, true, 'refilled');
  await redis.del(`pulse:test:rl:${key}`);
});

test('redis limiter keeps clients apart', async () => {
  const l = createRedisRateLimiter(redis, { capacity: 1, refillPerSecond: 0.1 }, 'pulse:test:rl:');
  const [x, y] = [`x_${randomUUID()}`, `y_${randomUUID()}`];
  assert.equal((await l.take(x, 1)).allowed, true);
  assert.equal((await l.take(x, 1)).allowed, false);
  assert.equal((await l.take(y, 1)).allowed, true);
});

test('redis unavailable is a retryable 503, not a silent pass', async () => {
  const dead = new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  dead.on('error', () => {});
  const l = createRedisRateLimiter(dead, { capacity: 5, refillPerSecond: 1 });
  await assert.rejects(l.take('k', 1), (e: { code?: string }) => e.code === 'UPSTREAM_UNAVAILABLE');
  dead.disconnect();
});

test('in-process limiter refills with time', async () => {
  let t = 0;
  const l = createMemoryRateLimiter({ capacity: 2, refillPerSecond: 1 }, () => t);
  assert.equal((await l.take('c', 2)).allowed, true);
  const d = await l.take('c', 1);
  assert.deepEqual([d.allowed, d.retryAfterMs], [false, 1000]);
  t = 1000;
  assert.equal((await l.take('c', 1)).allowed, true);
});
