import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeReward } from './describe.ts';

test('describes every reward category in words, the campaign label first', () => {
  const cases: [Parameters<typeof describeReward>, string][] = [
    [
      [{ category: 'store_credit', amount: 20, currency: 'USD', label: '$20 welcome credit' }, 20, 'USD'],
      '$20 welcome credit',
    ],
    [[{ category: 'store_credit', amount: 20, currency: 'USD' }, 20, 'USD'], '$20.00 store credit'],
    [[{ category: 'cash', percent_of_value: 10, currency: 'EUR' }, 8.5, 'EUR'], '€8.50 cash'],
    [[{ category: 'coupon', percent: 15 }, null, null], '15% off'],
    [[{ category: 'coupon', amount: 5, currency: 'GBP' }, 5, 'GBP'], '£5.00 off'],
    [[{ category: 'gift_card', amount: 50, currency: 'USD' }, 50, 'USD'], 'a $50.00 gift card'],
    [[{ category: 'premium_period', duration: '3mo', plan: 'pro' }, null, null], '3 months of Pro'],
    [[{ category: 'premium_period', duration: '1mo' }, null, null], '1 month of Premium'],
    [
      [{ category: 'feature_access', feature: 'advanced_reports', duration: '30d' }, null, null],
      '30 days of advanced reports',
    ],
    [[{ category: 'badge', badge: 'super_referrer' }, null, null], 'the super referrer badge'],
    [[{ category: 'event_invitation', event: 'summit_2026' }, null, null], 'an invitation to summit 2026'],
    [[{ category: 'partner_reward', partner: 'Acme Air' }, null, null], 'a reward from Acme Air'],
    [[{ category: 'cash', amount: 3, currency: 'XYZ' }, 3, 'XYZ'], 'XYZ 3.00 cash'],
  ];
  for (const [args, expected] of cases)
    assert.equal(describeReward(...args), expected, JSON.stringify(args[0]));
});
