import { Hono } from 'hono';
import { AppError } from '../../../contract/errors.ts';
import type { RewardValue } from '../../../contract/generated/reward.generated.ts';
import { validators as v } from '../../../contract/reward-http.ts';
import { assertValid } from '../../../contract/validation.ts';
import { type ApiKeyResolver, type AuthVariables, authenticate } from '../../platform/auth.ts';
import { sdkCors } from '../../platform/cors.ts';
import { readJson } from '../../platform/http.ts';
import { IDENTITY_HEADER, participantAccess } from '../../platform/identity-token.ts';
import { byCreatedAt, pageOf, pageRequest } from '../../platform/pagination.ts';
import { enumParam, idParam, optionalIdParam } from '../../platform/params.ts';
import { isStandardSecret, newWebhookSecret } from '../../platform/webhooks.ts';
import type { RewardDeps } from '../deps.ts';
import { approveHeld, rejectHeld, reviewView } from '../fraud/review.ts';
import { balances, findCoupon, saveEndpoint } from '../fulfilment/repo.ts';
import { describeReward } from '../lifecycle/describe.ts';
import { claimReward, redeemCoupon, redeemReward, retryReward } from '../lifecycle/lifecycle.ts';
import { countRewardsByState, findReward, listRewards, listTransitions } from '../lifecycle/repo.ts';
import { REWARD_STATES } from '../lifecycle/state-machine.ts';
import { findCampaign } from '../programs/repo.ts';
import { calculateLeaderboard } from '../progress/leaderboards.ts';
import type { RewardRow } from '../tables.ts';

/** What clients see of a reward (no idempotency keys or internal flags). */
export function rewardView(r: RewardRow) {
  return {
    id: r.id,
    campaign_id: r.campaign_id,
    version: r.version,
    rule: r.rule,
    side: r.side,
    participant_id: r.participant_id,
    referral_id: r.referral_id,
    state: r.state,
    reason: r.reason,
    category: r.category,
    amount: r.amount,
    currency: r.currency,
    value: r.value,
    label: describeReward(r.value as unknown as RewardValue, r.amount, r.currency),
    segment: r.segment,
    fulfilment_mode: r.fulfilment_mode,
    fulfilment: r.fulfilment,
    expires_at: r.expires_at ? new Date(r.expires_at).toISOString() : null,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    review: reviewView(r),
  };
}

const page = (q: (k: string) => string | undefined) => ({ page: pageRequest(q) });

/**
 * Public routes, mounted at /v1. SDK routes accept a publishable key and a participant id; a publishable
 * key is public, so a participant's rewards, balance and claims need an identity token for exactly that
 * participant (`X-Pulse-Identity`, signed by the client's server); without one the rewards list is only
 * counts and balance/claim answer 401 IDENTITY_REQUIRED. The portal and the client's server use secret
 * keys with a role (and need no token): viewers read, managers work the approval queue and redeem/retry,
 * admins set the fulfilment webhook.
 * Every query is scoped to the key's client, so another client's reward is simply not found.
 */
