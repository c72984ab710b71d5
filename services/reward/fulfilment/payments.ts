import type { RewardRow } from '../tables.ts';
import {
  callFailure,
  destination,
  type FulfilmentProvider,
  type FulfilmentResult,
  failureFor,
  permanentFailure,
  rewardValue,
  toMinor,
  transientFailure,
} from './provider.ts';

/**
 * Adapters to payment and gift-card providers, each speaking the provider's public HTTP API (Stripe
 * transfers / customer balance, PayPal Payouts, a Tremendous-style gift-card order). Every call carries the
 * reward id as the provider's idempotency key. Base URLs are configurable, which is how the contract tests
 * point them at a local fake server.
 */

export interface StripeOptions {
  apiKey: string;
  baseUrl?: string;
}
export interface PaypalOptions {
  clientId: string;
  clientSecret: string;
  baseUrl?: string;
}
export interface GiftCardOptions {
  apiKey: string;
  baseUrl?: string;
  fundingSourceId?: string;
}

type Fetch = typeof fetch;

async function call(
  fetchImpl: Fetch,
  url: string,
  init: RequestInit,
  what: string,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw callFailure(err, what);
  }
  if (!res.ok) await failureFor(res, what);
  return (await res.json()) as Record<string, unknown>;
}

function requireMoney(r: RewardRow): { amount: number; currency: string } {
  if (r.amount === null || !r.currency)
    throw permanentFailure(`${r.category} reward ${r.id} has no amount/currency`);
  return { amount: r.amount, currency: r.currency };
}

/** Stripe: cash as a Connect transfer to `stripe_account`; store credit as a customer balance credit. */
export function stripeProvider(o: StripeOptions, fetchImpl: Fetch, timeoutMs: number): FulfilmentProvider {
  const base = o.baseUrl ?? 'https://api.stripe.com';
  const headers = (r: RewardRow) => ({
    authorization: `Bearer ${o.apiKey}`,
    'content-type': 'application/x-www-form-urlencoded',
    'idempotency-key': `pulse-${r.id}`,
  });
  return {
    name: 'stripe',
    async fulfil(r): Promise<FulfilmentResult> {
      const { amount, currency } = requireMoney(r);
      if (r.category === 'store_credit') {
        const customer = destination(r, 'stripe_customer');
        if (!customer) throw permanentFailure('no stripe_customer to credit');
        const body = new URLSearchParams({
          amount: String(-toMinor(amount)),
          currency: currency.toLowerCase(),
          description: `Pulse reward ${r.id}`,
        });
        const tx = await call(
          fetchImpl,
          `${base}/v1/customers/${encodeURIComponent(customer)}/balance_transactions`,
          { method: 'POST', headers: headers(r), body },
          'Stripe balance credit',
          timeoutMs,
        );
        return { provider: 'stripe', reference: String(tx.id), details: { customer } };
      }
      const account = destination(r, 'stripe_account');
      if (!account) throw permanentFailure('no stripe_account to pay');
      const body = new URLSearchParams({
        amount: String(toMinor(amount)),
        currency: currency.toLowerCase(),
        destination: account,
        'metadata[reward_id]': r.id,
      });
      const transfer = await call(
        fetchImpl,
        `${base}/v1/transfers`,
        { method: 'POST', headers: headers(r), body },
        'Stripe transfer',
        timeoutMs,
      );
      return { provider: 'stripe', reference: String(transfer.id), details: { destination: account } };
    },
  };
}

/** PayPal Payouts: OAuth client-credentials token, then one payout item to the participant's `paypal_email`. */
export function paypalProvider(o: PaypalOptions, fetchImpl: Fetch, timeoutMs: number): FulfilmentProvider {
  const base = o.baseUrl ?? 'https://api-m.paypal.com';
  return {
    name: 'paypal',
    async fulfil(r): Promise<FulfilmentResult> {
      const { amount, currency } = requireMoney(r);
      const receiver = destination(r, 'paypal_email');
      if (!receiver) throw permanentFailure('no paypal_email to pay');
      const token = await call(
        fetchImpl,
        `${base}/v1/oauth2/token`,
        {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${o.clientId}:${o.clientSecret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'grant_type=client_credentials',
        },
        'PayPal token',
        timeoutMs,
      );
      const payout = await call(
        fetchImpl,
        `${base}/v1/payments/payouts`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${String(token.access_token)}`,
            'content-type': 'application/json',
            'paypal-request-id': `pulse-${r.id}`,
          },
          body: JSON.stringify({
            sender_batch_header: { sender_batch_id: r.id, email_subject: 'You have a reward' },
            items: [
              {
                recipient_type: 'EMAIL',
                receiver,
                sender_item_id: r.id,
                amount: { value: amount.toFixed(2), currency },
              },
            ],
          }),
        },
        'PayPal payout',
        timeoutMs,
      );
      const batch = payout.batch_header as { payout_batch_id?: string; batch_status?: string } | undefined;
      if (!batch?.payout_batch_id) throw transientFailure('PayPal payout answered without a batch id');
      return {
        provider: 'paypal',
        reference: batch.payout_batch_id,
        details: { status: batch.batch_status },
      };
    },
  };
}

/** Gift cards through a Tremendous-style orders API: one order per reward (`external_id` = reward id). */
export function giftCardProvider(
  o: GiftCardOptions,
  fetchImpl: Fetch,
  timeoutMs: number,
): FulfilmentProvider {
  const base = o.baseUrl ?? 'https://api.tremendous.com';
  return {
    name: 'giftcard',
    async fulfil(r): Promise<FulfilmentResult> {
      const { amount, currency } = requireMoney(r);
      const email = destination(r, 'email');
      if (!email) throw permanentFailure('no email to deliver the gift card to');
      const sku = rewardValue(r).sku;
      const answer = await call(
        fetchImpl,
        `${base}/api/v2/orders`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${o.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            external_id: r.id,
            payment: { funding_source_id: o.fundingSourceId ?? 'balance' },
            reward: {
              value: { denomination: amount, currency_code: currency },
              delivery: { method: 'EMAIL' },
              recipient: { email },
              ...(sku ? { products: [sku] } : {}),
            },
          }),
        },
        'gift card order',
        timeoutMs,
      );
      const order = answer.order as { id?: string; status?: string } | undefined;
      if (!order?.id) throw transientFailure('gift card order answered without an order id');
      return { provider: 'giftcard', reference: order.id, details: { status: order.status } };
    },
  };
}
