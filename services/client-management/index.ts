import { Hono } from 'hono';
import type { Db } from '../platform/db.ts';
import { withErrorHandling } from '../platform/http.ts';
import { createAccountRoutes, createAdminRoutes } from './routes.ts';
import type { ClientManagement } from './service.ts';

export { migrations } from './migrations/index.ts';
export {
  type ClientManagement,
  createClientManagement,
  type IssuedKey,
  reencryptSigningSecrets,
} from './service.ts';

/** Client management: tenants, members with roles, API keys (stored hashed). */
export function createClientManagementApp(deps: { db: Db; clientManagement: ClientManagement }) {
  const { db, clientManagement: cm } = deps;
  return withErrorHandling(
    new Hono()
      .route('/v1/admin', createAdminRoutes(db, cm, cm.resolver))
      .route('/v1', createAccountRoutes(db, cm, cm.resolver)),
  );
}
