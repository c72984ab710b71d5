import { Hono } from 'hono';
import type { ApiKeyResolver } from '../platform/auth.ts';
import { withErrorHandling } from '../platform/http.ts';
import { createFraudRoutes } from './fraud/routes.ts';
import { createInternalRoutes, createProgramRoutes } from './http/routes-internal.ts';
import { createPublicRoutes, rewardView } from './http/routes-public.ts';
import { createRewardService, type RewardService, type RewardServiceOptions } from './service.ts';

export {
  createSimulatedEligibility,
  type SimulatedEligibility,
  type SimulatedVerdict,
} from './eligibility/simulated.ts';
export { relayRewardFacts, startRewardFactRelay } from './facts.ts';
export { startClawbacks } from './fraud/clawback.ts';
export { FULFILMENT_SECRET, migrations } from './migrations/index.ts';
export {
  createRewardService,
  programProblems,
  type RewardService,
  registerProgram,
  setProgramStatus,
} from './service.ts';

export interface RewardAppDeps extends RewardServiceOptions {
  resolver: ApiKeyResolver;
  /** Token of /internal routes and program registration (other services and workers present it). */
  internalToken: string;
  /** An existing service (to share its deps with a worker); built from the options otherwise. */
  service?: RewardService;
}

/** Reward service: eligibility, allocation under caps, approvals, claims, fulfilment, expiry. */
export function createRewardApp(deps: RewardAppDeps) {
  const service = deps.service ?? createRewardService(deps);
  return withErrorHandling(
    new Hono()
      .route('/internal/v1/rewards', createInternalRoutes(service.deps, deps.internalToken))
      .route('/v1/reward-programs', createProgramRoutes(service.deps, deps.internalToken))
      .route('/v1', createPublicRoutes(service.deps, deps.resolver))
      .route('/v1', createFraudRoutes(service.deps, deps.resolver, rewardView)),
  );
}
export { rewardParticipantData } from './participant-data.ts';
export { countRewardsIssued } from './usage.ts';
