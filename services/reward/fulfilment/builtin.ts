import { randomToken } from '../../platform/ids.ts';
import type { SecretBox } from '../../platform/secret-box.ts';
import { webhookHeaders } from '../../platform/webhooks.ts';
import { addDuration } from '../allocation/calculate.ts';
import type { RewardDb } from '../tables.ts';
import {
  callFailure,
  type FulfilmentProvider,
  failureFor,
  permanentFailure,
  rewardValue,
} from './provider.ts';
import { creditLedger, findEndpoint, saveCoupon } from './repo.ts';

/** The providers that need nothing outside Pulse, plus the signed webhook to the client's own system. */

/** Store credit: a ledger entry (once per reward) and the participant's balance in that currency. */
export function ledgerProvider(db: RewardDb): FulfilmentProvider {
  return {
    name: 'ledger',
    async fulfil(r) {
      if (r.amount === null || !r.currency)
        throw permanentFailure('store credit needs an amount and a currency');
      const { entryId, balance } = await creditLedger(db, {
        clientId: r.client_id,
        participantId: r.participant_id,
        currency: r.currency,
        amount: r.amount,
        rewardId: r.id,
      });
      return {
        provider: 'ledger',
        reference: `ledger_${entryId}`,
        details: { balance, currency: r.currency },
      };
    },
  };
}

/** Coupon codes: PREFIX-XXXXXXXX, unique per client, one per reward, valid for the reward's `expires_in`. */
export function couponProvider(db: RewardDb, now: () => Date): FulfilmentProvider {
  return {
    name: 'coupon',
    async fulfil(r) {
      const v = rewardValue(r);
      const code = `${v.code_prefix ?? 'PULSE'}-${randomToken(10).toUpperCase()}`;
      const expiresAt = v.expires_in ? addDuration(now(), v.expires_in) : null;
      const saved = await saveCoupon(db, {
        clientId: r.client_id,
        code,
        rewardId: r.id,
        percent: v.percent ?? null,
        amount: v.percent === undefined ? r.amount : null,
        currency: v.percent === undefined ? r.currency : null,
        expiresAt,
      });
      return {
        provider: 'coupon',
        reference: saved,
        details: { code: saved, ...(expiresAt ? { expires_at: expiresAt.toISOString() } : {}) },
      };
    },
  };
}

/** Badges, feature access, premium periods, invitations: the reward row is the entitlement the client reads. */
export function grantProvider(): FulfilmentProvider {
  return {
    name: 'grant',
    async fulfil(r) {
      return { provider: 'grant', reference: r.id };
    },
  };
}

/**
 * POSTs the reward to the client's fulfilment endpoint, signed with Standard Webhooks (platform/webhooks.ts:
 * `webhook-id` = the reward id, `webhook-timestamp`, `webhook-signature` with the endpoint secret).
 * The reward id is also sent as `Idempotency-Key`, so the client can drop a retried delivery either way.
 */
export function webhookProvider(
  db: RewardDb,
  box: SecretBox,
  fetchImpl: typeof fetch,
  timeoutMs: number,
  now: () => Date,
): FulfilmentProvider {
  return {
    name: 'webhook',
    async fulfil(r) {
      const endpoint = await findEndpoint(db, r.client_id);
      if (!endpoint) throw permanentFailure('no fulfilment webhook endpoint is configured for this client');
      const body = JSON.stringify({
        type: 'reward.fulfil',
        reward: {
          id: r.id,
          campaign_id: r.campaign_id,
          rule: r.rule,
          side: r.side,
          participant_id: r.participant_id,
          referral_id: r.referral_id,
          category: r.category,
          amount: r.amount,
          currency: r.currency,
          value: r.value,
          claim: r.claim,
        },
      });
      const signed = webhookHeaders({
        id: r.id,
        timestamp: Math.floor(now().getTime() / 1000),
        body,
        secrets: [box.decrypt(endpoint.secret)],
      });
      let res: Response;
      try {
        res = await fetchImpl(endpoint.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...signed,
            'idempotency-key': r.id,
          },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw callFailure(err, 'webhook delivery');
      }
      if (!res.ok) await failureFor(res, 'fulfilment webhook');
      const answer = (await res.json().catch(() => ({}))) as { reference?: unknown };
      return {
        provider: 'webhook',
        reference: typeof answer.reference === 'string' ? answer.reference : r.id,
        details: { status: res.status },
      };
    },
  };
}
