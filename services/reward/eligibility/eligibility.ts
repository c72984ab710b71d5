import { claimKeyOf } from '../allocation/allocate.ts';
import { capsAndDuplicate } from '../allocation/repo.ts';
import type { RewardDeps } from '../deps.ts';
import { type FraudRewardDb, isSuspended } from '../fraud/repo.ts';
import { type Assessment, assess, type Side } from './assess.ts';
import type { RejectionReason } from './reasons.ts';

/**
 * The three-phase eligibility check (campaign constraints, segmentation, fraud) without reserving anything:
 * what a journey asks before it allocates. Allocation repeats every check atomically, so a participant
 * found eligible here can still be rejected there when the budget runs out in between.
 */

export interface EligibilityInput {
  clientId: string;
  campaignId: string;
  version: number;
  participantId: string;
  /** Rule to check; without it only campaign-level constraints and segmentation are checked. */
  rule?: string | undefined;
  side?: Side | undefined;
  referralId?: string | null | undefined;
  basisValue?: number | undefined;
  traits?: Record<string, unknown> | undefined;
  fraudScore?: number | undefined;
}

export interface EligibilityResult {
  eligible: boolean;
  reason: RejectionReason | null;
  segment: string | null;
  reward: {
    rule: string;
    side: Side;
    category: string;
    amount: number | null;
    currency: string | null;
    cost: number;
    fulfilment: Assessment['mode'];
    value: unknown;
  } | null;
}

export async function checkEligibility(
  deps: RewardDeps,
  input: EligibilityInput,
): Promise<EligibilityResult> {
  const program = await deps.programs.get(input.clientId, input.campaignId, input.version);
  const now = deps.now();
  // Without a rule, judge the participant against an empty rule so only campaign-wide checks apply.
  const ruleName = input.rule ?? '*campaign*';
  const p = input.rule
    ? program
    : // The synthetic rule takes the caller's side, so "is this referee eligible at all?" is askable.
      {
        ...program,
        rules: {
          ...program.rules,
          [ruleName]: { type: 'single' as const, ...(input.side ? { side: input.side } : {}) },
        },
      };
  const a = assess(p, { ...input, rule: ruleName, now });
  const db = await capsAndDuplicate(deps.db, {
    clientId: input.clientId,
    campaignId: input.campaignId,
    rule: ruleName,
    side: a.side,
    participantId: input.participantId,
    claimKey: claimKeyOf(input),
    cost: a.computed?.cost ?? 0,
    countsLimit: input.rule ? a.countsLimit : false,
  });
  const suspended = await isSuspended(
    deps.db as unknown as FraudRewardDb,
    input.clientId,
    input.participantId,
  );
  const reason =
    db.caps ??
    a.reject ??
    (suspended ? 'PARTICIPANT_SUSPENDED' : null) ??
    (input.rule && db.duplicate ? 'DUPLICATE_CLAIM' : null);
  const c = a.computed;
  return {
    eligible: reason === null,
    reason,
    segment: a.segment,
    reward:
      input.rule && c
        ? {
            rule: input.rule,
            side: a.side,
            category: c.value.category,
            amount: c.amount,
            currency: c.currency,
            cost: c.cost,
            fulfilment: a.mode,
            value: c.value,
          }
        : null,
  };
}
