import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Pulse server SDK: signed server-side events (purchases, subscriptions…) from a client's backend.
 * Options and payloads are snake_case, like the HTTP API. Each request is signed with Standard Webhooks
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`),
 * sent with an `Idempotency-Key`, retried with exponential backoff on network errors, 5xx and 429
 * (honouring Retry-After), and carries event ids fixed before the first attempt, so a retry can never
 * count twice.
 */
export interface PulseServerOptions {
  endpoint: string;
  /** Secret key (sk_…). */
  secret_key: string;
  /** The key's signing secret (whsec_…), shown once when the key was issued. */
  signing_secret: string;
  /** Your client id (cli_…): when given, identity tokens are bound to it. */
  client_id?: string;
  /** Attempts after the first. Default 5. */
  max_retries?: number;
  base_delay_ms?: number;
  max_delay_ms?: number;
  timeout_ms?: number;
}

export interface ServerEvent {
  event: string;
  participant_id: string;
  /** Fixed id; otherwise derived from `idempotency_key`, otherwise random (still stable across retries). */
  event_id?: string;
  /** A business key (order id, invoice id…) the event id is derived from: resending the same key is a no-op. */
  idempotency_key?: string;
  occurred_at?: string | Date;
  campaign_id?: string;
  referral_id?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

export type EventStatus = 'accepted' | 'duplicate';

export class PulseError extends Error {
  override readonly name = 'PulseError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown[] = [],
  ) {
    super(message);
  }
}

const VERSION = '0.1.0';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Event id for a business key: the same key and event always give the same id. */
export function stableEventId(event: string, key: string): string {
  return `srv_${createHash('sha256').update(`${event}\u0000${key}`).digest('hex').slice(0, 40)}`;
}

/**
 * The Standard Webhooks headers signing `body` as message `id` at `timestamp` (unix seconds) with a
 * signing secret: what the client sends on every request, and what Pulse checks.
 */
export function signRequest(
  secret: string,
  id: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const mac = createHmac('sha256', webhookKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${mac}` };
}

/** Why a webhook from Pulse was refused by `verifyWebhook`. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

/** Headers as Node's `req.headers`, a Fetch `Headers`, or a plain object. */
export type WebhookHeaders =
  | { get(name: string): string | null | undefined }
  | Record<string, string | string[] | undefined>;

const headerOf = (h: WebhookHeaders, name: string): string | undefined => {
  if (typeof (h as { get?: unknown }).get === 'function')
    return (h as { get(n: string): string | null | undefined }).get(name) ?? undefined;
  for (const [k, v] of Object.entries(h as Record<string, string | string[] | undefined>))
    if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
  return undefined;
};

/** The HMAC key of a `whsec_<base64>` secret; any other string is used as its raw UTF-8 bytes. */
function webhookKey(secret: string): Buffer {
  const b64 = secret.startsWith('whsec_') ? secret.slice(6) : '';
  const canonical = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64);
  const key = canonical ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
  return key.length >= 16 ? key : Buffer.from(secret, 'utf8');
}

/**
 * Verifies a webhook Pulse sent you (notification webhooks, reward fulfilment) under the Standard Webhooks
 * scheme: `webhook-id`, `webhook-timestamp` (within `tolerance_seconds`, default 300) and a `v1,` signature
 * in `webhook-signature` matching HMAC-SHA256 of `<id>.<timestamp>.<body>`. Pass the raw body as received
 * (before any JSON parsing) and the endpoint secret (`whsec_…`), or several during a rotation. Returns the
 * parsed payload and the message id (dedup on it: retries of one message share it); throws
 * `WebhookVerificationError` otherwise.
 */
