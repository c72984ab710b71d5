import { AppError } from '../../../contract/errors.ts';
import type { RewardValue } from '../../../contract/generated/reward.generated.ts';
import type { RewardRow } from '../tables.ts';

/**
 * One interface for every way a reward is delivered: the built-in ledger (store credit), coupon codes,
 * recorded grants (badges, feature access, premium periods, invitations), a signed webhook to the client's
 * own system, and payment/gift-card adapters. Providers must be idempotent per reward id: a retry after a
 * timeout must not pay twice (the adapters send the reward id as the provider's idempotency key).
 */

export type ProviderName = NonNullable<RewardValue['provider']>;

export interface FulfilmentResult {
  provider: ProviderName;
  /** The provider's id for what it delivered (ledger entry, coupon code, transfer id, order id). */
  reference: string;
  details?: Record<string, unknown>;
}

export interface FulfilmentProvider {
  readonly name: ProviderName;
  fulfil(reward: RewardRow): Promise<FulfilmentResult>;
}

export interface ProviderRegistry {
  /** The provider a reward uses: its value's `provider`, else its category's default. */
  forReward(reward: RewardRow): FulfilmentProvider;
}

/** A failure worth retrying later (timeouts, 5xx, 429). */
export function transientFailure(message: string): AppError {
  return new AppError('UPSTREAM_UNAVAILABLE', message);
}

/** A failure no retry will fix (missing destination, 4xx from the provider): the reward goes to FAILED. */
export function permanentFailure(message: string): AppError {
  return new AppError('BAD_REQUEST', message);
}

/** A call that did not get an answer: refused by the outbound guard is permanent, anything else transient. */
export function callFailure(err: unknown, what: string): AppError {
  const message = `${what} failed: ${(err as Error).message}`;
  return err instanceof AppError && err.code === 'OUTBOUND_REFUSED'
    ? permanentFailure(message)
    : transientFailure(message);
}

export function rewardValue(reward: RewardRow): RewardValue {
  return reward.value as unknown as RewardValue;
}

/** Where a payout goes: what the participant gave when claiming, else the reward value's metadata. */
export function destination(reward: RewardRow, key: string): string | undefined {
  const fromClaim = (reward.claim as Record<string, unknown> | null)?.[key];
  if (typeof fromClaim === 'string' && fromClaim) return fromClaim;
  const fromValue = (rewardValue(reward).metadata as Record<string, unknown> | undefined)?.[key];
  return typeof fromValue === 'string' && fromValue ? fromValue : undefined;
}

/** Throws a transient or permanent failure for a non-2xx provider answer. */
export async function failureFor(res: Response, what: string): Promise<never> {
  const text = (await res.text()).slice(0, 200);
  const transient = res.status >= 500 || res.status === 429 || res.status === 408;
  throw (transient ? transientFailure : permanentFailure)(`${what} answered ${res.status}: ${text}`);
}

/** Minor units (cents) for provider APIs that want integers. */
export function toMinor(amount: number): number {
  return Math.round(amount * 100);
}
