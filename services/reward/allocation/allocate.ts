import type { RewardValue } from '../../../contract/generated/reward.generated.ts';
import { newId } from '../../platform/ids.ts';
import type { RewardDeps } from '../deps.ts';
import { type Assessment, assess, type Side } from '../eligibility/assess.ts';
import type { RejectionReason } from '../eligibility/reasons.ts';
import { type FraudRewardDb, isSuspended, setReviewAndOrder } from '../fraud/repo.ts';
import { type FraudVerdictInput, recordAutomaticRejection } from '../fraud/review.ts';
import { describeReward } from '../lifecycle/describe.ts';
import { path, type RewardState } from '../lifecycle/state-machine.ts';
import { addDuration } from './calculate.ts';

/** Allocation: the binding version of the eligibility check — caps are reserved atomically or it is rejected. */

export interface AllocateInput {
  clientId: string;
  campaignId: string;
  version: number;
  rule: string;
  side?: Side | undefined;
  participantId: string;
  referralId?: string | null | undefined;
  basisValue?: number | undefined;
  traits?: Record<string, unknown> | undefined;
  fraudScore?: number | undefined;
  /**
   * The fraud engine's verdict (CheckFraud's `review`): "review" holds the reward in the approval queue
   * with the verdict on it, "reject" refuses it (FRAUD_DETECTED). When given, it decides instead of
   * `fraudScore` against `max_fraud_score`.
   */
  fraud?: FraudVerdictInput | null | undefined;
  /** The order or subscription the reward is earned for: its refund or cancellation reverses it. */
  orderId?: string | null | undefined;
  idempotencyKey: string;
  /** Internal: a pre-chosen value and claim (milestone thresholds, leaderboard prizes). */
  give?: RewardValue | undefined;
  claimKey?: string | undefined;
}

export interface AllocateOutput {
  allocated: boolean;
  reward_id: string;
  state: RewardState;
  category: string | null;
  amount: number | null;
  currency: string | null;
  reason: RejectionReason | null;
  segment: string | null;
  fulfilment: Assessment['mode'];
  replayed: boolean;
  /** What the participant gets, in words ("$20.00 store credit", "10% off"): for emails and widgets. */
  label: string | null;
}

// Checked once at load by the state machine: the path each fulfilment mode takes at allocation.
const PATHS: Record<Assessment['mode'], RewardState[]> = {
  auto: path('EARNED', 'PENDING', 'ELIGIBLE', 'APPROVED').slice(1),
  claim: path('EARNED', 'PENDING', 'ELIGIBLE').slice(1),
  // Approval-required rewards wait in PENDING for a reviewer: approve → ELIGIBLE → APPROVED, reject → REJECTED.
  approval: path('EARNED', 'PENDING').slice(1),
};

/** One live reward per (rule, side, participant, claim): per referral, else once per campaign. */
export function claimKeyOf(input: {
  referralId?: string | null | undefined;
  claimKey?: string | undefined;
}): string {
  return input.claimKey ?? (input.referralId ? `referral:${input.referralId}` : 'once');
}

export async function allocateReward(deps: RewardDeps, input: AllocateInput): Promise<AllocateOutput> {
  const program = await deps.programs.get(input.clientId, input.campaignId, input.version);
  const fraud = input.fraud ?? null;
  const a = assess(program, { ...input, ...(fraud ? { fraudScore: undefined } : {}), now: deps.now() });
  // A referrer suspended for fraud earns nothing more; a held verdict waits for a reviewer.
  const suspended = await isSuspended(
    deps.db as unknown as FraudRewardDb,
    input.clientId,
    input.participantId,
  );
  const held = fraud?.decision === 'review' && a.mode !== 'approval';
  const mode = fraud?.decision === 'review' ? 'approval' : a.mode;
  const unapproved = program.constraints.expiry?.unapproved;
  const deadline = held ? (unapproved ? addDuration(deps.now(), unapproved) : null) : a.deadline;
  const preReject =
    a.reject ??
    (suspended ? 'PARTICIPANT_SUSPENDED' : fraud?.decision === 'reject' ? 'FRAUD_DETECTED' : null);
  const c = a.computed;
  const unredeemed = program.constraints.expiry?.unredeemed;
  const value = c
    ? { ...c.value, ...(c.value.expires_in || !unredeemed ? {} : { expires_in: unredeemed }) }
    : {};
  const r = await deps.allocator.allocate({
    id: newId('rwd'),
    clientId: input.clientId,
    campaignId: input.campaignId,
    version: input.version,
    rule: input.rule,
    side: a.side,
    participantId: input.participantId,
    referralId: input.referralId ?? null,
    claimKey: claimKeyOf(input),
    idempotencyKey: input.idempotencyKey,
    category: c?.value.category ?? 'none',
    amount: c?.amount ?? null,
    currency: c?.currency ?? null,
    cost: c?.cost ?? 0,
    value,
    segment: a.segment,
    basisValue: input.basisValue ?? null,
    mode,
    redeem: a.redeem,
    countsLimit: a.countsLimit,
    path: PATHS[mode],
    expiresAt: deadline,
    preReject,
    maxAttempts: deps.fulfilment.maxAttempts,
  });
  if (!r.replayed && (fraud || input.orderId)) {
    // The verdict a reviewer sees, and the order a refund is matched on (a replay changes nothing).
    const review = fraud && fraud.decision !== 'approve' ? { ...fraud } : null;
    await setReviewAndOrder(
      deps.db as unknown as FraudRewardDb,
      input.clientId,
      r.rewardId,
      review as Record<string, unknown> | null,
      input.orderId ?? null,
    );
    if (review && r.reason === 'FRAUD_DETECTED')
      await recordAutomaticRejection(deps, input.clientId, r.rewardId);
  }
  return {
    allocated: r.state !== 'REJECTED',
    reward_id: r.rewardId,
    state: r.state,
    category: c?.value.category ?? null,
    amount: c?.amount ?? null,
    currency: c?.currency ?? null,
    reason: r.reason,
    segment: a.segment,
    fulfilment: mode,
    replayed: r.replayed,
    label: c ? describeReward(c.value, c.amount, c.currency) : null,
  };
}
