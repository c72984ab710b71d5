import type { Logger } from 'pino';
import { AppError, type ErrorDetail, isAppError } from '../../contract/errors.ts';
import { BUILT_IN_EVENTS, checkDeclaredProperties, isCustomEventName } from '../../contract/event-types.ts';
import { closest } from '../../dsl/suggest.ts';
import type { ApiKeyResolver, Principal } from '../platform/auth.ts';
import { verifyIdentity } from '../platform/identity-token.ts';
import { logger } from '../platform/log.ts';
import { metrics } from '../platform/metrics.ts';
import { refusal } from '../platform/permissions.ts';
import { verifyWebhook, WEBHOOK_SIGNATURE_HEADER } from '../platform/webhooks.ts';
import { carriesContactTraits, guardContactTraits } from './contact-guard.ts';
import { type EnrichedEvent, type EventSource, enrichEvent, hashIp, type RequestFacts } from './enrich.ts';
import type { ClientEventTypes, EventTypeRegistry } from './event-types.ts';
import type { OutboxWriter } from './outbox-writer.ts';
import type { RateLimiter } from './rate-limit.ts';
import { sanitizeEvent } from './sanitize.ts';
import type { EventCheck } from './schema.ts';
import { SIGNATURE_HEADER, verifySignature } from './signature.ts';
import { parseUserAgent } from './user-agent.ts';

/** What the HTTP layer knows about the request (the IP is hashed before anything else sees it). */
export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
  country: string | null;
  sentAt: string | null;
  /** Participant identity token (`X-Pulse-Identity` or the batch's `identity` field), if any. */
  identity?: string | null;
  /** The request's correlation id: stored with each event, it follows the event to its journey. */
  correlationId?: string | null;
}

/** Event ids with this prefix come only from signed server calls (see sdk/node `stableEventId`). */
export const SERVER_EVENT_ID_PREFIX = 'srv_';

export interface IngestDeps {
  resolver: ApiKeyResolver;
  rateLimiter: RateLimiter;
  writer: OutboxWriter;
  validate: (value: unknown) => EventCheck;
  /** The client's declared custom event types; without it every custom_… type is unknown. */
  eventTypes?: EventTypeRegistry;
  hashSecret: string;
  now: () => Date;
  /** Called after events were made durable (e.g. to nudge the drainer). */
  onAccepted?: (count: number) => void;
  /** One line per request that stored events (ids only, never payloads). */
  log?: Logger;
  /** The plan's monthly events limit (client-management's usage meter): admit before, settle after. */
  quota?: IngestQuota;
}

/** Counts events against the client's plan; `admit` throws PLAN_LIMIT_EXCEEDED over a hard limit. */
export interface IngestQuota {
  admit(clientId: string, events: number): Promise<QuotaAdmission>;
  /** Gives back what was not accepted; answers headers for the response (a usage warning). */
  settle(clientId: string, admission: QuotaAdmission, accepted: number): Promise<Record<string, string>>;
}
export interface QuotaAdmission {
  reserved: number;
  month: string;
  headers: Record<string, string>;
}

export type EventOutcome = 'accepted' | 'duplicate' | 'rejected';

export interface EventResult {
  index: number;
  event_id: string | null;
  status: EventOutcome;
  /** Why a rejected event was refused: its content (VALIDATION_FAILED) or its size (PAYLOAD_TOO_LARGE). */
  code?: 'VALIDATION_FAILED' | 'PAYLOAD_TOO_LARGE';
  message?: string;
  errors?: ErrorDetail[];
  /** Contact traits dropped because a publishable key sent them without a valid identity token. */
  stripped?: string[];
}

/**
 * Steps 1–2 of the pipeline: the key (401 when missing or unknown), its kind, and the client's status
 * (403 when not active). A key passed in the URL (sendBeacon cannot set headers) must be publishable: a
 * secret key in a URL would end up in access logs.
 */
export async function authenticateIngest(
  deps: Pick<IngestDeps, 'resolver'>,
  rawKey: string | null,
  fromUrl: boolean,
): Promise<Principal> {
  if (!rawKey)
    throw new AppError('UNAUTHORIZED', 'missing API key (Authorization: Bearer <key>, X-Api-Key or ?key=)');
  const principal = await deps.resolver.resolve(rawKey);
  if (!principal) throw new AppError('UNAUTHORIZED', 'unknown or revoked API key');
  if (fromUrl && principal.keyKind !== 'publishable')
    throw new AppError('FORBIDDEN', 'only publishable keys may be passed as ?key=');
  const refused = refusal(principal, 'event.send');
  if (refused) throw new AppError(refused.code, refused.message);
  return principal;
}

/** How a server-side event was signed: Standard Webhooks, or the deprecated `X-Pulse-Signature`. */
export type SignatureScheme = 'standard-webhooks' | 'x-pulse-signature' | null;

