import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import { correlationIdOf, requestIdOf } from './request-id.ts';

/** What one finished request looked like, for the access log and the HTTP metrics. */
export interface RequestRecord {
  method: string;
  /** The route pattern (`/v1/campaigns/:id`), never the raw path: bounded label values, no ids or keys. */
  route: string;
  status: number;
  durationMs: number;
}

/** Requests no route matched share one label, so scanners probing random paths add no series. */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * The pattern of the route that answered: the last matched route that is not a `use()` middleware
 * (method ALL). The query string is never part of it, so keys passed as `?key=` never reach a log.
 */
export function routePattern(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i];
    if (r && r.method !== 'ALL') return r.path;
  }
  return UNMATCHED_ROUTE;
}

/**
 * One line per request, at info (5xx at error): method, route pattern, status, duration, request and
 * correlation ids, and the client when the request authenticated. `onFinished` sees the same record
 * (the HTTP metrics hang off it). Mount right after `requestIds()`.
 */
export function accessLog(opts: {
  log: Logger;
  onFinished?: (record: RequestRecord) => void;
}): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const record: RequestRecord = {
        method: c.req.method,
        route: routePattern(c),
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      };
      opts.onFinished?.(record);
      const principal = c.get('principal') as { clientId?: string } | undefined;
      const fields = {
        request_id: requestIdOf(c),
        correlation_id: correlationIdOf(c),
        method: record.method,
        route: record.route,
        status: record.status,
        duration_ms: record.durationMs,
        ...(principal?.clientId ? { client_id: principal.clientId } : {}),
      };
      if (record.status >= 500) opts.log.error(fields, 'request failed');
      else opts.log.info(fields, 'request');
    }
  };
}
