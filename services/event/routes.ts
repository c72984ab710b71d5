import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError, isAppError } from '../../contract/errors.ts';
import type { EventBatchBody } from '../../contract/generated/api.generated.ts';
import { assertValid, validatorFor } from '../../contract/validation.ts';
import { type Principal, readApiKey } from '../platform/auth.ts';
import type { Cidr } from '../platform/cidr.ts';
import { requestClientIp } from '../platform/client-ip.ts';
import { sdkCors } from '../platform/cors.ts';
import { IDENTITY_HEADER } from '../platform/identity-token.ts';
import { metrics } from '../platform/metrics.ts';
import { api } from '../platform/openapi.ts';
import { correlationIdOf } from '../platform/request-id.ts';
import { countryFromHeaders } from './enrich.ts';
import { BATCH_BODY_BYTES, boundHeader, checkSentAt, SINGLE_BODY_BYTES } from './sanitize.ts';
import {
  authenticateIngest,
  checkRateLimit,
  checkSignature,
  type IngestDeps,
  ingestEvents,
  type RequestInfo,
} from './service.ts';

export const MAX_BATCH_EVENTS = 100;

const batchEnvelope = () => validatorFor<EventBatchBody>(api('eventBatchBody'));

export interface RouteOptions {
  /** Proxies whose X-Forwarded-For is believed (see platform/client-ip.ts); empty: the socket peer. */
  trustedProxies: readonly Cidr[];
  /** Body limit of POST /v1/events/batch (default: 100 events of the size cap); the single route's is smaller. */
  maxBodyBytes?: number;
}

type NodeEnv = { incoming?: { socket?: { remoteAddress?: string } } };

const bodyLimitOf = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE', `request body larger than ${maxSize} bytes`);
    },
  });

/** POST /v1/events (one event) and POST /v1/events/batch (up to 100, per-event results). */
export function createEventRoutes(deps: IngestDeps, opts: RouteOptions) {
  const batchBytes = opts.maxBodyBytes ?? BATCH_BODY_BYTES;
  const singleLimit = bodyLimitOf(Math.min(SINGLE_BODY_BYTES, batchBytes));
  const batchLimit = bodyLimitOf(batchBytes);
  // Browsers post from clients' sites: any origin, no cookies (the key authenticates).
  const corsMw = sdkCors({ methods: ['POST', 'OPTIONS'], maxAge: 86_400 });

  return new Hono<{ Bindings: NodeEnv; Variables: { principal: Principal } }>()
    .use('/v1/events', corsMw, countRefusals)
    .use('/v1/events/*', corsMw, countRefusals)
    .post('/v1/events', singleLimit, async (c) => {
      const { principal, body, source, deprecatedSignature } = await admit(c.req.raw, c.env, deps, false);
      if (deprecatedSignature) deprecate(c);
      c.set('principal', principal); // the access log names the client
      await checkRateLimit(deps, principal.clientId, 1);
      const quota = await admitQuota(c, deps, principal.clientId, 1);
      const [r] = await ingestEvents(
        deps,
        principal,
        [parse(body)],
        {
          ...facts(c.req.raw, c.env, opts, null),
          identity: c.req.header(IDENTITY_HEADER) ?? null,
          correlationId: correlationIdOf(c),
        },
        source,
      );
      await quota?.settle(r?.status === 'accepted' ? 1 : 0);
      if (!r || r.status === 'rejected') {
        if (r?.code === 'PAYLOAD_TOO_LARGE')
          throw new AppError('PAYLOAD_TOO_LARGE', 'event is too large', r.errors ?? []);
        throw new AppError('VALIDATION_FAILED', 'event is invalid', r?.errors ?? []);
      }
      const stripped = r.stripped ? { stripped: r.stripped } : {};
      return c.json(
        r.status === 'duplicate'
          ? { status: 'duplicate', event_id: r.event_id, message: 'already processed', ...stripped }
          : { status: 'accepted', event_id: r.event_id, ...stripped },
        202,
      );
    })
    .post('/v1/events/batch', batchLimit, async (c) => {
      const queryKey = c.req.query('key') ?? null;
      const { principal, body, source, deprecatedSignature } = await admit(
        c.req.raw,
        c.env,
        deps,
        queryKey !== null,
        queryKey,
      );
      if (deprecatedSignature) deprecate(c);
      c.set('principal', principal);
      // The envelope's shape is api.schema.json's; each event is then checked on its own (per-event results).
      const envelope = assertValid<EventBatchBody>(batchEnvelope(), parse(body), 'batch');
      const events = envelope.events;
      const badSentAt = checkSentAt(envelope.sent_at, deps.now());
      if (badSentAt) throw new AppError('VALIDATION_FAILED', 'batch is invalid', [badSentAt]);
      // sendBeacon cannot set headers, so browsers put the identity token in the body.
      const identity = envelope.identity ?? c.req.header(IDENTITY_HEADER) ?? null;
      await checkRateLimit(deps, principal.clientId, events.length);
      const quota = await admitQuota(c, deps, principal.clientId, events.length);
      const sentAt = typeof envelope.sent_at === 'string' ? envelope.sent_at : null;
      const results = await ingestEvents(
        deps,
        principal,
        events,
        { ...facts(c.req.raw, c.env, opts, sentAt), identity, correlationId: correlationIdOf(c) },
        source,
      );
      const count = (s: string) => results.filter((r) => r.status === s).length;
      await quota?.settle(count('accepted'));
      const summary = {
        accepted: count('accepted'),
        duplicates: count('duplicate'),
        rejected: count('rejected'),
        results,
      };
      // Nothing usable in the batch is a client error: each event's problems, under its index.
      if (summary.rejected === results.length) {
        throw new AppError(
          'VALIDATION_FAILED',
          'every event in the batch is invalid',
          results.flatMap((r) =>
            (r.errors?.length ? r.errors : [{ message: r.message ?? r.code ?? 'rejected' }]).map((d) => ({
              ...d,
              path: d.path ? `events.${r.index}.${d.path}` : `events.${r.index}`,
            })),
          ),
        );
      }
      return c.json(summary, 202);
    });
}

