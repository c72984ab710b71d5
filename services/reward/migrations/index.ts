import { type Kysely, type Migration, sql } from 'kysely';
import { InternalError } from '../../../contract/internal-error.ts';
import { encryptedOnly, type SecretColumn } from '../../platform/secret-columns.ts';
import { fraudMigrations } from '../fraud/migrations.ts';
import { allocateFunction, capsReasonFunction } from './allocate-function.ts';
import { rewardFactsUp } from './facts.ts';

/** Fulfilment webhook secrets are stored encrypted (enc:v1:…). */
export const FULFILMENT_SECRET: SecretColumn = {
  table: 'fulfilment_endpoints',
  keys: ['client_id'],
  column: 'secret',
  constraint: 'fulfilment_endpoints_secret_encrypted',
};

// Frozen in time: never edit a shipped migration, add a new one.
export const migrations: Record<string, Migration> = {
  '0001_rewards': {
    async up(db: Kysely<unknown>) {
      await sql`
        create table reward_programs (
          client_id text not null,
          campaign_id text not null,
          version integer not null,
          rewards jsonb not null,
          segments jsonb not null,
          content_hash text not null,
          created_at timestamptz not null default now(),
          primary key (client_id, campaign_id, version)
        );

        -- One row per campaign: its live status, caps and the counters allocation checks against.
        -- allocated = reserved by rewards not (yet) rejected or expired; fulfilled = actually delivered.
        create table reward_campaigns (
          client_id text not null,
          campaign_id text not null,
          current_version integer not null,
          status text not null,
          starts_at timestamptz,
          ends_at timestamptz,
          currency text,
          budget numeric(14,2),
          allocated numeric(14,2) not null default 0 check (allocated >= 0),
          fulfilled numeric(14,2) not null default 0,
          max_winners integer,
          winners integer not null default 0,
          limit_count integer,
          limit_amount numeric(14,2),
          lifetime_count integer,
          lifetime_amount numeric(14,2),
          updated_at timestamptz not null default now(),
          primary key (client_id, campaign_id),
          check (budget is null or allocated <= budget),
          check (max_winners is null or winners <= max_winners)
        );

        -- Per participant and campaign ('*' = across the client's campaigns): rewards won (winner cap) and
        -- what counts toward earning limits (referrer / participant side).
        create table reward_earners (
          client_id text not null,
          campaign_id text not null,
          participant_id text not null,
          rewards integer not null default 0,
          limited_count integer not null default 0,
          limited_amount numeric(14,2) not null default 0,
          primary key (client_id, campaign_id, participant_id)
        );

        create table rewards (
          id text primary key,
          client_id text not null,
          campaign_id text not null,
          version integer not null,
          rule text not null,
          side text not null,
          participant_id text not null,
          referral_id text,
          claim_key text not null,
          state text not null,
          category text not null,
          amount numeric(14,2),
          currency text,
          cost numeric(14,2) not null default 0,
          value jsonb not null,
          segment text,
          basis_value numeric,
          fulfilment_mode text not null check (fulfilment_mode in ('auto','claim','approval')),
          redeem_mode text not null check (redeem_mode in ('on_fulfil','manual')),
          counts_limit boolean not null,
          idempotency_key text not null,
          reason text,
          expires_at timestamptz,
          fulfilment jsonb,
          claim jsonb,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        );
        create unique index rewards_idempotency on rewards (client_id, idempotency_key);
        -- One live reward per claim (rule, side, participant, referral or milestone/prize key).
        create unique index rewards_claim on rewards (client_id, campaign_id, rule, side, participant_id, claim_key)
          where state <> 'REJECTED';
        -- participant_id first: an index led by client_id alone would tempt the planner (before statistics
        -- exist) away from rewards_idempotency for the replay lookup.
        create index rewards_participant on rewards (participant_id, client_id, created_at);
        -- The approval queue; listing by campaign uses rewards_claim's (client_id, campaign_id) prefix.
        create index rewards_pending on rewards (client_id, created_at) where state = 'PENDING';
        create index rewards_deadline on rewards (expires_at) where expires_at is not null;

        -- Every state change: (from, to, actor, reason, time), numbered per reward.
        create table reward_transitions (
          client_id text not null,
          reward_id text not null,
          seq integer not null,
          from_state text,
          to_state text not null,
          actor text not null,
          reason text,
          at timestamptz not null default clock_timestamp(),
          primary key (client_id, reward_id, seq)
        );

        -- Fulfilment queue: workers claim due rows with FOR UPDATE SKIP LOCKED.
        create table fulfilment_jobs (
          reward_id text primary key,
          client_id text not null,
          status text not null default 'queued' check (status in ('queued','done','dead')),
          attempts integer not null default 0,
          max_attempts integer not null,
          run_at timestamptz not null default now(),
          last_error text,
          updated_at timestamptz not null default now()
        );
        create index fulfilment_jobs_due on fulfilment_jobs (run_at) where status = 'queued';

        create table ledger_accounts (
          client_id text not null,
          participant_id text not null,
          currency text not null,
          balance numeric(14,2) not null default 0,
          primary key (client_id, participant_id, currency)
        );
        create table ledger_entries (
          id bigserial primary key,
          client_id text not null,
          participant_id text not null,
          currency text not null,
          amount numeric(14,2) not null,
          reward_id text,
          created_at timestamptz not null default now()
        );
        create unique index ledger_entries_reward on ledger_entries (client_id, reward_id);

        create table coupons (
          client_id text not null,
          code text not null,
          reward_id text not null,
          percent numeric,
          amount numeric(14,2),
          currency text,
          expires_at timestamptz,
          redeemed_at timestamptz,
          primary key (client_id, code)
        );
        create unique index coupons_reward on coupons (client_id, reward_id);

        -- Where the signed fulfilment webhook of a client goes.
        create table fulfilment_endpoints (
          client_id text primary key,
          url text not null,
          secret text not null,
          updated_at timestamptz not null default now()
        );

        create table milestone_counters (
          client_id text not null,
          campaign_id text not null,
          rule text not null,
          participant_id text not null,
          period text not null,
          count integer not null default 0,
          reached integer[] not null default '{}',
          updated_at timestamptz not null default now(),
          primary key (client_id, campaign_id, rule, participant_id, period)
        );

        -- Increments already applied (milestone counters, leaderboard scores), by idempotency key.
        create table applied_increments (
          client_id text not null,
          idempotency_key text not null,
          result jsonb not null,
          created_at timestamptz not null default now(),
          primary key (client_id, idempotency_key)
        );

        create table leaderboard_scores (
          client_id text not null,
          campaign_id text not null,
          board text not null,
          period text not null,
          participant_id text not null,
          conversions integer not null default 0,
          value numeric(14,2) not null default 0,
          quality numeric not null default 0,
          score numeric not null default 0,
          reached_at timestamptz not null default clock_timestamp(),
          last_rank integer,
          primary key (client_id, campaign_id, board, period, participant_id)
        );
        create index leaderboard_rank on leaderboard_scores (client_id, campaign_id, board, period, score desc, reached_at);

        create table leaderboard_finals (
          client_id text not null,
          campaign_id text not null,
          board text not null,
          period text not null,
          standings jsonb not null,
          finalized_at timestamptz not null default now(),
          primary key (client_id, campaign_id, board, period)
        );
      `.execute(db);
      await sql.raw(capsReasonFunction).execute(db);
      await sql.raw(allocateFunction).execute(db);
    },
  },
  '0002_fulfilment_secrets_encrypted': encryptedOnly(FULFILMENT_SECRET),
  ...fraudMigrations,
  '0801_reward_facts': { up: rewardFactsUp },
  // A REVOKED reward no longer holds its claim: the same rule, side, participant and claim may be
  // allocated again (a journey that revoked in a compensation and retries, a re-run after a mistake).
  // Idempotency is unchanged: the same idempotency key still returns the first reward (rewards_idempotency
  // and the replay lookup come before any claim check).
  '0101_revoked_rewards_release_their_claim': {
    async up(db: Kysely<unknown>) {
      await sql`
        drop index rewards_claim;
        create unique index rewards_claim on rewards (client_id, campaign_id, rule, side, participant_id, claim_key)
          where state not in ('REJECTED', 'REVOKED');
      `.execute(db);
      await sql.raw(releasingRevoked(allocateFunction)).execute(db);
    },
  },
};

/** The 0001 allocation functions, replaced in place, with REVOKED rewards no longer a duplicate claim. */
function releasingRevoked(source: string): string {
  const live = "and r.state <> 'REJECTED'";
  if (!source.includes(live) || !source.includes('create function'))
    throw new InternalError(
      'MIGRATION_INVALID',
      'allocation function text changed: write this migration against its own copy',
    );
  return source
    .replaceAll('create function', 'create or replace function')
    .replaceAll(live, "and r.state not in ('REJECTED', 'REVOKED')");
}
