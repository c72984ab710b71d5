import type { RewardValue } from '../../../contract/generated/reward.generated.ts';
import { newId } from '../../platform/ids.ts';
import type { RewardDeps } from '../deps.ts';
import { type Assessment, assess, type Side } from '../eligibility/assess.ts';
import type { RejectionReason } from '../eligibility/reasons.ts';
import { describeReward } from '../lifecycle/describe.ts';
import { path, type RewardState } from '../lifecycle/state-machine.ts';

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
  const a = assess(program, { ...input, now: deps.now() });
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
    mode: a.mode,
    redeem: a.redeem,
    countsLimit: a.countsLimit,
    path: PATHS[a.mode],
    expiresAt: a.deadline,
    preReject: a.reject,
    maxAttempts: deps.fulfilment.maxAttempts,
  });
  return {
    allocated: r.state !== 'REJECTED',
    reward_id: r.rewardId,
    state: r.state,
    category: c?.value.category ?? null,
    amount: c?.amount ?? null,
    currency: c?.currency ?? null,
    reason: r.reason,
    segment: a.segment,
    fulfilment: a.mode,
    replayed: r.replayed,
    label: c ? describeReward(c.value, c.amount, c.currency) : null,
  };
}
