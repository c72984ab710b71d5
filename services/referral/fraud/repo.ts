import { type Generated, type Kysely, sql } from 'kysely';
import type { ReferralTables } from '../repo.ts';
import type { IdentityFacts } from './identity.ts';

/** The fraud engine's own tables (migration 0301_fraud): identities, devices, policies, assessments. */
export interface FraudIdentitiesTable {
  client_id: string;
  participant_id: string;
  email_key: string | null;
  email_hash: string | null;
  email_domain: string | null;
  phone_key: string | null;
  ua_key: string | null;
  country: string | null;
  first_seen_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface FraudDevicesTable {
  client_id: string;
  participant_id: string;
  device_id: string;
  first_seen_at: Date;
}
export interface FraudPoliciesTable {
  client_id: string;
  campaign_id: string;
  policy: unknown;
  updated_at: Generated<Date>;
}
export interface FraudAssessmentsTable {
  id: string;
  client_id: string;
  campaign_id: string;
  participant_id: string;
  referrer_id: string | null;
  referral_id: string | null;
  kind: string;
  score: number;
  decision: string;
  reasons: unknown;
  created_at: Generated<Date>;
}
export interface FraudTables extends ReferralTables {
  fraud_identities: FraudIdentitiesTable;
  fraud_devices: FraudDevicesTable;
  fraud_policies: FraudPoliciesTable;
  fraud_assessments: FraudAssessmentsTable;
}
export type FraudDb = Kysely<FraudTables>;

export interface StoredIdentity {
  participantId: string;
  emailKey: string | null;
  emailHash: string | null;
  emailDomain: string | null;
  phoneKey: string | null;
  uaKey: string | null;
  country: string | null;
  deviceIds: string[];
  ipHashes: string[];
}

/** Records what is known of a participant; a fact already known is kept when the new event lacks it. */
export async function rememberIdentity(
  db: FraudDb,
  clientId: string,
  participantId: string,
  f: IdentityFacts,
  at: Date,
): Promise<void> {
  const row = {
    email_key: f.emailKey,
    email_hash: f.emailHash,
    email_domain: f.emailDomain,
    phone_key: f.phoneKey,
    ua_key: f.uaKey,
    country: f.country,
  };
  if (Object.values(row).some((v) => v !== null)) {
    await db
      .insertInto('fraud_identities')
      .values({ client_id: clientId, participant_id: participantId, ...row })
      .onConflict((oc) =>
        oc.columns(['client_id', 'participant_id']).doUpdateSet({
          email_key: sql`coalesce(excluded.email_key, fraud_identities.email_key)`,
          email_hash: sql`coalesce(excluded.email_hash, fraud_identities.email_hash)`,
          email_domain: sql`coalesce(excluded.email_domain, fraud_identities.email_domain)`,
          phone_key: sql`coalesce(excluded.phone_key, fraud_identities.phone_key)`,
          ua_key: sql`coalesce(excluded.ua_key, fraud_identities.ua_key)`,
          country: sql`coalesce(excluded.country, fraud_identities.country)`,
          updated_at: sql`now()`,
        }),
      )
      .execute();
  }
  if (f.deviceId)
    await db
      .insertInto('fraud_devices')
      .values({
        client_id: clientId,
        participant_id: participantId,
        device_id: f.deviceId,
        first_seen_at: at,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  if (f.ipHash)
    await db
      .insertInto('referral_participant_ips')
      .values({ client_id: clientId, participant_id: participantId, ip_hash: f.ipHash, first_seen_at: at })
      .onConflict((oc) => oc.doNothing())
      .execute();
}

export async function loadIdentity(
  db: FraudDb,
  clientId: string,
  participantId: string,
): Promise<StoredIdentity> {
  const [row, devices, ips] = await Promise.all([
    db
      .selectFrom('fraud_identities')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('participant_id', '=', participantId)
      .executeTakeFirst(),
    db
      .selectFrom('fraud_devices')
      .select('device_id')
      .where('client_id', '=', clientId)
      .where('participant_id', '=', participantId)
      .orderBy('first_seen_at', 'desc')
      .limit(100)
      .execute(),
    db
      .selectFrom('referral_participant_ips')
      .select('ip_hash')
      .where('client_id', '=', clientId)
      .where('participant_id', '=', participantId)
      .orderBy('first_seen_at', 'desc')
      .limit(100)
      .execute(),
  ]);
  return {
    participantId,
    emailKey: row?.email_key ?? null,
    emailHash: row?.email_hash ?? null,
    emailDomain: row?.email_domain ?? null,
    phoneKey: row?.phone_key ?? null,
    uaKey: row?.ua_key ?? null,
    country: row?.country ?? null,
    deviceIds: devices.map((d) => d.device_id),
    ipHashes: ips.map((i) => i.ip_hash),
  };
}

/** Other participants (not in `except`) with this email key, email hash or phone key. */
export async function participantsSharing(
  db: FraudDb,
  clientId: string,
  column: 'email_key' | 'email_hash' | 'phone_key',
  value: string,
  except: string[],
): Promise<string[]> {
  const rows = await db
    .selectFrom('fraud_identities')
    .select('participant_id')
    .where('client_id', '=', clientId)
    .where(column, '=', value)
    .where('participant_id', 'not in', except.length ? except : [''])
    .limit(20)
    .execute();
  return rows.map((r) => r.participant_id);
}

/** Distinct participants first seen on one of these IP hashes since `since`. */
export async function participantsOnIpsSince(
  db: FraudDb,
  clientId: string,
  ipHashes: string[],
  since: Date,
): Promise<number> {
  if (!ipHashes.length) return 0;
  const r = await db
    .selectFrom('referral_participant_ips')
    .select(sql<number>`count(distinct participant_id)::int`.as('n'))
    .where('client_id', '=', clientId)
    .where('ip_hash', 'in', ipHashes)
    .where('first_seen_at', '>=', since)
    .executeTakeFirstOrThrow();
  return r.n;
}

/** Distinct participants first seen on one of these devices since `since`. */
export async function participantsOnDevicesSince(
  db: FraudDb,
  clientId: string,
  deviceIds: string[],
  since: Date,
): Promise<number> {
  if (!deviceIds.length) return 0;
  const r = await db
    .selectFrom('fraud_devices')
    .select(sql<number>`count(distinct participant_id)::int`.as('n'))
    .where('client_id', '=', clientId)
    .where('device_id', 'in', deviceIds)
    .where('first_seen_at', '>=', since)
    .executeTakeFirstOrThrow();
  return r.n;
}

/** The latest click on a code by one of these visitor (anonymous / device) ids, if any. */
export async function lastClickOf(
  db: FraudDb,
  clientId: string,
  code: string,
  visitorIds: string[],
): Promise<Date | null> {
  if (!visitorIds.length) return null;
  const r = await db
    .selectFrom('referral_clicks')
    .select((eb) => eb.fn.max('clicked_at').as('at'))
    .where('client_id', '=', clientId)
    .where('code', '=', code)
    .where('visitor_id', 'in', visitorIds)
    .executeTakeFirst();
  return r?.at ? new Date(r.at as unknown as string) : null;
}

export async function savePolicy(db: FraudDb, clientId: string, campaignId: string, policy: unknown) {
  await db
    .insertInto('fraud_policies')
    .values({ client_id: clientId, campaign_id: campaignId, policy: JSON.stringify(policy ?? {}) })
    .onConflict((oc) =>
      oc
        .columns(['client_id', 'campaign_id'])
        .doUpdateSet({ policy: JSON.stringify(policy ?? {}), updated_at: sql`now()` }),
    )
    .execute();
}

export async function findPolicy(db: FraudDb, clientId: string, campaignId: string): Promise<unknown> {
  const row = await db
    .selectFrom('fraud_policies')
    .select('policy')
    .where('client_id', '=', clientId)
    .where('campaign_id', '=', campaignId)
    .executeTakeFirst();
  return row?.policy ?? null;
}

export async function saveAssessment(db: FraudDb, row: Omit<FraudAssessmentsTable, 'created_at'>) {
  await db
    .insertInto('fraud_assessments')
    .values({ ...row, reasons: JSON.stringify(row.reasons) })
    .execute();
}

/**
 * The paid-traffic click ids (gclid, fbclid, …) recorded on the referee's clicks of this code, by their
 * participant id or one of their visitor (device) ids, merged into one object.
 */
export async function recordedClickIds(
  db: FraudDb,
  clientId: string,
  code: string,
  participantId: string,
  visitorIds: string[],
): Promise<Record<string, unknown>> {
  const byDevice = visitorIds.length ? sql` or visitor_id in (${sql.join(visitorIds)})` : sql``;
  const r = await sql<{ click_ids: Record<string, unknown> | null }>`
    select click_ids from referral_clicks
    where client_id = ${clientId} and code = ${code} and (participant_id = ${participantId}${byDevice})
    order by clicked_at desc limit 50`.execute(db);
  return Object.assign({}, ...r.rows.map((x) => x.click_ids ?? {}));
}
