import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import type { Db } from '../platform/db.ts';
import { withErrorHandling } from '../platform/http.ts';
import { createOidc, type OidcSettings } from './auth/oidc.ts';
import { createAuthRoutes } from './auth/routes.ts';
import { createMemberRoutes } from './members/routes.ts';
import { createMembers, type InviteDelivery } from './members/service.ts';
import { createPermissionRoutes } from './permission-routes.ts';
import { createAccountRoutes, createAdminRoutes } from './routes.ts';
import type { ClientManagement } from './service.ts';

export type { InviteDelivery } from './members/service.ts';
export { migrations } from './migrations/index.ts';
export {
  type ClientManagement,
  createClientManagement,
  type IssuedKey,
  reencryptSigningSecrets,
} from './service.ts';

export interface AuthSettings {
  /** `production` refuses the development login. */
  environment: 'development' | 'production';
  /** Session cookies carry `Secure` (false only in development on plain http). */
  secureCookies: boolean;
  /** OIDC sign-in; null when OIDC_ISSUER is unset. */
  oidc: Omit<OidcSettings, 'hashSecret' | 'allowHttp'> | null;
  hashSecret: string;
  /** Invite links point here. */
  publicBaseUrl: string;
  /** Sends invite emails (the notification service's internal send route). */
  invites: InviteDelivery;
}

/** Without a notification service wired in, invites are refused rather than silently not sent. */
const NO_DELIVERY: InviteDelivery = {
  async send() {
    throw new AppError('UPSTREAM_UNAVAILABLE', 'invites cannot be sent: no notification service is wired in');
  },
};

/** Client management: tenants, members with roles, API keys (stored hashed), sign-in and sessions. */
export function createClientManagementApp(deps: {
  db: Db;
  clientManagement: ClientManagement;
  auth?: AuthSettings;
}) {
  const { db, clientManagement: cm } = deps;
  const auth = deps.auth ?? {
    environment: 'development',
    secureCookies: false,
    oidc: null,
    hashSecret: 'local-development-only',
    publicBaseUrl: 'http://127.0.0.1:3000',
    invites: NO_DELIVERY,
  };
  const members = createMembers(db, cm.sessions, {
    hashSecret: auth.hashSecret,
    publicBaseUrl: auth.publicBaseUrl,
    delivery: auth.invites,
  });
  const oidc = auth.oidc
    ? createOidc(db, {
        ...auth.oidc,
        hashSecret: auth.hashSecret,
        allowHttp: auth.environment !== 'production',
      })
    : null;
  return withErrorHandling(
    new Hono()
      .route(
        '/v1/auth',
        createAuthRoutes({
          sessions: cm.sessions,
          cookies: { secure: auth.secureCookies },
          environment: auth.environment,
          oidc,
          members,
        }),
      )
      .route('/v1', createPermissionRoutes())
      .route('/v1', createMemberRoutes(members, cm.resolver))
      .route('/v1/admin', createAdminRoutes(db, cm, cm.resolver))
      .route('/v1', createAccountRoutes(db, cm, cm.resolver)),
  );
}
