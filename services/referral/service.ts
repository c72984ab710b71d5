import { AppError } from '../../contract/errors.ts';
import type { Db } from '../platform/db.ts';
import { newId, randomToken } from '../platform/ids.ts';
import * as repo from './repo.ts';

export interface Tenant {
  clientId: string;
  campaignId: string;
}

// No 0/O/1/I/L: codes are read aloud and typed by hand.
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

function newCode(): string {
  return Array.from(randomToken(8), (ch) => CODE_ALPHABET[parseInt(ch, 36) % CODE_ALPHABET.length]).join('');
}

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

export interface Attribution {
  attributed: boolean;
  referrer_id: string | null;
  referral_id: string | null;
  reason: string | null;
}

/**
 * Links a new participant to a referrer by code (or by an existing referral id). The first valid
 * attribution wins; self-referral is refused; repeating the call returns the same referral.
 */
export async function attribute(
  db: Db,
  t: Tenant,
  input: { refereeId: string; code?: string | null; referralId?: string | null },
): Promise<Attribution> {
  const prior = await repo.findReferralOfReferee(db, t.clientId, input.refereeId);
  if (prior) return { attributed: true, referrer_id: prior.referrer_id, referral_id: prior.id, reason: null };
  const ref = input.code ?? input.referralId;
  if (!ref) return { attributed: false, referrer_id: null, referral_id: null, reason: 'no_referral' };
  // SDKs carry whatever was in the link: accept a code in either field, case-insensitively.
  const code = await repo.findCode(db, t.clientId, ref.toUpperCase());
  if (!code) return { attributed: false, referrer_id: null, referral_id: null, reason: 'unknown_code' };
  if (code.participant_id === input.refereeId) {
    return {
      attributed: false,
      referrer_id: code.participant_id,
      referral_id: null,
      reason: 'self_referral',
    };
  }
  const inserted = await repo.insertReferral(db, {
    id: newId('ref'),
    client_id: t.clientId,
    campaign_id: t.campaignId,
    code: code.code,
    referrer_id: code.participant_id,
    referee_id: input.refereeId,
  });
  const row = inserted ?? (await repo.findReferralOfReferee(db, t.clientId, input.refereeId));
  if (!row) throw new AppError('INTERNAL', 'referral vanished during attribution');
  return { attributed: true, referrer_id: row.referrer_id, referral_id: row.id, reason: null };
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
  input: { refereeId: string; orderId?: string; orderValue?: number; minOrder?: number; windowDays?: number },
  now = new Date(),
): Promise<ConversionCheck> {
  const referral = await repo.findReferralOfReferee(db, t.clientId, input.refereeId);
  const base = { referrer_id: referral?.referrer_id ?? null, referral_id: referral?.id ?? null };
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
  input: { eventId: string; code: string; visitorId?: string | null; ipHash?: string | null; at: Date },
): Promise<boolean> {
  const code = await repo.findCode(db, clientId, input.code.toUpperCase());
  if (!code) return false;
  return repo.recordClick(db, {
    client_id: clientId,
    event_id: input.eventId,
    code: code.code,
    visitor_id: input.visitorId ?? null,
    ip_hash: input.ipHash ?? null,
    clicked_at: input.at,
  });
}

/** A visit to the share link itself, keyed by code and IP hash (repeated visits from one address add nothing). */
export async function recordRedirectVisit(
  db: Db,
  code: repo.CodeRow,
  ipHash: string,
  at: Date,
): Promise<void> {
  await repo.recordClick(db, {
    client_id: code.client_id,
    event_id: `redirect:${code.code}:${ipHash}`,
    code: code.code,
    visitor_id: null,
    ip_hash: ipHash,
    clicked_at: at,
  });
}
