import { Hono } from 'hono';
import { validators as v } from '../../../contract/reward-http.ts';
import { assertValid } from '../../../contract/validation.ts';
import { readJson } from '../../platform/http.ts';
import { internalAuth } from '../../platform/internal-auth.ts';
import { childLogger } from '../../platform/log.ts';
import { metrics } from '../../platform/metrics.ts';
import { idParam } from '../../platform/params.ts';
import { correlationIdOf } from '../../platform/request-id.ts';
import { allocateReward } from '../allocation/allocate.ts';
import type { RewardDeps } from '../deps.ts';
import { checkEligibility } from '../eligibility/eligibility.ts';
import { fulfilNow, runFulfilmentBatch } from '../fulfilment/queue.ts';
import { expireDue, revokeReward } from '../lifecycle/lifecycle.ts';
import { registerProgram, setProgramStatus } from '../programs/programs.ts';
import { calculateLeaderboard } from '../progress/leaderboards.ts';
import { checkMilestone } from '../progress/milestones.ts';

/** null (a journey's `{ var }` of a missing field) means "not given". */
const opt = <T>(v: T | null | undefined): T | undefined => v ?? undefined;
const traitsOf = (v: unknown): Record<string, unknown> | undefined =>
  (v ?? undefined) as Record<string, unknown> | undefined;

/**
 * Service-to-service routes (internal token), mounted at /internal/v1/rewards: the reward activities of
 * running journeys and the periodic jobs (expiry sweep, fulfilment queue).
 */
export function createInternalRoutes(deps: RewardDeps, internalToken: string) {
  const log = childLogger({ component: 'reward' });
  return new Hono()
    .use('*', internalAuth(internalToken, 'reward'))
    .post('/eligibility', async (c) => {
      const b = assertValid(v.eligibility, await readJson(c), 'eligibility request');
      return c.json(
        await checkEligibility(deps, {
          clientId: b.client_id,
          campaignId: b.campaign_id,
          version: b.version,
          participantId: b.participant_id,
          rule: b.reward,
          side: b.side,
          referralId: b.referral_id,
          basisValue: opt(b.basis_value),
          traits: traitsOf(b.traits),
          fraudScore: opt(b.fraud_score),
        }),
      );
    })
    .post('/allocate', async (c) => {
      const b = assertValid(v.allocate, await readJson(c), 'allocation request');
      const r = await allocateReward(deps, {
        clientId: b.client_id,
        campaignId: b.campaign_id,
        version: b.version,
        rule: b.reward,
        side: b.side,
        participantId: b.participant_id,
        referralId: b.referral_id,
        basisValue: opt(b.basis_value),
        traits: traitsOf(b.traits),
        fraudScore: opt(b.fraud_score),
        fraud: b.fraud ?? null,
        orderId: b.order_id ?? null,
        idempotencyKey: b.idempotency_key,
      });
      const outcome = r.replayed ? 'replayed' : r.allocated ? 'allocated' : 'refused';
      metrics.rewardAllocations.inc({ outcome, reason: r.reason ?? 'none' });
      log.info(
        {
          correlation_id: correlationIdOf(c),
          client_id: b.client_id,
          campaign_id: b.campaign_id,
          participant_id: b.participant_id,
          reward: b.reward,
          reward_id: r.reward_id,
          state: r.state,
          outcome,
          ...(r.reason ? { reason: r.reason } : {}),
        },
        { allocated: 'reward allocated', refused: 'reward refused', replayed: 'reward allocation replayed' }[
          outcome
        ],
      );
      return c.json(r);
    })
    .post('/:rewardId/fulfil', async (c) => {
      const b = assertValid(v.fulfil, await readJson(c), 'fulfilment request');
      return c.json(await fulfilNow(deps, b.client_id, idParam(c.req.param('rewardId'), 'rewardId')));
    })
    .post('/:rewardId/revoke', async (c) => {
      const b = assertValid(v.revoke, await readJson(c), 'revoke request');
      const rewardId = idParam(c.req.param('rewardId'), 'rewardId');
      const r = await revokeReward(
        deps,
        b.client_id,
        rewardId,
        b.actor ?? 'journey',
        b.reason ?? 'compensation',
      );
      return c.json({
        reward_id: r.row.id,
        state: r.row.state,
        previous_state: r.previous,
        revoked: r.revoked,
      });
    })
    .post('/milestones/check', async (c) => {
      const b = assertValid(v.milestone, await readJson(c), 'milestone request');
      return c.json(
        await checkMilestone(deps, {
          clientId: b.client_id,
          campaignId: b.campaign_id,
          version: b.version,
          rule: b.milestone,
          participantId: b.participant_id,
          increment: opt(b.increment),
          idempotencyKey: b.idempotency_key,
          traits: traitsOf(b.traits),
        }),
      );
    })
    .post('/leaderboards/calculate', async (c) => {
      const b = assertValid(v.leaderboard, await readJson(c), 'leaderboard request');
      return c.json(
        await calculateLeaderboard(deps, {
          clientId: b.client_id,
          campaignId: b.campaign_id,
          version: b.version,
          board: b.leaderboard,
          participantId: b.participant_id,
          value: opt(b.value),
          qualityScore: opt(b.quality_score),
          finalize: b.finalize,
          period: b.period,
          idempotencyKey: b.idempotency_key,
        }),
      );
    })
    .post('/expire', async (c) => {
      const b = assertValid(v.sweep, await readJson(c), 'expiry sweep');
      return c.json(
        await expireDue(deps, {
          ...(b.limit ? { limit: b.limit } : {}),
          ...(b.client_id ? { clientId: b.client_id } : {}),
        }),
      );
    })
    .post('/fulfilment/run', async (c) => {
      const b = assertValid(v.sweep, await readJson(c), 'fulfilment run');
      return c.json(await runFulfilmentBatch(deps, b.limit ?? 20));
    });
}

/** Program registration by the campaign service (internal token), mounted at /v1/reward-programs. */
export function createProgramRoutes(deps: RewardDeps, internalToken: string) {
  return new Hono()
    .use('*', internalAuth(internalToken, 'reward'))
    .put('/:campaignId', async (c) => {
      const b = assertValid(v.program, await readJson(c), 'reward program');
      const saved = await registerProgram(
        deps.db,
        {
          clientId: b.client_id,
          campaignId: idParam(c.req.param('campaignId'), 'campaignId'),
          version: b.version,
          rewards: b.rewards,
          segments: b.segments ?? {},
          status: b.status,
          startsAt: b.starts_at ?? null,
          endsAt: b.ends_at ?? null,
        },
        deps.engine,
      );
      return c.json({
        program: {
          client_id: saved.clientId,
          campaign_id: saved.campaignId,
          version: saved.version,
          rules: saved.rules,
        },
      });
    })
    .put('/:campaignId/status', async (c) => {
      const b = assertValid(v.programStatus, await readJson(c), 'program status');
      await setProgramStatus(deps.db, {
        clientId: b.client_id,
        campaignId: idParam(c.req.param('campaignId'), 'campaignId'),
        status: b.status,
        ...(b.starts_at !== undefined ? { startsAt: b.starts_at } : {}),
        ...(b.ends_at !== undefined ? { endsAt: b.ends_at } : {}),
      });
      return c.json({ status: b.status });
    });
}
