import type { Migration } from 'kysely';
import { migrations as campaign } from './campaign/migrations/index.ts';
import { migrations as clientManagement } from './client-management/migrations/index.ts';
import { migrations as event } from './event/migrations/index.ts';
import { migrations as notification } from './notification/migrations/index.ts';
import { busMigrations } from './platform/bus/postgres-bus.ts';
import { migrations as referral } from './referral/migrations/index.ts';
import { migrations as reward } from './reward/migrations/index.ts';

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
  bus: busMigrations,
};
