import { Hono } from 'hono';
import type { Db } from '../platform/db.ts';
import { withErrorHandling } from '../platform/http.ts';
import { createAuditRoutes } from './audit/routes.ts';
import type { BillingDeps } from './billing/invoices.ts';
import { createBillingRoutes } from './billing/routes.ts';
import type { DsrDeps } from './dsr/dsr.ts';
import { createDsrRoutes } from './dsr/routes.ts';
import { createAccountRoutes, createAdminRoutes } from './routes.ts';
import type { ClientManagement } from './service.ts';
import { createUsageRoutes } from './usage/routes.ts';
import type { MonthUsage } from './usage/usage.ts';

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

/** Client management: tenants, members with roles, API keys (stored hashed); usage, billing, audit, DSR. */
export function createClientManagementApp(deps: {
  db: Db;
  clientManagement: ClientManagement;
  ops?: ClientOps;
}) {
  const { db, clientManagement: cm, ops } = deps;
  const app = new Hono();
  if (ops)
    app
      .route('/v1', createUsageRoutes(cm.resolver, ops.usageOf))
      .route('/v1', createBillingRoutes(cm.resolver, ops.billing))
      .route('/v1/participants', createDsrRoutes(cm.resolver, ops.dsr));
  return withErrorHandling(
    app
      .route('/v1/admin', createAdminRoutes(db, cm, cm.resolver))
      .route('/v1/audit', createAuditRoutes(db, cm.resolver))
      .route('/v1', createAccountRoutes(db, cm, cm.resolver)),
  );
}
export { createStripeBilling, type StripeBilling } from './billing/stripe.ts';
export { createUsageMeter, USAGE_WARNING_HEADER, type UsageMeter } from './usage/meter.ts';
export { monthUsage, temporalJourneyCounter, type UsageSources } from './usage/usage.ts';
