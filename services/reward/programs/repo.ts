import { sql } from 'kysely';
import type { CampaignRow, ProgramRow, RewardDb } from '../tables.ts';

/** Reward programs (rules per campaign version) and the campaign caps row. */

export function findProgram(
  db: RewardDb,
  clientId: string,
  campaignId: string,
  version: number,
): Promise<ProgramRow | undefined> {
  return db
    .selectFrom('reward_programs')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('campaign_id', '=', campaignId)
    .where('version', '=', version)
    .executeTakeFirst();
}

export interface CampaignCaps {
  status: string;
  startsAt: Date | null;
  endsAt: Date | null;
  currency: string | null;
  budget: number | null;
  maxWinners: number | null;
  limitCount: number | null;
  limitAmount: number | null;
  lifetimeCount: number | null;
  lifetimeAmount: number | null;
}

/**
 * Stores a program version (insert once; an identical re-registration is a no-op) and upserts the
 * campaign row's status and caps to this version's, keeping the allocated/fulfilled/winner counters.
 * Returns 'conflict' when the version exists with other content, or when the new caps are below what
 * is already allocated (the row's CHECKs would fail).
 */
export async function saveProgram(
  db: RewardDb,
  p: {
    clientId: string;
    campaignId: string;
    version: number;
    rewards: unknown;
    segments: unknown;
    contentHash: string;
    caps: CampaignCaps;
  },
): Promise<'saved' | 'conflict'> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('reward_programs')
      .values({
        client_id: p.clientId,
        campaign_id: p.campaignId,
        version: p.version,
        rewards: JSON.stringify(p.rewards),
        segments: JSON.stringify(p.segments),
        content_hash: p.contentHash,
      })
      .onConflict((oc) => oc.columns(['client_id', 'campaign_id', 'version']).doNothing())
      .execute();
    const stored = await trx
      .selectFrom('reward_programs')
      .select('content_hash')
      .where('client_id', '=', p.clientId)
      .where('campaign_id', '=', p.campaignId)
      .where('version', '=', p.version)
      .executeTakeFirstOrThrow();
    if (stored.content_hash !== p.contentHash) return 'conflict';
    const c = p.caps;
    const row = {
      status: c.status,
      starts_at: c.startsAt,
      ends_at: c.endsAt,
      currency: c.currency,
      budget: c.budget,
      max_winners: c.maxWinners,
      limit_count: c.limitCount,
      limit_amount: c.limitAmount,
      lifetime_count: c.lifetimeCount,
      lifetime_amount: c.lifetimeAmount,
    };
    const current = await trx
      .selectFrom('reward_campaigns')
      .select(['allocated', 'winners', 'current_version'])
      .where('client_id', '=', p.clientId)
      .where('campaign_id', '=', p.campaignId)
      .forUpdate()
      .executeTakeFirst();
    if (!current) {
      await trx
        .insertInto('reward_campaigns')
        .values({ client_id: p.clientId, campaign_id: p.campaignId, current_version: p.version, ...row })
        .execute();
      return 'saved';
    }
    if (
      (c.budget !== null && current.allocated > c.budget) ||
      (c.maxWinners !== null && current.winners > c.maxWinners)
    ) {
      return 'conflict';
    }
    // An older version registered late (a replay) must not roll the caps back.
    if (p.version < current.current_version) return 'saved';
    await trx
      .updateTable('reward_campaigns')
      .set({ ...row, current_version: p.version, updated_at: sql<Date>`now()` })
      .where('client_id', '=', p.clientId)
      .where('campaign_id', '=', p.campaignId)
      .execute();
    return 'saved';
  });
}

/** Changes a campaign's live status (paused campaigns stop allocating at once). */
export async function updateCampaignStatus(
  db: RewardDb,
  clientId: string,
  campaignId: string,
  patch: { status: string; startsAt?: Date | null; endsAt?: Date | null },
): Promise<boolean> {
  const r = await db
    .updateTable('reward_campaigns')
    .set({
      status: patch.status,
      ...(patch.startsAt !== undefined ? { starts_at: patch.startsAt } : {}),
      ...(patch.endsAt !== undefined ? { ends_at: patch.endsAt } : {}),
      updated_at: sql<Date>`now()`,
    })
    .where('client_id', '=', clientId)
    .where('campaign_id', '=', campaignId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export function findCampaign(
  db: RewardDb,
  clientId: string,
  campaignId: string,
): Promise<CampaignRow | undefined> {
  return db
    .selectFrom('reward_campaigns')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('campaign_id', '=', campaignId)
    .executeTakeFirst();
}
