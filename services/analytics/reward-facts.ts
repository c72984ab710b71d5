import type { Bus, Subscription } from '../../contract/bus.ts';
import type { ClickHouse } from '../platform/clickhouse.ts';

/** A reward lifecycle fact as the reward service publishes it (`reward.fact.<kind>.<client>`). */
export interface RewardFactMessage {
  fact_id: string;
  kind: string;
  state: string;
  client_id: string;
  campaign_id: string;
  reward_id: string;
  participant_id: string;
  referral_id: string;
  side: string;
  rule: string;
  category: string;
  reward_type: string;
  amount: number;
  cost: number;
  currency: string;
  budget: number;
  occurred_at: string;
  seq: number;
}

const s = (v: unknown) => (typeof v === 'string' ? v : '');
const n = (v: unknown) => {
  const x = typeof v === 'string' ? Number(v) : v;
  return typeof x === 'number' && Number.isFinite(x) ? x : 0;
};

/** The ClickHouse row of a fact (table reward_facts, clickhouse/0802_reward_facts.sql). */
export function rewardFactRow(f: RewardFactMessage, recordedAt = new Date()) {
  const at = `${s(f.occurred_at).slice(0, 19)}Z`;
  return {
    fact_id: s(f.fact_id),
    client_id: s(f.client_id),
    campaign_id: s(f.campaign_id),
    day: at.slice(0, 10),
    occurred_at: at,
    reward_id: s(f.reward_id),
    kind: s(f.kind),
    state: s(f.state),
    participant_id: s(f.participant_id),
    referral_id: s(f.referral_id),
    side: s(f.side),
    rule: s(f.rule),
    category: s(f.category),
    reward_type: s(f.reward_type),
    amount: n(f.amount),
    cost: n(f.cost),
    currency: s(f.currency),
    budget: n(f.budget),
    seq: n(f.seq),
    recorded_at: `${recordedAt.toISOString().slice(0, 19)}Z`,
  };
}

/**
 * Stores every reward fact in ClickHouse. The bus delivers at least once; a fact stored twice has the
 * same key and collapses (ReplacingMergeTree, read with FINAL), so each fact counts once.
 */
export async function startRewardFactSink(bus: Bus, ch: ClickHouse): Promise<Subscription> {
  return bus.subscribe('analytics.reward-facts', 'reward.fact.#', async (msg) => {
    await ch.insert('reward_facts', [rewardFactRow(msg.payload as RewardFactMessage)]);
  });
}
