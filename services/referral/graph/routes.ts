import { Hono } from 'hono';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../../platform/auth.ts';
import type { Db } from '../../platform/db.ts';
import { pageOf, pageRequest } from '../../platform/pagination.ts';
import { idParam, intParam } from '../../platform/params.ts';
import { chainOf, childrenOf, depthOf, MAX_CHAIN } from './graph.ts';

/** The referral graph of one participant, under `/v1/participants`. */
export function createGraphRoutes(db: Db, resolver: ApiKeyResolver) {
  return new Hono<{ Variables: AuthVariables }>()
    .get('/:id/referrals', authenticate(resolver, { permission: 'referral.read' }), async (c) => {
      const page = pageRequest((k) => c.req.query(k));
      const rows = await childrenOf(db, c.get('principal').clientId, idParam(c.req.param('id'), 'id'), page);
      return c.json(
        pageOf(
          rows,
          page,
          (r) => ({ at: r.at, id: r.id }),
          (r) => r.view,
        ),
      );
    })
    .get('/:id/chain', authenticate(resolver, { permission: 'referral.read' }), async (c) => {
      const participantId = idParam(c.req.param('id'), 'id');
      const limit = intParam(c.req.query('limit'), 'limit', { min: 1, max: MAX_CHAIN, fallback: MAX_CHAIN });
      const clientId = c.get('principal').clientId;
      const { ancestors, truncated } = await chainOf(db, clientId, participantId, limit);
      const depth = await depthOf(db, clientId, participantId);
      return c.json({ participant_id: participantId, depth, ancestors, truncated });
    });
}
