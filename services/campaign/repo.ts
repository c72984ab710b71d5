import { type Generated, type Kysely, type Selectable, sql } from 'kysely';
import type { Plan } from '../../contract/plan.ts';
import { waitedFor } from '../../contract/plan.ts';
import { afterCursor, keysetTime, type PageRequest } from '../platform/pagination.ts';

export type CampaignStatus = 'draft' | 'active' | 'paused' | 'ended';

export interface CampaignsTable {
  id: string;
  client_id: string;
  definition_id: string;
  pulse: string;
  title: string;
  status: Generated<CampaignStatus>;
  current_version: number;
  starts_at: Date | null;
  ends_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface CampaignVersionsTable {
  client_id: string;
  campaign_id: string;
  version: number;
  source: string;
  source_file: string;
  plan: Plan;
  plan_hash: string;
  settings: Record<string, unknown>;
  trigger_events: string[];
  waits_for: string[];
  deployed_by: string;
  deployed_at: Generated<Date>;
}
export interface CampaignTables {
  campaigns: CampaignsTable;
  campaign_versions: CampaignVersionsTable;
}
export type CampaignRow = Selectable<CampaignsTable>;
export type CampaignVersionRow = Selectable<CampaignVersionsTable>;
type Db = Kysely<CampaignTables>;

export interface NewVersion {
  clientId: string;
  campaignId: string;
  plan: Plan;
  source: string;
  sourceFile: string;
  deployedBy: string;
}

/**
 * Creates the campaign on first deploy or appends a version, in one transaction with the campaign row
 * locked, so concurrent deploys get consecutive versions. Deploying the exact plan already current is a
 * no-op returning that version (deploys are idempotent).
 */
export async function appendVersion(
  db: Db,
  v: NewVersion,
): Promise<{ campaign: CampaignRow; version: number; created: boolean }> {
  return db.transaction().execute(async (tx) => {
    await tx
      .insertInto('campaigns')
      .values({
        id: v.campaignId,
        client_id: v.clientId,
        definition_id: v.plan.id,
        pulse: v.plan.pulse,
        title: v.plan.title,
        current_version: 0,
        starts_at: null,
        ends_at: null,
      })
      .onConflict((oc) => oc.columns(['client_id', 'definition_id']).doNothing())
      .execute();
    const campaign = await tx
      .selectFrom('campaigns')
      .selectAll()
      .where('client_id', '=', v.clientId)
      .where('definition_id', '=', v.plan.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (campaign.current_version > 0) {
      const current = await tx
        .selectFrom('campaign_versions')
        .select('plan_hash')
        .where('campaign_id', '=', campaign.id)
        .where('version', '=', campaign.current_version)
        .executeTakeFirst();
      if (current?.plan_hash === v.plan.hash)
        return { campaign, version: campaign.current_version, created: false };
    }
    const version = campaign.current_version + 1;
    await tx
      .insertInto('campaign_versions')
      .values({
        client_id: v.clientId,
        campaign_id: campaign.id,
        version,
        source: v.source,
        source_file: v.sourceFile,
        plan: JSON.stringify(v.plan) as unknown as Plan,
        plan_hash: v.plan.hash,
        settings: JSON.stringify(v.plan.settings) as unknown as Record<string, unknown>,
        trigger_events: v.plan.trigger.events,
        // Children's waits too: a parent journey forwards those events to the child it called.
        waits_for: [...waitedFor(v.plan)],
        deployed_by: v.deployedBy,
      })
      .execute();
    const updated = await tx
      .updateTable('campaigns')
      .set({ current_version: version, title: v.plan.title, updated_at: new Date() })
      .where('id', '=', campaign.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { campaign: updated, version, created: true };
  });
}

/** A client's campaigns oldest first, one page (`limit + 1` rows: see platform/pagination.ts). */
export function listCampaigns(db: Db, clientId: string, page: PageRequest): Promise<CampaignRow[]> {
  return db
    .selectFrom('campaigns')
    .selectAll()
    .where('client_id', '=', clientId)
    .where(afterCursor('created_at', page.after, 'asc'))
    .orderBy(keysetTime('created_at'))
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
}

export function findCampaign(db: Db, clientId: string, campaignId: string): Promise<CampaignRow | undefined> {
  return db
    .selectFrom('campaigns')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('id', '=', campaignId)
    .executeTakeFirst();
}

export function findVersion(
  db: Db,
  clientId: string,
  campaignId: string,
  version: number,
): Promise<CampaignVersionRow | undefined> {
  return db
    .selectFrom('campaign_versions')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('campaign_id', '=', campaignId)
    .where('version', '=', version)
    .executeTakeFirst();
}

export function listVersions(db: Db, clientId: string, campaignId: string) {
  return db
    .selectFrom('campaign_versions')
    .select(['version', 'plan_hash', 'source_file', 'deployed_by', 'deployed_at'])
    .where('client_id', '=', clientId)
    .where('campaign_id', '=', campaignId)
    .orderBy('version', 'desc')
    .execute();
}

/** Whether any version of the campaign has a `trigger.schedule` (so a Temporal Schedule may exist). */
export async function everScheduled(db: Db, clientId: string, campaignId: string): Promise<boolean> {
  const row = await db
    .selectFrom('campaign_versions')
    .select('version')
    .where('client_id', '=', clientId)
    .where('campaign_id', '=', campaignId)
    .where(sql<boolean>`(plan -> 'trigger' -> 'schedule') is not null`)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function setStatus(
  db: Db,
  clientId: string,
  campaignId: string,
  status: CampaignStatus,
): Promise<CampaignRow | undefined> {
  return db
    .updateTable('campaigns')
    .set({ status, updated_at: new Date() })
    .where('client_id', '=', clientId)
    .where('id', '=', campaignId)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Deployed versions that care about `eventName` for one client: the current version of each active
 * campaign whose trigger lists it, plus every version (old ones too: their journeys still run) of an
 * active or paused campaign that waits for it.
 */
export function versionsForEvent(db: Db, clientId: string, eventName: string) {
  return db
    .selectFrom('campaigns as c')
    .innerJoin('campaign_versions as v', 'v.campaign_id', 'c.id')
    .select(['c.id as campaign_id', 'c.client_id', 'c.pulse', 'v.version', 'v.plan'])
    .where('c.client_id', '=', clientId)
    .where((eb) =>
      eb.or([
        eb.and([
          eb('c.status', '=', 'active'),
          eb('v.version', '=', eb.ref('c.current_version')),
          sql<boolean>`${eventName} = any(v.trigger_events)`,
        ]),
        eb.and([eb('c.status', 'in', ['active', 'paused']), sql<boolean>`${eventName} = any(v.waits_for)`]),
      ]),
    )
    .orderBy('c.id')
    .orderBy('v.version')
    .execute();
}
