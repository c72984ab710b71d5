import { allocateReward } from './allocation/allocate.ts';
import { createRewardDeps, type RewardDeps, type RewardServiceOptions } from './deps.ts';
import { checkEligibility } from './eligibility/eligibility.ts';
import { fulfilNow, runFulfilmentBatch, startFulfilmentWorker } from './fulfilment/queue.ts';
import {
  approveReward,
  claimReward,
  expireDue,
  redeemReward,
  rejectReward,
  retryReward,
} from './lifecycle/lifecycle.ts';
import { awardLeaderboardPrizes, calculateLeaderboard } from './progress/leaderboards.ts';
import { checkMilestone } from './progress/milestones.ts';

export type { RewardDeps, RewardServiceOptions } from './deps.ts';
export {
  programProblems,
  type RegisterProgramInput,
  registerProgram,
  setProgramStatus,
} from './programs/programs.ts';

/**
 * The reward service as plain functions bound to their dependencies: what routes, tests, benchmarks and
 * the background jobs call. (The rules themselves live in the files named after them.)
 */
export function createRewardService(opts: RewardServiceOptions) {
  const deps: RewardDeps = createRewardDeps(opts);
  return {
    deps,
    checkEligibility: (input: Parameters<typeof checkEligibility>[1]) => checkEligibility(deps, input),
    allocate: (input: Parameters<typeof allocateReward>[1]) => allocateReward(deps, input),
    checkMilestone: (input: Parameters<typeof checkMilestone>[1]) => checkMilestone(deps, input),
    calculateLeaderboard: (input: Parameters<typeof calculateLeaderboard>[1]) =>
      calculateLeaderboard(deps, input),
    /** Prize bands of a `leaderboard` rule for a board settled elsewhere (the referral service's). */
    awardLeaderboardPrizes: (input: Parameters<typeof awardLeaderboardPrizes>[1]) =>
      awardLeaderboardPrizes(deps, input),
    fulfilNow: (clientId: string, rewardId: string) => fulfilNow(deps, clientId, rewardId),
    runFulfilmentBatch: (limit?: number) => runFulfilmentBatch(deps, limit),
    approve: (clientId: string, rewardId: string, actor: string) =>
      approveReward(deps, clientId, rewardId, actor),
    reject: (clientId: string, rewardId: string, actor: string, reason: string) =>
      rejectReward(deps, clientId, rewardId, actor, reason),
    claim: (
      clientId: string,
      rewardId: string,
      participantId: string,
      details: Record<string, unknown> = {},
    ) => claimReward(deps, clientId, rewardId, participantId, details),
    redeem: (clientId: string, rewardId: string, actor: string) =>
      redeemReward(deps, clientId, rewardId, actor),
    retry: (clientId: string, rewardId: string, actor: string) =>
      retryReward(deps, clientId, rewardId, actor),
    expireDue: (opts?: { limit?: number; clientId?: string }) => expireDue(deps, opts),
    /** Background delivery of the fulfilment queue (retries with backoff); stop() before closing the db. */
    startFulfilmentWorker: (o?: { intervalMs?: number; batch?: number }) => startFulfilmentWorker(deps, o),
  };
}
export type RewardService = ReturnType<typeof createRewardService>;
