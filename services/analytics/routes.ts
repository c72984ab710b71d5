import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { type Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { AppError } from '../../contract/errors.ts';
import { assertValid, validatorFor } from '../../contract/validation.ts';
import { setAudit } from '../platform/audit.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import type { ClickHouse } from '../platform/clickhouse.ts';
import { chSql } from '../platform/clickhouse.ts';
import type { Db } from '../platform/db.ts';
import { readBody } from '../platform/http.ts';
import { api } from '../platform/openapi.ts';
import { dayParam, enumParam, idParam, intParam, optionalIdParam } from '../platform/params.ts';
import type { ReportCache } from './cache.ts';
import { type ReportRequest, runCustomReport } from './custom-report.ts';
import * as m from './metrics.ts';
import { campaignPdf } from './pdf.ts';
import * as repo from './repo.ts';
import { cond, createScope, type Scope } from './scope.ts';

/** Where docs/metrics.md is served; every report links its section. */
export const METRICS_DOC = '/docs/metrics';
const MAX_WINDOW_DAYS = 731;
const DAY_MS = 86_400_000;

type C = Context<{ Variables: AuthVariables }>;

const scopeOf = (ch: ClickHouse, c: C): Scope => createScope(ch, c.get('principal').clientId);

/** from/to (YYYY-MM-DD, UTC, inclusive; default the last 30 days) and campaign_id, checked. */
export function windowOf(c: C, campaignId?: string): m.Window {
  const today = new Date().toISOString().slice(0, 10);
  const to = dayParam(c.req.query('to'), 'to') ?? today;
  const from =
    dayParam(c.req.query('from'), 'from') ??
    new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS).toISOString().slice(0, 10);
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  if (days < 1) throw invalid('to', 'to is before from');
  if (days > MAX_WINDOW_DAYS) throw invalid('from', `a window covers at most ${MAX_WINDOW_DAYS} days`);
  const campaign = campaignId ?? optionalIdParam(c.req.query('campaign_id'), 'campaign_id');
  return { from, to, ...(campaign ? { campaignId: campaign } : {}) };
}

function invalid(path: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', message, [{ path, message }]);
}

type Flat = object;
const money = (xs: { currency: string; amount: number }[]) =>
  xs.map((x) => `${x.currency}:${x.amount}`).join(';');

interface Named<T> {
  /** docs/metrics.md section (its heading text). */
  section: string;
  run(scope: Scope, w: m.Window, c: C): Promise<T>;
  /** The report as table rows, for CSV. */
  rows(data: T): Flat[];
}

const named = <T>(r: Named<T>) => r as Named<unknown>;

const REPORTS: Record<string, Named<unknown>> = {
  funnel: named({
    section: 'funnel',
    run: (s, w) => m.funnelReport(s, w),
    rows: (d) => [{ ...d.total, channel: '(all)' }, ...d.channels],
  }),
  'k-factor': named({
    section: 'k-factor',
    run: (s, w, c) => {
      const cf = dayParam(c.req.query('cohort_from'), 'cohort_from');
      const ct = dayParam(c.req.query('cohort_to'), 'cohort_to');
      return m.kFactorReport(s, w, cf && ct ? { from: cf, to: ct } : undefined);
    },
    rows: (d) => [
      {
        participants: d.participants,
        invites: d.invites,
        referred_signups: d.referred_signups,
        invites_per_participant: d.invites_per_participant,
        invite_conversion: d.invite_conversion,
        k_factor: d.k_factor,
        cohort_from: d.cohort.from,
        cohort_to: d.cohort.to,
        cohort_size: d.cohort.size,
        cohort_referred_signups: d.cohort.referred_signups,
        cohort_k_factor: d.cohort.k_factor,
        cycles: d.cycle_time.cycles,
        cycle_mean_seconds: d.cycle_time.mean_seconds,
        cycle_median_seconds: d.cycle_time.median_seconds,
      },
    ],
  }),
  cost: named({
    section: 'cost',
    run: (s, w) => m.costReport(s, w),
    rows: (d) => d.currencies.map((x) => ({ ...x, referred_conversions: d.referred_conversions })),
  }),
  ltv: named({
    section: 'ltv',
    run: (s, w) => m.ltvReport(s, w),
    rows: (d) =>
      (['referred', 'non_referred'] as const).flatMap((g) =>
        d[g].currencies.map((x) => ({ group: g, participants: d[g].participants, ...x })),
      ),
  }),
  cohorts: named({
    section: 'cohorts',
    run: (s, w) => m.cohortReport(s, w),
    rows: (d) =>
      d.cohorts.flatMap((k) =>
        k.weeks.map((x) => ({
          week_start: k.week_start,
          size: k.size,
          conversion_rate: k.conversion_rate,
          ...x,
        })),
      ),
  }),
  rewards: named({
    section: 'reward-distribution',
    run: (s, w) => m.rewardDistribution(s, w),
    rows: (d) => d.groups,
  }),
  segments: named({
    section: 'segments',
    run: (s, w, c) =>
      m.segmentReport(s, w, enumParam(c.req.query('by'), 'by', m.SEGMENT_DIMENSIONS) ?? 'plan'),
    rows: (d) => d.segments.map((x) => ({ by: d.by, ...x })),
  }),
  referrers: named({
    section: 'referrers',
    run: (s, w, c) =>
      m.referrerReport(s, w, intParam(c.req.query('limit'), 'limit', { min: 1, max: 1000, fallback: 20 })),
    rows: (d) =>
      d.referrers.map((x) => ({ ...x, revenue: money(x.revenue), reward_cost: money(x.reward_cost) })),
  }),
};
export const NAMED_REPORTS = Object.keys(REPORTS);

