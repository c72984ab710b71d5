import { Hono } from 'hono';
import { AppError } from '../../../contract/errors.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../../platform/auth.ts';
import { readBody } from '../../platform/http.ts';
import { api } from '../../platform/openapi.ts';
import { byCreatedAt, pageOf, pageRequest } from '../../platform/pagination.ts';
import { idParam, optionalIdParam } from '../../platform/params.ts';
import type { RewardDeps } from '../deps.ts';
import type { RewardRow } from '../tables.ts';
import {
  type DecisionRow,
  type FraudRewardDb,
  liftSuspension,
  listDecisions,
  listHeld,
  listSuspensions,
  type SuspensionRow,
} from './repo.ts';
import { approveHeld, rejectHeld, requireHeld } from './review.ts';

/** Who acted: a member (portal session) or a key. */
export function actorOf(p: AuthVariables['principal']): string {
  const member = (p as { memberId?: string }).memberId;
  return member ? `member:${member}` : `key:${p.keyId}`;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function decisionView(d: DecisionRow) {
  return {
    reward_id: d.reward_id,
    campaign_id: d.campaign_id,
    participant_id: d.participant_id,
    referrer_id: d.referrer_id,
    referral_id: d.referral_id,
    decision: d.decision,
    confirmed_fraud: d.confirmed_fraud,
    score: d.score,
    actor: d.actor,
    reason: d.reason,
    at: new Date(d.at).toISOString(),
  };
}

export function suspensionView(s: SuspensionRow) {
  return {
    participant_id: s.participant_id,
    reason: s.reason,
    confirmed_frauds: s.confirmed_frauds,
    suspended_by: s.suspended_by,
    suspended_at: new Date(s.suspended_at).toISOString(),
    lifted_at: iso(s.lifted_at),
    lifted_by: s.lifted_by,
    lift_reason: s.lift_reason,
  };
}

/**
 * The fraud review queue and its records, mounted at /v1: held rewards (PENDING with the engine's
 * verdict), approve / reject with a reason (recorded), the decision record, suspensions and lifting one.
 */
export function createFraudRoutes(
  deps: RewardDeps,
  resolver: ApiKeyResolver,
  view: (r: RewardRow) => unknown,
) {
  const reviewer = authenticate(resolver, { permission: 'fraud.review' });
  const configurer = authenticate(resolver, { permission: 'fraud.configure' });
  const db = deps.db as unknown as FraudRewardDb;
  return new Hono<{ Variables: AuthVariables }>()
    .get('/fraud-reviews', reviewer, async (c) => {
      const page = pageRequest((k) => c.req.query(k));
      const rows = await listHeld(db, c.get('principal').clientId, {
        campaignId: optionalIdParam(c.req.query('campaign_id'), 'campaign_id'),
        page,
      });
      return c.json(pageOf(rows, page, byCreatedAt, view));
    })
    .post('/fraud-reviews/:rewardId/approve', reviewer, async (c) => {
      const p = c.get('principal');
      const b = await readBody<{ reason?: string }>(c, api('fraudApproveBody'), 'approval');
      const id = idParam(c.req.param('rewardId'), 'rewardId');
      await requireHeld(deps, p.clientId, id);
      return c.json({ reward: view(await approveHeld(deps, p.clientId, id, actorOf(p), b.reason ?? null)) });
    })
    .post('/fraud-reviews/:rewardId/reject', reviewer, async (c) => {
      const p = c.get('principal');
      const b = await readBody<{ reason: string; confirmed_fraud?: boolean }>(
        c,
        api('fraudRejectBody'),
        'rejection',
      );
      const id = idParam(c.req.param('rewardId'), 'rewardId');
      await requireHeld(deps, p.clientId, id);
      const row = await rejectHeld(deps, p.clientId, id, actorOf(p), b.reason, b.confirmed_fraud ?? true);
      return c.json({ reward: view(row) });
    })
    .get('/fraud-decisions', reviewer, async (c) => {
      const rows = await listDecisions(db, c.get('principal').clientId, {
        participantId: optionalIdParam(c.req.query('participant_id'), 'participant_id'),
        rewardId: optionalIdParam(c.req.query('reward_id'), 'reward_id'),
      });
      return c.json({ data: rows.map(decisionView) });
    })
    .get('/fraud-suspensions', reviewer, async (c) => {
      const rows = await listSuspensions(db, c.get('principal').clientId);
      return c.json({ data: rows.map(suspensionView) });
    })
    .post('/fraud-suspensions/:participantId/lift', configurer, async (c) => {
      const p = c.get('principal');
      const b = await readBody<{ reason: string }>(c, api('fraudLiftBody'), 'lift');
      const participant = idParam(c.req.param('participantId'), 'participantId');
      const row = await liftSuspension(db, p.clientId, participant, actorOf(p), b.reason);
      if (!row) throw new AppError('NOT_FOUND', 'this participant is not suspended');
      return c.json({ suspension: suspensionView(row) });
    });
}
