import type { ActivityImplementations } from '../contract/catalogue.ts';
import { asActivity } from './failure.ts';
import { asRewardClient, type JsonTransport, type RewardServiceClient } from './reward-client.ts';

/** CheckEligibility: the three-phase check (constraints, segmentation, fraud); reserves nothing. */
export function createCheckEligibility(deps: {
  reward: RewardServiceClient | JsonTransport;
}): ActivityImplementations['CheckEligibility'] {
  const reward = asRewardClient(deps.reward);
  return (input, ctx) =>
    asActivity(async () => {
      const r = await reward.checkEligibility({
        client_id: ctx.campaign.clientId,
        campaign_id: ctx.campaign.campaignId,
        version: ctx.campaign.version,
        participant_id: input.participant_id,
        ...(input.reward !== undefined ? { reward: input.reward } : {}),
        ...(input.side ? { side: input.side } : {}),
        ...(input.referral_id !== undefined ? { referral_id: input.referral_id } : {}),
        ...(input.basis_value !== undefined ? { basis_value: input.basis_value } : {}),
        ...(input.traits ? { traits: input.traits } : {}),
        ...(input.fraud_score !== undefined ? { fraud_score: input.fraud_score } : {}),
      });
      return { eligible: r.eligible, reason: r.reason, segment: r.segment, reward: r.reward };
    });
}