/** The query parameters a named report reads (the cache key). */
const paramsOf = (c: C) =>
  Object.fromEntries(Object.entries(c.req.query()).sort(([a], [b]) => a.localeCompare(b)));

function wantsCsv(c: C): boolean {
  const f = c.req.query('format');
  if (f !== undefined && f !== 'csv' && f !== 'json') throw invalid('format', 'format is csv or json');
  return f === 'csv' || (f === undefined && (c.req.header('accept') ?? '').startsWith('text/csv'));
}

/** Rows as a streamed CSV body (csv-stringify), header from the first row's keys. */
export function csvResponse(rows: Flat[], filename: string): Response {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (columns.length === 0) columns.push('empty');
  const csv = stringify({ header: true, columns, cast: { number: (v) => String(v) } });
  const body = Readable.toWeb(csv) as unknown as ReadableStream;
  (async () => {
    for (const r of rows) {
      if (!csv.write(r)) await new Promise((ok) => csv.once('drain', ok));
    }
    csv.end();
  })().catch((err) => csv.destroy(err as Error));
  return new Response(body, {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${filename}.csv"`,
    },
  });
}

export interface AnalyticsRouteDeps {
  ch: ClickHouse;
  /** Members' report subscriptions (Postgres); without it those routes are not mounted. */
  db?: Db;
  resolver: ApiKeyResolver;
  cache: ReportCache;
  /** SSE refresh period of the live counters (default 1 s). */
  livePollMs?: number;
}

