import { sql } from 'kysely';
import type { Bus } from '../../contract/bus.ts';
import type { Db } from '../platform/db.ts';
import { childLogger } from '../platform/log.ts';

/**
 * Publishes reward lifecycle facts (reward_fact_outbox, filled by a trigger in the transaction of every
 * state change: migrations/facts.ts) to the bus as `reward.fact.<kind>.<client>`, message id = fact id,
 * so a fact published twice (a crash between publish and mark) is still one message per subscription.
 */
export const REWARD_FACT_TOPIC = 'reward.fact';

export interface RewardFact {
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

/** Publishes one batch; returns how many facts it published. */
export async function relayRewardFacts(db: Db, bus: Bus, batch = 500): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await sql<{ seq: string; payload: Omit<RewardFact, 'seq'> }>`
      select seq, payload from reward_fact_outbox where published_at is null
      order by seq limit ${batch} for update skip locked`.execute(trx);
    if (rows.rows.length === 0) return 0;
    await bus.publishMany(
      rows.rows.map((r) => ({
        topic: `${REWARD_FACT_TOPIC}.${r.payload.kind}.${r.payload.client_id}`,
        payload: { ...r.payload, seq: Number(r.seq) },
        id: `reward-fact:${r.payload.fact_id}`,
      })),
    );
    const seqs = rows.rows.map((r) => r.seq);
    await sql`update reward_fact_outbox set published_at = now() where seq = any(${seqs}::bigint[])`.execute(
      trx,
    );
    return rows.rows.length;
  });
}

/** Forgets facts published more than a week ago (the bus and ClickHouse have them). */
export async function pruneRewardFacts(db: Db): Promise<number> {
  const r = await sql`
    delete from reward_fact_outbox where seq in (
      select seq from reward_fact_outbox where published_at < now() - interval '7 days' limit 5000)`.execute(
    db,
  );
  return Number(r.numAffectedRows ?? 0);
}

/** Polls the outbox (every `intervalMs`, at once again while batches are full) until stopped. */
export function startRewardFactRelay(db: Db, bus: Bus, opts: { intervalMs?: number } = {}) {
  const log = childLogger({ component: 'reward-fact-relay' });
  const every = opts.intervalMs ?? 250;
  let stopped = false;
  let lastPrune = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      let n = 0;
      try {
        do n = await relayRewardFacts(db, bus);
        while (n === 500 && !stopped);
        if (Date.now() - lastPrune > 3_600_000) {
          lastPrune = Date.now();
          await pruneRewardFacts(db);
        }
      } catch (err) {
        log.warn({ err }, 'reward fact relay failed; retrying');
      }
      if (!stopped) timer = setTimeout(tick, every);
    })();
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
