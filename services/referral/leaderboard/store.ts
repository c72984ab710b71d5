/** Postgres side of leaderboards: boards, members, scores (the durable source), dedup, payouts, notices. */
import { type Kysely, sql } from 'kysely';
import type { Leaderboard } from '../../../contract/generated/campaign.generated.ts';

export interface BoardRef {
  clientId: string;
  campaignId: string;
  boardId: string;
}
export interface BoardRow extends BoardRef {
  version: number;
  config: Leaderboard;
  /** Places a settlement freezes (the reward rule's `top`). */
  awardTop: number;
  campaignStatus: string;
}
export interface Entry {
  participant_id: string;
  score: number;
  joined_at: Date;
}

// biome-ignore lint/suspicious/noExplicitAny: the referral service's Kysely carries its own table map.
type Db = Kysely<any>;

export async function upsertBoard(db: Db, b: BoardRow): Promise<void> {
  await sql`
    insert into referral_leaderboards (client_id, campaign_id, board_id, version, config, award_top, campaign_status)
    values (${b.clientId}, ${b.campaignId}, ${b.boardId}, ${b.version}, ${JSON.stringify(b.config)}, ${b.awardTop}, ${b.campaignStatus})
    on conflict (client_id, campaign_id, board_id) do update
      set version = excluded.version, config = excluded.config, award_top = excluded.award_top,
          campaign_status = excluded.campaign_status, updated_at = now()`.execute(db);
}

/** Boards of a campaign that a new version no longer declares stop counting (kept, status 'removed'). */
export async function retireBoards(
  db: Db,
  clientId: string,
  campaignId: string,
  keep: string[],
): Promise<void> {
  await sql`
    update referral_leaderboards set campaign_status = 'removed', updated_at = now()
     where client_id = ${clientId} and campaign_id = ${campaignId}
       and not (board_id = any(${keep}::text[]))`.execute(db);
}

export async function setCampaignStatus(db: Db, clientId: string, campaignId: string, status: string) {
  await sql`
    update referral_leaderboards set campaign_status = ${status}, updated_at = now()
     where client_id = ${clientId} and campaign_id = ${campaignId} and campaign_status <> 'removed'`.execute(
    db,
  );
}

type RawBoard = {
  client_id: string;
  campaign_id: string;
  board_id: string;
  version: number;
  config: Leaderboard;
  award_top: number;
  campaign_status: string;
};
const toBoard = (r: RawBoard): BoardRow => ({
  clientId: r.client_id,
  campaignId: r.campaign_id,
  boardId: r.board_id,
  version: r.version,
  config: r.config,
  awardTop: r.award_top,
  campaignStatus: r.campaign_status,
});

export async function findBoard(db: Db, ref: BoardRef): Promise<BoardRow | undefined> {
  const { rows } = await sql<RawBoard>`
    select * from referral_leaderboards
     where client_id = ${ref.clientId} and campaign_id = ${ref.campaignId} and board_id = ${ref.boardId}
       and campaign_status <> 'removed'`.execute(db);
  return rows[0] ? toBoard(rows[0]) : undefined;
}

/** The boards that count events now: of active campaigns, for one client. */
export async function activeBoards(db: Db, clientId: string): Promise<BoardRow[]> {
  const { rows } = await sql<RawBoard>`
    select * from referral_leaderboards where client_id = ${clientId} and campaign_status = 'active'`.execute(
    db,
  );
  return rows.map(toBoard);
}

export async function boardsOfCampaign(db: Db, clientId: string, campaignId: string): Promise<BoardRow[]> {
  const { rows } = await sql<RawBoard>`
    select * from referral_leaderboards
     where client_id = ${clientId} and campaign_id = ${campaignId} and campaign_status <> 'removed'`.execute(
    db,
  );
  return rows.map(toBoard);
}

export interface Increment extends BoardRef {
  period: string;
  participantId: string;
  delta: number;
  /** The participant's join time if this is their first entry on the board. */
  joinedAt: Date;
  dedupKey: string;
  displayName?: string | null;
}

/**
 * Counts one increment exactly once per (board, dedup key), in one transaction: the dedup row, the
 * member (join time, first write wins) and the period's score. Returns the score and join time now held,
 * and whether this call applied the increment (false: a re-delivery, nothing added).
 */
