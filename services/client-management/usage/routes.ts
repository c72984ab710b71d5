import { Hono } from 'hono';
import { AppError } from '../../../contract/errors.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../../platform/auth.ts';
import { idParam } from '../../platform/params.ts';
import { monthOf, PLANS } from './plans.ts';
import type { MonthUsage } from './usage.ts';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** `month` of a query (`YYYY-MM`, default the current month, UTC), or a 400 naming it. */
export function monthParam(raw: string | undefined, now = new Date()): string {
  if (raw === undefined || raw === '') return monthOf(now);
  const m = MONTH.exec(raw);
  if (!m || Number(m[1]) < 2000 || Number(m[1]) > 2299)
    throw new AppError('VALIDATION_FAILED', 'month is invalid', [
      { path: 'month', message: 'not a month', expected: 'YYYY-MM' },
    ]);
  return raw;
}

/**
 * `GET /v1/usage?month=YYYY-MM` (the caller's client), `GET /v1/plans` (what each plan includes) and the
 * platform admin's `GET /v1/admin/clients/:id/usage` (one client at a time: each answer costs ClickHouse
 * and Temporal queries, so the admin list asks per row it shows, never for every client at once).
 */
export function createUsageRoutes(
  resolver: ApiKeyResolver,
  usageOf: (clientId: string, month: string) => Promise<MonthUsage>,
  clientExists: (clientId: string) => Promise<boolean>,
) {
  return new Hono<{ Variables: AuthVariables }>()
    .get('/admin/clients/:id/usage', authenticate(resolver, { permission: 'client.admin' }), async (c) => {
      const id = idParam(c.req.param('id'), 'id');
      const month = monthParam(c.req.query('month'));
      if (!(await clientExists(id)))
        throw new AppError('NOT_FOUND', 'no such client', [{ path: 'id', message: 'unknown client' }]);
      return c.json({ usage: await usageOf(id, month) });
    })
    .get('/usage', authenticate(resolver, { permission: 'usage.read' }), async (c) => {
      const month = monthParam(c.req.query('month'));
      return c.json({ usage: await usageOf(c.get('principal').clientId, month) });
    })
    .get('/plans', authenticate(resolver, { permission: 'usage.read' }), (c) =>
      c.json({ data: Object.values(PLANS) }),
    );
}
