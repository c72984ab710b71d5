import { Hono } from 'hono';
import type { ApiKeyResolver } from '../platform/auth.ts';
import type { Db } from '../platform/db.ts';
import { withErrorHandling } from '../platform/http.ts';
import { createCampaignInternalRoutes, createCampaignRoutes } from './routes.ts';
import type { CampaignHooks } from './service.ts';
import { type CampaignSimulator, createSimulateRoutes } from './simulate.ts';

export { migrations } from './migrations/index.ts';
export {
  type CampaignSchedules,
  createCampaignSchedules,
  SCHEDULE_EVENT,
  scheduleIdOf,
} from './schedules.ts';
export {
  type CampaignHooks,
  createDeployedCampaigns,
  type DeployedVersion,
  deployCampaign,
} from './service.ts';
export { type CampaignSimulator, SIMULATION_LIMITS } from './simulate.ts';

/** Campaign service: YAML definitions compiled, versioned and stored; it never runs journeys. */
export function createCampaignApp(deps: {
  db: Db;
  resolver: ApiKeyResolver;
  internalToken: string;
  hooks: CampaignHooks;
  /** Runs `POST /v1/campaigns/simulate` (the composition root passes the engine's simulator). */
  simulator?: CampaignSimulator | undefined;
}) {
  return withErrorHandling(
    new Hono()
      .route('/v1/campaigns', createSimulateRoutes(deps))
      .route('/v1/campaigns', createCampaignRoutes(deps.db, deps.resolver, deps.hooks))
      .route('/internal/v1/campaigns', createCampaignInternalRoutes(deps.db, deps.internalToken)),
  );
}
