import { type Kysely, type Migration, sql } from 'kysely';

// Frozen in time: never edit a shipped migration, add a new one.
export const migrations: Record<string, Migration> = {
  '0001_clients_members_keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('clients')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().defaultTo('active').check(sql`status in ('active','suspended','inactive')`),
        )
        .addColumn('plan', 'text', (c) => c.notNull().defaultTo('starter'))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('members')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('members_client_email', ['client_id', 'email'])
        .execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.references('clients.id'))
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('publishable','secret','admin')`))
        .addColumn('role', 'text')
        .addColumn('member_id', 'text', (c) => c.references('members.id'))
        // Only a keyed hash of the key is stored; the raw key is shown once at creation.
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('key_prefix', 'text', (c) => c.notNull())
        .addColumn('signing_secret', 'text')
        .addColumn('revoked_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('api_keys_client').on('api_keys').column('client_id').execute();
    },
  },
  '0002_signing_secrets_encrypted': {
    // Signing secrets are stored encrypted (enc:v1:…). NOT VALID: new and updated rows must comply now;
    // rows from before are re-encrypted at startup (reencryptSigningSecrets), which then validates it.
    async up(db: Kysely<unknown>) {
      await sql`alter table api_keys add constraint api_keys_signing_secret_encrypted
        check (signing_secret is null or signing_secret like 'enc:v1:%') not valid`.execute(db);
    },
  },
  '0003_api_key_names': {
    // An optional label an operator gives a key ("checkout server", "CI deploys"), shown in key lists.
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('api_keys').addColumn('name', 'text').execute();
    },
  },
  '0501_users_sessions_invites_key_scopes': {
    // People who sign in (OIDC or the development login), their server-side sessions (revocable; idle
    // and absolute expiry; only a keyed hash of the cookie is stored), member invites (single use), the
    // link of a member to a user, and API keys' scopes, expiry, rotation overlap and last use.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text')
        .addColumn('oidc_issuer', 'text')
        .addColumn('oidc_subject', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('users_oidc_identity', ['oidc_issuer', 'oidc_subject'])
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('client_id', 'text', (c) => c.references('clients.id'))
        .addColumn('platform_admin', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('via', 'text', (c) => c.notNull().check(sql`via in ('oidc','dev','invite')`))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('revoked_at', 'timestamptz')
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
      await db.schema
        .alterTable('members')
        .addColumn('user_id', 'text', (c) => c.references('users.id'))
        .execute();
      await db.schema
        .createTable('member_invites')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull().references('clients.id'))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('invited_by', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('accepted_at', 'timestamptz')
        .addColumn('revoked_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('member_invites_client').on('member_invites').column('client_id').execute();
      await db.schema
        .alterTable('api_keys')
        .addColumn('scopes', sql`text[]`)
        .addColumn('expires_at', 'timestamptz')
        .addColumn('overlap_until', 'timestamptz')
        .addColumn('replaced_by', 'text')
        .addColumn('last_used_at', 'timestamptz')
        .addColumn('created_by', 'text')
        .execute();
    },
  },
};
