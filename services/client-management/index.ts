import { Hono } from 'hono';
import type { Db } from '../platform/db.ts';
import { withErrorHandling } from '../platform/http.ts';
import { createOidc, type OidcSettings } from './auth/oidc.ts';
import { createAuthRoutes } from './auth/routes.ts';
import { createAccountRoutes, createAdminRoutes } from './routes.ts';
import type { ClientManagement } from './service.ts';

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
}

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
  };
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
        }),
      )
      .route('/v1/admin', createAdminRoutes(db, cm, cm.resolver))
      .route('/v1', createAccountRoutes(db, cm, cm.resolver)),
  );
}