export async function applyIncrement(
  db: Db,
  i: Increment,
): Promise<{ applied: boolean; score: number; joinedAt: Date } | null> {
  const { rows } = await sql<{ applied: boolean; score: number | null; joined_at: Date | null }>`
    with applied as (
      insert into referral_leaderboard_applied (client_id, campaign_id, board_id, dedup_key)
      values (${i.clientId}, ${i.campaignId}, ${i.boardId}, ${i.dedupKey})
      on conflict do nothing returning 1
    ), member as (
      insert into referral_leaderboard_members as m (client_id, campaign_id, board_id, participant_id, joined_at, display_name)
      select ${i.clientId}, ${i.campaignId}, ${i.boardId}, ${i.participantId}, ${i.joinedAt}, ${i.displayName ?? null}
       where exists (select 1 from applied)
      on conflict (client_id, campaign_id, board_id, participant_id) do update
        set joined_at = least(m.joined_at, excluded.joined_at),
            display_name = coalesce(excluded.display_name, m.display_name)
      returning joined_at
    ), upsert as (
      insert into referral_leaderboard_scores as s (client_id, campaign_id, board_id, period, participant_id, score, joined_at)
      select ${i.clientId}, ${i.campaignId}, ${i.boardId}, ${i.period}, ${i.participantId}, ${i.delta}, member.joined_at
        from member
      on conflict (client_id, campaign_id, board_id, period, participant_id) do update
        set score = s.score + excluded.score, joined_at = least(s.joined_at, excluded.joined_at), updated_at = now()
      returning score, joined_at
    )
    select exists (select 1 from applied) as applied,
           (select score from upsert) as score, (select joined_at from upsert) as joined_at`.execute(db);
  const r = rows[0];
  if (!r) return null;
  if (r.applied && r.score !== null && r.joined_at !== null)
    return { applied: true, score: Number(r.score), joinedAt: new Date(r.joined_at) };
  // A re-delivery: nothing added; the current value (if any) lets the index be put right again.
  const cur = await entryOf(db, i, i.period, i.participantId);
  return cur ? { applied: false, score: cur.score, joinedAt: cur.joined_at } : null;
}

export async function entryOf(db: Db, ref: BoardRef, period: string, participantId: string) {
  const { rows } = await sql<Entry>`
    select participant_id, score, joined_at from referral_leaderboard_scores
     where client_id = ${ref.clientId} and campaign_id = ${ref.campaignId} and board_id = ${ref.boardId}
       and period = ${period} and participant_id = ${participantId}`.execute(db);
  const r = rows[0];
  return r ? { ...r, score: Number(r.score), joined_at: new Date(r.joined_at) } : undefined;
}

/** One page of a period's entries in participant order (the rebuild streams them). */
export async function entriesAfter(
  db: Db,
  ref: BoardRef,
  period: string,
  after: string | null,
  limit: number,
) {
  const { rows } = await sql<Entry>`
    select participant_id, score, joined_at from referral_leaderboard_scores
     where client_id = ${ref.clientId} and campaign_id = ${ref.campaignId} and board_id = ${ref.boardId}
       and period = ${period} and (${after}::text is null or participant_id > ${after})
     order by participant_id limit ${limit}`.execute(db);
  return rows.map((r) => ({ ...r, score: Number(r.score), joined_at: new Date(r.joined_at) }));
}

// The ranking in SQL: score desc, then earlier join, then participant id descending (the same order the
// Redis index gives: see redis-index.ts).
const ORDER = sql`score desc, joined_at asc, participant_id desc`;

/** Top `limit` from `offset` (0-based), straight from Postgres: the fallback without Redis. */
export async function topFromDb(db: Db, ref: BoardRef, period: string, offset: number, limit: number) {
  const { rows } = await sql<Entry>`
    select participant_id, score, joined_at from referral_leaderboard_scores
     where client_id = ${ref.clientId} and campaign_id = ${ref.campaignId} and board_id = ${ref.boardId}
       and period = ${period}
     order by ${ORDER} offset ${offset} limit ${limit}`.execute(db);
  return rows.map((r) => ({ ...r, score: Number(r.score), joined_at: new Date(r.joined_at) }));
}

