import type { ActivityOutput } from '../contract/catalogue.ts';
import type {
  AllocateBody,
  EligibilityBody,
  LeaderboardBody,
  MilestoneBody,
} from '../contract/generated/reward-http.generated.ts';

/**
 * The typed client activities use to reach the reward service's internal routes; its answers are the
 * catalogue outputs of the activities that relay them (contract/), so nothing here depends on services/. It rides on any JSON transport with
 * `post`/`get` — activities/service-client.ts gives one over `fetch`, which is either a Hono app's
 * `app.fetch` (in-process, the local single-process deployment) or the network (the service deployed
 * alone) — so both deployments run the same routes.
 */
export interface JsonTransport {
  post<T>(path: string, body: unknown): Promise<T>;
  get<T>(path: string): Promise<T>;
}

export interface RewardServiceClient {
  checkEligibility(body: EligibilityBody): Promise<ActivityOutput<'CheckEligibility'>>;
  allocate(body: AllocateBody): Promise<ActivityOutput<'AllocateReward'>>;
  fulfil(clientId: string, rewardId: string): Promise<ActivityOutput<'FulfillReward'>>;
  revoke(
    clientId: string,
    rewardId: string,
    body: { actor?: string; reason?: string },
  ): Promise<ActivityOutput<'RevokeReward'>>;
  checkMilestone(body: MilestoneBody): Promise<ActivityOutput<'CheckMilestone'>>;
  calculateLeaderboard(body: LeaderboardBody): Promise<ActivityOutput<'CalculateLeaderboard'>>;
}

const BASE = '/internal/v1/rewards';

export function createRewardServiceClient(t: JsonTransport): RewardServiceClient {
  return {
    checkEligibility: (body) => t.post(`${BASE}/eligibility`, body),
    allocate: (body) => t.post(`${BASE}/allocate`, body),
    fulfil: (clientId, rewardId) =>
      t.post(`${BASE}/${encodeURIComponent(rewardId)}/fulfil`, { client_id: clientId }),
    revoke: (clientId, rewardId, body) =>
      t.post(`${BASE}/${encodeURIComponent(rewardId)}/revoke`, { client_id: clientId, ...body }),
    checkMilestone: (body) => t.post(`${BASE}/milestones/check`, body),
    calculateLeaderboard: (body) => t.post(`${BASE}/leaderboards/calculate`, body),
  };
}

/** Accepts a ready client or a bare transport (activities/index.ts passes the latter). */
export function asRewardClient(c: RewardServiceClient | JsonTransport): RewardServiceClient {
  return 'allocate' in c ? c : createRewardServiceClient(c);
}
