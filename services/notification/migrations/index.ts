import { type Kysely, type Migration, sql } from 'kysely';
import { encryptedOnly, type SecretColumn } from '../../platform/secret-columns.ts';

/** Webhook endpoint secrets are stored encrypted (enc:v1:…). */
export const WEBHOOK_SECRET: SecretColumn = {
  table: 'webhook_endpoints',
  keys: ['id'],
  column: 'secret',
  constraint: 'webhook_endpoints_secret_encrypted',
};

/** The secret a rotation replaced, still signing deliveries until its overlap ends: encrypted too. */
export const WEBHOOK_PREVIOUS_SECRET: SecretColumn = {
  table: 'webhook_endpoints',
  keys: ['id'],
  column: 'previous_secret',
  constraint: 'webhook_endpoints_previous_secret_encrypted',
};

export const migrations: Record<string, Migration> = {
  '0001_notifications': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('notification_templates')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('locale', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('html', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('notification_templates_pk', ['client_id', 'name', 'locale', 'version'])
        .execute();
      await db.schema
        .createTable('notifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        // The journey step's idempotency key: a retried activity finds its row and does not send again.
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('campaign_id', 'text')
        .addColumn('participant_id', 'text', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('template', 'text', (c) => c.notNull())
        .addColumn('recipient', 'text')
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('sent_at', 'timestamptz')
        .addUniqueConstraint('notifications_idempotency', ['client_id', 'idempotency_key'])
        .execute();
      await db.schema
        .createIndex('notifications_participant')
        .on('notifications')
        .columns(['client_id', 'participant_id', 'created_at'])
        .execute();
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('topics', sql`text[]`, (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('topic', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('delivered_at', 'timestamptz')
        .addPrimaryKeyConstraint('webhook_deliveries_pk', ['client_id', 'endpoint_id', 'idempotency_key'])
        .execute();
    },
  },
  '0002_contacts': {
    async up(db: Kysely<unknown>) {
      // Where to reach a participant, learnt from identify/signup traits, so journeys address people by
      // participant id and never carry email addresses in their definitions.
      await db.schema
        .createTable('contacts')
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('participant_id', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('name', 'text')
        .addColumn('locale', 'text')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('contacts_pk', ['client_id', 'participant_id'])
        .execute();
    },
  },
  '0003_message_id': {
    async up(db: Kysely<unknown>) {
      // An email is marked `sending` (with its Message-ID) before SMTP is asked to deliver it, so a worker
      // that dies after the relay accepted the message but before `sent` was recorded leaves a row that
      // says so; the retry resends with the same Message-ID, which receivers and relays deduplicate on.
      await db.schema.alterTable('notifications').addColumn('message_id', 'text').execute();
      await db.schema
        .createIndex('notifications_sending')
        .on('notifications')
        .columns(['client_id', 'created_at'])
        .where(sql.ref('status'), '=', 'sending')
        .execute();
    },
  },
  '0003_webhook_secrets_encrypted': encryptedOnly(WEBHOOK_SECRET),
  '0004_delivery_log': {
    async up(db: Kysely<unknown>) {
      // Which journey sent a notification and when it was last tried, so a failed delivery can be found
      // by journey and status over the API (`GET /v1/notifications?status=failed&journey_id=…`).
      await db.schema
        .alterTable('notifications')
        .addColumn('workflow_id', 'text')
        .addColumn('journey_key', 'text')
        .addColumn('last_attempt_at', 'timestamptz')
        .execute();
      await db.schema
        .createIndex('notifications_status')
        .on('notifications')
        .columns(['client_id', 'status', 'created_at', 'id'])
        .execute();
      await db.schema
        .createIndex('notifications_workflow')
        .on('notifications')
        .columns(['client_id', 'workflow_id', 'created_at'])
        .execute();
    },
  },
  '0951_webhook_management': {
    async up(db: Kysely<unknown>) {
      // Endpoints the client manages over the API: disabled ones keep their log but receive nothing;
      // a rotated secret keeps signing (as a second signature) until its overlap ends, so receivers can
      // switch without a gap.
      await db.schema
        .alterTable('webhook_endpoints')
        .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
        .addColumn('updated_at', 'timestamptz')
        .addColumn('previous_secret', 'text')
        .addColumn('previous_secret_expires_at', 'timestamptz')
        .execute();
      await sql`alter table webhook_endpoints add constraint webhook_endpoints_previous_secret_encrypted
        check (previous_secret is null or previous_secret like 'enc:v1:%')`.execute(db);
      await db.schema
        .createIndex('webhook_endpoints_client')
        .on('webhook_endpoints')
        .columns(['client_id', 'created_at', 'id'])
        .execute();
      // The delivery log per endpoint: one row per message (its idempotency key), updated on each
      // attempt, with the exact body signed so one delivery can be sent again as it was.
      //
      // Cost on a large log: Kysely runs a service's migrations in one transaction, so everything below
      // holds webhook_deliveries' ACCESS EXCLUSIVE lock (from the first ALTER) until commit: the sender
      // cannot record attempts meanwhile (its journeys retry). The added columns are metadata only (no
      // default, or a constant one: no rewrite); the one UPDATE rewrites each old row once, and the
      // NOT NULL check and the two index builds then read the table again. CREATE INDEX CONCURRENTLY
      // cannot run inside that transaction, so the indexes are plain. Measured: 26 s for 500,000 old
      // rows on 2 cores under a load average of 9 (the UPDATE about half, the index builds the rest),
      // so the lock lasts roughly a minute per million rows: on a large log, run `npm run migrate` in a
      // quiet hour, before the new version starts.
      await db.schema
        .alterTable('webhook_deliveries')
        .addColumn('id', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('latency_ms', 'integer')
        .addColumn('error', 'text')
        .addColumn('payload', 'text')
        .addColumn('created_at', 'timestamptz')
        .addColumn('last_attempt_at', 'timestamptz')
        .execute();
      // Rows logged before this migration get an id derived from their primary key (so every run, and
      // every replica, names a delivery the same way; new rows get random `whd_` ids from the sender)
      // and, as creation time, their delivery time when they were delivered; a failed one's time is
      // unknown and reads as this migration's. One UPDATE for both, so each row is rewritten once.
      await sql`update webhook_deliveries
        set id = 'whd_' || substr(md5(client_id || '/' || endpoint_id || '/' || idempotency_key), 1, 24),
          created_at = coalesce(delivered_at, now())
        where id is null`.execute(db);
      await sql`alter table webhook_deliveries
        alter column id set not null,
        alter column created_at set not null,
        alter column created_at set default now()`.execute(db);
      await db.schema
        .createIndex('webhook_deliveries_id')
        .on('webhook_deliveries')
        .columns(['client_id', 'id'])
        .unique()
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_endpoint')
        .on('webhook_deliveries')
        .columns(['client_id', 'endpoint_id', 'created_at', 'id'])
        .execute();
    },
    // Back to 0004's tables: the delivery log's ids, bodies and figures and the endpoints' enabled flag
    // and replaced secrets are dropped (a rotation's overlap ends at once: only the current secret signs).
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('webhook_deliveries_endpoint').ifExists().execute();
      await db.schema.dropIndex('webhook_deliveries_id').ifExists().execute();
      await db.schema
        .alterTable('webhook_deliveries')
        .dropColumn('id')
        .dropColumn('attempts')
        .dropColumn('latency_ms')
        .dropColumn('error')
        .dropColumn('payload')
        .dropColumn('created_at')
        .dropColumn('last_attempt_at')
        .execute();
      await db.schema.dropIndex('webhook_endpoints_client').ifExists().execute();
      await sql`alter table webhook_endpoints drop constraint webhook_endpoints_previous_secret_encrypted`.execute(
        db,
      );
      await db.schema
        .alterTable('webhook_endpoints')
        .dropColumn('enabled')
        .dropColumn('updated_at')
        .dropColumn('previous_secret')
        .dropColumn('previous_secret_expires_at')
        .execute();
    },
  },
};