export function verifyWebhook(
  secret: string | readonly string[],
  headers: WebhookHeaders,
  body: string | Buffer,
  opts: { tolerance_seconds?: number; now?: Date } = {},
): { id: string; timestamp: number; payload: unknown } {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const id = headerOf(headers, 'webhook-id');
  const ts = headerOf(headers, 'webhook-timestamp');
  const sig = headerOf(headers, 'webhook-signature');
  if (!id || !ts || !sig)
    throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
  if (!/^\d{1,12}$/.test(ts)) throw new WebhookVerificationError('malformed webhook-timestamp');
  const timestamp = Number(ts);
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const tolerance = opts.tolerance_seconds ?? 300;
  if (Math.abs(now - timestamp) > tolerance)
    throw new WebhookVerificationError(`webhook-timestamp outside the ${tolerance}-second tolerance`);
  const given = sig
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  const secrets = typeof secret === 'string' ? [secret] : secret;
  for (const s of secrets) {
    const expected = createHmac('sha256', webhookKey(s)).update(`${id}.${timestamp}.${text}`).digest();
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected)))
      return { id, timestamp, payload: text === '' ? null : JSON.parse(text) };
  }
  throw new WebhookVerificationError('no webhook-signature matches the body');
}

/** Longest identity token lifetime the server accepts. */
export const IDENTITY_MAX_TTL_SECONDS = 86_400;

/**
 * A participant identity token for the browser SDK (`Pulse.identify(id, traits, { token })`): with it a
 * publishable key may read that participant's rewards and balance, claim, and change their email/phone.
 * `v1.<base64url(JSON {pid, exp, cid?})>.<base64url(HMAC-SHA256(signingSecret, "v1.<payload>"))>`.
 */
export function createIdentityToken(
  signing_secret: string,
  participant_id: string,
  opts: { ttl_seconds?: number; client_id?: string; now?: Date } = {},
): string {
  const ttl = opts.ttl_seconds ?? 3600;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > IDENTITY_MAX_TTL_SECONDS)
    throw new RangeError(`ttl_seconds must be an integer from 1 to ${IDENTITY_MAX_TTL_SECONDS}`);
  if (typeof participant_id !== 'string' || participant_id.length === 0 || participant_id.length > 200)
    throw new RangeError('participant_id must be a string of 1 to 200 characters');
  const exp = Math.floor((opts.now ?? new Date()).getTime() / 1000) + ttl;
  const json = JSON.stringify({
    pid: participant_id,
    exp,
    ...(opts.client_id ? { cid: opts.client_id } : {}),
  });
  const signed = `v1.${Buffer.from(json).toString('base64url')}`;
  return `${signed}.${createHmac('sha256', signing_secret).update(signed).digest('base64url')}`;
}

/** Options of 0.1 (camelCase) and their snake_case names, to refuse them with a pointer, never ignore them. */
const RENAMED: Record<string, string> = {
  secretKey: 'secret_key',
  signingSecret: 'signing_secret',
  clientId: 'client_id',
  maxRetries: 'max_retries',
  baseDelayMs: 'base_delay_ms',
  maxDelayMs: 'max_delay_ms',
  timeoutMs: 'timeout_ms',
};

