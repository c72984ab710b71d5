import type { ActivityImplementations } from '../contract/catalogue.ts';
import { asActivity } from './failure.ts';
import { asRewardClient, type JsonTransport, type RewardServiceClient } from './reward-client.ts';

/**
 * AllocateReward: reserves a reward under the campaign rule named in `reward` for the journey's pinned
 * campaign version. The step's idempotency key makes a retried activity return the same reward.
 */
export function createAllocateReward(deps: {
  reward: RewardServiceClient | JsonTransport;
}): ActivityImplementations['AllocateReward'] {
  const reward = asRewardClient(deps.reward);
  return (input, ctx) =>
    asActivity(async () => {
      const r = await reward.allocate({
        client_id: ctx.campaign.clientId,
        campaign_id: ctx.campaign.campaignId,
        version: ctx.campaign.version,
        idempotency_key: ctx.idempotencyKey,
        participant_id: input.participant_id,
        reward: input.reward,
        ...(input.side ? { side: input.side } : {}),
        ...(input.basis_value !== undefined ? { basis_value: input.basis_value } : {}),
        ...(input.referral_id !== undefined ? { referral_id: input.referral_id } : {}),
        ...(input.reason !== undefined ? { reason: input.reason } : {}),
        ...(input.traits ? { traits: input.traits } : {}),
        ...(input.fraud_score !== undefined ? { fraud_score: input.fraud_score } : {}),
        ...(input.fraud ? { fraud: input.fraud } : {}),
        ...(input.order_id ? { order_id: input.order_id } : {}),
      });
      return {
        allocated: r.allocated,
        reward_id: r.reward_id,
        state: r.state,
        category: r.category,
        amount: r.amount,
        currency: r.currency,
        reason: r.reason,
        segment: r.segment,
        fulfilment: r.fulfilment,
        label: r.label,
      };
    });
}
