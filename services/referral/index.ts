import { Hono } from 'hono';
import type { ApiKeyResolver } from '../platform/auth.ts';
import type { Cidr } from '../platform/cidr.ts';
import type { ClickHouse } from '../platform/clickhouse.ts';
import type { Db } from '../platform/db.ts';
import { withErrorHandling } from '../platform/http.ts';
import { createGraphRoutes } from './graph/routes.ts';
import type { Leaderboards } from './leaderboard/leaderboards.ts';
import { createLeaderboardRoutes } from './leaderboard/routes.ts';
import { createLinkRoutes } from './links/routes.ts';
import { createReferralInternalRoutes, createReferralRedirect, createReferralRoutes } from './routes.ts';

export { registerAttribution } from './attribution/settings.ts';
export { fraudProblems, registerFraudPolicy } from './fraud/index.ts';
export { landingProblems, registerLanding, setLandingStatus } from './landing.ts';
export {
  type AwardRequest,
  createLeaderboards,
  type Leaderboards,
  type NoticeRequest,
} from './leaderboard/leaderboards.ts';
export {
  createLeaderboardSchedules,
  createSettlementWorker,
  type LeaderboardSchedules,
  startSettlementWorker,
} from './leaderboard/schedules.ts';
export { startLeaderboardTracking } from './leaderboard/subscriber.ts';
export { migrations } from './migrations/index.ts';
export { startReferralTracking } from './subscriber.ts';

/** Referral service: codes and links, clicks and shares, attribution, conversion checks, fraud signals. */
export function createReferralApp(deps: {
  db: Db;
  /** The event store: attribution asks it whether a person converted before their referral click. */
  ch?: ClickHouse;
  resolver: ApiKeyResolver;
  internalToken: string;
  publicBaseUrl: string;
  /** Secret of the keyed IP hash recorded on link visits (the platform's `hashSecret`). */
  hashSecret: string;
  /** Proxies whose X-Forwarded-For is believed; default none. */
  trustedProxies?: readonly Cidr[];
  /** NODE_ENV=production: landing URLs must be https. */
  production?: boolean;
  /** Campaign leaderboards (leaderboard/): their routes are mounted when given. */
  leaderboards?: Leaderboards;
}) {
  const app = new Hono();
  if (deps.leaderboards) app.route('/', createLeaderboardRoutes(deps.leaderboards, deps.resolver));
  return withErrorHandling(
    app
      .route('/v1/referrals', createReferralRoutes(deps.db, deps.resolver))
      .route('/v1/referrals', createLinkRoutes(deps.db, deps.resolver, deps.publicBaseUrl))
      .route('/v1/participants', createGraphRoutes(deps.db, deps.resolver))
      .route(
        '/internal/v1/referrals',
        createReferralInternalRoutes(
          deps.db,
          deps.internalToken,
          deps.publicBaseUrl,
          deps.hashSecret,
          deps.ch,
        ),
      )
      .route(
        '/r',
        createReferralRedirect(deps.db, {
          hashSecret: deps.hashSecret,
          trustedProxies: deps.trustedProxies ?? [],
          production: deps.production ?? false,
          publicBaseUrl: deps.publicBaseUrl,
        }),
      ),
  );
}
export { referralParticipantData } from './participant-data.ts';
