import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addDuration, compute, sum } from '../allocation/calculate.ts';
import { buildProgram } from '../programs/programs.ts';
import { periodKey, previousPeriodKey } from '../progress/periods.ts';
import { assess } from './assess.ts';
import { createRewardRuleEngine } from './rule-engine.ts';

const engine = createRewardRuleEngine();
const now = new Date('2025-03-10T12:00:00Z');
const credit = (amount: number) => ({ category: 'store_credit', amount, currency: 'USD' });
const program = (rewards: Record<string, unknown>, segments: Record<string, unknown> = {}) =>
  buildProgram({ clientId: 'c', campaignId: 'k', version: 1, rewards, segments }, engine);
const run = (p: ReturnType<typeof program>, rule: string, extra: Record<string, unknown> = {}) =>
  assess(p, { rule, participantId: 'p1', now, ...extra });

describe('reward types', () => {
  it('single: one side, fixed value', () => {
    const a = run(
      program({ referee: { type: 'single', side: 'referee', give: { category: 'coupon', percent: 10 } } }),
      'referee',
    );
    assert.equal(a.side, 'referee');
    assert.equal(a.computed?.value.category, 'coupon');
    assert.equal(a.computed?.cost, 0, 'a percent coupon costs nothing against the budget by default');
    assert.equal(a.countsLimit, false, 'referee rewards do not count toward referrer limits');
    assert.throws(() => run(program({ r: { type: 'single', give: credit(5) } }), 'r', { side: 'referee' }), {
      code: 'VALIDATION_FAILED',
    });
  });

  it('double: different value and category per side, each side assessed on its own', () => {
    const p = program({
      signup: {
        type: 'double',
        referrer: { give: { category: 'cash', amount: 20, currency: 'USD' } },
        referee: {
          give: { category: 'coupon', amount: 10, currency: 'USD' },
          when: { '==': [{ var: 'traits.plan' }, 'pro'] },
        },
      },
    });
    const referrer = run(p, 'signup', { side: 'referrer', traits: { plan: 'free' } });
    const referee = run(p, 'signup', { side: 'referee', traits: { plan: 'free' } });
    assert.equal(referrer.computed?.value.category, 'cash');
    assert.equal(referrer.reject, null);
    assert.equal(referee.computed?.amount, 10);
    assert.equal(referee.reject, 'RULE_CONDITION_FAILED');
    assert.throws(() => run(p, 'signup'), { code: 'VALIDATION_FAILED' }, 'a double rule needs the side');
  });

  it('tiered by order value: exclusive picks the highest tier reached; below all tiers earns nothing', () => {
    const p = program({
      referrer: {
        type: 'tiered',
        by: 'order_value',
        mode: 'exclusive',
        tiers: [
          { from: 50, give: credit(10) },
          { from: 100, give: credit(25) },
          { from: 250, give: credit(50) },
        ],
      },
    });
    assert.equal(run(p, 'referrer', { basisValue: 99.99 }).computed?.amount, 10);
    assert.equal(run(p, 'referrer', { basisValue: 100 }).computed?.amount, 25);
    assert.equal(run(p, 'referrer', { basisValue: 1000 }).computed?.amount, 50);
    assert.equal(run(p, 'referrer', { basisValue: 49 }).reject, 'BELOW_MINIMUM');
  });

  it('tiered cumulative (progression): tiers reached add up', () => {
    const p = program({
      switchup: {
        type: 'tiered',
        by: 'progression',
        mode: 'cumulative',
        tiers: [
          { from: 1, give: credit(100) },
          { from: 2, give: credit(200) },
          { from: 3, give: credit(300) },
        ],
      },
    });
    assert.equal(run(p, 'switchup', { basisValue: 2 }).computed?.amount, 300);
    assert.equal(run(p, 'switchup', { basisValue: 3 }).computed?.cost, 600);
  });

  it('tiered as a percentage of the value, capped', () => {
    const p = program({
      referrer: {
        type: 'tiered',
        by: 'order_value',
        tiers: [
          { from: 0, give: { category: 'cash', percent_of_value: 5, max_amount: 20, currency: 'EUR' } },
        ],
      },
    });
    assert.equal(run(p, 'referrer', { basisValue: 123.45 }).computed?.amount, 6.17);
    assert.equal(run(p, 'referrer', { basisValue: 1000 }).computed?.amount, 20);
  });

  it('tiered by segment', () => {
    const p = program(
      {
        referrer: {
          type: 'tiered',
          by: 'segment',
          tiers: [
            { segment: 'free', give: credit(5) },
            { segment: 'pro', give: credit(20) },
          ],
        },
      },
      {
        free: { when: { '==': [{ var: 'traits.plan' }, 'free'] } },
        pro: { when: { '==': [{ var: 'traits.plan' }, 'pro'] } },
      },
    );
    assert.equal(run(p, 'referrer', { traits: { plan: 'pro' } }).computed?.amount, 20);
    assert.equal(run(p, 'referrer', { traits: { plan: 'business' } }).reject, 'NO_MATCHING_TIER');
  });

  it('milestone and leaderboard values come from the threshold / prize (passed in)', () => {
    const p = program({
      m: { type: 'milestone', counter: 'conversions', thresholds: [{ at: 5, give: credit(50) }] },
    });
    assert.equal(run(p, 'm', { give: credit(50) }).computed?.amount, 50);
  });
});

