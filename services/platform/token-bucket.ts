import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '../../contract/errors.ts';
import { logger } from './log.ts';

/**
 * Token buckets by key: `capacity` tokens (the burst), refilled at `refillPerSecond`. The event service
 * spends one token per event (a batch of 100 costs 100) from its client's bucket; the platform's request
 * limits (rate-limit.ts) spend one per request from the key's, the client's or the address's bucket.
 */
export interface RateLimitPolicy {
  capacity: number;
  refillPerSecond: number;
}

export interface RateDecision {
  allowed: boolean;
  /** How long until `cost` tokens are available again (0 when allowed). */
  retryAfterMs: number;
  /** Tokens left after this take (for a Redis bucket shared by replicas, as this replica last saw it). */
  remaining: number;
}

export interface RateLimiter {
  take(key: string, cost: number): Promise<RateDecision>;
}

export const DEFAULT_RATE_LIMIT: RateLimitPolicy = { capacity: 2_000, refillPerSecond: 500 };

// Runs atomically inside Redis, so every event-service replica shares one bucket per client. Redis's own
// clock (TIME) is used so replicas with skewed clocks agree. Grants between ARGV[3] (the least the caller
// needs) and ARGV[4] (that plus a lease for the caller's next requests) tokens, as many as the bucket
// holds. Returns {granted (0 = refused), retryAfterMs, remaining}.
const TOKEN_BUCKET_LUA = `
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local need = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or capacity
local ts = tonumber(b[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * per_ms)
local granted = 0
local retry = 0
if tokens >= need then
  granted = math.max(need, math.min(want, math.floor(tokens)))
  tokens = tokens - granted
else
  retry = math.ceil((need - tokens) / per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms) + 1000)
return {granted, retry, math.floor(tokens)}
`;

export interface LeaseOptions {
  /** How long leased tokens stay usable by this replica; unused ones are then dropped. Default 1 s. */
  leaseMs?: number;
  /** Demand window the next lease is sized on (what this replica used in the last window). */
  windowMs?: number;
  /** Largest lease, as a fraction of the bucket's capacity. Default 1/10. */
  maxFraction?: number;
}

interface Lease {
  tokens: number;
  expiresAt: number;
  /** Tokens used in the current and the previous demand window. */
  used: number;
  lastUsed: number;
  windowStart: number;
  fetching: Promise<void> | null;
  /** What the shared bucket held after this replica's last grant (other replicas may have spent since). */
  shared: number;
}

/**
 * Redis-backed limiter shared by all replicas. A Redis failure is a 503 (retryable), never a silent pass.
 *
 * Tokens are leased: a replica asks Redis for what the request needs plus about `windowMs` of its recent
 * demand, then serves the next requests from that local stash, so under load Redis sees a few calls a
 * second instead of one per request (a round trip and two syscalls, the largest per-request cost of the
 * endpoint). A replica with no recent traffic asks for exactly what it needs, so the limit stays exact for
 * sparse traffic; under load the error is at most one lease per replica (≤ `maxFraction` of capacity) of
 * tokens held here while another replica is refused, or dropped when the lease expires unused.
 */
