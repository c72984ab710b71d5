import { api, describe, type ParamDoc } from '../platform/openapi.ts';

const DAY = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
const CAMPAIGN = { name: 'campaign_id', description: 'Only this campaign.' };
const WINDOW: ParamDoc[] = [
  {
    name: 'from',
    description: 'First day (UTC, inclusive), YYYY-MM-DD; default 29 days before `to`.',
    schema: DAY,
  },
  {
    name: 'to',
    description: 'Last day (UTC, inclusive), YYYY-MM-DD; default today. At most 731 days.',
    schema: DAY,
  },
];
const FORMAT: ParamDoc = {
  name: 'format',
  description: '`csv` streams the report as CSV (needs analytics.export); default JSON.',
  schema: { enum: ['json', 'csv'] },
};
const REPORT = {
  description: 'The report with its freshness (`as_of`, `cached`, `max_age`) and its definition link',
  schema: api('analyticsReport'),
};

const named = (name: string, summary: string, extra: ParamDoc[] = []) =>
  describe({
    method: 'get',
    path: `/v1/analytics/reports/${name}`,
    operationId: `getReport${name
      .split('-')
      .map((w) => w[0]?.toUpperCase() + w.slice(1))
      .join('')}`,
    summary,
    description: `Defined in docs/metrics.md (served at /docs/metrics). Cached in Redis when configured.`,
    tags: ['analytics'],
    permission: 'analytics.read',
    query: [CAMPAIGN, ...WINDOW, ...extra, FORMAT],
    responses: { 200: REPORT },
  });

