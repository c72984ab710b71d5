import type { ActivityImplementations } from '../contract/catalogue.ts';
import { asActivity } from './failure.ts';
import { asRewardClient, type JsonTransport, type RewardServiceClient } from './reward-client.ts';

/**
 * FulfillReward: delivers an APPROVED reward now (ledger credit, coupon, webhook, provider) when its
 * fulfilment job is due, and reports where it stands. A provider failure does not fail the activity: the
 * fulfilment queue retries with backoff and the reward reaches FAILED only after its last attempt.
 */
export function createFulfillReward(deps: {
  reward: RewardServiceClient | JsonTransport;
}): ActivityImplementations['FulfillReward'] {
  const reward = asRewardClient(deps.reward);
  return (input, ctx) =>
    asActivity(async () => {
      const r = await reward.fulfil(ctx.campaign.clientId, input.reward_id);
      return { state: r.state, fulfilment: r.fulfilment };
    });
}
