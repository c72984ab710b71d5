import { type Kysely, type Migration, sql } from 'kysely';

/**
 * Leaderboards' durable state (Postgres is the source of truth; Redis sorted sets are an index rebuilt
 * from these tables when lost). Every row carries client_id.
 */
export const leaderboardMigrations: Record<string, Migration> = {
  '0401_leaderboards': {
    async up(db: Kysely<unknown>) {
      await sql`
        -- The boards a deployed campaign version declares (its leaderboards: block) and the campaign status.
        create table referral_leaderboards (
          client_id text not null,
          campaign_id text not null,
          board_id text not null,
          version integer not null,
          config jsonb not null,
          -- How many places the board's reward rule ranks (its \`top\`): what a settlement freezes.
          award_top integer not null default 100,
          campaign_status text not null,
          updated_at timestamptz not null default now(),
          primary key (client_id, campaign_id, board_id)
        );
        -- When a participant joined a board (the tie-breaker: earlier join ranks higher), once per board.
        create table referral_leaderboard_members (
          client_id text not null,
          campaign_id text not null,
          board_id text not null,
          participant_id text not null,
          joined_at timestamptz not null,
          display_name text,
          primary key (client_id, campaign_id, board_id, participant_id)
        );
        create table referral_leaderboard_scores (
          client_id text not null,
          campaign_id text not null,
          board_id text not null,
          period text not null,
          participant_id text not null,
          score double precision not null,
          joined_at timestamptz not null,
          updated_at timestamptz not null default now(),
          primary key (client_id, campaign_id, board_id, period, participant_id)
        );
        create index referral_leaderboard_scores_rank
          on referral_leaderboard_scores (client_id, campaign_id, board_id, period, score desc, joined_at asc, participant_id desc);
        -- What has been counted: one row per (board, dedup key), so a re-delivered event counts once.
        create table referral_leaderboard_applied (
          client_id text not null,
          campaign_id text not null,
          board_id text not null,
          dedup_key text not null,
          applied_at timestamptz not null default now(),
          primary key (client_id, campaign_id, board_id, dedup_key)
        );
        -- A period's settlement: its final standings and the rewards paid, written once.
        create table referral_leaderboard_payouts (
          client_id text not null,
          campaign_id text not null,
          board_id text not null,
          period text not null,
          standings jsonb not null,
          reward_ids jsonb not null default '[]',
          paid_at timestamptz not null default now(),
          primary key (client_id, campaign_id, board_id, period)
        );
        -- The last rank-change notification per participant and board (the rate limit).
        create table referral_leaderboard_notices (
          client_id text not null,
          campaign_id text not null,
          board_id text not null,
          participant_id text not null,
          sent_at timestamptz not null,
          primary key (client_id, campaign_id, board_id, participant_id)
        );
      `.execute(db);
    },
  },
};
