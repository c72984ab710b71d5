import { sql } from 'kysely';
import type { RewardDb } from '../tables.ts';

/** Milestone counters and leaderboard scores, each increment applied once per idempotency key. */

export interface CounterStep {
  before: number;
  after: number;
  reached: number[];
}

/**
 * Adds `increment` to a participant's milestone counter and records which thresholds it crossed. A replay of
 * the same key returns the first answer without counting again.
 */
export async function incrementCounter(
  db: RewardDb,
  k: {
    clientId: string;
    campaignId: string;
    rule: string;
    participantId: string;
    period: string;
    increment: number;
    key: string;
    thresholds: number[];
  },
): Promise<CounterStep> {
  return db.transaction().execute(async (trx) => {
    const fresh = await trx
      .insertInto('applied_increments')
      .values({ client_id: k.clientId, idempotency_key: k.key, result: '{}' })
      .onConflict((oc) => oc.doNothing())
      .returning('idempotency_key')
      .executeTakeFirst();
    if (!fresh) {
      const done = await trx
        .selectFrom('applied_increments')
        .select('result')
        .where('client_id', '=', k.clientId)
        .where('idempotency_key', '=', k.key)
        .executeTakeFirstOrThrow();
      return done.result as unknown as CounterStep;
    }
    const row = await trx
      .insertInto('milestone_counters')
      .values({
        client_id: k.clientId,
        campaign_id: k.campaignId,
        rule: k.rule,
        participant_id: k.participantId,
        period: k.period,
        count: k.increment,
      })
      .onConflict((oc) =>
        oc.columns(['client_id', 'campaign_id', 'rule', 'participant_id', 'period']).doUpdateSet((eb) => ({
          count: eb('milestone_counters.count', '+', k.increment),
          updated_at: sql<Date>`now()`,
        })),
      )
      .returning('count')
      .executeTakeFirstOrThrow();
    const after = row.count;
    const before = after - k.increment;
    const reached = k.thresholds.filter((t) => before < t && t <= after);
    if (reached.length) {
      await trx
        .updateTable('milestone_counters')
        .set({ reached: sql<number[]>`reached || ${reached}::integer[]` })
        .where('client_id', '=', k.clientId)
        .where('campaign_id', '=', k.campaignId)
        .where('rule', '=', k.rule)
        .where('participant_id', '=', k.participantId)
        .where('period', '=', k.period)
        .execute();
    }
    const step: CounterStep = { before, after, reached };
    await trx
      .updateTable('applied_increments')
      .set({ result: JSON.stringify(step) })
      .where('client_id', '=', k.clientId)
      .where('idempotency_key', '=', k.key)
      .execute();
    return step;
  });
}

export interface BoardKey {
  clientId: string;
  campaignId: string;
  board: string;
  period: string;
}

/** Adds one conversion (with its value and quality) to a participant's score, once per key. */
export async function addScore(
  db: RewardDb,
  b: BoardKey & {
    participantId: string;
    value: number;
    quality: number;
    rankBy: 'conversions' | 'value' | 'quality_score';
    key: string;
  },
): Promise<boolean> {
  const score =
    b.rankBy === 'conversions'
      ? sql`leaderboard_scores.conversions + 1`
      : b.rankBy === 'value'
        ? sql`leaderboard_scores.value + ${b.value}`
        : sql`leaderboard_scores.quality + ${b.quality}`;
  const first = b.rankBy === 'conversions' ? 1 : b.rankBy === 'value' ? b.value : b.quality;
  const { rows } = await sql<{ applied: boolean }>`
    with applied as (
      insert into applied_increments (client_id, idempotency_key, result) values (${b.clientId}, ${b.key}, '{}')
      on conflict do nothing returning 1
    ), upsert as (
      insert into leaderboard_scores as leaderboard_scores (client_id, campaign_id, board, period, participant_id, conversions, value, quality, score)
      select ${b.clientId}, ${b.campaignId}, ${b.board}, ${b.period}, ${b.participantId}, 1, ${b.value}, ${b.quality}, ${first}
       where exists (select 1 from applied)
      on conflict (client_id, campaign_id, board, period, participant_id) do update
        set conversions = leaderboard_scores.conversions + 1,
            value = leaderboard_scores.value + ${b.value},
            quality = leaderboard_scores.quality + ${b.quality},
            score = ${score},
            reached_at = clock_timestamp()
      returning 1
    )
    select exists (select 1 from upsert) as applied`.execute(db);
  return rows[0]?.applied ?? false;
}

export interface Standing {
  rank: number;
  participant_id: string;
  score: number;
  conversions: number;
  value: number;
  quality: number;
}

const ORDER = {
  earliest: sql`score desc, reached_at asc, participant_id asc`,
  quality_score: sql`score desc, quality desc, reached_at asc, participant_id asc`,
  value: sql`score desc, value desc, reached_at asc, participant_id asc`,
} as const;

/** Top `top` standings and (optionally) one participant's rank, with the tie-breaker applied. */
export async function standings(
  db: RewardDb,
  b: BoardKey & { top: number; tieBreaker: keyof typeof ORDER; participantId?: string },
): Promise<{ top: Standing[]; rank: number | null; lastRank: number | null }> {
  const { rows } = await sql<Standing & { last_rank: number | null }>`
    select * from (
      select row_number() over (order by ${ORDER[b.tieBreaker]})::integer as rank,
             participant_id, score::float8 as score, conversions, value::float8 as value, quality::float8 as quality, last_rank
        from leaderboard_scores
       where client_id = ${b.clientId} and campaign_id = ${b.campaignId} and board = ${b.board} and period = ${b.period}
    ) ranked
    where rank <= ${b.top} or participant_id = ${b.participantId ?? null}
    order by rank`.execute(db);
  const me = b.participantId ? rows.find((r) => r.participant_id === b.participantId) : undefined;
  const top = rows.filter((r) => r.rank <= b.top).map(({ last_rank: _l, ...s }) => s);
  return { top, rank: me?.rank ?? null, lastRank: me?.last_rank ?? null };
}

export async function saveRank(
  db: RewardDb,
  b: BoardKey & { participantId: string; rank: number },
): Promise<void> {
  await db
    .updateTable('leaderboard_scores')
    .set({ last_rank: b.rank })
    .where('client_id', '=', b.clientId)
    .where('campaign_id', '=', b.campaignId)
    .where('board', '=', b.board)
    .where('period', '=', b.period)
    .where('participant_id', '=', b.participantId)
    .execute();
}

/** Freezes a period's final standings once; returns the frozen ones (first finalisation wins). */
export async function freezeStandings(db: RewardDb, b: BoardKey, top: Standing[]): Promise<Standing[]> {
  await db
    .insertInto('leaderboard_finals')
    .values({
      client_id: b.clientId,
      campaign_id: b.campaignId,
      board: b.board,
      period: b.period,
      standings: JSON.stringify(top),
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return finalStandings(db, b) as Promise<Standing[]>;
}

export async function finalStandings(db: RewardDb, b: BoardKey): Promise<Standing[] | null> {
  const row = await db
    .selectFrom('leaderboard_finals')
    .select('standings')
    .where('client_id', '=', b.clientId)
    .where('campaign_id', '=', b.campaignId)
    .where('board', '=', b.board)
    .where('period', '=', b.period)
    .executeTakeFirst();
  return row ? (row.standings as unknown as Standing[]) : null;
}
