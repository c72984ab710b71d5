import type { Client } from '@temporalio/client';
import { Hono } from 'hono';
import { sql } from 'kysely';
import type { Bus } from '../contract/bus.ts';
import { AppError } from '../contract/errors.ts';
import { countDeadLetters, outboxLag } from './event/index.ts';
import type { InspectableBus } from './platform/bus/inspect.ts';
import type { ClickHouse } from './platform/clickhouse.ts';
import type { Db } from './platform/db.ts';
import { createHealthRoutes, type HealthCheck } from './platform/health.ts';
import { withErrorHandling } from './platform/http.ts';
import { checkScrapeAccess, createScrape, type GaugeSource, type Scrape } from './platform/metrics.ts';

export interface ObservabilityDeps {
  db: Db;
  ch: ClickHouse;
  bus: Bus;
  temporal: Client;
  services: readonly string[];
  /** PULSE_METRICS_TOKEN: required bearer token of /metrics (unset: loopback callers only). */
  metricsToken: string | undefined;
  /** Readiness timeout per dependency (default 2 s). */
  readyTimeoutMs?: number;
}

const inspectable = (bus: Bus): InspectableBus | null =>
  'depth' in bus && 'ping' in bus ? (bus as InspectableBus) : null;

/**
 * `/health/live`, `/health/ready` (and `/health`, its alias) and `/metrics` for one platform: the
 * dependencies it checks are the ones it was built with (Postgres, ClickHouse, Temporal, the bus).
 */
export function createObservability(deps: ObservabilityDeps): { app: Hono; scrape: Scrape } {
  const bus = inspectable(deps.bus);
  const checks: HealthCheck[] = [
    { name: 'postgres', required: true, check: () => sql`select 1`.execute(deps.db) },
    {
      name: 'clickhouse',
      required: true,
      check: async () => {
        if (!(await deps.ch.ping())) throw new AppError('UPSTREAM_UNAVAILABLE', 'ClickHouse ping failed');
      },
    },
    {
      name: 'temporal',
      required: true,
      // A bounded call (the health probe must not wait out the client's own retries).
      check: () =>
        deps.temporal.connection.withDeadline(Date.now() + 1_500, () =>
          deps.temporal.connection.workflowService.getSystemInfo({}),
        ),
    },
    ...(bus ? [{ name: 'bus', required: true, check: () => bus.ping() }] : []),
  ];
  const gauges: GaugeSource[] = [
    {
      name: 'pulse_event_outbox_pending_events',
      help: 'Accepted events a sink (clickhouse, bus) has not taken yet.',
      labelNames: ['sink'],
      read: async () =>
        (await outboxLag(deps.db)).map((r) => ({ labels: { sink: r.sink }, value: r.pending })),
    },
    {
      name: 'pulse_event_outbox_lag_seconds',
      help: 'Age of the oldest accepted event a sink has not taken yet (0 when caught up): the drainer lag.',
      labelNames: ['sink'],
      read: async () =>
        (await outboxLag(deps.db)).map((r) => ({ labels: { sink: r.sink }, value: r.oldestSeconds })),
    },
    {
      name: 'pulse_event_dead_letters',
      help: 'Outbox rows a sink refused and the drainer parked in event_dead_letters, by sink.',
      labelNames: ['sink'],
      read: async () => {
        const bySink = new Map<string, number>([
          ['clickhouse', 0],
          ['bus', 0],
        ]);
        for (const r of await countDeadLetters(deps.db))
          bySink.set(r.sink, (bySink.get(r.sink) ?? 0) + r.count);
        return [...bySink].map(([sink, value]) => ({ labels: { sink }, value }));
      },
    },
    ...(bus
      ? [
          {
            name: 'pulse_bus_messages',
            help: 'Bus messages per subscription: pending (not yet handled) and dead (parked after max attempts).',
            labelNames: ['subscription', 'state'],
            read: async () =>
              (await bus.depth()).flatMap((d) => [
                { labels: { subscription: d.subscription, state: 'pending' }, value: d.pending },
                { labels: { subscription: d.subscription, state: 'dead' }, value: d.dead },
              ]),
          },
        ]
      : []),
  ];
  const scrape = createScrape(gauges);
  const health = createHealthRoutes({
    checks,
    services: deps.services,
    ...(deps.readyTimeoutMs ? { timeoutMs: deps.readyTimeoutMs } : {}),
  });
  const app = withErrorHandling(new Hono())
    .route('/', health)
    .get('/metrics', async (c) => {
      checkScrapeAccess(c, deps.metricsToken);
      const { contentType, body } = await scrape.render();
      return c.body(body, 200, { 'content-type': contentType });
    });
  return { app, scrape };
}
