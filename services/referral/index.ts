import { Hono } from 'hono';
import type { ApiKeyResolver } from '../platform/auth.ts';
import type { Cidr } from '../platform/cidr.ts';
import type { Db } from '../platform/db.ts';
import { withErrorHandling } from '../platform/http.ts';
import { createReferralInternalRoutes, createReferralRedirect, createReferralRoutes } from './routes.ts';

export { landingProblems, registerLanding, setLandingStatus } from './landing.ts';
export { migrations } from './migrations/index.ts';
export { startReferralTracking } from './subscriber.ts';

/** Referral service: codes and links, clicks and shares, attribution, conversion checks, fraud signals. */
export function createReferralApp(deps: {
  db: Db;
  resolver: ApiKeyResolver;
  internalToken: string;
  publicBaseUrl: string;
  /** Secret of the keyed IP hash recorded on link visits (the platform's `hashSecret`). */
  hashSecret: string;
  /** Proxies whose X-Forwarded-For is believed; default none. */
  trustedProxies?: readonly Cidr[];
  /** NODE_ENV=production: landing URLs must be https. */
  production?: boolean;
}) {
  return withErrorHandling(
    new Hono()
      .route('/v1/referrals', createReferralRoutes(deps.db, deps.resolver))
      .route(
        '/internal/v1/referrals',
        createReferralInternalRoutes(deps.db, deps.internalToken, deps.publicBaseUrl),
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