/**
 * Counts the request's events against the plan (429 PLAN_LIMIT_EXCEEDED over it) and puts the usage
 * warning header, if any, on the answer; `settle` gives back what was not accepted.
 */
async function admitQuota(c: Context, deps: IngestDeps, clientId: string, events: number) {
  const quota = deps.quota;
  if (!quota) return null;
  const admission = await quota.admit(clientId, events);
  for (const [k, v] of Object.entries(admission.headers)) c.header(k, v);
  return {
    async settle(accepted: number) {
      for (const [k, v] of Object.entries(await quota.settle(clientId, admission, accepted))) c.header(k, v);
    },
  };
}

/** Requests the ingest refused as a whole (401, 403, 413, 429, a bad body…), by error code. */
const countRefusals: MiddlewareHandler = async (c, next) => {
  await next();
  if (c.req.method !== 'OPTIONS' && isAppError(c.error)) metrics.ingestRefused.inc({ reason: c.error.code });
};

async function admit(
  req: Request,
  _env: NodeEnv | undefined,
  deps: IngestDeps,
  fromUrl: boolean,
  queryKey?: string | null,
) {
  const rawKey = fromUrl ? (queryKey ?? null) : readApiKey(req.headers);
  const principal = await authenticateIngest(deps, rawKey, fromUrl);
  const body = await req.text();
  const { source, scheme } = checkSignature(principal, body, req.headers, deps.now());
  return { principal, body, source, deprecatedSignature: scheme === 'x-pulse-signature' };
}

/** Tells a caller still signing with X-Pulse-Signature to move to the Standard Webhooks headers. */
function deprecate(c: Context): void {
  c.header('Deprecation', 'true');
  c.header(
    'Warning',
    '299 pulse "X-Pulse-Signature is deprecated: sign with webhook-id, webhook-timestamp, webhook-signature"',
  );
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new AppError('BAD_REQUEST', 'request body must be valid JSON');
  }
}

function facts(
  req: Request,
  env: NodeEnv | undefined,
  opts: RouteOptions,
  sentAt: string | null,
): RequestInfo {
  return {
    ip: requestClientIp(req, env, opts.trustedProxies),
    userAgent: boundHeader(req.headers.get('user-agent')),
    country: countryFromHeaders((n) => req.headers.get(n)),
    sentAt,
  };
}
