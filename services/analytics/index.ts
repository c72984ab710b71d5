import { Hono } from 'hono';
import type { ApiKeyResolver } from '../platform/auth.ts';
import type { ClickHouse } from '../platform/clickhouse.ts';
import { withErrorHandling } from '../platform/http.ts';
import { createAnalyticsRoutes } from './routes.ts';

/** Analytics: funnel, hourly campaign stats and referrer standings from ClickHouse materialized views. */
export function createAnalyticsApp(deps: { ch: ClickHouse; resolver: ApiKeyResolver }) {
  return withErrorHandling(new Hono().route('/v1/analytics', createAnalyticsRoutes(deps.ch, deps.resolver)));
}
