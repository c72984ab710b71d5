import { type ActivityOptions, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ActivityContext } from '../contract/activity-context.ts';
import { NON_RETRYABLE_CODES } from '../contract/errors.ts';
import type { JourneyOutcome, RunCampaignInput } from '../contract/plan.ts';

type Out = Record<string, unknown> & { [k: string]: unknown };
type Activity = (input: Record<string, unknown>, ctx: ActivityContext) => Promise<Out>;
type Acts = Record<string, Activity>;

// The same activity options the interpreter derives for these steps (engine/interpreter/activity-call.ts).
const NON_RETRYABLE = [...NON_RETRYABLE_CODES];
const base: ActivityOptions = {
  startToCloseTimeout: 30_000,
  retry: {
    maximumAttempts: 5,
    initialInterval: 1_000,
    backoffCoefficient: 2,
    maximumInterval: 60_000,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
};
const acts = proxyActivities<Acts>(base);
const fulfilActs = proxyActivities<Acts>({
  startToCloseTimeout: 30_000,
  retry: {
    maximumAttempts: 5,
    initialInterval: 2_000,
    backoffCoefficient: 2,
    maximumInterval: 60_000,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
});

/** `{ var: x }` semantics for a missing value: JSON-Logic yields null. */
const n = (v: unknown): unknown => (v === undefined ? null : v);
const errorOf = (err: unknown) => ({
  error: { code: 'ACTIVITY_FAILED', message: err instanceof Error ? err.message : String(err) },
});

/**
 * campaigns/conversion.pulse.yaml written by hand as a Temporal workflow: the same activity calls with
 * the same inputs, contexts (idempotency keys), options and order as the interpreter issues for it, and
 * nothing else (no signal/query handlers, no trace). The benchmark's baseline.
 */
export async function handWrittenConversion(input: RunCampaignInput): Promise<JourneyOutcome> {
  const wf = workflowInfo().workflowId;
  const ctx = (stepId: string, prefix = ''): ActivityContext => ({
    campaign: input.campaign,
    workflowId: wf,
    journeyKey: input.journeyKey,
    stepId,
    idempotencyKey: `${wf}/${prefix}${stepId}`,
    planHash: input.plan.hash,
  });
  const event = input.trigger;
  const props = (event.properties ?? {}) as Record<string, unknown>;
  const settings = input.plan.settings;
  const vars: Record<string, unknown> = {};

  const config = await acts.FetchCampaignConfig!({}, ctx('campaign-config'));
  vars.config = config;
  if (!config.active) return { status: 'cancelled', reason: 'campaign is not active', vars };

  const conversion = await acts.ValidateConversion!(
    {
      referee_id: n(event.participant_id),
      referral_id: n(event.referral_id),
      order_id: n(props.order_id),
      order_value: n(props.amount),
      min_order: n(settings.min_order),
      window_days: n(settings.window_days),
    },
    ctx('validate-conversion'),
  );
  vars.conversion = conversion;
  if (!conversion.valid) return { status: 'rejected', reason: conversion.reason, vars };

  const geo = (event.context as { geo?: { ip_hash?: unknown } } | undefined)?.geo;
  const fraud = await acts.CheckFraud!(
    {
      participant_id: n(event.participant_id),
      referrer_id: n(conversion.referrer_id),
      referral_id: n(conversion.referral_id),
      ip_hash: n(geo?.ip_hash),
    },
    ctx('fraud-check'),
  );
  vars.fraud = fraud;
  if (fraud.blocked) return { status: 'rejected', reason: `fraud: ${String(fraud.flags)}`, vars };

  const [referrerOk, refereeOk] = await Promise.all([
    acts.CheckEligibility!(
      {
        participant_id: n(conversion.referrer_id),
        side: 'referrer',
        reward: 'referrer_purchase',
        referral_id: n(conversion.referral_id),
        basis_value: n(props.amount),
        fraud_score: n(fraud.score),
      },
      ctx('referrer-eligibility', 'eligibility.referrer/'),
    ),
    acts.CheckEligibility!(
      {
        participant_id: n(event.participant_id),
        side: 'referee',
        reward: 'referee_purchase',
        referral_id: n(conversion.referral_id),
        basis_value: n(props.amount),
        traits: n(event.traits),
        fraud_score: n(fraud.score),
      },
      ctx('referee-eligibility', 'eligibility.referee/'),
    ),
  ]);
  vars.referrer_eligibility = referrerOk;
  vars.referee_eligibility = refereeOk;
  if (!referrerOk.eligible && !refereeOk.eligible)
    return { status: 'ineligible', reason: referrerOk.reason, vars };

  const allocate = (side: 'referrer' | 'referee') =>
    acts.AllocateReward!(
      {
        participant_id: n(side === 'referrer' ? conversion.referrer_id : event.participant_id),
        reward: side === 'referrer' ? 'referrer_purchase' : 'referee_purchase',
        side,
        basis_value: n(props.amount),
        referral_id: n(conversion.referral_id),
        fraud_score: n(fraud.score),
        reason: side === 'referrer' ? 'friend made a purchase' : 'purchase through a referral',
      },
      ctx(`allocate-${side}-reward`, `allocate-rewards.${side}/`),
    );
  const [referrerReward, refereeReward] = await Promise.all([
    referrerOk.eligible ? allocate('referrer') : undefined,
    refereeOk.eligible ? allocate('referee') : undefined,
  ]);
  vars.referrer_reward = referrerReward;
  vars.referee_reward = refereeReward;

  if (referrerReward?.allocated) {
    vars.referrer_fulfilment = await fulfilActs.FulfillReward!(
      { reward_id: n(referrerReward.reward_id) },
      ctx('fulfil-referrer-reward'),
    );
  }

  let milestone: Out | undefined;
  if (settings.milestones_enabled && referrerReward?.allocated) {
    milestone = await acts.CheckMilestone!(
      { participant_id: n(conversion.referrer_id), milestone: 'referrer_milestones', increment: 1 },
      ctx('count-conversion'),
    );
    vars.milestone = milestone;
    const bonuses = (milestone.reward_ids as string[] | undefined) ?? [];
    for (const [i, rewardId] of bonuses.entries()) {
      vars.bonus_reward_id = rewardId;
      vars.bonus_fulfilment = await acts.FulfillReward!(
        { reward_id: rewardId },
        ctx('fulfil-milestone-bonus', `fulfil-milestone-bonuses#${i}/`),
      ).catch(errorOf);
    }
    const reached = (milestone.reached as number[] | undefined) ?? [];
    if (reached.length > 0) {
      await acts.SendNotification!(
        {
          participant_id: n(conversion.referrer_id),
          channel: 'email',
          template: 'referrer-milestone',
          data: { conversions: n(milestone.count), reached },
        },
        ctx('milestone-email'),
      );
    }
  }
  let standing: Out | undefined;
  if (settings.leaderboard_enabled && referrerReward?.allocated) {
    standing = await acts.CalculateLeaderboard!(
      { leaderboard: 'top_referrers', participant_id: n(conversion.referrer_id), value: n(props.amount) },
      ctx('update-leaderboard'),
    ).catch(errorOf);
    vars.standing = standing;
  }

  await Promise.all([
    referrerReward?.allocated
      ? acts.SendNotification!(
          {
            participant_id: n(conversion.referrer_id),
            channel: 'email',
            template: 'conversion-referrer-rewarded',
            data: { reward: referrerReward, rank: n(standing?.rank) },
          },
          ctx('referrer-email', 'notify.referrer/'),
        )
      : undefined,
    refereeReward?.allocated
      ? acts.SendNotification!(
          {
            participant_id: n(event.participant_id),
            channel: 'email',
            template: 'conversion-referee-thanks',
            data: { reward: refereeReward },
          },
          ctx('referee-email', 'notify.referee/'),
        )
      : undefined,
    acts.SendWebhook!(
      {
        topic: 'reward.allocated',
        payload: {
          order_id: n(props.order_id),
          referral_id: n(conversion.referral_id),
          referrer_reward: n(referrerReward),
          referee_reward: n(refereeReward),
        },
      },
      ctx('conversion-webhook', 'notify.webhook/'),
    )
      .then((r) => {
        vars.webhook = r;
      })
      .catch((err: unknown) => {
        vars.webhook = errorOf(err);
      }),
  ]);

  await acts.RecordWorkflowMetrics!(
    {
      outcome: 'converted',
      metrics: {
        order_value: n(props.amount),
        referrer_reward: referrerReward?.amount ?? 0,
        referee_rewarded: Boolean(refereeReward?.allocated),
        milestones_reached: milestone?.reached ?? [],
      },
    },
    ctx('record-metrics'),
  );
  return { status: 'completed', vars };
}
