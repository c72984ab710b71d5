import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSimulatedEligibility } from './simulated.ts';

const now = new Date('2026-06-01T00:00:00Z');

describe('simulated eligibility (pulse simulate)', () => {
  const rules = createSimulatedEligibility({
    campaignId: 'c',
    rewards: {
      constraints: { eligibility: { plans: ['pro', 'trial'] }, max_fraud_score: 50 },
      bonus: {
        type: 'single',
        side: 'participant',
        min_value: 20,
        eligibility: { min_tenure_days: 30 },
        give: { category: 'store_credit', amount: 5, currency: 'USD' },
      },
      split: {
        type: 'double',
        referrer: { give: { category: 'store_credit', amount: 5, currency: 'USD' } },
        referee: {
          when: { '==': [{ var: 'traits.country' }, 'GB'] },
          give: { category: 'store_credit', amount: 3, currency: 'USD' },
        },
      },
    },
    segments: { trial: { when: { '==': [{ var: 'traits.plan' }, 'trial'] }, exclude: true } },
  });
  const check = (input: Parameters<typeof rules.check>[0]) => rules.check(input, now);

  it('names the part of the file that refused, the rule own setting before the campaign one', () => {
    const ok = check({
      participant_id: 'p',
      reward: 'bonus',
      basis_value: 25,
      traits: { plan: 'pro', tenure_days: 40 },
    });
    assert.equal(ok.eligible, true);
    assert.equal(ok.reward?.amount, 5);
    const cases: [Parameters<typeof check>[0], string, string][] = [
      [
        { participant_id: 'p', reward: 'bonus', basis_value: 25, traits: { plan: 'free', tenure_days: 40 } },
        'PLAN_MISMATCH',
        'rewards.constraints.eligibility.plans',
      ],
      [
        { participant_id: 'p', reward: 'bonus', basis_value: 25, traits: { plan: 'pro', tenure_days: 3 } },
        'TENURE_TOO_LOW',
        'rewards.bonus.eligibility.min_tenure_days',
      ],
      [
        { participant_id: 'p', reward: 'bonus', basis_value: 5, traits: { plan: 'pro', tenure_days: 40 } },
        'BELOW_MINIMUM',
        'rewards.bonus.min_value',
      ],
      [
        { participant_id: 'p', reward: 'bonus', basis_value: 25, traits: { plan: 'trial', tenure_days: 40 } },
        'SEGMENT_EXCLUDED',
        'segments.trial',
      ],
      [
        {
          participant_id: 'p',
          reward: 'bonus',
          basis_value: 25,
          fraud_score: 80,
          traits: { plan: 'pro', tenure_days: 40 },
        },
        'FRAUD_DETECTED',
        'rewards.constraints.max_fraud_score',
      ],
      [
        { participant_id: 'p', reward: 'split', side: 'referee', traits: { plan: 'pro', country: 'FR' } },
        'RULE_CONDITION_FAILED',
        'rewards.split.referee.when',
      ],
    ];
    for (const [input, reason, part] of cases) {
      const v = check(input);
      assert.deepEqual([v.eligible, v.reason, v.refusedBy], [false, reason, part], JSON.stringify(input));
    }
  });

  it('without a rule, only campaign-wide checks apply (as the service answers)', () => {
    assert.equal(check({ participant_id: 'p', traits: { plan: 'pro' } }).eligible, true);
    assert.equal(check({ participant_id: 'p', traits: { plan: 'free' } }).reason, 'PLAN_MISMATCH');
  });
});
