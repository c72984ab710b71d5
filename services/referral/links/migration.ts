import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Codes with a life cycle (rotation, deactivation, vanity), one link per code owner and channel, clicks
 * that carry their channel and paid-traffic click ids, anonymous-id → participant merges for
 * cross-device attribution, per-campaign attribution settings, and the referral graph's depth.
 */
export const linksMigration: Migration = {
  async up(db: Kysely<unknown>) {
    // A participant holds one *active* code per campaign; retired codes stay (they keep resolving).
    await sql`alter table referral_codes drop constraint referral_codes_participant`.execute(db);
    await db.schema
      .alterTable('referral_codes')
      .addColumn('status', 'text', (c) =>
        c.notNull().defaultTo('active').check(sql`status in ('active','retired','deactivated')`),
      )
      .addColumn('kind', 'text', (c) =>
        c.notNull().defaultTo('random').check(sql`kind in ('random','vanity')`),
      )
      .addColumn('status_changed_at', 'timestamptz')
      .execute();
    await sql`create unique index referral_codes_active_participant on referral_codes (client_id, campaign_id, participant_id) where status = 'active'`.execute(
      db,
    );
    await db.schema
      .createIndex('referral_codes_participant_all')
      .on('referral_codes')
      .columns(['client_id', 'participant_id'])
      .execute();
    await db.schema
      .createTable('referral_links')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('campaign_id', 'text', (c) => c.notNull())
      .addColumn('participant_id', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addUniqueConstraint('referral_links_owner_channel', [
        'client_id',
        'campaign_id',
        'participant_id',
        'channel',
      ])
      .execute();
    await db.schema
      .alterTable('referral_clicks')
      .addColumn('channel', 'text')
      .addColumn('link_id', 'text')
      .addColumn('participant_id', 'text')
      // {gclid: "…", fbclid: "…"}: paid-traffic click ids seen on the click or landing (fraud rules read them).
      .addColumn('click_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .execute();
    await db.schema
      .createIndex('referral_clicks_visitor')
      .on('referral_clicks')
      .columns(['client_id', 'visitor_id'])
      .execute();
    await db.schema
      .createIndex('referral_clicks_participant')
      .on('referral_clicks')
      .columns(['client_id', 'participant_id'])
      .execute();
    await db.schema.alterTable('referral_shares').addColumn('campaign_id', 'text').execute();
    await db.schema
      .createTable('referral_identities')
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('anonymous_id', 'text', (c) => c.notNull())
      .addColumn('participant_id', 'text', (c) => c.notNull())
      .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('referral_identities_pk', ['client_id', 'anonymous_id', 'participant_id'])
      .execute();
    await db.schema
      .createIndex('referral_identities_participant')
      .on('referral_identities')
      .columns(['client_id', 'participant_id'])
      .execute();
    await db.schema
      .createTable('referral_attribution_settings')
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('campaign_id', 'text', (c) => c.notNull())
      .addColumn('window_days', 'integer', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull().check(sql`model in ('first_touch','last_touch')`))
      .addColumn('conversion', sql`text[]`, (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('referral_attribution_settings_pk', ['client_id', 'campaign_id'])
      .execute();
    await db.schema
      .alterTable('referrals')
      // 1 = the referrer is a root (nobody referred them); n = n-th level below a root.
      .addColumn('depth', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('channel', 'text')
      .addColumn('model', 'text')
      .addColumn('touched_at', 'timestamptz')
      .execute();
  },
};
