import { type Kysely, type Migration, sql } from 'kysely';

/** Analytics' Postgres tables (its reports live in ClickHouse; these are members' report preferences). */
export const migrations: Record<string, Migration> = {
  '0971_report_subscriptions': {
    async up(db: Kysely<unknown>) {
      // One row per member of a client who chose whether to get the weekly report. The address is not
      // kept here: each send asks client management for the member's current address (a removed member
      // gets nothing).
      await db.schema
        .createTable('analytics_report_subscriptions')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('member_id', 'text', (c) => c.notNull())
        .addColumn('weekly', 'boolean', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('analytics_report_subscriptions_pk', ['client_id', 'member_id'])
        .execute();
      await db.schema
        .createIndex('analytics_report_subscriptions_weekly')
        .on('analytics_report_subscriptions')
        .columns(['client_id', 'member_id'])
        .where(sql.ref('weekly'), '=', true)
        .execute();
    },
  },
};
