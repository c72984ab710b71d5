import type { ActivityImplementations } from '../contract/catalogue.ts';
import { asActivity } from './failure.ts';
import { asRewardClient, type JsonTransport, type RewardServiceClient } from './reward-client.ts';

/**
 * CalculateLeaderboard: with `participant_id`, records their conversion and returns the standings, their
 * rank and whether it changed (for "you're now #3" notifications); with `finalize`, freezes the period's
 * standings and allocates the prizes.
 */
export function createCalculateLeaderboard(deps: {
  reward: RewardServiceClient | JsonTransport;
}): ActivityImplementations['CalculateLeaderboard'] {
  const reward = asRewardClient(deps.reward);
  return (input, ctx) =>
    asActivity(async () => {
      const r = await reward.calculateLeaderboard({
        client_id: ctx.campaign.clientId,
        campaign_id: ctx.campaign.campaignId,
        version: ctx.campaign.version,
        idempotency_key: ctx.idempotencyKey,
        leaderboard: input.leaderboard,
        ...(input.participant_id !== undefined ? { participant_id: input.participant_id } : {}),
        ...(input.value !== undefined ? { value: input.value } : {}),
        ...(input.quality_score !== undefined ? { quality_score: input.quality_score } : {}),
        ...(input.period !== undefined ? { period: input.period } : {}),
        ...(input.finalize !== undefined ? { finalize: input.finalize } : {}),
      });
      return {
        standings: r.standings,
        rank: r.rank,
        changed: r.changed,
        period: r.period,
        final: r.final,
        reward_ids: r.reward_ids,
      };
    });
}
