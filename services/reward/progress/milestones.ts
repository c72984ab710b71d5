import { AppError } from '../../../contract/errors.ts';
import { allocateReward } from '../allocation/allocate.ts';
import type { RewardDeps } from '../deps.ts';
import { findRule, type Side } from '../eligibility/assess.ts';
import { periodKey } from './periods.ts';
import { incrementCounter } from './repo.ts';

/**
 * Milestones: a counter per participant, campaign and rule (per period when the rule resets); crossing a
 * threshold allocates its reward — through the same allocation as every reward, so budget, winner cap and
 * earning limits apply, and one threshold pays once per period (its claim key).
 */

export interface MilestoneInput {
  clientId: string;
  campaignId: string;
  version: number;
  rule: string;
  participantId: string;
  increment?: number | undefined;
  idempotencyKey: string;
  traits?: Record<string, unknown> | undefined;
}

export interface MilestoneResult {
  count: number;
  reached: number[];
  reward_ids: string[];
  period: string;
}

export async function checkMilestone(deps: RewardDeps, input: MilestoneInput): Promise<MilestoneResult> {
  const program = await deps.programs.get(input.clientId, input.campaignId, input.version);
  const rule = findRule(program, input.rule);
  if (rule.type !== 'milestone')
    throw new AppError('VALIDATION_FAILED', `reward rule "${input.rule}" is not a milestone`, [
      { path: 'milestone', message: 'not a milestone rule', expected: 'type: milestone' },
    ]);
  const thresholds = rule.thresholds ?? [];
  const period = periodKey(rule.reset ?? 'lifetime', deps.now());
  const step = await incrementCounter(deps.db, {
    clientId: input.clientId,
    campaignId: input.campaignId,
    rule: input.rule,
    participantId: input.participantId,
    period,
    increment: input.increment ?? 1,
    key: `${input.idempotencyKey}#counter`,
    thresholds: thresholds.map((t) => t.at),
  });
  const rewardIds: string[] = [];
  for (const at of step.reached) {
    const threshold = thresholds.find((t) => t.at === at);
    const give = rule.mode === 'fixed' ? rule.give : (threshold?.give ?? rule.give);
    if (!give) continue;
    const r = await allocateReward(deps, {
      clientId: input.clientId,
      campaignId: input.campaignId,
      version: input.version,
      rule: input.rule,
      side: (rule.side ?? 'referrer') as Side,
      participantId: input.participantId,
      traits: input.traits,
      give,
      claimKey: `milestone:${period}:${at}`,
      idempotencyKey: `${input.idempotencyKey}#milestone:${at}`,
    });
    if (r.allocated) rewardIds.push(r.reward_id);
  }
  return { count: step.after, reached: step.reached, reward_ids: rewardIds, period };
}