/** A participant's 0-based position in SQL (how many rank above), or null when not on the board. */
export async function positionFromDb(db: Db, ref: BoardRef, period: string, participantId: string) {
  const me = await entryOf(db, ref, period, participantId);
  if (!me) return null;
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from referral_leaderboard_scores
     where client_id = ${ref.clientId} and campaign_id = ${ref.campaignId} and board_id = ${ref.boardId}
       and period = ${period}
       and (score > ${me.score} or (score = ${me.score} and (joined_at < ${me.joined_at}
            or (joined_at = ${me.joined_at} and participant_id > ${participantId}))))`.execute(db);
  return { position: rows[0]?.n ?? 0, entry: me };
}

export async function countEntries(db: Db, ref: BoardRef, period: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from referral_leaderboard_scores
     where client_id = ${ref.clientId} and campaign_id = ${ref.campaignId} and board_id = ${ref.boardId}
       and period = ${period}`.execute(db);
  return rows[0]?.n ?? 0;
}

export async function displayNames(db: Db, ref: BoardRef, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sql<{ participant_id: string; display_name: string | null }>`
    select participant_id, display_name from referral_leaderboard_members
     where client_id = ${ref.clientId} and campaign_id = ${ref.campaignId} and board_id = ${ref.boardId}
       and participant_id = any(${ids}::text[])`.execute(db);
  return new Map(rows.filter((r) => r.display_name).map((r) => [r.participant_id, r.display_name as string]));
}

/** Periods with scores that have no payout yet. */
export async function unpaidPeriods(db: Db, ref: BoardRef): Promise<string[]> {
  const { rows } = await sql<{ period: string }>`
    select distinct s.period from referral_leaderboard_scores s
     where s.client_id = ${ref.clientId} and s.campaign_id = ${ref.campaignId} and s.board_id = ${ref.boardId}
       and not exists (select 1 from referral_leaderboard_payouts p
                        where p.client_id = s.client_id and p.campaign_id = s.campaign_id
                          and p.board_id = s.board_id and p.period = s.period)
     order by s.period`.execute(db);
  return rows.map((r) => r.period);
}

export interface Placing {
  rank: number;
  participant_id: string;
  score: number;
}

/** Freezes a period's final standings once (first settlement wins); returns the frozen row. */
export async function freezePayout(db: Db, ref: BoardRef, period: string, standings: Placing[]) {
  await sql`
    insert into referral_leaderboard_payouts (client_id, campaign_id, board_id, period, standings)
    values (${ref.clientId}, ${ref.campaignId}, ${ref.boardId}, ${period}, ${JSON.stringify(standings)})
    on conflict do nothing`.execute(db);
  return payoutOf(db, ref, period);
}

export async function payoutOf(db: Db, ref: BoardRef, period: string) {
  const { rows } = await sql<{ standings: Placing[]; reward_ids: string[]; paid_at: Date }>`
    select standings, reward_ids, paid_at from referral_leaderboard_payouts
     where client_id = ${ref.clientId} and campaign_id = ${ref.campaignId} and board_id = ${ref.boardId}
       and period = ${period}`.execute(db);
  return rows[0];
}

export async function setPayoutRewards(db: Db, ref: BoardRef, period: string, rewardIds: string[]) {
  await sql`
    update referral_leaderboard_payouts set reward_ids = ${JSON.stringify(rewardIds)}
     where client_id = ${ref.clientId} and campaign_id = ${ref.campaignId} and board_id = ${ref.boardId}
       and period = ${period}`.execute(db);
}

/** Claims the right to notify a participant now: false while the last notice is newer than the interval. */
export async function claimNotice(db: Db, ref: BoardRef, participantId: string, minIntervalMinutes: number) {
  const { rows } = await sql<{ ok: number }>`
    insert into referral_leaderboard_notices as n (client_id, campaign_id, board_id, participant_id, sent_at)
    values (${ref.clientId}, ${ref.campaignId}, ${ref.boardId}, ${participantId}, now())
    on conflict (client_id, campaign_id, board_id, participant_id) do update set sent_at = now()
     where n.sent_at <= now() - make_interval(mins => ${minIntervalMinutes})
    returning 1 as ok`.execute(db);
  return rows.length > 0;
}

export async function anyBoards(db: Db): Promise<boolean> {
  const { rows } = await sql<{ any: boolean }>`
    select exists (select 1 from referral_leaderboards where campaign_status <> 'removed') as any`.execute(
    db,
  );
  return rows[0]?.any ?? false;
}