export function createRedisRateLimiter(
  redis: Redis,
  policy: RateLimitPolicy = DEFAULT_RATE_LIMIT,
  prefix = 'pulse:rl:',
  leaseOpts: LeaseOptions = {},
  now: () => number = Date.now,
): RateLimiter {
  const perMs = policy.refillPerSecond / 1000;
  const leaseMs = leaseOpts.leaseMs ?? 1_000;
  const windowMs = leaseOpts.windowMs ?? 250;
  const maxLease = Math.floor(policy.capacity * (leaseOpts.maxFraction ?? 0.1));
  const leases = new Map<string, Lease>();

  function leaseOf(key: string, t: number): Lease {
    let l = leases.get(key);
    if (!l) {
      if (leases.size > 100_000) leases.clear();
      l = { tokens: 0, expiresAt: 0, used: 0, lastUsed: 0, windowStart: t, fetching: null, shared: 0 };
      leases.set(key, l);
    }
    if (t - l.windowStart >= windowMs) {
      // The previous window only counts when it is the one just ended (otherwise demand was zero since).
      l.lastUsed = t - l.windowStart < 2 * windowMs ? l.used : 0;
      l.used = 0;
      l.windowStart = t;
    }
    if (t >= l.expiresAt) l.tokens = 0;
    return l;
  }

  async function refill(key: string, l: Lease, need: number): Promise<RateDecision | null> {
    const extra = Math.min(maxLease, Math.max(l.used, l.lastUsed));
    let r: number[];
    try {
      r = (await evalScript(redis, prefix + key, [policy.capacity, perMs, need, need + extra])) as number[];
    } catch (err) {
      // The cause (host, port, Redis error text) is for logs, never for a response.
      const e = new AppError('UPSTREAM_UNAVAILABLE', 'rate limiter unavailable');
      Object.defineProperty(e, 'cause', { value: err });
      throw e;
    }
    const granted = Number(r[0] ?? 0);
    if (granted <= 0)
      return { allowed: false, retryAfterMs: Number(r[1] ?? 0), remaining: Number(r[2] ?? 0) };
    const t = now();
    if (t >= l.expiresAt) l.tokens = 0;
    l.tokens += granted;
    l.expiresAt = t + leaseMs;
    l.shared = Number(r[2] ?? 0);
    return null;
  }

  return {
    async take(key, cost) {
      const c = Math.min(cost, policy.capacity);
      for (;;) {
        const l = leaseOf(key, now());
        if (l.tokens >= c) {
          l.tokens -= c;
          l.used += c;
          // Remaining = the lease held here plus the shared bucket as last seen (an estimate under load).
          return { allowed: true, retryAfterMs: 0, remaining: Math.floor(l.tokens + l.shared) };
        }
        // One Redis call per key at a time: requests arriving meanwhile wait for its lease.
        if (l.fetching) {
          await l.fetching;
          continue;
        }
        let denied: RateDecision | null = null;
        const fetching = refill(key, l, c - l.tokens).then((d) => {
          denied = d;
        });
        l.fetching = fetching;
        try {
          await fetching;
        } finally {
          l.fetching = null;
        }
        if (denied) return denied;
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

export interface FallbackLimiter extends RateLimiter {
  /** Requests decided by the fallback, and whether the shared limiter is currently considered down. */
  stats(): { fallbacks: number; outages: number; degraded: boolean };
}

/**
 * The shared limiter while it answers; this replica's own buckets while it does not. The ingest keeps
 * accepting through a Redis outage (each replica then enforces the policy on its own, so the fleet-wide
 * limit is at most replicas × policy) instead of refusing every event. After a failure the shared limiter
 * is skipped for `probeAfterMs`, so an outage costs one failed call per interval, not one per request.
 * Entering and leaving the degraded state is logged once each.
 */
export function createFallbackRateLimiter(
  primary: RateLimiter,
  fallback: RateLimiter,
  opts: { probeAfterMs?: number; log?: (message: string) => void; now?: () => number } = {},
): FallbackLimiter {
  const probeAfterMs = opts.probeAfterMs ?? 1_000;
  const log = opts.log ?? ((m: string) => logger.warn({ component: 'rate-limit' }, m));
  const now = opts.now ?? Date.now;
  let skipUntil = 0;
  let degraded = false;
  let fallbacks = 0;
  let outages = 0;
  return {
    async take(key, cost) {
      if (degraded && now() < skipUntil) {
        fallbacks++;
        return fallback.take(key, cost);
      }
      try {
        const d = await primary.take(key, cost);
        if (degraded) {
          degraded = false;
          log('rate limiter: shared limiter reachable again; leaving per-replica limiting');
        }
        return d;
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'UPSTREAM_UNAVAILABLE')) throw err;
        skipUntil = now() + probeAfterMs;
        if (!degraded) {
          degraded = true;
          outages++;
          log('rate limiter: shared limiter unavailable; limiting per replica until it answers');
        }
        fallbacks++;
        return fallback.take(key, cost);
      }
    },
    stats: () => ({ fallbacks, outages, degraded }),
  };
}
