import { type Generated, type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import { afterCursor, keysetTime, type PageRequest } from '../platform/pagination.ts';
import type {
  ReferralAttributionSettingsTable,
  ReferralIdentitiesTable,
  ReferralLinksTable,
} from './links/tables.ts';

export interface ReferralCodesTable {
  client_id: string;
  code: string;
  campaign_id: string;
  participant_id: string;
  link: string;
  landing_url: string | null;
  created_at: Generated<Date>;
  /** active: the one a participant shares; retired: rotated away, still resolves; deactivated: dead. */
  status: Generated<'active' | 'retired' | 'deactivated'>;
  kind: Generated<'random' | 'vanity'>;
  status_changed_at: Date | null;
}
export interface ReferralClicksTable {
  client_id: string;
  event_id: string;
  code: string;
  visitor_id: string | null;
  ip_hash: string | null;
  clicked_at: Date;
  channel?: string | null;
  link_id?: string | null;
  participant_id?: string | null;
  click_ids?: Record<string, string>;
}
export interface ReferralParticipantIpsTable {
  client_id: string;
  participant_id: string;
  ip_hash: string;
  first_seen_at: Date;
}
export interface ReferralSharesTable {
  client_id: string;
  event_id: string;
  participant_id: string;
  channel: string;
  shared_at: Date;
  campaign_id?: string | null;
}
export interface ReferralsTable {
  id: string;
  client_id: string;
  campaign_id: string;
  code: string;
  referrer_id: string;
  referee_id: string;
  status: Generated<'signed_up' | 'converted' | 'rejected'>;
  attributed_at: Generated<Date>;
  converted_at: Date | null;
  order_id: string | null;
  depth: Generated<number>;
  channel: string | null;
  model: string | null;
  touched_at: Date | null;
}
export interface ReferralLandingsTable {
  client_id: string;
  campaign_id: string;
  /** null: the campaign sets no landing page. */
  url: string | null;
  attribution_days: number;
  campaign_status: string;
  updated_at: Generated<Date>;
}
export interface ReferralTables {
  referral_codes: ReferralCodesTable;
  referral_landings: ReferralLandingsTable;
  referral_clicks: ReferralClicksTable;
  referral_participant_ips: ReferralParticipantIpsTable;
  referral_shares: ReferralSharesTable;
  referrals: ReferralsTable;
  referral_links: ReferralLinksTable;
  referral_identities: ReferralIdentitiesTable;
  referral_attribution_settings: ReferralAttributionSettingsTable;
}
export type CodeRow = Selectable<ReferralCodesTable>;
type Db = Kysely<ReferralTables>;

export function findCodeOfParticipant(db: Db, clientId: string, campaignId: string, participantId: string) {
  return db
    .selectFrom('referral_codes')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('campaign_id', '=', campaignId)
    .where('participant_id', '=', participantId)
    .where('status', '=', 'active')
    .executeTakeFirst();
}

/** Inserts a code; returns undefined when the code or the participant already has one (caller re-reads). */
export async function insertCode(db: Db, row: Insertable<ReferralCodesTable>): Promise<CodeRow | undefined> {
  return db
    .insertInto('referral_codes')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** A code that resolves (active, or retired by a rotation); a deactivated code is not found. */
export function findCode(db: Db, clientId: string, code: string) {
  return db
    .selectFrom('referral_codes')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('code', '=', code)
    .where('status', '!=', 'deactivated')
    .executeTakeFirst();
}

export async function recordClick(db: Db, row: ReferralClicksTable): Promise<boolean> {
  const r = await db
    .insertInto('referral_clicks')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

export async function recordShare(db: Db, row: ReferralSharesTable): Promise<boolean> {
  const r = await db
    .insertInto('referral_shares')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

export function findReferralOfReferee(db: Db, clientId: string, refereeId: string) {
  return db
    .selectFrom('referrals')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('referee_id', '=', refereeId)
    .executeTakeFirst();
}

export async function insertReferral(db: Db, row: Insertable<ReferralsTable>) {
  return db
    .insertInto('referrals')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Marks the referral converted once; a second purchase finds it converted and gets nothing back. */
export function markConverted(db: Db, clientId: string, id: string, orderId: string | null) {
  return db
    .updateTable('referrals')
    .set({ status: 'converted', converted_at: new Date(), order_id: orderId })
    .where('client_id', '=', clientId)
    .where('id', '=', id)
    .where('status', '=', 'signed_up')
    .returningAll()
    .executeTakeFirst();
}

/** A referrer's referrals newest first, one page (`limit + 1` rows: see platform/pagination.ts). */
export function listReferralsOf(db: Db, clientId: string, referrerId: string, page: PageRequest) {
  return db
    .selectFrom('referrals')
    .select(['id', 'campaign_id', 'referee_id', 'status', 'attributed_at', 'converted_at'])
    .where('client_id', '=', clientId)
    .where('referrer_id', '=', referrerId)
    .where(afterCursor('attributed_at', page.after, 'desc'))
    .orderBy(keysetTime('attributed_at'), 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
}

export async function countReferralsSince(
  db: Db,
  clientId: string,
  referrerId: string,
  since: Date,
): Promise<number> {
  const r = await db
    .selectFrom('referrals')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('client_id', '=', clientId)
    .where('referrer_id', '=', referrerId)
    .where('attributed_at', '>=', since)
    .executeTakeFirstOrThrow();
  return r.n;
}

/** IP hashes from which a code was clicked, with the clicks from each (for duplicate-IP fraud checks). */
export async function clickIpsOfCode(
  db: Db,
  clientId: string,
  code: string,
): Promise<{ ipHash: string; clicks: number }[]> {
  const rows = await db
    .selectFrom('referral_clicks')
    .select(['ip_hash', sql<number>`count(*)::int`.as('clicks')])
    .where('client_id', '=', clientId)
    .where('code', '=', code)
    .where('ip_hash', 'is not', null)
    .groupBy('ip_hash')
    .limit(1000)
    .execute();
  return rows.map((r) => ({ ipHash: r.ip_hash as string, clicks: r.clicks }));
}

/** Remembers that a participant's own browser came from this IP hash (once per address). */
export async function recordParticipantIp(db: Db, row: ReferralParticipantIpsTable): Promise<void> {
  await db
    .insertInto('referral_participant_ips')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** The IP hashes a participant's browser events came from, most recent first (bounded). */
export async function ipsOfParticipant(db: Db, clientId: string, participantId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('referral_participant_ips')
    .select('ip_hash')
    .where('client_id', '=', clientId)
    .where('participant_id', '=', participantId)
    .orderBy('first_seen_at', 'desc')
    .limit(100)
    .execute();
  return rows.map((r) => r.ip_hash);
}

export async function upsertLanding(db: Db, row: Omit<ReferralLandingsTable, 'updated_at'>): Promise<void> {
  await db
    .insertInto('referral_landings')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['client_id', 'campaign_id']).doUpdateSet({
        url: row.url,
        attribution_days: row.attribution_days,
        campaign_status: row.campaign_status,
        updated_at: new Date(),
      }),
    )
    .execute();
}

export async function setLandingStatus(db: Db, clientId: string, campaignId: string, status: string) {
  await db
    .updateTable('referral_landings')
    .set({ campaign_status: status, updated_at: new Date() })
    .where('client_id', '=', clientId)
    .where('campaign_id', '=', campaignId)
    .execute();
}

export function findLanding(db: Db, clientId: string, campaignId: string) {
  return db
    .selectFrom('referral_landings')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('campaign_id', '=', campaignId)
    .executeTakeFirst();
}
