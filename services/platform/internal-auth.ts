import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../contract/errors.ts';

/**
 * Guards `/internal/...` routes, which workers and other services call on a tenant's behalf (the tenant
 * travels in the request, taken from the journey's pinned campaign). Never exposed to SDKs or portals.
 */
export function internalAuth(token: string): MiddlewareHandler {
  const expected = Buffer.from(token);
  return async (c, next) => {
    const got = Buffer.from(c.req.header('authorization')?.replace(/^Bearer\s+/i, '') ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      throw new AppError('UNAUTHORIZED', 'internal route: missing or wrong service token');
    }
    await next();
  };
}