describe('segmentation', () => {
  const p = program(
    { referrer: { type: 'single', give: credit(10) } },
    {
      loyal: {
        when: { '>=': [{ var: 'traits.tenure_days' }, 365] },
        priority: 5,
        rewards: { referrer: credit(50) },
      },
      pro: {
        when: { '==': [{ var: 'traits.plan' }, 'pro'] },
        priority: 10,
        rewards: { referrer: credit(20) },
      },
      churned: { when: { '==': [{ var: 'traits.lifecycle_stage' }, 'churned'] }, priority: 1, exclude: true },
    },
  );

  it('picks the best match by declared priority and applies its override', () => {
    const a = run(p, 'referrer', { traits: { plan: 'pro', tenure_days: 400 } });
    assert.equal(a.segment, 'pro');
    assert.equal(a.computed?.amount, 20);
    assert.equal(run(p, 'referrer', { traits: { plan: 'free', tenure_days: 400 } }).computed?.amount, 50);
    assert.equal(run(p, 'referrer', { traits: { plan: 'free' } }).segment, null);
  });

  it('an excluding segment rejects', () => {
    assert.equal(run(p, 'referrer', { traits: { lifecycle_stage: 'churned' } }).reject, 'SEGMENT_EXCLUDED');
  });
});

describe('phase 2 and 3 reasons, in order', () => {
  const p = program({
    referrer: { type: 'single', give: credit(10), min_value: 50 },
    constraints: {
      max_fraud_score: 60,
      eligibility: {
        plans: ['pro', 'business'],
        billing_cycles: ['monthly', 'annual'],
        min_tenure_days: 30,
        lifecycle_stages: ['active'],
        min_engagement: 'medium',
        max_churn_risk: 'medium',
      },
    },
  });
  const good = {
    plan: 'pro',
    billing_cycle: 'annual',
    tenure_days: 90,
    lifecycle_stage: 'active',
    engagement: 'high',
    churn_risk: 'low',
  };
  const cases: [Record<string, unknown>, string | null][] = [
    [{ basisValue: 80, traits: good, fraudScore: 10 }, null],
    [{ basisValue: 10, traits: { ...good, plan: 'free' } }, 'BELOW_MINIMUM'],
    [{ basisValue: 80, traits: { ...good, plan: 'free' } }, 'PLAN_MISMATCH'],
    [{ basisValue: 80, traits: { ...good, billing_cycle: 'weekly' } }, 'BILLING_MISMATCH'],
    [{ basisValue: 80, traits: { ...good, tenure_days: 3 } }, 'TENURE_TOO_LOW'],
    [
      { basisValue: 80, traits: { ...good, tenure_days: undefined, signup_at: '2025-03-01T00:00:00Z' } },
      'TENURE_TOO_LOW',
    ],
    [{ basisValue: 80, traits: { ...good, lifecycle_stage: 'trial' } }, 'WRONG_STAGE'],
    [{ basisValue: 80, traits: { ...good, engagement: 'low' } }, 'LOW_ENGAGEMENT'],
    [{ basisValue: 80, traits: { ...good, churn_risk: 'high' } }, 'CHURN_RISK_TOO_HIGH'],
    [{ basisValue: 80, traits: good, fraudScore: 61 }, 'FRAUD_DETECTED'],
  ];
  for (const [input, reason] of cases) {
    it(`${reason ?? 'eligible'}`, () => assert.equal(run(p, 'referrer', input).reject, reason));
  }
});

