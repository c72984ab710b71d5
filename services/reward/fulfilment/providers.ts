import { createOutbound, type OutboundPolicy } from '../../platform/outbound.ts';
import type { SecretBox } from '../../platform/secret-box.ts';
import type { RewardDb } from '../tables.ts';
import { couponProvider, grantProvider, ledgerProvider, webhookProvider } from './builtin.ts';
import {
  type GiftCardOptions,
  giftCardProvider,
  type PaypalOptions,
  paypalProvider,
  type StripeOptions,
  stripeProvider,
} from './payments.ts';
import {
  type FulfilmentProvider,
  type ProviderName,
  type ProviderRegistry,
  permanentFailure,
  rewardValue,
} from './provider.ts';

export interface ProviderOptions {
  stripe?: StripeOptions;
  paypal?: PaypalOptions;
  giftcard?: GiftCardOptions;
  /** Per-call timeout for webhooks and provider APIs. Default 10 s. */
  timeoutMs?: number;
  /** Rules for fulfilment and payment URLs (platform/outbound.ts); the strict default refuses non-public targets. */
  outbound?: OutboundPolicy;
  /** Overrides the guarded fetch (createRewardDeps passes the guard's own). */
  fetch?: typeof fetch;
  now?: () => Date;
}

const DEFAULT_BY_CATEGORY: Record<string, ProviderName> = {
  store_credit: 'ledger',
  coupon: 'coupon',
  badge: 'grant',
  feature_access: 'grant',
  premium_period: 'grant',
  event_invitation: 'grant',
  cash: 'webhook',
  gift_card: 'webhook',
  partner_reward: 'webhook',
};

export function createProviders(db: RewardDb, o: ProviderOptions, box: SecretBox): ProviderRegistry {
  const fetchImpl = o.fetch ?? createOutbound(o.outbound).fetch;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const now = o.now ?? (() => new Date());
  const available: Partial<Record<ProviderName, FulfilmentProvider>> = {
    ledger: ledgerProvider(db),
    coupon: couponProvider(db, now),
    grant: grantProvider(),
    webhook: webhookProvider(db, box, fetchImpl, timeoutMs, now),
    ...(o.stripe ? { stripe: stripeProvider(o.stripe, fetchImpl, timeoutMs) } : {}),
    ...(o.paypal ? { paypal: paypalProvider(o.paypal, fetchImpl, timeoutMs) } : {}),
    ...(o.giftcard ? { giftcard: giftCardProvider(o.giftcard, fetchImpl, timeoutMs) } : {}),
  };
  return {
    forReward(reward) {
      const name = rewardValue(reward).provider ?? DEFAULT_BY_CATEGORY[reward.category] ?? 'webhook';
      const p = available[name];
      if (!p) throw permanentFailure(`fulfilment provider "${name}" is not configured`);
      return p;
    },
  };
}
