import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { AppError } from '../../contract/errors.ts';
import type { RequestRecord } from './access-log.ts';
import { logger } from './log.ts';

/**
 * Prometheus metrics of the process (prom-client). Counters and histograms live in one registry for
 * the process, like the logger: every part of it (ingest, reward service, router, worker) adds to the
 * same series. Gauges that read a database at scrape time belong to a platform (`createScrape`).
 *
 * Labels are bounded: route patterns (never raw paths), error codes, reasons from closed lists, pulses
 * (the campaign kinds of the DSL). Never a client id, participant id or free text.
 */
export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry, prefix: 'pulse_' });
// Gauges prom-client names `*_total`, which Prometheus' lint (promtool check metrics) reserves for
// counters; each is only the sum of its labelled sibling (pulse_nodejs_active_handles{type}, ...).
for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total'])
  processRegistry.removeSingleMetric(`pulse_nodejs_${name}`);

const registers = [processRegistry];

export const metrics = {
  httpRequests: new Counter({
    name: 'pulse_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  }),
  httpDuration: new Histogram({
    name: 'pulse_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route pattern and status class (2xx, 4xx, 5xx).',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  }),
  ingestEvents: new Counter({
    name: 'pulse_ingest_events_total',
    help: 'Events offered to the ingest, by outcome (accepted, duplicate, rejected) and reason code.',
    labelNames: ['outcome', 'reason'] as const,
    registers,
  }),
  ingestRefused: new Counter({
    name: 'pulse_ingest_requests_refused_total',
    help: 'Ingest requests refused before any event was read, by error code (401, 403, 429, 413...).',
    labelNames: ['reason'] as const,
    registers,
  }),
  rewardAllocations: new Counter({
    name: 'pulse_reward_allocations_total',
    help: 'Reward allocation requests, by outcome (allocated, refused, replayed) and refusal reason.',
    labelNames: ['outcome', 'reason'] as const,
    registers,
  }),
  journeysRouted: new Counter({
    name: 'pulse_journey_events_routed_total',
    help: 'Events the router handled per campaign, by pulse and action (started, signalled, skipped).',
    labelNames: ['pulse', 'action'] as const,
    registers,
  }),
  journeysStarted: new Counter({
    name: 'pulse_journeys_started_total',
    help: 'Journeys started, by pulse.',
    labelNames: ['pulse'] as const,
    registers,
  }),
  journeysFinished: new Counter({
    name: 'pulse_journeys_finished_total',
    help: 'Journeys that ended, by pulse and end status (completed, ended, failed...).',
    labelNames: ['pulse', 'status'] as const,
    registers,
  }),
};

/** What the access log hands over for each request (services/platform/access-log.ts). */
export function observeRequest(r: RequestRecord): void {
  metrics.httpRequests.inc({ method: r.method, route: r.route, status: String(r.status) });
  metrics.httpDuration.observe(
    { method: r.method, route: r.route, status_class: `${Math.floor(r.status / 100)}xx` },
    r.durationMs / 1000,
  );
}

/** A gauge read at scrape time: its samples, or a rejection (the gauge is left out of that scrape). */
export interface GaugeSource {
  name: string;
  help: string;
  labelNames: readonly string[];
  read(): Promise<{ labels: Record<string, string>; value: number }[]>;
}

/** Another process's Prometheus text merged into ours (the Temporal Runtime's exporter). */
export type TextSource = () => Promise<string>;

export interface Scrape {
  /** Adds a text source (e.g. once the worker's Temporal Runtime exports on a loopback port). */
  addText(source: TextSource): void;
  /** The whole exposition: process metrics, gauges, merged sources. */
  render(): Promise<{ contentType: string; body: string }>;
}

const SOURCE_TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError('UPSTREAM_UNAVAILABLE', `${what} timed out`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The /metrics body of one platform: the process registry plus its gauges (each read with a bound,
 * so a dead database costs one scrape two seconds and leaves that gauge out, never hangs it) and any
 * text sources. A failing source is counted in pulse_metrics_source_errors_total and logged.
 */
export function createScrape(gauges: readonly GaugeSource[]): Scrape {
  const registry = new Registry();
  const errors = new Counter({
    name: 'pulse_metrics_source_errors_total',
    help: 'Metric sources that failed or timed out during a scrape, by source.',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const failed = (source: string, err: unknown) => {
    errors.inc({ source });
    logger.warn({ component: 'metrics', source, err }, 'metric source failed');
  };
  const bound = gauges.map((g) => ({
    source: g,
    gauge: new Gauge({ name: g.name, help: g.help, labelNames: g.labelNames, registers: [registry] }),
  }));
  const texts: TextSource[] = [];
  return {
    addText: (source) => void texts.push(source),
    async render() {
      // Every source is read (in parallel, each bounded) before anything is rendered, so a failure
      // is counted in this very scrape and a failed gauge has no stale samples.
      const [, extra] = await Promise.all([
        Promise.all(
          bound.map(async ({ source, gauge }) => {
            gauge.reset();
            try {
              const samples = await withTimeout(source.read(), SOURCE_TIMEOUT_MS, source.name);
              for (const s of samples) gauge.set(s.labels, s.value);
            } catch (err) {
              failed(source.name, err);
            }
          }),
        ),
        Promise.all(
          texts.map(async (text, i) => {
            try {
              const t = await withTimeout(text(), SOURCE_TIMEOUT_MS, `text source ${i}`);
              return t.endsWith('\n') || t === '' ? t : `${t}\n`;
            } catch (err) {
              failed(`text_${i}`, err);
              return '';
            }
          }),
        ),
      ]);
      const ours = await Registry.merge([processRegistry, registry]).metrics();
      return { contentType: processRegistry.contentType, body: [ours, ...extra].join('') };
    },
  };
}

type NodeEnv = { incoming?: { socket?: { remoteAddress?: string } } };

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Who may scrape: with `PULSE_METRICS_TOKEN` set, callers presenting it as a bearer token (from
 * anywhere); without it, only callers on the loopback interface (the socket's peer, never a
 * forwarded header), which suits development and a sidecar scraper.
 */
export function checkScrapeAccess(c: Context, token: string | undefined): void {
  if (token) {
    const given = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b))
      throw new AppError('UNAUTHORIZED', 'metrics need the bearer token PULSE_METRICS_TOKEN');
    return;
  }
  const peer = (c.env as NodeEnv | undefined)?.incoming?.socket?.remoteAddress;
  if (!peer || !LOOPBACK.has(peer))
    throw new AppError(
      'FORBIDDEN',
      'metrics are served to loopback callers only unless PULSE_METRICS_TOKEN is set',
    );
}