/** Dashboards' read API (secret keys, analyst role and up). */
export function createAnalyticsRoutes(deps: AnalyticsRouteDeps) {
  const { ch, resolver, cache } = deps;
  const exportGate = authenticate(resolver, { permission: 'analytics.export' });
  const readGate = authenticate(resolver, { permission: 'analytics.read' });
  // The PDF report is an export: its own gate (analytics.export) is all it needs, so a key scoped to
  // exports alone can fetch it.
  // Each route names its gate (no use('*') over the prefix): reads analytics.read; exports (CSV, the
  // PDF) analytics.export on top, or alone for the PDF, so a key scoped to exports can fetch it.
  const app = new Hono<{ Variables: AuthVariables }>();

  app.get('/funnel', readGate, async (c) => {
    const campaign_id = optionalIdParam(c.req.query('campaign_id'), 'campaign_id');
    const from = dayParam(c.req.query('from'), 'from');
    const to = dayParam(c.req.query('to'), 'to');
    const w = {
      from: from ?? '1970-01-01',
      to: to ?? '2105-12-31',
      ...(campaign_id ? { campaignId: campaign_id } : {}),
    };
    return c.json({ campaign_id: campaign_id ?? null, funnel: await m.legacyFunnel(scopeOf(ch, c), w) });
  });
  app.get('/campaigns/:id/hourly', readGate, async (c) => {
    const id = idParam(c.req.param('id'), 'id');
    const hours = intParam(c.req.query('hours'), 'hours', { min: 1, max: 24 * 90, fallback: 24 });
    return c.json({ rows: await m.hourlyStats(scopeOf(ch, c), id, hours) });
  });
  app.get('/leaderboard', readGate, async (c) => {
    const limit = intParam(c.req.query('limit'), 'limit', { min: 1, max: 1000, fallback: 10 });
    const campaignId = optionalIdParam(c.req.query('campaign_id'), 'campaign_id');
    return c.json({ leaders: await m.leaderboard(scopeOf(ch, c), campaignId, limit) });
  });

  // The dashboards' named reports: GET /v1/analytics/reports/<name>[?format=csv].
  for (const [name, report] of Object.entries(REPORTS)) {
    app.get(
      `/reports/${name}`,
      readGate,
      async (c, next) => (wantsCsv(c) ? exportGate(c, next) : next()),
      async (c) => {
        const w = windowOf(c);
        const scope = scopeOf(ch, c);
        const fresh = await cache.get(scope.clientId, name, paramsOf(c), () => report.run(scope, w, c));
        if (wantsCsv(c)) return csvResponse(report.rows(fresh.data), `${name}-${w.from}-${w.to}`);
        return c.json({
          report: name,
          definition: `${METRICS_DOC}#${report.section}`,
          ...fresh,
          campaign_id: w.campaignId ?? null,
          from: w.from,
          to: w.to,
          data: fresh.data as Record<string, unknown>,
        });
      },
    );
  }

  // Time series: the custom report without dimensions (metric per bucket, empty buckets as 0).
  app.get('/campaigns/:id/timeseries', readGate, async (c) => {
    const id = idParam(c.req.param('id'), 'id');
    const w = windowOf(c, id);
    const grain =
      enumParam(c.req.query('grain'), 'grain', ['hour', 'day', 'week', 'month'] as const) ?? 'day';
    const metrics = (c.req.query('metrics') ?? 'events,signups,conversions').split(',');
    const req = { metrics, grain, from: w.from, to: w.to, filters: { campaign_id: [id] } } as ReportRequest;
    assertValid(validatorFor<ReportRequest>(api('analyticsReportRequest')), req, 'timeseries');
    const scope = scopeOf(ch, c);
    const fresh = await cache.get(scope.clientId, 'timeseries', req, () => runCustomReport(scope, req));
    if (wantsCsv(c)) return csvResponse(fresh.data.rows, `timeseries-${id}`);
    return c.json({
      report: 'timeseries',
      definition: `${METRICS_DOC}#custom-reports`,
      ...fresh,
      campaign_id: id,
      from: w.from,
      to: w.to,
      data: fresh.data as unknown as Record<string, unknown>,
    });
  });

  // Custom reports: metrics × dimensions × filters × grain, the body validated by its JSON Schema. A
  // POST only because the request is a body: a read, so not audited (it changes nothing), yet, like
  // every POST, a session caller needs the CSRF token (the gate checks it): a cross-site form must not
  // make a member's browser run heavy reports.
  app.post(
    '/reports',
    readGate,
    async (c, next) => (wantsCsv(c) ? exportGate(c, next) : next()),
    async (c) => {
      setAudit(c, { read: true });
      const req = await readBody<ReportRequest>(c, api('analyticsReportRequest'), 'report');
      const scope = scopeOf(ch, c);
      const fresh = await cache.get(scope.clientId, 'custom', req, () => runCustomReport(scope, req));
      if (wantsCsv(c)) return csvResponse(fresh.data.rows, `report-${req.from}-${req.to}`);
      return c.json({
        report: 'custom',
        definition: `${METRICS_DOC}#custom-reports`,
        ...fresh,
        campaign_id: null,
        from: req.from,
        to: req.to,
        data: fresh.data as unknown as Record<string, unknown>,
      });
    },
  );

  // Live counters: server-sent events with the campaign's counts over the last `minutes`.
  app.get('/campaigns/:id/live', readGate, async (c) => {
    const id = idParam(c.req.param('id'), 'id');
    const minutes = intParam(c.req.query('minutes'), 'minutes', { min: 1, max: 1440, fallback: 15 });
    const scope = scopeOf(ch, c);
    const every = deps.livePollMs ?? 1_000;
    return streamSSE(c, async (sse) => {
      let last = '';
      let quiet = 0;
      let closed = false;
      sse.onAbort(() => {
        closed = true;
      });
      while (!closed) {
        const { as_of, ...counts } = await liveCounts(scope, id, minutes);
        const text = JSON.stringify(counts);
        if (text !== last || ++quiet >= 15) {
          await sse.writeSSE({
            event: 'counts',
            data: JSON.stringify({ ...counts, as_of }),
            id: String(Date.now()),
          });
          last = text;
          quiet = 0;
        }
        await sse.sleep(every);
      }
    });
  });

  app.get('/campaigns/:id/report.pdf', exportGate, async (c) => {
    const id = idParam(c.req.param('id'), 'id');
    const w = windowOf(c, id);
    const scope = scopeOf(ch, c);
    const grain = 'day' as const;
    const series = await runCustomReport(scope, {
      metrics: ['clickers', 'referred_signups', 'referred_conversions'],
      grain,
      from: w.from,
      to: w.to,
      filters: { campaign_id: [id] },
    });
    const pdf = await campaignPdf({
      campaignId: id,
      window: w,
      funnel: await m.funnelReport(scope, w),
      kFactor: await m.kFactorReport(scope, w),
      cost: await m.costReport(scope, w),
      series: series.rows,
    });
    return new Response(new Uint8Array(pdf), {
      headers: {
        'Content-Type': 'application/pdf',
        'Content-Disposition': `attachment; filename="campaign-${id}-${w.from}-${w.to}.pdf"`,
      },
    });
  });

  // The calling member's report e-mails (weekly-report.ts). Members only: a key not issued to a member
  // has no one to send to.
  const { db } = deps;
  if (db) {
    const member = (c: C): string => {
      const id = c.get('principal').memberId;
      if (!id)
        throw new AppError('NOT_A_MEMBER', 'report subscriptions belong to members: sign in as a member');
      return id;
    };
    const shape = (memberId: string, row?: { weekly: boolean; updated_at: Date }) => ({
      member_id: memberId,
      weekly: row?.weekly ?? false,
      updated_at: row ? new Date(row.updated_at).toISOString() : null,
    });
    app.get('/report-subscriptions/me', readGate, async (c) => {
      const id = member(c);
      return c.json(shape(id, await repo.getSubscription(db, c.get('principal').clientId, id)));
    });
    app.put('/report-subscriptions/me', readGate, async (c) => {
      const id = member(c);
      const body = await readBody<{ weekly: boolean }>(
        c,
        api('analyticsReportSubscriptionBody'),
        'subscription',
      );
      const row = await repo.putSubscription(db, c.get('principal').clientId, id, body.weekly, new Date());
      setAudit(c, { action: 'analytics.report_subscription', after: { weekly: row.weekly } });
      return c.json(shape(id, row));
    });
  }

  return app;
}

/** The live counters (docs/metrics.md#live): events, signups, conversions and rewards in the last minutes. */
export async function liveCounts(scope: Scope, campaignId: string, minutes: number) {
  const since = cond`occurred_at >= now() - ${minutes * 60} AND day >= toDate(now() - ${minutes * 60})`;
  const [e] = await scope.query<Record<string, string>>(chSql`
    SELECT uniqExact(event_id) AS n, uniqExactIf(person, kind = 'signup') AS signups,
           uniqExactIf(person, kind = 'conversion') AS conversions
    FROM ${scope.fromAnyCopy('analytics_events', cond`campaign_id = ${campaignId}`, since)}`);
  const [r] = await scope.query<Record<string, string>>(chSql`
    SELECT uniqExactIf(reward_id, kind = 'allocated') AS rewards
    FROM ${scope.fromAnyCopy('reward_facts', cond`campaign_id = ${campaignId}`, since)}`);
  return {
    campaign_id: campaignId,
    minutes,
    events: Number(e?.n ?? 0),
    signups: Number(e?.signups ?? 0),
    conversions: Number(e?.conversions ?? 0),
    rewards: Number(r?.rewards ?? 0),
    as_of: new Date().toISOString(),
  };
}
