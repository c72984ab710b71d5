import type { FromSchema } from 'json-schema-to-ts';
import type { AllocateOutput } from './allocate.ts';
import type { EligibilityResult } from './eligibility.ts';
import type { FulfilmentStatus } from './fulfilment/queue.ts';
import type { allocateBody, eligibilityBody, leaderboardBody, milestoneBody } from './http-schemas.ts';
import type { LeaderboardResult } from './leaderboards.ts';
import type { MilestoneResult } from './milestones.ts';

/**
 * The typed client activities use to reach the reward service. It rides on any JSON transport with
 * `post`/`get` — activities/service-client.ts gives one over `fetch`, which is either a Hono app's
 * `app.fetch` (in-process, the local single-process deployment) or the network (the service deployed
 * alone) — so both deployments run the same routes.
 */
export interface JsonTransport {
  post<T>(path: string, body: unknown): Promise<T>;
  get<T>(path: string): Promise<T>;
}

export interface RewardServiceClient {
  checkEligibility(body: FromSchema<typeof eligibilityBody>): Promise<EligibilityResult>;
  allocate(body: FromSchema<typeof allocateBody>): Promise<AllocateOutput>;
  fulfil(clientId: string, rewardId: string): Promise<FulfilmentStatus>;
  checkMilestone(body: FromSchema<typeof milestoneBody>): Promise<MilestoneResult>;
  calculateLeaderboard(body: FromSchema<typeof leaderboardBody>): Promise<LeaderboardResult>;
}

const BASE = '/internal/v1/rewards';

export function createRewardServiceClient(t: JsonTransport): RewardServiceClient {
  return {
    checkEligibility: (body) => t.post(`${BASE}/eligibility`, body),
    allocate: (body) => t.post(`${BASE}/allocate`, body),
    fulfil: (clientId, rewardId) =>
      t.post(`${BASE}/${encodeURIComponent(rewardId)}/fulfil`, { client_id: clientId }),
    checkMilestone: (body) => t.post(`${BASE}/milestones/check`, body),
    calculateLeaderboard: (body) => t.post(`${BASE}/leaderboards/calculate`, body),
  };
}

/** Accepts a ready client or a bare transport (activities/index.ts passes the latter). */
export function asRewardClient(c: RewardServiceClient | JsonTransport): RewardServiceClient {
  return 'allocate' in c ? c : createRewardServiceClient(c);
}
