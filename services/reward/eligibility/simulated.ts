import type { RewardRule } from '../../../contract/generated/reward.generated.ts';
import { buildProgram, type Program } from '../programs/programs.ts';
import { type Assessment, assess, type Side } from './assess.ts';
import type { RejectionReason } from './reasons.ts';
import { createRewardRuleEngine } from './rule-engine.ts';

/**
 * Eligibility without a database, for `pulse simulate`: the campaign's own `rewards:` and `segments:`
 * judged by the same code the service runs (`assess`: segment match and exclusion, segmentation
 * requirements, rule conditions, tiers, minimums, fraud threshold). What needs shared counters (budget,
 * winner cap, earning limits, duplicate claims) is not simulated: every participant starts from zero.
 */

export interface SimulatedCheck {
  participant_id: string;
  reward?: string | undefined;
  side?: Side | undefined;
  basis_value?: number | undefined;
  traits?: Record<string, unknown> | undefined;
  fraud_score?: number | undefined;
}

export interface SimulatedVerdict {
  eligible: boolean;
  reason: RejectionReason | null;
  segment: string | null;
  /** The part of the campaign file that refused, e.g. `segments.trial` or `rewards.bonus.when`. */
  refusedBy: string | null;
  /** What the reward would be, as the service's eligibility answer states it (null without a rule). */
  reward: Record<string, unknown> | null;
  assessment: Assessment;
}

export interface SimulatedEligibility {
  check(input: SimulatedCheck, now: Date): SimulatedVerdict;
}

const CAMPAIGN_RULE = '*campaign*';

/** Builds the evaluator from a campaign's sections; throws VALIDATION_FAILED when they are invalid. */
export function createSimulatedEligibility(sections: {
  campaignId: string;
  rewards: unknown;
  segments?: unknown;
}): SimulatedEligibility {
  const program = buildProgram(
    {
      clientId: 'simulation',
      campaignId: sections.campaignId,
      version: 1,
      rewards: sections.rewards,
      segments: sections.segments,
    },
    createRewardRuleEngine(),
  );
  return {
    check(input, now) {
      const ruleName = input.reward ?? CAMPAIGN_RULE;
      // As the service does: without a rule, only campaign-wide checks apply (a synthetic empty rule).
      const p: Program = input.reward
        ? program
        : {
            ...program,
            rules: {
              ...program.rules,
              [CAMPAIGN_RULE]: { type: 'single', ...(input.side ? { side: input.side } : {}) },
            },
          };
      const a = assess(p, {
        rule: ruleName,
        side: input.side,
        participantId: input.participant_id,
        basisValue: input.basis_value,
        traits: input.traits,
        fraudScore: input.fraud_score,
        now,
      });
      return {
        eligible: a.reject === null,
        reason: a.reject,
        segment: a.segment,
        refusedBy: a.reject ? refusingPart(p, a, a.reject) : null,
        reward:
          input.reward && a.computed
            ? {
                rule: input.reward,
                side: a.side,
                category: a.computed.value.category,
                amount: a.computed.amount,
                currency: a.computed.currency,
                cost: a.computed.cost,
                fulfilment: a.mode,
                value: a.computed.value,
              }
            : null,
        assessment: a,
      };
    },
  };
}

const REQUIREMENT_OF: Partial<Record<RejectionReason, string>> = {
  PLAN_MISMATCH: 'plans',
  BILLING_MISMATCH: 'billing_cycles',
  TENURE_TOO_LOW: 'min_tenure_days',
  WRONG_STAGE: 'lifecycle_stages',
  LOW_ENGAGEMENT: 'min_engagement',
  CHURN_RISK_TOO_HIGH: 'max_churn_risk',
};

/** Where in the file the refusing check is written (the rule's own setting before the campaign's). */
function refusingPart(program: Program, a: Assessment, reason: RejectionReason): string {
  const rule = a.rule as RewardRule;
  const ruleAt = a.ruleName === CAMPAIGN_RULE ? 'rewards.constraints' : `rewards.${a.ruleName}`;
  const requirement = REQUIREMENT_OF[reason];
  if (requirement) {
    const own = (rule.eligibility as Record<string, unknown> | undefined)?.[requirement] !== undefined;
    return `${own ? ruleAt : 'rewards.constraints'}.eligibility.${requirement}`;
  }
  switch (reason) {
    case 'SEGMENT_EXCLUDED':
      return `segments.${a.segment ?? '?'}`;
    case 'RULE_CONDITION_FAILED': {
      const side = rule.type === 'double' && rule.when === undefined ? `.${a.side}` : '';
      return `${ruleAt}${side}.when`;
    }
    case 'BELOW_MINIMUM':
      if (rule.min_value !== undefined) return `${ruleAt}.min_value`;
      return program.constraints.min_value !== undefined
        ? 'rewards.constraints.min_value'
        : `${ruleAt}.tiers`;
    case 'NO_MATCHING_TIER':
      return `${ruleAt}.tiers`;
    case 'FRAUD_DETECTED':
      return 'rewards.constraints.max_fraud_score';
    default:
      return ruleAt;
  }
}
