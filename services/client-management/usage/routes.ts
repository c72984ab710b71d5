import { Hono } from 'hono';
import { AppError } from '../../../contract/errors.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../../platform/auth.ts';
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

/** `GET /v1/usage?month=YYYY-MM` (the caller's client) and `GET /v1/plans` (what each plan includes). */
export function createUsageRoutes(
  resolver: ApiKeyResolver,
  usageOf: (clientId: string, month: string) => Promise<MonthUsage>,
) {
  return new Hono<{ Variables: AuthVariables }>()
    .get('/usage', authenticate(resolver, { permission: 'usage.read' }), async (c) => {
      const month = monthParam(c.req.query('month'));
      return c.json({ usage: await usageOf(c.get('principal').clientId, month) });
    })
    .get('/plans', authenticate(resolver, { permission: 'usage.read' }), (c) =>
      c.json({ data: Object.values(PLANS) }),
    );
}
