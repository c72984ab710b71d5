import type { Bus, Subscription } from '../../contract/bus.ts';
import type { Db } from '../platform/db.ts';
import { clickIdsFrom, queryOf } from './attribution/click-ids.ts';
import { rememberParticipant } from './fraud/index.ts';
import { CHANNELS, isChannel, shareChannel } from './links/codes.ts';
import * as repo from './repo.ts';
import { recordIdentity, recordParticipantIp, trackClick } from './service.ts';

interface TrackedEvent {
  event: string;
  event_id: string;
  client_id: string;
  occurred_at: string;
  /** 'sdk' (a browser, publishable key) or 'server' (the client's back end, signed). */
  source?: string;
  anonymous_id?: string;
  participant_id?: string;
  referral_id?: string;
  campaign_id?: string;
  properties?: { code?: string; channel?: string; referral_code?: string; email_hash?: string } & Record<
    string,
    unknown
  >;
  traits?: {
    email?: unknown;
    email_hash?: unknown;
    phone?: unknown;
    phone_hash?: unknown;
    country?: unknown;
  };
  /** The event service puts the keyed hash of the client IP here (and drops any the client sent). */
  context?: {
    geo?: { ip_hash?: string; country?: string };
    device?: { user_agent?: string };
    marketing?: Record<string, unknown>;
    page?: { url?: string };
    referral?: { code?: string };
  };
}

/**
 * The keyed IP hash of a browser event. A server-side event's address is the client's back end, the
 * same for every participant, so it says nothing about who is who and is left out.
 */
function browserIpHash(e: TrackedEvent): string | null {
  if (e.source === 'server') return null;
  const h = e.context?.geo?.ip_hash;
  return typeof h === 'string' && h.length > 0 && h.length <= 128 ? h : null;
}

async function rememberIp(db: Db, e: TrackedEvent): Promise<void> {
  const ipHash = browserIpHash(e);
  if (!ipHash || !e.participant_id) return;
  await recordParticipantIp(db, e.client_id, {
    participantId: e.participant_id,
    ipHash,
    at: new Date(e.occurred_at),
  });
}

/** An anonymous id seen with a participant id: the identify merge cross-device attribution follows. */
async function rememberIdentity(db: Db, e: TrackedEvent): Promise<void> {
  const anon = e.anonymous_id;
  if (!anon || !e.participant_id || anon.length > 200) return;
  await recordIdentity(db, {
    client_id: e.client_id,
    anonymous_id: anon,
    participant_id: e.participant_id,
    first_seen_at: new Date(e.occurred_at),
  });
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

async function rememberSignup(db: Db, hashSecret: string, e: TrackedEvent): Promise<void> {
  const browser = e.source !== 'server';
  await rememberParticipant(
    db,
    hashSecret,
    e.client_id,
    e.participant_id as string,
    {
      email: text(e.traits?.email),
      emailHash: text(e.traits?.email_hash) ?? text(e.properties?.email_hash),
      phone: text(e.traits?.phone),
      phoneHash: text(e.traits?.phone_hash),
      // A server's user agent and the anonymous id it relays say nothing about the person's browser.
      deviceId: browser ? text(e.anonymous_id) : null,
      userAgent: browser ? text(e.context?.device?.user_agent) : null,
      country: text(e.context?.geo?.country) ?? text(e.traits?.country),
    },
    new Date(e.occurred_at),
  );
}

/** Share and click tracking from the event stream (spec: ES → RefS "track share / click + attribution"). */
export async function startReferralTracking(bus: Bus, db: Db, hashSecret?: string): Promise<Subscription[]> {
  // A click on a referral link reported by a page, and the SDK's landing visit with `?ref=`: both touches.
  const onClick = async (msg: { payload: unknown }) => {
    const e = msg.payload as TrackedEvent;
    const code =
      e.properties?.code ?? e.properties?.referral_code ?? e.context?.referral?.code ?? e.referral_id;
    if (typeof code !== 'string' || !code) return;
    const channel = e.properties?.channel;
    await trackClick(db, e.client_id, {
      eventId: e.event_id,
      code,
      visitorId: e.anonymous_id ?? null,
      participantId: e.participant_id ?? null,
      ipHash: browserIpHash(e),
      at: new Date(e.occurred_at),
      channel: isChannel(channel) ? channel : null,
      clickIds: clickIdsFrom(
        e.properties,
        e.context?.marketing,
        queryOf(e.properties?.landing_page),
        queryOf(e.context?.page?.url),
      ),
    });
    await rememberIdentity(db, e);
  };
  const clicks = await bus.subscribe('referral-clicks', 'event.referral_clicked.#', onClick);
  const visits = await bus.subscribe('referral-visits', 'event.referral_visit.#', onClick);
  // `referral_shared` with `properties.channel` is canonical; `referral_shared_<channel>` means the same.
  const onShare = async (msg: { payload: unknown }) => {
    const e = msg.payload as TrackedEvent;
    if (!e.participant_id) return;
    await repo.recordShare(db, {
      client_id: e.client_id,
      event_id: e.event_id,
      participant_id: e.participant_id,
      channel: shareChannel(e.event, e.properties),
      shared_at: new Date(e.occurred_at),
      campaign_id: e.campaign_id ?? null,
    });
    await rememberIp(db, e);
  };
  const shares = await bus.subscribe('referral-shares', 'event.referral_shared.#', onShare);
  const sharesByName = await Promise.all(
    CHANNELS.filter((c) => SHARE_EVENT_SUFFIXES.has(c)).map((c) =>
      bus.subscribe(`referral-shares-${c}`, `event.referral_shared_${c}.#`, onShare),
    ),
  );
  // Signups tell where each participant (referrer and referee alike) comes from, and which devices are theirs.
  const signups = await bus.subscribe('referral-signup-ips', 'event.user_signed_up.#', async (msg) => {
    const e = msg.payload as TrackedEvent;
    await rememberIp(db, e);
    await rememberIdentity(db, e);
    // Who they are (email, phone, device, user agent, country): the fraud rules compare keyed hashes.
    if (e.participant_id && hashSecret) await rememberSignup(db, hashSecret, e);
  });
  const identities = await Promise.all(
    ['user_identified', 'user_logged_in'].map((name) =>
      bus.subscribe(`referral-identities-${name}`, `event.${name}.#`, (msg) =>
        rememberIdentity(db, msg.payload as TrackedEvent),
      ),
    ),
  );
  return [clicks, visits, shares, ...sharesByName, signups, ...identities];
}

/** The `referral_shared_<channel>` names the event schema has (older SDKs send them). */
const SHARE_EVENT_SUFFIXES: ReadonlySet<string> = new Set([
  'email',
  'sms',
  'x',
  'facebook',
  'linkedin',
  'whatsapp',
  'copy_link',
  'native',
]);
