import type { Kysely } from 'kysely';
import { AppError } from '../../contract/errors.ts';
import type { ClickHouse } from '../platform/clickhouse.ts';
import type { Db } from '../platform/db.ts';
import {
  type AttributionInput,
  type AttributionResult,
  attribute as attributeTouches,
} from './attribution/attribute.ts';
import { attributionOf } from './attribution/settings.ts';
import { randomCode } from './links/codes.ts';
import * as repo from './repo.ts';

export interface Tenant {
  clientId: string;
  campaignId: string;
}

// Random codes come from links/codes.ts: 8 symbols of an alphabet without look-alikes (no 0/O/1/I/L).
const newCode = () => randomCode();

/** Returns the participant's code and link for this campaign, creating them once (idempotent). */
export async function generateAssets(
  db: Db,
  t: Tenant,
  input: { participantId: string; landingUrl?: string | undefined },
  publicBaseUrl: string,
): Promise<{ code: string; link: string; created: boolean }> {
  const existing = await repo.findCodeOfParticipant(db, t.clientId, t.campaignId, input.participantId);
  if (existing) return { code: existing.code, link: existing.link, created: false };
  for (let attempt = 0; attempt < 5; attempt++) {
    const code = newCode();
    const link = `${publicBaseUrl.replace(/\/$/, '')}/r/${t.clientId}/${code}`;
    const row = await repo.insertCode(db, {
      client_id: t.clientId,
      campaign_id: t.campaignId,
      participant_id: input.participantId,
      code,
      link,
      landing_url: input.landingUrl ?? null,
    });
    if (row) return { code: row.code, link: row.link, created: true };
    // Either the code collided or a concurrent call created this participant's code: re-read.
    const raced = await repo.findCodeOfParticipant(db, t.clientId, t.campaignId, input.participantId);
    if (raced) return { code: raced.code, link: raced.link, created: false };
  }
  throw new AppError('INTERNAL', 'could not allocate a unique referral code');
}

export type Attribution = AttributionResult;

/**
 * Links a new participant to a referrer: the campaign's attribution model over the person's touches
 * (attribution/attribute.ts). The first valid attribution wins; repeating the call returns the same referral.
 */
export async function attribute(
  db: Db,
  t: Tenant,
  input: AttributionInput,
  ch?: ClickHouse,
  now = new Date(),
): Promise<Attribution> {
  return attributeTouches(db, ch, t, input, now);
}

export interface ConversionCheck {
  valid: boolean;
  reason: string | null;
  referrer_id: string | null;
  referral_id: string | null;
}

/** A referred purchase counts once, above the minimum, within the window after attribution. */
export async function validateConversion(
  db: Db,
  t: Tenant,
  input: {
    refereeId: string;
    orderId?: string;
    orderValue?: number;
    minOrder?: number;
    windowDays?: number;
    /** The event being validated: must be one of the campaign's conversion events. */
    event?: string;
  },
  now = new Date(),
): Promise<ConversionCheck> {
  const referral = await repo.findReferralOfReferee(db, t.clientId, input.refereeId);
  const base = { referrer_id: referral?.referrer_id ?? null, referral_id: referral?.id ?? null };
  if (input.event !== undefined) {
    const { conversion } = await attributionOf(db, t.clientId, t.campaignId);
    if (!conversion.includes(input.event)) return { valid: false, reason: 'not_a_conversion', ...base };
  }
  if (!referral) return { valid: false, reason: 'not_referred', ...base };
  if (referral.status === 'rejected') return { valid: false, reason: 'referral_rejected', ...base };
  if (referral.status === 'converted') {
    return {
      valid: referral.order_id === (input.orderId ?? null),
      reason: referral.order_id === (input.orderId ?? null) ? null : 'already_converted',
      ...base,
    };
  }
  if (input.minOrder !== undefined && (input.orderValue ?? 0) < input.minOrder)
    return { valid: false, reason: 'below_minimum', ...base };
  if (input.windowDays !== undefined) {
    const ageDays = (now.getTime() - referral.attributed_at.getTime()) / 86_400_000;
    if (ageDays > input.windowDays) return { valid: false, reason: 'outside_window', ...base };
  }
  await repo.markConverted(db, t.clientId, referral.id, input.orderId ?? null);
  return { valid: true, reason: null, ...base };
}

/** Records that a participant's own browser came from an IP (keyed hash); fed by the event stream. */
export async function recordParticipantIp(
  db: Db,
  clientId: string,
  input: { participantId: string; ipHash: string; at: Date },
): Promise<void> {
  await repo.recordParticipantIp(db, {
    client_id: clientId,
    participant_id: input.participantId,
    ip_hash: input.ipHash,
    first_seen_at: input.at,
  });
}

/** Records a click on a referral link from the event stream (idempotent by event id). */
export async function trackClick(
  db: Db,
  clientId: string,
  input: {
    eventId: string;
    code: string;
    visitorId?: string | null;
    participantId?: string | null;
    ipHash?: string | null;
    at: Date;
    channel?: string | null;
    clickIds?: Record<string, string>;
  },
): Promise<boolean> {
  const code = await repo.findCode(db, clientId, input.code.trim().toUpperCase());
  if (!code) return false;
  return repo.recordClick(db, {
    client_id: clientId,
    event_id: input.eventId,
    code: code.code,
    visitor_id: input.visitorId ?? null,
    participant_id: input.participantId ?? null,
    ip_hash: input.ipHash ?? null,
    clicked_at: input.at,
    channel: input.channel ?? null,
    click_ids: input.clickIds ?? {},
  });
}

/** Remembers that a device (anonymous id) belongs to a participant (identify merge; once per pair). */
export async function recordIdentity(
  db: Db,
  row: { client_id: string; anonymous_id: string; participant_id: string; first_seen_at: Date },
): Promise<void> {
  await (db as Kysely<repo.ReferralTables>)
    .insertInto('referral_identities')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** A visit to the share link itself, keyed by code and IP hash (repeated visits from one address add nothing). */
export async function recordRedirectVisit(
  db: Db,
  code: repo.CodeRow,
  ipHash: string,
  at: Date,
  extra: { channel?: string | null; linkId?: string | null; clickIds?: Record<string, string> } = {},
): Promise<void> {
  await repo.recordClick(db, {
    client_id: code.client_id,
    event_id: `redirect:${code.code}:${ipHash}`,
    code: code.code,
    visitor_id: null,
    ip_hash: ipHash,
    clicked_at: at,
    channel: extra.channel ?? null,
    link_id: extra.linkId ?? null,
    click_ids: extra.clickIds ?? {},
  });
}
