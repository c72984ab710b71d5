import type { TrustLevel } from '../../contract/plan.ts';

export { hashIp } from '../platform/ids.ts';

import type { EventContext, IncomingEvent } from './schema.ts';
import { type ParsedUserAgent, parseUserAgent } from './user-agent.ts';

/** Where an accepted event came from: a browser/mobile SDK (publishable key) or a signed server call. */
export type EventSource = 'sdk' | 'server';

/**
 * How far the platform trusts an accepted event (contract/plan.ts TrustLevel): today the same as its
 * source; `integration` is reserved for verified provider webhooks.
 */
export function trustOf(source: EventSource): TrustLevel {
  return source;
}

/** An event after enrichment: what the outbox stores, ClickHouse receives and the bus carries. */
export interface EnrichedEvent extends IncomingEvent {
  client_id: string;
  occurred_at: string;
  received_at: string;
  /** Kept for compatibility (ClickHouse column, older consumers); `trust` is what journeys check. */
  source: EventSource;
  /** Always set here from how the request authenticated, overwriting anything the body said. */
  trust: TrustLevel;
  context: EventContext;
}

export interface RequestFacts {
  /** Keyed hash of the client IP (the raw IP never leaves the request). */
  ipHash: string | null;
  userAgent: string | null;
  /** The request's user agent, parsed once for all events of the request. */
  parsedUserAgent: ParsedUserAgent;
  /** ISO country from an edge header (CF-IPCountry, X-Country), when present. */
  country: string | null;
  /** Request-level `sent_at` from the SDK batch, to correct a skewed device clock. */
  sentAt: string | null;
}

/** Client timestamps more than this far in the future are replaced by the server time. */
const MAX_FUTURE_MS = 10 * 60_000;
/** Device clocks off by more than this (measured with the batch's sent_at) are corrected. */
const SKEW_CORRECTION_MS = 60_000;
/** A corrected time before this is replaced by the server time (ClickHouse DateTime starts at 1970). */
const MIN_TIME_MS = Date.UTC(2000, 0, 1) - 7 * 24 * 3600_000;

/**
 * Adds server-side facts (mutating and returning `e`): received_at, the keyed IP hash (the raw IP is never stored), parsed user agent,
 * country from the edge, the authenticated client id, and a sane occurred_at.
 */
export function enrichEvent(
  e: IncomingEvent,
  facts: RequestFacts,
  opts: { clientId: string; source: EventSource; now: Date; receivedAt?: string },
): EnrichedEvent {
  const nowMs = opts.now.getTime();
  const received_at = opts.receivedAt ?? opts.now.toISOString();
  let occurred_at = e.occurred_at;
  let occurredMs = occurred_at ? Date.parse(occurred_at) : nowMs;
  const sentMs = facts.sentAt ? Date.parse(facts.sentAt) : Number.NaN;
  if (Number.isFinite(sentMs) && Math.abs(nowMs - sentMs) > SKEW_CORRECTION_MS) {
    occurredMs += nowMs - sentMs;
    occurred_at = undefined;
  }
  // Bounds the corrected time too (ingest refuses client times outside the window: sanitize.ts).
  if (!Number.isFinite(occurredMs) || occurredMs > nowMs + MAX_FUTURE_MS || occurredMs < MIN_TIME_MS) {
    occurredMs = nowMs;
    occurred_at = received_at;
  }
  // Keep the client's string when it is already canonical (saves a Date round trip per event).
  if (occurred_at?.length !== 24 || !occurred_at.endsWith('Z'))
    occurred_at = new Date(occurredMs).toISOString();

  // The event object is the request's own parse result: enriched in place (copying it cost more than
  // all the other enrichment together under load).
  const context: EventContext = e.context ?? {};
  const own = context.device?.user_agent as string | undefined;
  const parsed = own ? parseUserAgent(own.slice(0, 512)) : facts.parsedUserAgent;
  const ua = own ?? facts.userAgent;
  if (ua || context.device) {
    const device: Record<string, unknown> = context.device ?? {};
    if (opts.source === 'server' && parsed.type === 'unknown' && device.type === undefined)
      device.type = 'server';
    if (parsed.browser && device.browser === undefined) device.browser = parsed.browser;
    if (parsed.browser_version && device.browser_version === undefined)
      device.browser_version = parsed.browser_version;
    if (parsed.os && device.os === undefined) device.os = parsed.os;
    if (parsed.os_version && device.os_version === undefined) device.os_version = parsed.os_version;
    if (parsed.type && device.type === undefined) device.type = parsed.type;
    if (ua && device.user_agent === undefined) device.user_agent = ua;
    context.device = device;
  }
  // A client-supplied ip_hash is never trusted: it is replaced (or dropped) here.
  const g = context.geo;
  if (g || facts.ipHash || facts.country) {
    const geo: Record<string, unknown> = {};
    if (g) for (const k in g) if (k !== 'ip_hash') geo[k] = (g as Record<string, unknown>)[k];
    if (facts.ipHash) geo.ip_hash = facts.ipHash;
    if (facts.country) geo.country = facts.country;
    context.geo = geo;
  }
  const out = e as EnrichedEvent;
  out.client_id = opts.clientId;
  out.occurred_at = occurred_at;
  out.received_at = received_at;
  out.source = opts.source;
  out.trust = trustOf(opts.source);
  out.context = context;
  return out;
}

/** Reads the edge country header; ignores unknown/Tor markers (XX, T1). */
export function countryFromHeaders(get: (name: string) => string | undefined | null): string | null {
  const raw = (get('cf-ipcountry') ?? get('x-country') ?? get('x-vercel-ip-country') ?? '')
    .trim()
    .toUpperCase();
  return /^[A-Z]{2}$/.test(raw) && raw !== 'XX' ? raw : null;
}
