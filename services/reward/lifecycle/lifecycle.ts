import { AppError } from '../../../contract/errors.ts';
import type { RewardDeps } from '../deps.ts';
import { LATER_REASONS } from '../eligibility/reasons.ts';
import { findCoupon, markCouponRedeemed } from '../fulfilment/repo.ts';
import type { RewardRow } from '../tables.ts';
import { dueForExpiry, findReward, moveReward } from './repo.ts';
import type { RewardState } from './state-machine.ts';

/**
 * What happens to a reward after allocation, apart from fulfilment: approval decisions, the participant's
 * claim, redemption, retry after a failure, and the expiry sweep. Each is one moveReward (state machine,
 * transition log, counters) with a `from` guard so two racing requests cannot both win.
 */

/** Reviewer approval of an approval-required reward: PENDING → ELIGIBLE → APPROVED, then fulfilment. */
export function approveReward(
  deps: RewardDeps,
  clientId: string,
  rewardId: string,
  actor: string,
): Promise<RewardRow> {
  return moveReward(deps.db, {
    clientId,
    rewardId,
    from: ['PENDING'],
    to: ['ELIGIBLE', 'APPROVED'],
    actor,
    reason: 'approved by reviewer',
    patch: { expires_at: null },
    maxAttempts: deps.fulfilment.maxAttempts,
  });
}

/** Reviewer rejection with a reason: PENDING → REJECTED; its budget and limit share are released. */
export function rejectReward(
  deps: RewardDeps,
  clientId: string,
  rewardId: string,
  actor: string,
  reason: string,
): Promise<RewardRow> {
  return moveReward(deps.db, {
    clientId,
    rewardId,
    from: ['PENDING'],
    to: 'REJECTED',
    actor,
    reason: `${LATER_REASONS.approvalRejected}: ${reason}`,
  });
}

/** The participant claims their reward (SDK): ELIGIBLE → APPROVED with what they chose (e.g. a PayPal email). */
export async function claimReward(
  deps: RewardDeps,
  clientId: string,
  rewardId: string,
  participantId: string,
  details: Record<string, unknown>,
): Promise<RewardRow> {
  const r = await findReward(deps.db, clientId, rewardId);
  if (!r || r.participant_id !== participantId)
    throw new AppError('NOT_FOUND', `no reward ${rewardId} for this participant`);
  if (r.state === 'ELIGIBLE' && r.expires_at && new Date(r.expires_at) <= deps.now()) {
    await expireOne(deps, r.client_id, r.id, 'ELIGIBLE');
    throw new AppError('CONFLICT', 'this reward was not claimed in time and has expired');
  }
  if (r.fulfilment_mode !== 'claim')
    throw new AppError('CONFLICT', 'this reward is not claimed by the participant');
  return moveReward(deps.db, {
    clientId,
    rewardId,
    participantId,
    from: ['ELIGIBLE'],
    to: 'APPROVED',
    actor: `participant:${participantId}`,
    reason: 'claimed',
    patch: { claim: JSON.stringify(details), expires_at: null },
    maxAttempts: deps.fulfilment.maxAttempts,
  });
}

/** The reward was used (coupon applied, invitation attended): FULFILLED → REDEEMED. */
export async function redeemReward(
  deps: RewardDeps,
  clientId: string,
  rewardId: string,
  actor: string,
): Promise<RewardRow> {
  const current = await findReward(deps.db, clientId, rewardId);
  if (current?.state === 'FULFILLED' && current.expires_at && new Date(current.expires_at) <= deps.now()) {
    await expireOne(deps, clientId, rewardId, 'FULFILLED');
    throw new AppError('CONFLICT', 'this reward was not used in time and has expired');
  }
  const row = await moveReward(deps.db, {
    clientId,
    rewardId,
    from: ['FULFILLED'],
    to: 'REDEEMED',
    actor,
    reason: 'redeemed',
  });
  if (row.category === 'coupon') {
    const code = (row.fulfilment as { reference?: string } | null)?.reference;
    if (code) await markCouponRedeemed(deps.db, clientId, code);
  }
  return row;
}

/** Redeems by coupon code (checkout): refuses unknown, used or expired codes. */
export async function redeemCoupon(
  deps: RewardDeps,
  clientId: string,
  code: string,
  actor: string,
): Promise<RewardRow> {
  const coupon = await findCoupon(deps.db, clientId, code);
  if (!coupon) throw new AppError('NOT_FOUND', 'no such coupon');
  if (coupon.redeemed_at) throw new AppError('CONFLICT', 'coupon already used');
  if (coupon.expires_at && new Date(coupon.expires_at) <= deps.now())
    throw new AppError('CONFLICT', 'coupon expired');
  return redeemReward(deps, clientId, coupon.reward_id, actor);
}

