import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Tables of usage, billing and data-subject requests (client-management's usage/, billing/, dsr/).
 * Frozen once shipped: add a new migration, never edit one.
 */
export const opsMigrations: Record<string, Migration> = {
  '0601_usage_notices': {
    // One row per client, month, metric and threshold: a warning goes out once.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('usage_notices')
        .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
        .addColumn('month', 'text', (c) => c.notNull())
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('threshold', 'integer', (c) => c.notNull())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .addColumn('limit_value', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('usage_notices_pk', ['client_id', 'month', 'metric', 'threshold'])
        .execute();
    },
  },
  '0602_billing': {
    async up(db: Kysely<unknown>) {
      // The usage a month was billed on (a snapshot), the invoice and its lines; one invoice per
      // client-month (the unique key makes generation idempotent).
      await db.schema
        .createTable('invoices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
        .addColumn('month', 'text', (c) => c.notNull())
        .addColumn('plan', 'text', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('subtotal', 'bigint', (c) => c.notNull())
        .addColumn('total', 'bigint', (c) => c.notNull())
        .addColumn('usage', 'jsonb', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().defaultTo('draft').check(sql`status in ('draft','open','paid','void','failed')`),
        )
        .addColumn('provider', 'text')
        .addColumn('provider_invoice_id', 'text')
        .addColumn('provider_error', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('invoices_client_month', ['client_id', 'month'])
        .execute();
      await db.schema
        .createTable('invoice_lines')
        .addColumn('invoice_id', 'text', (c) => c.notNull().references('invoices.id'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('quantity', 'bigint', (c) => c.notNull())
        .addColumn('unit_amount', 'bigint', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('invoice_lines_pk', ['invoice_id', 'position'])
        .execute();
      // The client's customer at the payment provider.
      await db.schema
        .createTable('billing_customers')
        .addColumn('client_id', 'text', (c) => c.primaryKey().references('clients.id'))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('customer_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
  '0603_dsr_requests': {
    // The log of data-subject requests. The participant is named by a keyed hash only: the log of an
    // erasure must not itself keep who was erased.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('dsr_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('export','erase')`))
        .addColumn('participant_hash', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('summary', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('requested_by', 'text')
        .addColumn('request_id', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('completed_at', 'timestamptz')
        .execute();
      await db.schema
        .createIndex('dsr_requests_client')
        .on('dsr_requests')
        .columns(['client_id', 'created_at'])
        .execute();
    },
  },
};
