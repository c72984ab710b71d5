import type { RewardValue } from '../../../contract/generated/reward.generated.ts';

/** Money the way a person reads it: "$20.00", "€5.00"; an unknown currency code falls back to "20.00 XYZ". */
function money(amount: number, currency: string | null | undefined): string {
  if (!currency) return amount.toFixed(2);
  try {
    // Intl separates code and number with a no-break space; plain text reads better in emails and SMS.
    return new Intl.NumberFormat('en', { style: 'currency', currency })
      .format(amount)
      .replace(/\u00a0/g, ' ');
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

const DURATION_UNITS: Record<string, [string, string]> = {
  h: ['hour', 'hours'],
  d: ['day', 'days'],
  w: ['week', 'weeks'],
  mo: ['month', 'months'],
  y: ['year', 'years'],
};

function duration(text: string | undefined): string | null {
  const m = text ? /^(\d+)(h|d|w|mo|y)$/.exec(text) : null;
  if (!m) return null;
  const n = Number(m[1]);
  const [one, many] = DURATION_UNITS[m[2] as string] ?? ['', ''];
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * A one-line description of a reward for emails and widgets ("$20.00 store credit", "10% off",
 * "3 months of Pro"). The campaign's own `label` wins: marketers name rewards better than code does.
 */
export function describeReward(value: RewardValue, amount: number | null, currency: string | null): string {
  if (value.label) return value.label;
  const cur = currency ?? value.currency ?? null;
  const amt = amount ?? value.amount ?? null;
  switch (value.category) {
    case 'coupon':
      if (value.percent) return `${value.percent}% off`;
      return amt !== null ? `${money(amt, cur)} off` : 'a discount coupon';
    case 'cash':
      return amt !== null ? `${money(amt, cur)} cash` : 'a cash reward';
    case 'store_credit':
      return amt !== null ? `${money(amt, cur)} store credit` : 'store credit';
    case 'gift_card':
      return amt !== null ? `a ${money(amt, cur)} gift card` : 'a gift card';
    case 'premium_period': {
      const d = duration(value.duration);
      const plan = value.plan ? value.plan[0]?.toUpperCase() + value.plan.slice(1) : 'Premium';
      return d ? `${d} of ${plan}` : `${plan} access`;
    }
    case 'feature_access': {
      const d = duration(value.duration);
      const feature = value.feature ? value.feature.replaceAll('_', ' ') : 'a premium feature';
      return d ? `${d} of ${feature}` : `access to ${feature}`;
    }
    case 'badge':
      return value.badge ? `the ${value.badge.replaceAll('_', ' ')} badge` : 'a badge';
    case 'event_invitation':
      return value.event ? `an invitation to ${value.event.replaceAll('_', ' ')}` : 'an event invitation';
    case 'partner_reward':
      return value.partner ? `a reward from ${value.partner}` : 'a partner reward';
  }
}
