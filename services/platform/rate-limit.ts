import type { Context, MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import { AppError } from '../../contract/errors.ts';
import type { ApiKeyResolver } from './auth.ts';
import { identifyCaller } from './auth.ts';
import type { BucketConfig, RateLimitConfig } from './config.ts';
import { keyedHash } from './ids.ts';
import {
  createFallbackRateLimiter,
  createMemoryRateLimiter,
  createRedisRateLimiter,
  type RateDecision,
  type RateLimiter,
  type RateLimitPolicy,
} from './token-bucket.ts';

/**
 * Request budgets for every public route, answered with the IETF RateLimit header fields
 * (draft-ietf-httpapi-ratelimit-headers: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`,
 * `RateLimit-Policy`) on every response, and 429 with `Retry-After` when a budget is spent.
 *
 * - A request with a valid key spends one token from the key's bucket and one from its client's (so many
 *   keys of one client cannot add up to more than the client's budget).
 * - A request without a key, or whose key is unknown or revoked, spends one from its IP hash's bucket.
 * - Failed authentication is counted per IP hash in a much smaller bucket: a request carrying a key that
 *   does not resolve spends a token before anything else and is refused (429, not 401) once the bucket
 *   is empty, so keys cannot be guessed at speed; any other 401 (a missing key, a bad signature) spends
 *   one afterwards. A valid key is never refused because its address guessed badly before.
 *
 * `/internal` routes (service to service, with the service token) are not counted here.
 */
export interface RateLimitDeps {
  resolver: ApiKeyResolver;
  /** Secret of the IP hash (the raw address is never a bucket name: buckets live in Redis). */
  hashSecret: string;
  limits: RateLimitConfig;
  /** Shared buckets across replicas when given; otherwise in this process. */
  redis?: Redis;
  /** The caller's address; default the socket's remote address. */
  clientIp?: (c: Context) => string | null;
  now?: () => number;
}

type Scope = 'key' | 'client' | 'anonymous' | 'authFailures';

interface Spent {
  scope: Scope;
  policy: RateLimitPolicy;
  decision: RateDecision;
}

type NodeEnv = { incoming?: { socket?: { remoteAddress?: string } } } | undefined;

const socketIp = (c: Context): string | null => (c.env as NodeEnv)?.incoming?.socket?.remoteAddress ?? null;

const REFUSALS: Record<Scope, string> = {
  key: 'this API key has sent too many requests',
  client: "this client's keys have sent too many requests together",
  anonymous: 'too many requests from this address',
  authFailures: 'too many failed authentications from this address',
};

/** Hono middleware for every non-`/internal` route; mount it once, before the services. */
export function rateLimit(deps: RateLimitDeps): MiddlewareHandler {
  const policies: Record<Scope, RateLimitPolicy> = {
    key: policyOf(deps.limits.key),
    client: policyOf(deps.limits.client),
    anonymous: policyOf(deps.limits.anonymous),
    authFailures: policyOf(deps.limits.authFailures),
  };
  const limiters = Object.fromEntries(
    (Object.keys(policies) as Scope[]).map((scope) => [
      scope,
      // Shared across replicas through Redis while it answers; each replica's own buckets while it does
      // not, so a Redis outage never turns into refused requests.
      deps.redis
        ? createFallbackRateLimiter(
            createRedisRateLimiter(deps.redis, policies[scope], `pulse:rl:req:${scope}:`, {}, deps.now),
            createMemoryRateLimiter(policies[scope], deps.now),
          )
        : createMemoryRateLimiter(policies[scope], deps.now),
    ]),
  ) as Record<Scope, RateLimiter>;
  const clientIp = deps.clientIp ?? socketIp;

  const spend = async (scope: Scope, id: string): Promise<Spent> => ({
    scope,
    policy: policies[scope],
    decision: await limiters[scope].take(id, 1),
  });

  return async (c, next) => {
    if (c.req.path === '/internal' || c.req.path.startsWith('/internal/')) return next();
    const ipHash = keyedHash(deps.hashSecret, `ip:${clientIp(c) ?? 'unknown'}`);
    // A session cookie that has ended counts as no credential (an expired cookie is no guess at a key).
    const { raw, principal } = await identifyCaller(deps.resolver, c, { queryKey: true });

    const spent: Spent[] = [];
    let failureCounted = false;
    if (raw && !principal) {
      failureCounted = true;
      spent.push(await spend('authFailures', ipHash));
    }
    if (!spent.some((s) => !s.decision.allowed)) {
      if (principal) {
        spent.push(await spend('key', principal.keyId));
        // Platform admin keys act across clients: their key's budget is the only one.
        if (principal.clientId && spent.every((s) => s.decision.allowed))
          spent.push(await spend('client', principal.clientId));
      } else {
        spent.push(await spend('anonymous', ipHash));
      }
    }

    const denied = spent.find((s) => !s.decision.allowed);
    const fields = headerFields(spent);
    if (denied) {
      const seconds = retryAfterSeconds(denied.decision);
      throw new AppError('RATE_LIMITED', `${REFUSALS[denied.scope]}; retry in ${seconds}s`, [], {
        ...fields,
        'Retry-After': String(seconds),
      });
    }
    await next();
    if (c.res.status === 401 && !failureCounted) {
      // Counted after the fact (missing key, bad signature): later unknown keys from here meet it.
      await limiters.authFailures.take(ipHash, 1);
    }
    setHeaders(c, fields);
  };
}

function policyOf(b: BucketConfig): RateLimitPolicy {
  return { capacity: b.burst, refillPerSecond: b.perSecond };
}

function retryAfterSeconds(d: RateDecision): number {
  return Math.max(1, Math.ceil(d.retryAfterMs / 1000));
}

/**
 * The header fields for what a request spent. Limit, Remaining and Reset describe the bucket nearest to
 * running out (a refused one first); Policy lists every bucket the request counted against, as
 * `<burst>;w=<seconds to refill it from empty>`.
 */
export function headerFields(spent: readonly Spent[]): Record<string, string> {
  if (spent.length === 0) return {};
  const binding =
    spent.find((s) => !s.decision.allowed) ??
    spent.reduce((a, b) =>
      b.decision.remaining / b.policy.capacity < a.decision.remaining / a.policy.capacity ? b : a,
    );
  const { policy, decision } = binding;
  const reset = decision.allowed
    ? Math.ceil(Math.max(0, policy.capacity - decision.remaining) / policy.refillPerSecond)
    : retryAfterSeconds(decision);
  return {
    'RateLimit-Limit': String(policy.capacity),
    'RateLimit-Remaining': String(Math.max(0, decision.remaining)),
    'RateLimit-Reset': String(reset),
    'RateLimit-Policy': spent
      .map(
        (s) =>
          `${s.policy.capacity};w=${Math.max(1, Math.ceil(s.policy.capacity / s.policy.refillPerSecond))};comment="${s.scope}"`,
      )
      .join(', '),
  };
}

function setHeaders(c: Context, fields: Record<string, string>): void {
  try {
    for (const [k, v] of Object.entries(fields)) c.res.headers.set(k, v);
  } catch {
    // Some responses (e.g. Response.redirect) have immutable headers: copy, then set.
    c.res = new Response(c.res.body, c.res);
    for (const [k, v] of Object.entries(fields)) c.res.headers.set(k, v);
  }
}
