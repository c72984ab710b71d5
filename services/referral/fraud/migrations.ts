import { type Kysely, type Migration, sql } from 'kysely';

/** The fraud engine's tables, in the referral service's database. */
export const fraudMigrations: Record<string, Migration> = {
  '0301_fraud': {
    async up(db: Kysely<unknown>) {
      await sql`
        -- What each participant is known by (keyed hashes only; the domain is kept for the company rule).
        create table fraud_identities (
          client_id text not null,
          participant_id text not null,
          email_key text,
          email_hash text,
          email_domain text,
          phone_key text,
          ua_key text,
          country text,
          first_seen_at timestamptz not null default now(),
          updated_at timestamptz not null default now(),
          primary key (client_id, participant_id)
        );
        create index fraud_identities_email_key on fraud_identities (client_id, email_key) where email_key is not null;
        create index fraud_identities_email_hash on fraud_identities (client_id, email_hash) where email_hash is not null;
        create index fraud_identities_phone_key on fraud_identities (client_id, phone_key) where phone_key is not null;
        -- Cookie / device ids (the SDK's anonymous id or an app's device id) each participant came with.
        create table fraud_devices (
          client_id text not null,
          participant_id text not null,
          device_id text not null,
          first_seen_at timestamptz not null,
          primary key (client_id, participant_id, device_id)
        );
        create index fraud_devices_device on fraud_devices (client_id, device_id, first_seen_at);
        create index referral_participant_ips_ip on referral_participant_ips (client_id, ip_hash, first_seen_at);
        -- Each campaign's fraud block, copied from its plan on deploy.
        create table fraud_policies (
          client_id text not null,
          campaign_id text not null,
          policy jsonb not null,
          updated_at timestamptz not null default now(),
          primary key (client_id, campaign_id)
        );
        -- Every score the engine gave, with the rules that fired.
        create table fraud_assessments (
          id text primary key,
          client_id text not null,
          campaign_id text not null,
          participant_id text not null,
          referrer_id text,
          referral_id text,
          kind text not null,
          score integer not null,
          decision text not null check (decision in ('approve','review','reject')),
          reasons jsonb not null,
          created_at timestamptz not null default now()
        );
        create index fraud_assessments_participant on fraud_assessments (client_id, participant_id, created_at);
      `.execute(db);
    },
  },
};