/**
 * Secret keys send server-side events, which must carry a valid signature of the raw body with the key's
 * signing secret: Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`,
 * platform/webhooks.ts), or for one deprecation period the older `X-Pulse-Signature: t=…,v1=…`. Both
 * refuse a timestamp more than 5 minutes away, so a captured request cannot be replayed later; within
 * the window a replay carries the same event ids and is answered `duplicate`.
 */
export function checkSignature(
  principal: Principal,
  body: string,
  headers: { get(name: string): string | null },
  now: Date,
): { source: EventSource; scheme: SignatureScheme } {
  if (principal.keyKind !== 'secret') return { source: 'sdk', scheme: null };
  if (!principal.signingSecret) throw new AppError('BAD_SIGNATURE', 'this key has no signing secret');
  const seconds = Math.floor(now.getTime() / 1000);
  const legacy = headers.get(SIGNATURE_HEADER);
  if (headers.get(WEBHOOK_SIGNATURE_HEADER) !== null || legacy === null) {
    const check = verifyWebhook([principal.signingSecret], headers, body, seconds);
    if (!check.ok) throw new AppError('BAD_SIGNATURE', check.reason);
    return { source: 'server', scheme: 'standard-webhooks' };
  }
  const check = verifySignature(principal.signingSecret, body, legacy, seconds);
  if (!check.ok) throw new AppError('BAD_SIGNATURE', check.reason);
  return { source: 'server', scheme: 'x-pulse-signature' };
}

/** Step 3: one token per event from the client's bucket; 429 with Retry-After (seconds) when empty. */
export async function checkRateLimit(
  deps: Pick<IngestDeps, 'rateLimiter'>,
  clientId: string,
  cost: number,
): Promise<void> {
  const d = await deps.rateLimiter.take(clientId, cost);
  if (!d.allowed) {
    const seconds = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
    throw new AppError('RATE_LIMITED', `rate limit exceeded; retry in ${seconds}s`, [], {
      'Retry-After': String(seconds),
    });
  }
}

/**
 * Steps 4–7 for a list of events: schema (per event), tenant check, enrichment, then the durable accept
 * in the outbox, whose unique key is the dedup. Answers per event; nothing is acknowledged before commit.
 */
export async function ingestEvents(
  deps: IngestDeps,
  principal: Principal,
  raw: unknown[],
  request: RequestInfo,
  source: EventSource,
): Promise<EventResult[]> {
  const facts: RequestFacts = {
    ipHash: request.ip ? hashIp(deps.hashSecret, request.ip) : null,
    userAgent: request.userAgent,
    parsedUserAgent: parseUserAgent(request.userAgent),
    country: request.country,
    sentAt: request.sentAt,
  };
  const now = deps.now();
  const receivedAt = now.toISOString();
  const results: EventResult[] = [];
  const toWrite: { index: number; event: EnrichedEvent; stripped: string[] }[] = [];
  // Browser events may change contact details only for the participant their identity token names
  // (checked only when some event carries them).
  const verified =
    principal.keyKind === 'publishable' && request.identity && raw.some(carriesContactTraits)
      ? await verifyIdentity(deps.resolver, principal, request.identity, now)
      : null;
  const identified = verified?.ok ? verified.participantId : null;
  const reject = (r: EventResult) => {
    results[r.index] = r;
    metrics.ingestEvents.inc({ outcome: 'rejected', reason: r.code ?? 'VALIDATION_FAILED' });
  };
  // Declarations are read (cached) only when some event is not built in.
  const types = raw.some((v) => !BUILT_IN_EVENTS.has(nameOf(v) ?? ''))
    ? await declaredTypes(deps, principal.clientId)
    : NO_TYPES;
  raw.forEach((value, index) => {
    const eventId = idOf(value);
    // The storage policy first (bounded walk: depth, size, text a sink cannot hold), then the schema.
    const safe = sanitizeEvent(value, now);
    if (!safe.ok) {
      const code = safe.tooLarge ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED';
      reject({ index, event_id: eventId, status: 'rejected', code, errors: safe.details });
      return;
    }
    const check = deps.validate(value);
    const problems = check.ok
      ? declaredProblems(check.event, types)
      : withSuggestion(check.details, value, types);
    if (!check.ok || problems.length > 0) {
      reject({
        index,
        event_id: eventId,
        status: 'rejected',
        code: 'VALIDATION_FAILED',
        errors: problems,
      });
      return;
    }
    // Ids a signed server derives from its own data (the Node SDK's `srv_<hash of order id>`) are
    // guessable; were a browser free to send one first, the real signed event would be dropped as a
    // duplicate. So the prefix is reserved for signed events.
    if (source === 'sdk' && check.event.event_id.startsWith(SERVER_EVENT_ID_PREFIX)) {
      reject({
        index,
        event_id: eventId,
        status: 'rejected',
        code: 'VALIDATION_FAILED',
        errors: [
          {
            path: 'event_id',
            message: `ids starting with ${SERVER_EVENT_ID_PREFIX} are reserved for signed server events`,
            expected: `an id without the ${SERVER_EVENT_ID_PREFIX} prefix`,
          },
        ],
      });
      return;
    }
    if (check.event.client_id !== undefined && check.event.client_id !== principal.clientId) {
      reject({
        index,
        event_id: eventId,
        status: 'rejected',
        code: 'VALIDATION_FAILED',
        errors: [
          { path: 'client_id', message: 'does not match the API key', expected: 'the key’s client id' },
        ],
      });
      return;
    }
    const guarded = guardContactTraits(
      check.event,
      principal.keyKind !== 'publishable' ||
        (identified !== null && check.event.participant_id === identified),
    );
    const event = enrichEvent(guarded.event, facts, {
      clientId: principal.clientId,
      source,
      now,
      receivedAt,
    });
    toWrite.push({ index, event, stripped: guarded.stripped });
  });
  if (toWrite.length > 0) {
    let inserted: boolean[];
    try {
      inserted = await deps.writer.write(
        toWrite.map((w) => w.event),
        request.correlationId ?? null,
      );
    } catch (err) {
      // The writer names requests the store refused (AppError); anything else is an outage. Not durable,
      // so not accepted: the SDKs retry on 503 with the same event ids. The cause (which may be database
      // text) goes to the log, never into the response.
      if (isAppError(err)) throw err;
      (deps.log ?? logger).error(
        { err, client_id: principal.clientId, correlation_id: request.correlationId ?? null },
        'event store write failed',
      );
      throw new AppError('UPSTREAM_UNAVAILABLE', 'event store unavailable; retry with the same event ids');
    }
    let fresh = 0;
    toWrite.forEach((w, i) => {
      const isNew = inserted[i] === true;
      if (isNew) fresh++;
      const stripped = w.stripped.length ? { stripped: w.stripped } : {};
      results[w.index] = isNew
        ? { index: w.index, event_id: w.event.event_id, status: 'accepted', ...stripped }
        : {
            index: w.index,
            event_id: w.event.event_id,
            status: 'duplicate',
            message: 'already processed',
            ...stripped,
          };
    });
    if (fresh > 0) deps.onAccepted?.(fresh);
    metrics.ingestEvents.inc({ outcome: 'accepted', reason: 'none' }, fresh);
    if (toWrite.length > fresh)
      metrics.ingestEvents.inc({ outcome: 'duplicate', reason: 'none' }, toWrite.length - fresh);
    deps.log?.info(
      {
        client_id: principal.clientId,
        correlation_id: request.correlationId ?? null,
        accepted: fresh,
        duplicates: toWrite.length - fresh,
        // Ids, never payloads; a batch names its first 20 (the rest are in the same request).
        events: toWrite.slice(0, 20).map((w) => ({ event_id: w.event.event_id, event: w.event.event })),
      },
      'events accepted',
    );
  }
  return results;
}