export function createPublicRoutes(deps: RewardDeps, resolver: ApiKeyResolver) {
  const sdk = authenticate(resolver, { permission: 'participant.rewards' });
  const viewer = authenticate(resolver, { permission: 'reward.read' });
  const redeemer = authenticate(resolver, { permission: 'reward.redeem' });
  const approver = authenticate(resolver, { permission: 'reward.approve' });
  const admin = authenticate(resolver, { permission: 'reward.configure' });
  const actor = (p: AuthVariables['principal']) => `key:${p.keyId}`;
  const access = (
    c: { get(k: 'principal'): AuthVariables['principal']; req: { header(n: string): string | undefined } },
    participantId: string,
  ) =>
    participantAccess(resolver, c.get('principal'), c.req.header(IDENTITY_HEADER), participantId, deps.now());
  const requireIdentity = async (...a: Parameters<typeof access>) => {
    const r = await access(...a);
    if (!r.full)
      throw new AppError(
        'IDENTITY_REQUIRED',
        `a valid identity token for this participant is required (${r.reason})`,
      );
  };

  return new Hono<{ Variables: AuthVariables }>()
    .use('/reward-participants/*', sdkCors())
    .use('/reward-leaderboards/*', sdkCors())
    .use('/rewards/:rewardId/claim', sdkCors())
    .get('/reward-participants/:participantId/rewards', sdk, async (c) => {
      const clientId = c.get('principal').clientId;
      const participantId = idParam(c.req.param('participantId'), 'participantId');
      const req = page((k) => c.req.query(k));
      const a = await access(c, participantId);
      if (!a.full) {
        // The public view: how many rewards in which state, nothing that identifies or pays one.
        const counts = await countRewardsByState(deps.db, clientId, participantId);
        return c.json({
          data: [],
          has_more: false,
          next_cursor: null,
          redacted: true,
          reason: a.reason,
          counts,
        });
      }
      const rows = await listRewards(deps.db, clientId, { participantId, ...req });
      return c.json(pageOf(rows, req.page, byCreatedAt, rewardView));
    })
    .get('/reward-participants/:participantId/balance', sdk, async (c) => {
      const participantId = idParam(c.req.param('participantId'), 'participantId');
      await requireIdentity(c, participantId);
      return c.json({ balances: await balances(deps.db, c.get('principal').clientId, participantId) });
    })
    .post('/rewards/:rewardId/claim', sdk, async (c) => {
      const b = assertValid(v.claim, await readJson(c), 'claim');
      await requireIdentity(c, b.participant_id);
      const row = await claimReward(
        deps,
        c.get('principal').clientId,
        idParam(c.req.param('rewardId'), 'rewardId'),
        b.participant_id,
        b.details ?? {},
      );
      return c.json({ reward: rewardView(row) });
    })
    .get('/reward-leaderboards/:campaignId/:board', sdk, async (c) => {
      const clientId = c.get('principal').clientId;
      const campaign = await findCampaign(
        deps.db,
        clientId,
        idParam(c.req.param('campaignId'), 'campaignId'),
      );
      if (!campaign) throw new AppError('NOT_FOUND', 'no such campaign');
      const period = optionalIdParam(c.req.query('period'), 'period');
      const participant = optionalIdParam(c.req.query('participant_id'), 'participant_id');
      const result = await calculateLeaderboard(deps, {
        clientId,
        campaignId: campaign.campaign_id,
        version: campaign.current_version,
        board: idParam(c.req.param('board'), 'board'),
        ...(period ? { period } : {}),
        ...(participant ? { participantId: participant } : {}),
        readOnly: true,
        idempotencyKey: 'read-only',
      });
      return c.json({
        period: result.period,
        final: result.final,
        standings: result.standings,
        rank: result.rank,
      });
    })
    .get('/rewards', viewer, async (c) => {
      const state = enumParam(c.req.query('state'), 'state', REWARD_STATES);
      const req = page((k) => c.req.query(k));
      const rows = await listRewards(deps.db, c.get('principal').clientId, {
        campaignId: optionalIdParam(c.req.query('campaign_id'), 'campaign_id'),
        participantId: optionalIdParam(c.req.query('participant_id'), 'participant_id'),
        state,
        ...req,
      });
      return c.json(pageOf(rows, req.page, byCreatedAt, rewardView));
    })
    .get('/rewards/:rewardId', viewer, async (c) => {
      const clientId = c.get('principal').clientId;
      const row = await findReward(deps.db, clientId, idParam(c.req.param('rewardId'), 'rewardId'));
      if (!row) throw new AppError('NOT_FOUND', 'no such reward');
      const transitions = await listTransitions(deps.db, clientId, row.id);
      return c.json({
        reward: rewardView(row),
        transitions: transitions.map((t) => ({
          from: t.from_state,
          to: t.to_state,
          actor: t.actor,
          reason: t.reason,
          at: t.at.toISOString(),
        })),
      });
    })
    .post('/rewards/:rewardId/redeem', redeemer, async (c) => {
      const p = c.get('principal');
      return c.json({
        reward: rewardView(
          await redeemReward(deps, p.clientId, idParam(c.req.param('rewardId'), 'rewardId'), actor(p)),
        ),
      });
    })
    .post('/rewards/:rewardId/retry', redeemer, async (c) => {
      const p = c.get('principal');
      return c.json({
        reward: rewardView(
          await retryReward(deps, p.clientId, idParam(c.req.param('rewardId'), 'rewardId'), actor(p)),
        ),
      });
    })
    .get('/reward-approvals', approver, async (c) => {
      const req = page((k) => c.req.query(k));
      const rows = await listRewards(deps.db, c.get('principal').clientId, {
        state: 'PENDING',
        mode: 'approval',
        campaignId: optionalIdParam(c.req.query('campaign_id'), 'campaign_id'),
        oldestFirst: true,
        ...req,
      });
      return c.json(pageOf(rows, req.page, byCreatedAt, rewardView));
    })
    .post('/reward-approvals/:rewardId/approve', approver, async (c) => {
      const p = c.get('principal');
      return c.json({
        reward: rewardView(
          await approveHeld(deps, p.clientId, idParam(c.req.param('rewardId'), 'rewardId'), actor(p), null),
        ),
      });
    })
    .post('/reward-approvals/:rewardId/reject', approver, async (c) => {
      const p = c.get('principal');
      const b = assertValid(v.reject, await readJson(c), 'rejection');
      return c.json({
        reward: rewardView(
          await rejectHeld(
            deps,
            p.clientId,
            idParam(c.req.param('rewardId'), 'rewardId'),
            actor(p),
            b.reason,
          ),
        ),
      });
    })
    .get('/reward-coupons/:code', viewer, async (c) => {
      const coupon = await findCoupon(
        deps.db,
        c.get('principal').clientId,
        idParam(c.req.param('code'), 'code'),
      );
      if (!coupon) throw new AppError('NOT_FOUND', 'no such coupon');
      const expired = coupon.expires_at !== null && new Date(coupon.expires_at) <= deps.now();
      return c.json({ coupon: { ...coupon, valid: !coupon.redeemed_at && !expired } });
    })
    .post('/reward-coupons/:code/redeem', redeemer, async (c) => {
      const p = c.get('principal');
      return c.json({
        reward: rewardView(
          await redeemCoupon(deps, p.clientId, idParam(c.req.param('code'), 'code'), actor(p)),
        ),
      });
    })
    .get('/reward-budgets/:campaignId', viewer, async (c) => {
      const row = await findCampaign(
        deps.db,
        c.get('principal').clientId,
        idParam(c.req.param('campaignId'), 'campaignId'),
      );
      if (!row) throw new AppError('NOT_FOUND', 'no such campaign');
      return c.json({
        budget: {
          campaign_id: row.campaign_id,
          status: row.status,
          currency: row.currency,
          budget: row.budget,
          allocated: row.allocated,
          fulfilled: row.fulfilled,
          remaining: row.budget === null ? null : Math.round((row.budget - row.allocated) * 100) / 100,
          max_winners: row.max_winners,
          winners: row.winners,
        },
      });
    })
    .put('/reward-fulfilment-endpoint', admin, async (c) => {
      const b = assertValid(v.endpoint, await readJson(c), 'fulfilment endpoint');
      // Deliveries are signed with Standard Webhooks, whose secrets are `whsec_` + base64 of the key.
      if (b.secret !== undefined && !isStandardSecret(b.secret))
        throw new AppError('VALIDATION_FAILED', 'fulfilment endpoint is invalid', [
          {
            path: 'secret',
            message: 'not a Standard Webhooks secret',
            expected: 'whsec_ + base64 of 16 or more bytes',
          },
        ]);
      // A URL into our own network is refused here, not at the first payout.
      await deps.outbound.check(b.url, 'url');
      const secret = b.secret ?? newWebhookSecret();
      await saveEndpoint(deps.db, c.get('principal').clientId, b.url, deps.secretBox.encrypt(secret));
      // The secret is shown once, like an API key; deliveries are signed with it.
      return c.json({ endpoint: { url: b.url, secret } });
    });
}
