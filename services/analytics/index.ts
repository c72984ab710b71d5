import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type { ApiKeyResolver } from '../platform/auth.ts';
import type { ClickHouse } from '../platform/clickhouse.ts';
import type { Db } from '../platform/db.ts';
import { renderMarkdown } from '../platform/error-docs.ts';
import { withErrorHandling } from '../platform/http.ts';
import { createReportCache, DEFAULT_REPORT_MAX_AGE } from './cache.ts';
import { createAnalyticsRoutes, METRICS_DOC } from './routes.ts';

export { startIdCheckJob } from './ids.ts';
export { migrations as analyticsMigrations } from './migrations/index.ts';
export { startRewardFactSink } from './reward-facts.ts';
export { startRollupJob } from './rollup.ts';
export type { MemberDirectory, ReportDelivery, WeeklyReportEmail } from './weekly-report.ts';
export { ensureWeeklySchedule, startWeeklyReportWorker } from './weekly-schedule.ts';

export const METRICS_DOC_FILE = new URL('../../docs/metrics.md', import.meta.url);

export interface AnalyticsAppDeps {
  ch: ClickHouse;
  /** Postgres, for members' report subscriptions (`/v1/analytics/report-subscriptions/me`). */
  db?: Db;
  resolver: ApiKeyResolver;
  /** Report cache; without it every report is computed (cached: false). */
  redis?: Redis;
  /** Seconds a cached report is served (default 30; 0 turns the cache off). */
  cacheMaxAge?: number;
  livePollMs?: number;
}

/**
 * Analytics: the dashboards' named reports, custom reports, live counters and exports, all over the
 * deduplicated fact tables in ClickHouse (clickhouse/0801_…, 0802_…), and GET /docs/metrics, the metric
 * definitions every report links to.
 */
export function createAnalyticsApp(deps: AnalyticsAppDeps) {
  const cache = createReportCache(deps.redis, deps.cacheMaxAge ?? DEFAULT_REPORT_MAX_AGE);
  const markdown = readFileSync(METRICS_DOC_FILE, 'utf8');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pulse metrics</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}code{background:#f4f4f4}</style>
</head><body>${renderMarkdown(markdown)}</body></html>`;
  return withErrorHandling(
    new Hono()
      .get(METRICS_DOC, (c) =>
        c.req.query('format') === 'md'
          ? c.body(markdown, 200, { 'Content-Type': 'text/markdown; charset=utf-8' })
          : c.html(html),
      )
      .route(
        '/v1/analytics',
        createAnalyticsRoutes({
          ch: deps.ch,
          resolver: deps.resolver,
          cache,
          ...(deps.db ? { db: deps.db } : {}),
          ...(deps.livePollMs ? { livePollMs: deps.livePollMs } : {}),
        }),
      ),
  );
}
