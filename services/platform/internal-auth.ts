import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../contract/errors.ts';
import { verifyServiceToken } from '../../contract/service-token.ts';

/**
 * Guards `/internal/...` routes, which workers and other services call on a tenant's behalf (the tenant
 * travels in the request, taken from the journey's pinned campaign). Never exposed to SDKs or portals.
 * The caller presents a short-lived HS256 service token whose audience must be this service.
 */
export function internalAuth(signingKey: string, audience: string): MiddlewareHandler {
  return async (c, next) => {
    const raw = c.req.header('authorization')?.replace(/^Bearer\s+/i, '') ?? '';
    if (!raw) throw new AppError('UNAUTHORIZED', 'internal route: missing service token');
    const r = verifyServiceToken(signingKey, raw, audience);
    if (!r.ok) throw new AppError('UNAUTHORIZED', `internal route: service token refused (${r.reason})`);
    await next();
  };
}
