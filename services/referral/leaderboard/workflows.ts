/**
 * The leaderboard settlement workflow (its own bundle and task queue, beside the journey worker): one
 * activity that settles every ended period of a board. Started by the board's Temporal Schedule at each
 * period start in the board's time zone, and once when the campaign ends.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface SettleInput {
  clientId: string;
  campaignId: string;
  boardId: string;
}
export interface SettleActivities {
  settleLeaderboard(
    input: SettleInput,
  ): Promise<{ period: string; placings: number; reward_ids: string[] }[]>;
}

const { settleLeaderboard } = proxyActivities<SettleActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 20 },
});

export async function settleLeaderboardWorkflow(input: SettleInput) {
  return settleLeaderboard(input);
}
