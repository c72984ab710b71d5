import { AppError } from '../../../contract/errors.ts';

/**
 * The reward state machine, exactly as the spec draws it:
 *
 *   EARNED → PENDING → ELIGIBLE → APPROVED → FULFILLED → REDEEMED
 *   PENDING → REJECTED      ELIGIBLE → EXPIRED      FULFILLED → EXPIRED
 *   APPROVED → FAILED → APPROVED (retry)
 *   EARNED | PENDING | ELIGIBLE | APPROVED | FAILED → REVOKED (a journey took it back: saga compensation)
 *   PENDING | ELIGIBLE | APPROVED | FAILED | FULFILLED | REDEEMED → REVERSED (clawback: the purchase that
 *   earned it was refunded or cancelled within the campaign's window)
 *
 * `transition` is the one function that decides whether a move is legal; every state change in the
 * service (allocation paths, approvals, claims, fulfilment, expiry) goes through it, and the repository
 * records each move (from, to, actor, reason, time) in `reward_transitions`.
 */
export const REWARD_STATES = [
  'EARNED',
  'PENDING',
  'ELIGIBLE',
  'APPROVED',
  'FULFILLED',
  'REDEEMED',
  'REJECTED',
  'EXPIRED',
  'FAILED',
  'REVOKED',
  'REVERSED',
] as const;
export type RewardState = (typeof REWARD_STATES)[number];

export const TRANSITIONS: Readonly<Record<RewardState, readonly RewardState[]>> = {
  EARNED: ['PENDING', 'REVOKED'],
  PENDING: ['ELIGIBLE', 'REJECTED', 'REVOKED', 'REVERSED'],
  ELIGIBLE: ['APPROVED', 'EXPIRED', 'REVOKED', 'REVERSED'],
  APPROVED: ['FULFILLED', 'FAILED', 'REVOKED', 'REVERSED'],
  FAILED: ['APPROVED', 'REVOKED', 'REVERSED'],
  FULFILLED: ['REDEEMED', 'EXPIRED', 'REVERSED'],
  REDEEMED: ['REVERSED'],
  REJECTED: [],
  EXPIRED: [],
  REVOKED: [],
  REVERSED: [],
};

export function isRewardState(value: unknown): value is RewardState {
  return typeof value === 'string' && (REWARD_STATES as readonly string[]).includes(value);
}

export function canTransition(from: RewardState, to: RewardState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Returns `to` when `from → to` is legal; otherwise throws ILLEGAL_TRANSITION (409). */
export function transition(from: RewardState, to: RewardState): RewardState {
  if (!canTransition(from, to)) {
    throw new AppError('ILLEGAL_TRANSITION', `a reward cannot move from ${from} to ${to}`, [
      {
        path: 'state',
        message: `illegal transition ${from} → ${to}`,
        expected: TRANSITIONS[from].join(' | ') || 'none (final state)',
      },
    ]);
  }
  return to;
}

/** Checks a whole path (e.g. EARNED → PENDING → ELIGIBLE → APPROVED) move by move; returns it. */
export function path(...states: RewardState[]): RewardState[] {
  for (let i = 1; i < states.length; i++) transition(states[i - 1] as RewardState, states[i] as RewardState);
  return states;
}
