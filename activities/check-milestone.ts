import type { ActivityImplementations } from '../contract/catalogue.ts';
import { asActivity } from './failure.ts';
import { asRewardClient, type JsonTransport, type RewardServiceClient } from './reward-client.ts';

/** CheckMilestone: counts one more (or `increment`) and allocates the reward of every threshold crossed. */
export function createCheckMilestone(deps: {
  reward: RewardServiceClient | JsonTransport;
}): ActivityImplementations['CheckMilestone'] {
  const reward = asRewardClient(deps.reward);
  return (input, ctx) =>
    asActivity(async () => {
      const r = await reward.checkMilestone({
        client_id: ctx.campaign.clientId,
        campaign_id: ctx.campaign.campaignId,
        version: ctx.campaign.version,
        idempotency_key: ctx.idempotencyKey,
        participant_id: input.participant_id,
        milestone: input.milestone,
        ...(input.increment !== undefined ? { increment: input.increment } : {}),
      });
      return { count: r.count, reached: r.reached, reward_ids: r.reward_ids };
    });
}
