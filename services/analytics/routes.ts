import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../platform/auth.ts';
import type { ClickHouse } from '../platform/clickhouse.ts';
import * as q from './queries.ts';

function bounded(raw: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new AppError('VALIDATION_FAILED', `${name} is invalid`, [
      { path: name, message: 'out of range', expected: `integer ${min}..${max}` },
    ]);
  }
  return n;
}

/** Dashboards' read API (secret keys, analyst role and up). */
export function createAnalyticsRoutes(ch: ClickHouse, resolver: ApiKeyResolver) {
  return new Hono<{ Variables: AuthVariables }>()
    .use('*', authenticate(resolver, { permission: 'analytics.read' }))
    .get('/funnel', async (c) => {
      const { campaign_id, from, to } = c.req.query();
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
      const hours = bounded(c.req.query('hours'), 'hours', 1, 24 * 90, 24);
      return c.json({ rows: await q.hourlyStats(ch, c.get('principal').clientId, c.req.param('id'), hours) });
    })
    .get('/leaderboard', async (c) => {
      const limit = bounded(c.req.query('limit'), 'limit', 1, 1000, 10);
      return c.json({
        leaders: await q.leaderboard(ch, c.get('principal').clientId, c.req.query('campaign_id'), limit),
      });
    });
}
