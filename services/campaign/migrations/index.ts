import { type Kysely, type Migration, sql } from 'kysely';

export const migrations: Record<string, Migration> = {
  '0001_campaigns': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('campaigns')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        // The definition id from the YAML header: redeploying the same definition adds a version.
        .addColumn('definition_id', 'text', (c) => c.notNull())
        .addColumn('pulse', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().defaultTo('active').check(sql`status in ('draft','active','paused','ended')`),
        )
        .addColumn('current_version', 'integer', (c) => c.notNull())
        .addColumn('starts_at', 'timestamptz')
        .addColumn('ends_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('campaigns_client_definition', ['client_id', 'definition_id'])
        .execute();
      await db.schema
        .createTable('campaign_versions')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('campaign_id', 'text', (c) => c.notNull().references('campaigns.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('source_file', 'text', (c) => c.notNull())
        .addColumn('plan', 'jsonb', (c) => c.notNull())
        .addColumn('plan_hash', 'text', (c) => c.notNull())
        .addColumn('settings', 'jsonb', (c) => c.notNull())
        // Denormalised from the plan so the router finds campaigns for an event with one indexed query.
        .addColumn('trigger_events', sql`text[]`, (c) => c.notNull())
        .addColumn('waits_for', sql`text[]`, (c) => c.notNull())
        .addColumn('deployed_by', 'text', (c) => c.notNull())
        .addColumn('deployed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('campaign_versions_pk', ['campaign_id', 'version'])
        .execute();
      await db.schema
        .createIndex('campaigns_client_status')
        .on('campaigns')
        .columns(['client_id', 'status'])
        .execute();
    },
  },
};
