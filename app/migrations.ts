import type { Migration } from 'kysely';
import { analyticsMigrations } from '../services/analytics/index.ts';
import { migrations as campaign } from '../services/campaign/migrations/index.ts';
import { migrations as clientManagement } from '../services/client-management/migrations/index.ts';
import { migrations as event } from '../services/event/migrations/index.ts';
import { migrations as notification } from '../services/notification/migrations/index.ts';
import { auditMigrations } from '../services/platform/audit.ts';
import { busMigrations } from '../services/platform/bus/postgres-bus.ts';
import { idempotencyMigrations } from '../services/platform/idempotency-repo.ts';
import { migrations as referral } from '../services/referral/migrations/index.ts';
import { migrations as reward } from '../services/reward/migrations/index.ts';

/**
 * Every service's Postgres migrations, by service. Locally they share one database (each with its own
 * migration table); in production each service runs its own against its own database.
 */
export const serviceMigrations: Record<string, Record<string, Migration>> = {
  'client-management': clientManagement,
  campaign,
  referral,
  notification,
  reward,
  event,
  analytics: analyticsMigrations,
  bus: busMigrations,
  idempotency: idempotencyMigrations,
  audit: auditMigrations,
};
