import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRewardFixture, type RewardFixture } from '../../../test/support/reward.ts';
import { type FraudRewardDb, suspend } from '../fraud/repo.ts';
import { setProgramStatus } from '../programs/programs.ts';
import { REJECTION_REASONS } from './reasons.ts';

const credit = (amount: number) => ({ category: 'store_credit', amount, currency: 'USD' });
const good = {
  plan: 'pro',
  billing_cycle: 'annual',
  tenure_days: 90,
  lifecycle_stage: 'active',
  engagement: 'high',
  churn_risk: 'low',
};

let f: RewardFixture;
before(async () => {
  f = await createRewardFixture();
  const rewards = {
    referrer: { type: 'single', give: credit(10), when: { '!=': [{ var: 'traits.country' }, 'XX'] } },
    referee: { type: 'single', side: 'referee', give: credit(5) },
    tiered: { type: 'tiered', by: 'segment', tiers: [{ segment: 'vip', give: credit(50) }] },
    constraints: {
      budget: { amount: 100, currency: 'USD' },
      max_winners: 5,
      per_referrer_limit: { count: 1 },
      min_value: 20,
      max_fraud_score: 70,
      eligibility: {
        plans: ['pro'],
        billing_cycles: ['annual'],
        min_tenure_days: 30,
        lifecycle_stages: ['active'],
        min_engagement: 'medium',
        max_churn_risk: 'medium',
      },
    },
  };
  const segments = {
    vip: { when: { '==': [{ var: 'traits.vip' }, true] }, priority: 2 },
    banned: { when: { '==': [{ var: 'traits.banned' }, true] }, priority: 9, exclude: true },
  };
  for (const c of ['main', 'paused', 'future', 'full', 'broke', 'limited'])
    await f.register('acme', c, rewards, { segments });
  await setProgramStatus(f.test.db, { clientId: 'acme', campaignId: 'paused', status: 'paused' });
  await setProgramStatus(f.test.db, {
    clientId: 'acme',
    campaignId: 'future',
    status: 'active',
    startsAt: '2999-01-01T00:00:00Z',
  });
  // Fill the winner cap, the budget and one referrer's limit.
  const base = { clientId: 'acme', version: 1, rule: 'referrer', basisValue: 50, traits: good };
  for (let i = 0; i < 5; i++)
    await f.service.allocate({
      ...base,
      campaignId: 'full',
      participantId: `w${i}`,
      idempotencyKey: `full-${i}`,
    });
  await f.test.db
    .updateTable('reward_campaigns')
    .set({ allocated: 95 })
    .where('campaign_id', '=', 'broke')
    .execute();
  await f.service.allocate({
    ...base,
    campaignId: 'limited',
    participantId: 'heavy',
    referralId: 'first',
    idempotencyKey: 'lim-1',
  });
  await f.service.allocate({
    ...base,
    rule: 'referee',
    campaignId: 'main',
    participantId: 'dup',
    referralId: 'same',
    idempotencyKey: 'dup-1',
  });
});
after(() => f.close());

const check = (campaignId: string, extra: Record<string, unknown> = {}) =>
  f.service.checkEligibility({
    clientId: 'acme',
    campaignId,
    version: 1,
    rule: 'referrer',
    participantId: 'p1',
    basisValue: 50,
    traits: good,
    fraudScore: 5,
    ...extra,
  });

describe('three-phase eligibility: every rejection reason', () => {
  const cases: Record<string, () => ReturnType<typeof check>> = {
    CAMPAIGN_INACTIVE: () => check('paused'),
    OUTSIDE_CAMPAIGN_PERIOD: () => check('future'),
    WINNER_CAP_REACHED: () => check('full'),
    BUDGET_EXHAUSTED: () => check('broke'),
    EARNING_LIMIT: () => check('limited', { participantId: 'heavy', referralId: 'second' }),
    BELOW_MINIMUM: () => check('main', { basisValue: 19.99 }),
    PLAN_MISMATCH: () => check('main', { traits: { ...good, plan: 'free' } }),
    BILLING_MISMATCH: () => check('main', { traits: { ...good, billing_cycle: 'monthly' } }),
    TENURE_TOO_LOW: () => check('main', { traits: { ...good, tenure_days: 1 } }),
    WRONG_STAGE: () => check('main', { traits: { ...good, lifecycle_stage: 'churned' } }),
    LOW_ENGAGEMENT: () => check('main', { traits: { ...good, engagement: 'low' } }),
    CHURN_RISK_TOO_HIGH: () => check('main', { traits: { ...good, churn_risk: 'high' } }),
    SEGMENT_EXCLUDED: () => check('main', { traits: { ...good, banned: true } }),
    RULE_CONDITION_FAILED: () => check('main', { traits: { ...good, country: 'XX' } }),
    NO_MATCHING_TIER: () => check('main', { rule: 'tiered' }),
    FRAUD_DETECTED: () => check('main', { fraudScore: 71 }),
    PARTICIPANT_SUSPENDED: async () => {
      await suspend(f.test.db as unknown as FraudRewardDb, {
        client_id: 'acme',
        participant_id: 'fraudster',
        reason: '3 confirmed frauds',
        confirmed_frauds: 3,
        suspended_by: 'test',
      });
      return check('main', { participantId: 'fraudster' });
    },
    DUPLICATE_CLAIM: () => check('main', { rule: 'referee', participantId: 'dup', referralId: 'same' }),
  };

  for (const reason of REJECTION_REASONS.filter((r) => r !== 'PROGRAM_NOT_FOUND')) {
    it(reason, async () => {
      const run = cases[reason];
      assert.ok(run, `a case for ${reason}`);
      const r = await run();
      assert.equal(r.eligible, false);
      assert.equal(r.reason, reason);
    });
  }

  it('eligible: returns the matched segment and the reward config', async () => {
    const r = await check('main', { traits: { ...good, vip: true }, rule: 'tiered' });
    assert.deepEqual([r.eligible, r.reason, r.segment], [true, null, 'vip']);
    assert.deepEqual(
      [r.reward?.category, r.reward?.amount, r.reward?.fulfilment],
      ['store_credit', 50, 'auto'],
    );
  });

  it('without a rule: campaign-wide constraints and segmentation only', async () => {
    const r = await f.service.checkEligibility({
      clientId: 'acme',
      campaignId: 'main',
      version: 1,
      participantId: 'p',
      basisValue: 50,
      traits: good,
    });
    assert.deepEqual([r.eligible, r.reward], [true, null]);
    const referee = await f.service.checkEligibility({
      clientId: 'acme',
      campaignId: 'main',
      version: 1,
      participantId: 'p',
      side: 'referee',
      basisValue: 50,
      traits: good,
    });
    assert.deepEqual([referee.eligible, referee.reason], [true, null]);
  });

  it('an unknown program is NOT_FOUND, also for another client', async () => {
    await assert.rejects(
      f.service.checkEligibility({ clientId: 'globex', campaignId: 'main', version: 1, participantId: 'p' }),
      { code: 'NOT_FOUND' },
    );
  });
});
