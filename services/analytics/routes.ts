import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import type { ClickHouse } from '../platform/clickhouse.ts';
import { dayParam, idParam, intParam, optionalIdParam } from '../platform/params.ts';
import * as q from './queries.ts';

/** Dashboards' read API (secret keys, analyst role and up). */
export function createAnalyticsRoutes(ch: ClickHouse, resolver: ApiKeyResolver) {
  return new Hono<{ Variables: AuthVariables }>()
    .use('*', authenticate(resolver, { permission: 'analytics.read' }))
    .get('/funnel', async (c) => {
      const campaign_id = optionalIdParam(c.req.query('campaign_id'), 'campaign_id');
      const from = dayParam(c.req.query('from'), 'from');
      const to = dayParam(c.req.query('to'), 'to');
      try {
        const funnel = await q.funnel(ch, c.get('principal').clientId, {
          ...(campaign_id ? { campaignId: campaign_id } : {}),
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
        });
        return c.json({ campaign_id: campaign_id ?? null, funnel });
      } catch (err) {
        if (err instanceof RangeError)
          throw new AppError('VALIDATION_FAILED', err.message, [
            { path: err.message.split(' ')[0] ?? '', message: err.message },
          ]);
        throw err;
      }
    })
    .get('/campaigns/:id/hourly', async (c) => {
      const id = idParam(c.req.param('id'), 'id');
      const hours = intParam(c.req.query('hours'), 'hours', { min: 1, max: 24 * 90, fallback: 24 });
      return c.json({ rows: await q.hourlyStats(ch, c.get('principal').clientId, id, hours) });
    })
    .get('/leaderboard', async (c) => {
      const limit = intParam(c.req.query('limit'), 'limit', { min: 1, max: 1000, fallback: 10 });
      const campaignId = optionalIdParam(c.req.query('campaign_id'), 'campaign_id');
      return c.json({
        leaders: await q.leaderboard(ch, c.get('principal').clientId, campaignId, limit),
      });
    });
}
