import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { createMemoryRateLimiter, createRedisRateLimiter } from './token-bucket.ts';

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

test('redis limiter leases tokens under load: few Redis calls, never more than the bucket holds', async () => {
  const key = `lease_${randomUUID()}`;
  const policy = { capacity: 1_000, refillPerSecond: 0.001 };
  let calls = 0;
  const counted = new Proxy(redis, {
    get(target, prop, receiver) {
      if (prop === 'evalsha' || prop === 'eval') calls++;
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const a = createRedisRateLimiter(counted, policy, 'pulse:test:rl:');
  const b = createRedisRateLimiter(counted, policy, 'pulse:test:rl:');
  let admitted = 0;
  let callsWhileAdmitting = 0;
  for (let i = 0; i < 60; i++) {
    // Concurrent requests on both replicas, as under load.
    const ds = await Promise.all([a, b, a, b].map((l) => l.take(key, 10)));
    for (const d of ds) if (d.allowed) admitted += 10;
    if (ds.every((d) => d.allowed)) callsWhileAdmitting = calls;
  }
  assert.ok(admitted <= 1_000, `admitted ${admitted} of a 1000-token bucket`);
  // What the replicas still hold in their leases is at most one lease (10 % of capacity) each.
  assert.ok(admitted >= 800, `admitted ${admitted}: leases must not waste more than one lease per replica`);
  // Refusals are always asked of Redis (exact Retry-After); admissions mostly come from the leases.
  assert.ok(callsWhileAdmitting < 30, `${callsWhileAdmitting} Redis calls for ~80 admitted requests`);
  await redis.del(`pulse:test:rl:${key}`);
});

test('redis limiter asks for exactly what a sparse client needs (no lease without recent demand)', async () => {
  const key = `sparse_${randomUUID()}`;
  let t = 0;
  const l = createRedisRateLimiter(
    redis,
    { capacity: 100, refillPerSecond: 0.001 },
    'pulse:test:rl:',
    {},
    () => t,
  );
  for (let i = 0; i < 10; i++) {
    assert.equal((await l.take(key, 10)).allowed, true);
    t += 1_000; // one request a second: each lease would expire unused
  }
  assert.equal((await l.take(key, 1)).allowed, false, 'all 100 tokens went to the 10 requests');
  await redis.del(`pulse:test:rl:${key}`);
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