/** The OpenAPI description of the analytics routes (routes.ts): reports, not lists, so not paginated. */
export const analyticsApi = [
  describe({
    method: 'get',
    path: '/v1/analytics/funnel',
    operationId: 'getFunnel',
    summary: 'Referral funnel: shared → clicked → signed up → converted',
    tags: ['analytics'],
    permission: 'analytics.read',
    query: [
      CAMPAIGN,
      { name: 'from', description: 'First day (UTC), YYYY-MM-DD.', schema: DAY },
      { name: 'to', description: 'Last day (UTC), YYYY-MM-DD.', schema: DAY },
    ],
    responses: { 200: api('funnel') },
  }),
  describe({
    method: 'get',
    path: '/v1/analytics/campaigns/:id/hourly',
    operationId: 'getHourlyStats',
    summary: 'A campaign’s events per hour and event name',
    tags: ['analytics'],
    permission: 'analytics.read',
    pathParams: [{ name: 'id', description: 'The campaign id.' }],
    query: [
      {
        name: 'hours',
        description: 'How many hours back (default 24).',
        schema: { type: 'integer', minimum: 1, maximum: 2160, default: 24 },
      },
    ],
    responses: { 200: api('hourlyStats') },
  }),
  describe({
    method: 'get',
    path: '/v1/analytics/leaderboard',
    operationId: 'getReferrerLeaderboard',
    summary: 'Top referrers by signups and conversions',
    tags: ['analytics'],
    permission: 'analytics.read',
    query: [
      {
        name: 'limit',
        description: 'How many referrers (default 10).',
        schema: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
      },
      CAMPAIGN,
    ],
    responses: { 200: api('analyticsLeaderboard') },
  }),
  named(
    'funnel',
    'Funnel in people, overall and per channel, with share, click-through, signup and conversion rates',
  ),
  named(
    'k-factor',
    'K-factor (invites per participant × invite conversion), cohort K-factor and viral cycle time',
    [
      { name: 'cohort_from', description: 'First join day of the cohort (default `from`).', schema: DAY },
      { name: 'cohort_to', description: 'Last join day of the cohort (default `to`).', schema: DAY },
    ],
  ),
  named('cost', 'Reward cost, referred revenue, CPA and reward ROI per currency'),
  named('ltv', 'Lifetime value of referred vs non-referred participants per currency'),
  named('cohorts', 'Weekly join cohorts: size, conversion and activity by week since joining'),
  named('rewards', 'Reward distribution by type, category, state and currency; spend vs budget'),
  named('segments', 'Conversion of signed-up people by plan, country, device, channel or segment', [
    {
      name: 'by',
      description: 'The attribute (default plan).',
      schema: { enum: ['plan', 'country', 'device_type', 'channel', 'segment'] },
    },
  ]),
  named('referrers', 'Per-referrer KPIs: shares, clickers, signups, conversions, revenue and reward cost', [
    {
      name: 'limit',
      description: 'How many referrers (default 20).',
      schema: { type: 'integer', minimum: 1, maximum: 1000, default: 20 },
    },
  ]),
  describe({
    method: 'get',
    path: '/v1/analytics/campaigns/:id/timeseries',
    operationId: 'getCampaignTimeSeries',
    summary: 'A campaign’s metrics per hour, day, week or month, empty buckets filled',
    tags: ['analytics'],
    permission: 'analytics.read',
    query: [
      ...WINDOW,
      {
        name: 'grain',
        description: 'hour, day (default), week or month.',
        schema: { enum: ['hour', 'day', 'week', 'month'] },
      },
      {
        name: 'metrics',
        description:
          'Comma-separated metric names of the custom report (default events,signups,conversions).',
        schema: { type: 'string', maxLength: 400 },
      },
      FORMAT,
    ],
    responses: { 200: REPORT },
  }),
  describe({
    method: 'post',
    path: '/v1/analytics/reports',
    operationId: 'runCustomReport',
    summary: 'Custom report: metrics × dimensions × filters × time grain',
    description:
      'At most 3 dimensions, 31 days at hour grain (731 otherwise) and 10,000 rows; larger requests are 400 with the field path. Money metrics are split by currency.',
    tags: ['analytics'],
    permission: 'analytics.read',
    query: [FORMAT],
    body: api('analyticsReportRequest'),
    responses: { 200: REPORT },
    idempotencyKey: true,
  }),
  describe({
    method: 'get',
    path: '/v1/analytics/campaigns/:id/live',
    operationId: 'streamLiveCounters',
    summary:
      'Live counters (server-sent events): events, signups, conversions and rewards in the last minutes',
    tags: ['analytics'],
    permission: 'analytics.read',
    query: [
      {
        name: 'minutes',
        description: 'The trailing window (default 15, at most 1440).',
        schema: { type: 'integer', minimum: 1, maximum: 1440, default: 15 },
      },
    ],
    responses: {
      200: { description: 'A `counts` event on every change (and every 15 s)', text: 'text/event-stream' },
    },
  }),
  describe({
    method: 'get',
    path: '/v1/analytics/campaigns/:id/report.pdf',
    operationId: 'getCampaignPdfReport',
    summary: 'A campaign’s PDF report: headline metrics, funnel and daily series as vector charts',
    tags: ['analytics'],
    permission: 'analytics.export',
    query: WINDOW,
    responses: { 200: { description: 'The PDF', text: 'application/pdf' } },
  }),
  describe({
    method: 'get',
    path: '/v1/analytics/report-subscriptions/me',
    operationId: 'getMyReportSubscription',
    summary: 'Whether the calling member gets the weekly report e-mail of this client',
    description: 'Members only (a session, or a key issued to a member); other callers are 403.',
    tags: ['analytics'],
    permission: 'analytics.read',
    responses: { 200: { description: 'The subscription', schema: api('analyticsReportSubscription') } },
  }),
  describe({
    method: 'put',
    path: '/v1/analytics/report-subscriptions/me',
    operationId: 'putMyReportSubscription',
    summary: 'Opt in to (or out of) the weekly report e-mail of this client',
    description:
      'Every Monday a subscribed member gets the summary of the week that ended (funnel, K-factor, CPA, ROI, top referrers, vs the week before) at their current member address, once per week.',
    tags: ['analytics'],
    permission: 'analytics.read',
    body: api('analyticsReportSubscriptionBody'),
    responses: { 200: { description: 'The subscription', schema: api('analyticsReportSubscription') } },
  }),
];