const NO_TYPES: ClientEventTypes = { names: [], get: () => undefined };

async function declaredTypes(deps: IngestDeps, clientId: string): Promise<ClientEventTypes> {
  if (!deps.eventTypes) return NO_TYPES;
  try {
    return await deps.eventTypes.forClient(clientId);
  } catch (err) {
    console.error('event type read failed', err);
    throw new AppError('UPSTREAM_UNAVAILABLE', 'event types unavailable; retry with the same event ids');
  }
}

/** A custom event's type must be declared (and not archived); its properties must pass the schema. */
function declaredProblems(
  event: { event: string; properties?: unknown },
  types: ClientEventTypes,
): ErrorDetail[] {
  if (!isCustomEventName(event.event)) return [];
  const type = types.get(event.event);
  if (type === undefined) return [unknownType(event.event, types, 'is not declared')];
  if (type === 'archived')
    return [
      { path: 'event', message: `event type ${event.event} is archived`, expected: 'a declared event type' },
    ];
  return checkDeclaredProperties(type, event.properties);
}

/** The schema's "unknown event type" with a "did you mean" over built-in and declared names. */
function withSuggestion(details: ErrorDetail[], value: unknown, types: ClientEventTypes): ErrorDetail[] {
  const name = nameOf(value);
  if (name === null) return details;
  return details.map((d) =>
    d.path === 'event' && d.message === 'unknown event type'
      ? unknownType(name, types, 'is not an event type')
      : d,
  );
}

function unknownType(name: string, types: ClientEventTypes, what: string): ErrorDetail {
  const hint = closest(name, [...types.names, ...BUILT_IN_EVENTS]);
  return {
    path: 'event',
    message: `${JSON.stringify(name.slice(0, 64))} ${what}${hint ? `; did you mean "${hint}"?` : ''}`,
    expected: 'a built-in event, or a custom_… event type the client declared',
  };
}

function nameOf(value: unknown): string | null {
  const name = (value as { event?: unknown } | null)?.event;
  return typeof name === 'string' ? name : null;
}

function idOf(value: unknown): string | null {
  const id = (value as { event_id?: unknown } | null)?.event_id;
  return typeof id === 'string' ? id.slice(0, 64) : null;
}
