import { Hono } from 'hono';
import { AppError } from '../../../contract/errors.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../../platform/auth.ts';
import { sdkCors } from '../../platform/cors.ts';
import { idParam, intParam, optionalIdParam } from '../../platform/params.ts';
import type { BoardRow, Leaderboards } from './leaderboards.ts';

const PERIOD = /^(campaign|\d{4}-W\d{2}|\d{4}-\d{2})$/;

function periodParam(raw: string | undefined): string | undefined {
  const p = optionalIdParam(raw, 'period');
  if (p !== undefined && !PERIOD.test(p))
    throw new AppError('VALIDATION_FAILED', 'period is invalid', [
      { path: 'period', message: 'invalid', expected: 'campaign, YYYY-Www or YYYY-MM' },
    ]);
  return p;
}

function notFound(): never {
  throw new AppError('NOT_FOUND', 'no such leaderboard');
}

/**
 * The leaderboard API. Under /v1/campaigns/:campaign/leaderboards (secret keys: leaderboard.read,
 * leaderboard.manage) and the public board under /v1/public/leaderboards/:clientId/… (no key).
 */
export function createLeaderboardRoutes(boards: Leaderboards, resolver: ApiKeyResolver) {
  const load = async (
    clientId: string,
    campaign: string | undefined,
    board: string | undefined,
  ): Promise<BoardRow> =>
    (await boards.board({
      clientId,
      campaignId: idParam(campaign, 'campaign'),
      boardId: idParam(board, 'board'),
    })) ?? notFound();
  const read = authenticate(resolver, { permission: 'leaderboard.read' });
  const manage = authenticate(resolver, { permission: 'leaderboard.manage' });
  return new Hono<{ Variables: AuthVariables }>()
    .get('/v1/campaigns/:campaign/leaderboards/:board', read, async (c) => {
      // Parameters first: a bad one is a 400 whether or not the board exists.
      const limit = intParam(c.req.query('limit'), 'limit', { min: 1, max: 1000, fallback: 100 });
      const offset = intParam(c.req.query('offset'), 'offset', { min: 0, max: 10_000_000, fallback: 0 });
      const period = periodParam(c.req.query('period'));
      const b = await load(c.get('principal').clientId, c.req.param('campaign'), c.req.param('board'));
      return c.json(await boards.top(b, { period, limit, offset }));
    })
    .get('/v1/campaigns/:campaign/leaderboards/:board/participants/:id', read, async (c) => {
      const around = intParam(c.req.query('around'), 'around', { min: 0, max: 50, fallback: 5 });
      const period = periodParam(c.req.query('period'));
      const id = idParam(c.req.param('id'), 'id');
      const b = await load(c.get('principal').clientId, c.req.param('campaign'), c.req.param('board'));
      return c.json(await boards.participant(b, id, { period, around }));
    })
    .post('/v1/campaigns/:campaign/leaderboards/:board/rebuild', manage, async (c) => {
      const requested = periodParam(c.req.query('period'));
      const b = await load(c.get('principal').clientId, c.req.param('campaign'), c.req.param('board'));
      const period = requested ?? (await boards.top(b, { limit: 1 })).period;
      return c.json({ period, rebuilt: await boards.rebuild(b, period) });
    })
    .use('/v1/public/leaderboards/*', sdkCors())
    .get('/v1/public/leaderboards/:clientId/:campaign/:board', async (c) => {
      const period = periodParam(c.req.query('period'));
      const b = await load(
        idParam(c.req.param('clientId'), 'clientId'),
        c.req.param('campaign'),
        c.req.param('board'),
      );
      if (b.config.public?.enabled !== true || b.campaignStatus === 'draft') notFound();
      c.header('Cache-Control', 'public, max-age=30');
      return c.json(await boards.publicBoard(b, period));
    });
}