/** A manager retries a failed fulfilment: FAILED → APPROVED with a fresh job. */
export function retryReward(
  deps: RewardDeps,
  clientId: string,
  rewardId: string,
  actor: string,
): Promise<RewardRow> {
  return moveReward(deps.db, {
    clientId,
    rewardId,
    from: ['FAILED'],
    to: 'APPROVED',
    actor,
    reason: 'retry',
    maxAttempts: deps.fulfilment.maxAttempts,
  });
}

const EXPIRY: Partial<Record<RewardState, { to: RewardState; reason: string }>> = {
  // Approval-required rewards wait in PENDING, which has no EXPIRED edge: unreviewed ones are rejected.
  PENDING: { to: 'REJECTED', reason: LATER_REASONS.unapproved },
  ELIGIBLE: { to: 'EXPIRED', reason: LATER_REASONS.unclaimed },
  FULFILLED: { to: 'EXPIRED', reason: LATER_REASONS.unredeemed },
};

async function expireOne(
  deps: RewardDeps,
  clientId: string,
  rewardId: string,
  state: RewardState,
): Promise<boolean> {
  const rule = EXPIRY[state];
  if (!rule) return false;
  try {
    await moveReward(deps.db, {
      clientId,
      rewardId,
      from: [state],
      to: rule.to,
      actor: 'expiry',
      reason: rule.reason,
    });
    return true;
  } catch (err) {
    // Approved or claimed while the sweep ran: it no longer expires.
    if (err instanceof AppError && err.code === 'ILLEGAL_TRANSITION') return false;
    throw err;
  }
}

/** The expiry sweep: unapproved, unclaimed and unredeemed rewards past their deadline (bounded per call). */
export async function expireDue(
  deps: RewardDeps,
  opts: { limit?: number; clientId?: string } = {},
): Promise<{ expired: number; rejected: number }> {
  const due = await dueForExpiry(deps.db, deps.now(), opts.limit ?? 500, opts.clientId);
  let expired = 0;
  let rejected = 0;
  for (const r of due) {
    if (await expireOne(deps, r.client_id, r.id, r.state)) {
      if (EXPIRY[r.state]?.to === 'REJECTED') rejected++;
      else expired++;
    }
  }
  return { expired, rejected };
}

/** Where a revoke takes a reward from each state (undefined: nothing to take back, left as it is). */
const REVOKE_TARGET: Readonly<Record<RewardState, RewardState | 'refuse' | undefined>> = {
  EARNED: 'REVOKED',
  PENDING: 'REVOKED',
  ELIGIBLE: 'REVOKED',
  APPROVED: 'REVOKED',
  FAILED: 'REVOKED',
  // Delivered but not used yet (a coupon, a manual reward): voided through the existing expiry edge.
  FULFILLED: 'EXPIRED',
  REDEEMED: 'refuse',
  REJECTED: undefined,
  EXPIRED: undefined,
  REVOKED: undefined,
  REVERSED: undefined,
};

export interface RevokeResult {
  row: RewardRow;
  previous: RewardState;
  revoked: boolean;
}

/**
 * Takes back a reward (a journey's saga compensation, or an operator). Idempotent: a reward already
 * REJECTED, EXPIRED or REVOKED is returned unchanged, so a retried compensation succeeds. A REDEEMED
 * reward was used and cannot be taken back: ILLEGAL_TRANSITION (non-retryable).
 */
export async function revokeReward(
  deps: RewardDeps,
  clientId: string,
  rewardId: string,
  actor: string,
  reason: string,
): Promise<RevokeResult> {
  const r = await findReward(deps.db, clientId, rewardId);
  if (!r) throw new AppError('NOT_FOUND', `no reward ${rewardId}`);
  const target = REVOKE_TARGET[r.state];
  if (target === undefined) return { row: r, previous: r.state, revoked: false };
  if (target === 'refuse') {
    throw new AppError(
      'ILLEGAL_TRANSITION',
      `reward ${rewardId} was already redeemed and cannot be revoked`,
      [{ path: 'state', message: `the reward is ${r.state}`, expected: 'a reward not yet redeemed' }],
    );
  }
  // `from` guards the race with fulfilment or a reviewer: the move applies only to the state read here.
  const row = await moveReward(deps.db, {
    clientId,
    rewardId,
    from: [r.state],
    to: target,
    actor,
    reason: `revoked: ${reason}`,
  });
  return { row, previous: r.state, revoked: true };
}
