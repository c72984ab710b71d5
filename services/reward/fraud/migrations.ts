import { type Kysely, type Migration, sql } from 'kysely';

/** Fraud review, suspensions and clawback in the reward service's database. */
export const fraudMigrations: Record<string, Migration> = {
  '0301_fraud_review_clawback': {
    async up(db: Kysely<unknown>) {
      await sql`
        -- The fraud engine's verdict on a reward it held or rejected; the order/subscription it was earned for.
        alter table rewards add column review jsonb, add column order_id text;
        create index rewards_order on rewards (client_id, order_id) where order_id is not null;
        create index rewards_fraud_review on rewards (client_id, created_at)
          where state = 'PENDING' and review is not null;

        -- A reward has at most one credit and one reversal (clawback) entry.
        alter table ledger_entries add column kind text not null default 'credit'
          check (kind in ('credit', 'reversal'));
        drop index ledger_entries_reward;
        create unique index ledger_entries_reward_kind on ledger_entries (client_id, reward_id, kind);

        -- Every decision on a reward the fraud engine scored: who, when, what and why.
        create table reward_fraud_decisions (
          id bigserial primary key,
          client_id text not null,
          reward_id text not null,
          campaign_id text not null,
          participant_id text not null,
          referrer_id text,
          referral_id text,
          decision text not null check (decision in ('approve', 'reject')),
          confirmed_fraud boolean not null,
          score integer,
          actor text not null,
          reason text,
          at timestamptz not null default now()
        );
        create unique index reward_fraud_decisions_reward on reward_fraud_decisions (client_id, reward_id);
        create index reward_fraud_decisions_referrer on reward_fraud_decisions (client_id, referrer_id, at)
          where confirmed_fraud;

        -- Referrers suspended for confirmed fraud: no further rewards until lifted.
        create table reward_suspensions (
          client_id text not null,
          participant_id text not null,
          reason text not null,
          confirmed_frauds integer not null,
          suspended_by text not null,
          suspended_at timestamptz not null default now(),
          lifted_at timestamptz,
          lifted_by text,
          lift_reason text,
          primary key (client_id, participant_id)
        );

        -- Refund and cancellation events already applied (idempotency on the event id) and what they did.
        create table reward_clawbacks (
          client_id text not null,
          event_id text not null,
          event text not null,
          order_id text not null,
          reversed text[] not null,
          outside_window text[] not null,
          at timestamptz not null default now(),
          primary key (client_id, event_id)
        );
      `.execute(db);
    },
  },
};