describe('fulfilment mode and deadlines', () => {
  it('approval above an amount; claim and approval waits expire', () => {
    const p = program({
      small: { type: 'single', give: credit(10), fulfilment: 'claim' },
      big: { type: 'single', give: credit(600) },
      constraints: { approval_above: 500, expiry: { unapproved: '7d', unclaimed: '30d' } },
    });
    const small = run(p, 'small');
    assert.equal(small.mode, 'claim');
    assert.equal(small.deadline?.toISOString(), '2025-04-09T12:00:00.000Z');
    const big = run(p, 'big');
    assert.equal(big.mode, 'approval');
    assert.equal(big.deadline?.toISOString(), '2025-03-17T12:00:00.000Z');
  });
});

describe('reward arithmetic', () => {
  it('rounds to cents and sums exactly', () => {
    assert.equal(compute({ category: 'cash', percent_of_value: 3.3, currency: 'USD' }, 10.1).amount, 0.33);
    assert.equal(sum([credit(0.1), credit(0.2)] as never, undefined).amount, 0.3);
    assert.equal(
      addDuration(new Date('2025-01-31T00:00:00Z'), '1mo').toISOString(),
      '2025-02-28T00:00:00.000Z',
    );
    assert.equal(addDuration(now, '12h').toISOString(), '2025-03-11T00:00:00.000Z');
    assert.equal(
      addDuration(new Date('2024-02-29T00:00:00Z'), '1y').toISOString(),
      '2025-02-28T00:00:00.000Z',
    );
  });
});

describe('periods (UTC)', () => {
  it('ISO weeks, months, years and the period before', () => {
    assert.equal(periodKey('weekly', new Date('2024-12-30T10:00:00Z')), '2025-W01');
    assert.equal(periodKey('weekly', new Date('2021-01-03T10:00:00Z')), '2020-W53');
    assert.equal(periodKey('weekly', new Date('2025-03-10T00:00:00Z')), '2025-W11');
    assert.equal(previousPeriodKey('weekly', new Date('2025-01-01T00:00:00Z')), '2024-W52');
    assert.equal(periodKey('monthly', new Date('2025-03-31T23:59:59Z')), '2025-03');
    assert.equal(previousPeriodKey('monthly', new Date('2025-01-15T00:00:00Z')), '2024-12');
    assert.equal(periodKey('yearly', now), '2025');
    assert.equal(periodKey('campaign', now), 'campaign');
  });
});

describe('conditions that raise', () => {
  it('a rule or segment condition that throws does not hold (fails closed, never a 5xx)', () => {
    const p = program(
      {
        r: {
          type: 'single',
          give: credit(5),
          when: { if: [{ '==': [{ var: 'traits.plan' }, 'free'] }, { throw: 'NOT_FOR_FREE' }, true] },
        },
      },
      {
        vip: {
          when: { try: [{ throw: 'X' }, { throw: { val: 'type' } }] },
          rewards: { r: credit(50) },
        },
      },
    );
    assert.equal(run(p, 'r', { traits: { plan: 'free' } }).reject, 'RULE_CONDITION_FAILED');
    const pro = run(p, 'r', { traits: { plan: 'pro' } });
    assert.equal(pro.reject, null);
    assert.equal(pro.computed?.amount, 5, 'the raising segment did not match');
  });
});
