/**
 * The referrer → referee graph. Each person is referred at most once per client (the `referrals`
 * unique key), so the graph is a forest: a referee's chain of ancestors is a single path, read with
 * one recursive query bounded by `MAX_CHAIN`. A new edge that would close a loop (the referee is the
 * referrer or one of the referrer's ancestors: A→B→A) is refused before it is written.
 */
import { type Kysely, sql } from 'kysely';
import { afterCursor, keysetTime, type PageRequest } from '../../platform/pagination.ts';
import type { ReferralTables } from '../repo.ts';

type Db = Kysely<ReferralTables>;

/** Ancestors read for rules and the API; deeper chains are cut (and say so with `truncated`). */
export const MAX_CHAIN = 10;

export interface Ancestor {
  participant_id: string;
  /** 1 = the one who referred the participant, 2 = their referrer, … */
  level: number;
  referral_id: string;
  campaign_id: string;
  attributed_at: string;
}

/** Who referred `participantId`, who referred them, … up to `limit` levels (nearest first). */
export async function chainOf(
  db: Db,
  clientId: string,
  participantId: string,
  limit = MAX_CHAIN,
): Promise<{ ancestors: Ancestor[]; truncated: boolean }> {
  const max = Math.max(1, Math.min(limit, MAX_CHAIN));
  const rows = await sql<{
    referrer_id: string;
    level: number;
    id: string;
    campaign_id: string;
    attributed_at: Date;
  }>`
    with recursive up(referrer_id, level, id, campaign_id, attributed_at, path) as (
      select r.referrer_id, 1, r.id, r.campaign_id, r.attributed_at, array[r.referee_id, r.referrer_id]
      from referrals r where r.client_id = ${clientId} and r.referee_id = ${participantId}
      union all
      select r.referrer_id, up.level + 1, r.id, r.campaign_id, r.attributed_at, up.path || r.referrer_id
      from referrals r join up on r.client_id = ${clientId} and r.referee_id = up.referrer_id
      where up.level <= ${max} and not (r.referrer_id = any(up.path))
    )
    select referrer_id, level, id, campaign_id, attributed_at from up order by level`.execute(db);
  const all = rows.rows.map((r) => ({
    participant_id: r.referrer_id,
    level: Number(r.level),
    referral_id: r.id,
    campaign_id: r.campaign_id,
    attributed_at: new Date(r.attributed_at).toISOString(),
  }));
  return { ancestors: all.slice(0, max), truncated: all.length > max };
}

/** Why an edge referrer → referee may not be added (null when it may). */
export async function edgeProblem(
  db: Db,
  clientId: string,
  referrerId: string,
  refereeId: string,
): Promise<'self_referral' | 'referral_cycle' | null> {
  if (referrerId === refereeId) return 'self_referral';
  // Walk the whole chain (not just MAX_CHAIN) — a loop at any depth is a loop.
  const r = await sql<{ found: boolean }>`
    with recursive up(referrer_id, n) as (
      select referrer_id, 1 from referrals where client_id = ${clientId} and referee_id = ${referrerId}
      union all
      select r.referrer_id, up.n + 1 from referrals r join up on r.client_id = ${clientId} and r.referee_id = up.referrer_id
      where up.n < 10000
    )
    select exists(select 1 from up where referrer_id = ${refereeId}) as found`.execute(db);
  return r.rows[0]?.found ? 'referral_cycle' : null;
}

/** A participant's own depth: 0 when nobody referred them. */
export async function depthOf(db: Db, clientId: string, participantId: string): Promise<number> {
  return (await depthBelow(db, clientId, participantId)) - 1;
}

/** The depth a new referee of `referrerId` gets: 1 below a root, the referrer's depth + 1 otherwise. */
export async function depthBelow(db: Db, clientId: string, referrerId: string): Promise<number> {
  const row = await db
    .selectFrom('referrals')
    .select('depth')
    .where('client_id', '=', clientId)
    .where('referee_id', '=', referrerId)
    .executeTakeFirst();
  return (row?.depth ?? 0) + 1;
}

export interface Child {
  participant_id: string;
  referral_id: string;
  campaign_id: string;
  status: string;
  depth: number;
  channel: string | null;
  attributed_at: string;
  converted_at: string | null;
  /** How many people this child referred in turn. */
  referrals: number;
}

/** The people `participantId` referred, newest first, keyset-paged (fetches `limit + 1` for `pageOf`). */
export async function childrenOf(db: Db, clientId: string, participantId: string, page: PageRequest) {
  const rows = await db
    .selectFrom('referrals as r')
    .select([
      'r.referee_id',
      'r.id',
      'r.campaign_id',
      'r.status',
      'r.depth',
      'r.channel',
      'r.attributed_at',
      'r.converted_at',
      (eb) =>
        eb
          .selectFrom('referrals as g')
          .select(sql<number>`count(*)::int`.as('n'))
          .whereRef('g.client_id', '=', 'r.client_id')
          .whereRef('g.referrer_id', '=', 'r.referee_id')
          .as('grandchildren'),
    ])
    .where('r.client_id', '=', clientId)
    .where('r.referrer_id', '=', participantId)
    .where(afterCursor('r.attributed_at', page.after, 'desc'))
    .orderBy(keysetTime('r.attributed_at'), 'desc')
    .orderBy('r.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  return rows.map((r) => ({ at: r.attributed_at, id: r.id, view: childView(r) }));
}

function childView(r: {
  referee_id: string;
  id: string;
  campaign_id: string;
  status: string;
  depth: number;
  channel: string | null;
  attributed_at: Date;
  converted_at: Date | null;
  grandchildren: number | null;
}): Child {
  return {
    participant_id: r.referee_id,
    referral_id: r.id,
    campaign_id: r.campaign_id,
    status: r.status,
    depth: r.depth,
    channel: r.channel,
    attributed_at: r.attributed_at.toISOString(),
    converted_at: r.converted_at?.toISOString() ?? null,
    referrals: Number(r.grandchildren ?? 0),
  };
}
