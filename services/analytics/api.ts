import { api, describe } from '../platform/openapi.ts';

const DAY = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
const CAMPAIGN = { name: 'campaign_id', description: 'Only this campaign.' };

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
];