export function createPulseServerClient(o: PulseServerOptions) {
  for (const [old, now] of Object.entries(RENAMED))
    if (old in o) throw new TypeError(`createPulseServerClient: option ${old} is now ${now} (snake_case)`);
  for (const name of ['endpoint', 'secret_key', 'signing_secret'] as const)
    if (typeof o[name] !== 'string' || o[name] === '')
      throw new TypeError(`createPulseServerClient: ${name} is required`);
  const base = o.endpoint.replace(/\/$/, '');
  const maxRetries = o.max_retries ?? 5;
  const baseDelay = o.base_delay_ms ?? 500;
  const maxDelay = o.max_delay_ms ?? 30_000;

  function normalise(e: ServerEvent): Record<string, unknown> {
    const { idempotency_key, occurred_at, ...rest } = e;
    return {
      ...rest,
      event_id: e.event_id ?? (idempotency_key ? stableEventId(e.event, idempotency_key) : randomUUID()),
      occurred_at: (occurred_at instanceof Date
        ? occurred_at
        : new Date(occurred_at ?? Date.now())
      ).toISOString(),
      context: { sdk: { name: 'pulse-node', version: VERSION }, ...(e.context ?? {}) },
    };
  }

  async function send(path: string, payload: unknown): Promise<unknown> {
    const body = JSON.stringify(payload);
    // One message, one id: every retry carries it (webhook-id and Idempotency-Key alike).
    const messageId = `msg_${randomUUID()}`;
    for (let attempt = 0; ; attempt++) {
      let wait = Math.min(maxDelay, baseDelay * 2 ** attempt) * (0.5 + Math.random() / 2);
      try {
        const res = await fetch(base + path, {
          method: 'POST',
          body,
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${o.secret_key}`,
            'idempotency-key': messageId,
            // Signed per attempt: the timestamp must be within the server's 5-minute tolerance.
            ...signRequest(o.signing_secret, messageId, body),
            'user-agent': `pulse-node/${VERSION}`,
          },
          signal: AbortSignal.timeout(o.timeout_ms ?? 10_000),
        });
        const json = (await res.json().catch(() => ({}))) as {
          error?: { code?: string; message?: string; details?: unknown[] };
        };
        if (res.ok) return json;
        if (res.status !== 429 && res.status < 500) {
          throw new PulseError(
            res.status,
            json.error?.code ?? 'HTTP_ERROR',
            json.error?.message ?? res.statusText,
            json.error?.details,
          );
        }
        const retryAfter = Number(res.headers.get('retry-after'));
        if (retryAfter > 0) wait = Math.min(maxDelay, retryAfter * 1000);
        if (attempt >= maxRetries)
          throw new PulseError(res.status, json.error?.code ?? 'HTTP_ERROR', 'gave up after retries');
      } catch (err) {
        if (err instanceof PulseError) throw err;
        if (attempt >= maxRetries)
          throw new PulseError(0, 'NETWORK', `gave up after retries: ${(err as Error).message}`);
      }
      await sleep(wait);
    }
  }

  const client = {
    /** An identity token for this participant, signed with this key's signing secret (default 1 h). */
    createIdentityToken(participant_id: string, opts: { ttl_seconds?: number } = {}): string {
      return createIdentityToken(o.signing_secret, participant_id, {
        ...opts,
        ...(o.client_id ? { client_id: o.client_id } : {}),
      });
    },
    /** Sends one event; resolves with "accepted" or "duplicate" (already processed). */
    async track(e: ServerEvent): Promise<{ status: EventStatus; event_id: string }> {
      return (await send('/v1/events', normalise(e))) as { status: EventStatus; event_id: string };
    },
    /** Up to 100 events in one request, with a result per event. */
    async trackBatch(events: ServerEvent[]) {
      return (await send('/v1/events/batch', {
        events: events.map(normalise),
        sent_at: new Date().toISOString(),
      })) as {
        accepted: number;
        duplicates: number;
        rejected: number;
        results: { index: number; event_id: string; status: string; errors?: unknown[] }[];
      };
    },
    /** purchase_completed keyed by order id (sending the same order twice is counted once). */
    purchaseCompleted(p: {
      participant_id: string;
      order_id: string;
      amount: number;
      currency: string;
      campaign_id?: string;
      properties?: Record<string, unknown>;
    }) {
      return client.track({
        event: 'purchase_completed',
        participant_id: p.participant_id,
        idempotency_key: p.order_id,
        ...(p.campaign_id ? { campaign_id: p.campaign_id } : {}),
        properties: { ...p.properties, order_id: p.order_id, amount: p.amount, currency: p.currency },
      });
    },
    /** subscription_* events keyed by subscription id + event + period, e.g. the renewal date. */
    subscription(
      kind: 'started' | 'upgraded' | 'downgraded' | 'ending_soon' | 'renewed' | 'cancelled',
      p: {
        participant_id: string;
        subscription_id: string;
        plan: string;
        period: string;
        properties?: Record<string, unknown>;
      },
    ) {
      return client.track({
        event: `subscription_${kind}`,
        participant_id: p.participant_id,
        idempotency_key: `${p.subscription_id}:${p.period}`,
        properties: { ...p.properties, subscription_id: p.subscription_id, plan: p.plan },
      });
    },
  };
  return client;
}

export type PulseServerClient = ReturnType<typeof createPulseServerClient>;
