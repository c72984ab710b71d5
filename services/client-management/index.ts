import { Hono } from 'hono';
import { AppError } from '../../contract/errors.ts';
import type { Db } from '../platform/db.ts';
import { withErrorHandling } from '../platform/http.ts';
import { createAuditRoutes } from './audit/routes.ts';
import { createOidc, type OidcSettings } from './auth/oidc.ts';
import { createAuthRoutes } from './auth/routes.ts';
import type { BillingDeps } from './billing/invoices.ts';
import { createBillingRoutes } from './billing/routes.ts';
import type { DsrDeps } from './dsr/dsr.ts';
import { createDsrRoutes } from './dsr/routes.ts';
import { createMemberRoutes } from './members/routes.ts';
import { createMembers, type InviteDelivery } from './members/service.ts';
import { createPermissionRoutes } from './permission-routes.ts';
import * as repo from './repo.ts';
import { createAccountRoutes, createAdminRoutes } from './routes.ts';
import type { ClientManagement } from './service.ts';
import { createUsageRoutes } from './usage/routes.ts';
import type { MonthUsage } from './usage/usage.ts';

export type { InviteDelivery } from './members/service.ts';
export { migrations } from './migrations/index.ts';
export {
  type ClientManagement,
  createClientManagement,
  type IssuedKey,
  reencryptSigningSecrets,
} from './service.ts';

/** Usage, billing and data-subject requests: what the composition root wires (they read other stores). */
export interface ClientOps {
  usageOf(clientId: string, month: string): Promise<MonthUsage>;
  billing: BillingDeps;
  dsr: DsrDeps;
}

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

/**
 * Client management: tenants, members with roles, API keys (stored hashed), sign-in and sessions; usage,
 * billing, audit and data-subject requests.
 */
export function createClientManagementApp(deps: {
  db: Db;
  clientManagement: ClientManagement;
  auth?: AuthSettings;
  ops?: ClientOps;
}) {
  const { db, clientManagement: cm, ops } = deps;
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
  const app = new Hono();
  if (ops)
    app
      .route(
        '/v1',
        createUsageRoutes(
          cm.resolver,
          ops.usageOf,
          async (id) => (await repo.findClient(db, id)) !== undefined,
        ),
      )
      .route('/v1', createBillingRoutes(cm.resolver, ops.billing))
      .route('/v1/participants', createDsrRoutes(cm.resolver, ops.dsr));
  return withErrorHandling(
    app
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
      .route('/v1/audit', createAuditRoutes(db, cm.resolver))
      .route('/v1', createAccountRoutes(db, cm, cm.resolver)),
  );
}
export { createStripeBilling, type StripeBilling } from './billing/stripe.ts';
export { createUsageMeter, USAGE_WARNING_HEADER, type UsageMeter } from './usage/meter.ts';
export { monthUsage, temporalJourneyCounter, type UsageSources } from './usage/usage.ts';
