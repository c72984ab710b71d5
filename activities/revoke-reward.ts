import type { ActivityImplementations } from '../contract/catalogue.ts';
import { asActivity } from './failure.ts';
import { asRewardClient, type JsonTransport, type RewardServiceClient } from './reward-client.ts';

/**
 * RevokeReward: takes back a reward the journey allocated, usually as the `compensate` of an
 * AllocateReward step. The reward service applies the state machine (REVOKED, or EXPIRED for a delivered
 * but unused reward) and answers a reward already taken back unchanged, so a retry is harmless; a
 * redeemed reward fails with ILLEGAL_TRANSITION, which is not retried.
 */
export function createRevokeReward(deps: {
  reward: RewardServiceClient | JsonTransport;
}): ActivityImplementations['RevokeReward'] {
  const reward = asRewardClient(deps.reward);
  return (input, ctx) =>
    asActivity(async () => {
      const r = await reward.revoke(ctx.campaign.clientId, input.reward_id, {
        actor: `journey:${ctx.workflowId}`.slice(0, 200),
        reason: (input.reason ?? `compensation of step ${ctx.stepId}`).slice(0, 500),
      });
      return { reward_id: r.reward_id, state: r.state, previous_state: r.previous_state, revoked: r.revoked };
    });
}
