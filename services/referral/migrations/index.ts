import { type Kysely, type Migration, sql } from 'kysely';
import { fraudMigrations } from '../fraud/migrations.ts';
import { leaderboardMigrations } from '../leaderboard/migrations.ts';
import { linksMigration } from '../links/migration.ts';

export const migrations: Record<string, Migration> = {
  '0001_referrals': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('referral_codes')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        // '' when the code is not tied to one campaign; keeps the unique key simple.
        .addColumn('campaign_id', 'text', (c) => c.notNull())
        .addColumn('participant_id', 'text', (c) => c.notNull())
        .addColumn('link', 'text', (c) => c.notNull())
        .addColumn('landing_url', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('referral_codes_pk', ['client_id', 'code'])
        .addUniqueConstraint('referral_codes_participant', ['client_id', 'campaign_id', 'participant_id'])
        .execute();
      await db.schema
        .createTable('referral_clicks')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('visitor_id', 'text')
        .addColumn('ip_hash', 'text')
        .addColumn('clicked_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('referral_clicks_pk', ['client_id', 'event_id'])
        .execute();
      await db.schema
        .createIndex('referral_clicks_code')
        .on('referral_clicks')
        .columns(['client_id', 'code'])
        .execute();
      await db.schema
        .createTable('referral_shares')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('participant_id', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('shared_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('referral_shares_pk', ['client_id', 'event_id'])
        .execute();
      await db.schema
        .createTable('referrals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('campaign_id', 'text', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('referrer_id', 'text', (c) => c.notNull())
        .addColumn('referee_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().defaultTo('signed_up').check(sql`status in ('signed_up','converted','rejected')`),
        )
        .addColumn('attributed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('converted_at', 'timestamptz')
        .addColumn('order_id', 'text')
        // A person is referred once per client: the first valid attribution wins.
        .addUniqueConstraint('referrals_referee', ['client_id', 'referee_id'])
        .execute();
      await db.schema
        .createIndex('referrals_referrer')
        .on('referrals')
        .columns(['client_id', 'referrer_id'])
        .execute();
    },
  },
  '0002_participant_ips': {
    // IP hashes a participant's own browser events came from (signup, share): the fraud check compares a
    // referee's with the referrer's. Keyed hashes only; one row per participant and address.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('referral_participant_ips')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('participant_id', 'text', (c) => c.notNull())
        .addColumn('ip_hash', 'text', (c) => c.notNull())
        .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('referral_participant_ips_pk', ['client_id', 'participant_id', 'ip_hash'])
        .execute();
    },
  },
  '0003_landings': {
    async up(db: Kysely<unknown>) {
      // Each campaign's landing page, copied from its plan on deploy (the campaign service's hook), so the
      // share-link redirect reads its target from the campaign alone, in one indexed lookup.
      await db.schema
        .createTable('referral_landings')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('campaign_id', 'text', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('attribution_days', 'integer', (c) => c.notNull().defaultTo(30))
        .addColumn('campaign_status', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('referral_landings_pk', ['client_id', 'campaign_id'])
        .execute();
    },
  },
  '0201_links': linksMigration,
  ...fraudMigrations,
  ...leaderboardMigrations,
};
