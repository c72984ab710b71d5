import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '../platform/errors.ts';

/**
 * Per-client token buckets: `capacity` tokens (the burst), refilled at `refillPerSecond`; one event costs
 * one token, so a batch of 100 events costs 100.
 */
export interface RateLimitPolicy {
  capacity: number;
  refillPerSecond: number;
}

export interface RateDecision {
  allowed: boolean;
  /** How long until `cost` tokens are available again (0 when allowed). */
  retryAfterMs: number;
  remaining: number;
}

export interface RateLimiter {
  take(key: string, cost: number): Promise<RateDecision>;
}

export const DEFAULT_RATE_LIMIT: RateLimitPolicy = { capacity: 2_000, refillPerSecond: 500 };

// Runs atomically inside Redis, so every event-service replica shares one bucket per client. Redis's own
// clock (TIME) is used so replicas with skewed clocks agree. Returns {allowed, retryAfterMs, remaining}.
const TOKEN_BUCKET_LUA = `
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or capacity
local ts = tonumber(b[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * per_ms)
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = math.ceil((cost - tokens) / per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms) + 1000)
return {allowed, retry, math.floor(tokens)}
`;

/** Redis-backed limiter shared by all replicas. A Redis failure is a 503 (retryable), never a silent pass. */
export function createRedisRateLimiter(
  redis: Redis,
  policy: RateLimitPolicy = DEFAULT_RATE_LIMIT,
  prefix = 'pulse:rl:',
): RateLimiter {
  const perMs = policy.refillPerSecond / 1000;
  return {
    async take(key, cost) {
      const c = Math.min(cost, policy.capacity);
      try {
        const r = (await evalScript(redis, prefix + key, [policy.capacity, perMs, c])) as number[];
        return { allowed: r[0] === 1, retryAfterMs: Number(r[1] ?? 0), remaining: Number(r[2] ?? 0) };
      } catch (err) {
        throw new AppError('UPSTREAM_UNAVAILABLE', `rate limiter unavailable: ${(err as Error).message}`);
      }
    },
  };
}

const SCRIPT_SHA = createHash('sha1').update(TOKEN_BUCKET_LUA).digest('hex');

/** EVALSHA first (the script body is sent once per Redis restart, not per request). */
async function evalScript(redis: Redis, key: string, args: number[]): Promise<unknown> {
  try {
    return await redis.evalsha(SCRIPT_SHA, 1, key, ...args);
  } catch (err) {
    if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
    return redis.eval(TOKEN_BUCKET_LUA, 1, key, ...args);
  }
}

/** In-process limiter for a single replica (used when no Redis is configured, and in unit tests). */
export function createMemoryRateLimiter(
  policy: RateLimitPolicy = DEFAULT_RATE_LIMIT,
  now: () => number = Date.now,
): RateLimiter {
  const perMs = policy.refillPerSecond / 1000;
  const buckets = new Map<string, { tokens: number; ts: number }>();
  return {
    async take(key, cost) {
      const c = Math.min(cost, policy.capacity);
      const t = now();
      const b = buckets.get(key) ?? { tokens: policy.capacity, ts: t };
      b.tokens = Math.min(policy.capacity, b.tokens + Math.max(0, t - b.ts) * perMs);
      b.ts = t;
      buckets.set(key, b);
      if (buckets.size > 100_000) buckets.clear();
      if (b.tokens >= c) {
        b.tokens -= c;
        return { allowed: true, retryAfterMs: 0, remaining: Math.floor(b.tokens) };
      }
      return {
        allowed: false,
        retryAfterMs: Math.ceil((c - b.tokens) / perMs),
        remaining: Math.floor(b.tokens),
      };
    },
  };
}
