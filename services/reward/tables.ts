import type { ColumnType, Generated, Kysely, Selectable } from 'kysely';
import type { RewardState } from './lifecycle/state-machine.ts';

/** Kysely table types of the reward service; every table carries client_id and every query is scoped by it. */

/** jsonb: parsed objects come back; JSON text goes in. */
type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;

export interface RewardProgramsTable {
  client_id: string;
  campaign_id: string;
  version: number;
  rewards: Json<Record<string, unknown>>;
  segments: Json<Record<string, unknown>>;
  content_hash: string;
  created_at: Generated<Date>;
}

export interface RewardCampaignsTable {
  client_id: string;
  campaign_id: string;
  current_version: number;
  status: string;
  starts_at: Date | null;
  ends_at: Date | null;
  currency: string | null;
  budget: number | null;
  allocated: Generated<number>;
  fulfilled: Generated<number>;
  max_winners: number | null;
  winners: Generated<number>;
  limit_count: number | null;
  limit_amount: number | null;
  lifetime_count: number | null;
  lifetime_amount: number | null;
  updated_at: Generated<Date>;
}

export interface RewardEarnersTable {
  client_id: string;
  campaign_id: string;
  participant_id: string;
  rewards: Generated<number>;
  limited_count: Generated<number>;
  limited_amount: Generated<number>;
}

export interface RewardsTable {
  id: string;
  client_id: string;
  campaign_id: string;
  version: number;
  rule: string;
  side: string;
  participant_id: string;
  referral_id: string | null;
  claim_key: string;
  state: RewardState;
  category: string;
  amount: number | null;
  currency: string | null;
  cost: number;
  value: Json<Record<string, unknown>>;
  segment: string | null;
  basis_value: number | null;
  fulfilment_mode: 'auto' | 'claim' | 'approval';
  redeem_mode: 'on_fulfil' | 'manual';
  counts_limit: boolean;
  idempotency_key: string;
  reason: string | null;
  expires_at: Date | null;
  fulfilment: NullableJson<Record<string, unknown>>;
  claim: NullableJson<Record<string, unknown>>;
  /** The fraud engine's verdict when the reward was scored (held for review or rejected): fraud/. */
  review: NullableJson<Record<string, unknown>>;
  /** The order or subscription the reward was earned for: its refund or cancellation reverses it. */
  order_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface RewardTransitionsTable {
  client_id: string;
  seq: number;
  reward_id: string;
  from_state: RewardState | null;
  to_state: RewardState;
  actor: string;
  reason: string | null;
  at: Generated<Date>;
}

export interface FulfilmentJobsTable {
  reward_id: string;
  client_id: string;
  status: Generated<'queued' | 'done' | 'dead'>;
  attempts: Generated<number>;
  max_attempts: number;
  run_at: Generated<Date>;
  last_error: string | null;
  updated_at: Generated<Date>;
}

export interface LedgerAccountsTable {
  client_id: string;
  participant_id: string;
  currency: string;
  balance: Generated<number>;
}

export interface LedgerEntriesTable {
  id: Generated<number>;
  client_id: string;
  participant_id: string;
  currency: string;
  amount: number;
  reward_id: string | null;
  /** credit (fulfilment) or reversal (clawback, negative). */
  kind: Generated<'credit' | 'reversal'>;
  created_at: Generated<Date>;
}

export interface CouponsTable {
  client_id: string;
  code: string;
  reward_id: string;
  percent: number | null;
  amount: number | null;
  currency: string | null;
  expires_at: Date | null;
  redeemed_at: Date | null;
}

export interface FulfilmentEndpointsTable {
  client_id: string;
  url: string;
  secret: string;
  updated_at: Generated<Date>;
}

export interface MilestoneCountersTable {
  client_id: string;
  campaign_id: string;
  rule: string;
  participant_id: string;
  period: string;
  count: Generated<number>;
  reached: Generated<number[]>;
  updated_at: Generated<Date>;
}

export interface AppliedIncrementsTable {
  client_id: string;
  idempotency_key: string;
  result: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
}

export interface LeaderboardScoresTable {
  client_id: string;
  campaign_id: string;
  board: string;
  period: string;
  participant_id: string;
  conversions: Generated<number>;
  value: Generated<number>;
  quality: Generated<number>;
  score: Generated<number>;
  reached_at: Generated<Date>;
  last_rank: number | null;
}

export interface LeaderboardFinalsTable {
  client_id: string;
  campaign_id: string;
  board: string;
  period: string;
  standings: Json<unknown[]>;
  finalized_at: Generated<Date>;
}

export interface RewardTables {
  reward_programs: RewardProgramsTable;
  reward_campaigns: RewardCampaignsTable;
  reward_earners: RewardEarnersTable;
  rewards: RewardsTable;
  reward_transitions: RewardTransitionsTable;
  fulfilment_jobs: FulfilmentJobsTable;
  ledger_accounts: LedgerAccountsTable;
  ledger_entries: LedgerEntriesTable;
  coupons: CouponsTable;
  fulfilment_endpoints: FulfilmentEndpointsTable;
  milestone_counters: MilestoneCountersTable;
  applied_increments: AppliedIncrementsTable;
  leaderboard_scores: LeaderboardScoresTable;
  leaderboard_finals: LeaderboardFinalsTable;
}

export type RewardDb = Kysely<RewardTables>;
export type RewardRow = Selectable<RewardsTable>;
export type TransitionRow = Selectable<RewardTransitionsTable>;
export type CampaignRow = Selectable<RewardCampaignsTable>;
export type ProgramRow = Selectable<RewardProgramsTable>;
