import { cors } from 'hono/cors';

/** Request headers a page may send: keys, the identity token, retries' Idempotency-Key, a correlation id. */
export const SDK_ALLOW_HEADERS = [
  'Content-Type',
  'Authorization',
  'X-Api-Key',
  'X-Pulse-Identity',
  'Idempotency-Key',
  'X-Correlation-Id',
] as const;

/** Response headers a page may read: ids to quote, budgets to respect, whether an answer was replayed. */
export const SDK_EXPOSE_HEADERS = [
  'X-Request-Id',
  'X-Correlation-Id',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'RateLimit-Policy',
  'Retry-After',
  'Idempotent-Replayed',
  'Deprecation',
] as const;

/**
 * CORS for the routes the browser SDK calls from clients' websites. Any origin: these routes take a
 * publishable key, never cookies, so a page on another site gains nothing it could not do itself.
 */
export const sdkCors = (opts: { methods?: string[]; maxAge?: number } = {}) =>
  cors({
    origin: '*',
    allowMethods: opts.methods ?? ['GET', 'POST', 'OPTIONS'],
    allowHeaders: [...SDK_ALLOW_HEADERS],
    exposeHeaders: [...SDK_EXPOSE_HEADERS],
    maxAge: opts.maxAge ?? 600,
  });
