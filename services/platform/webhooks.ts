import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks (standardwebhooks.com) for every signed call Pulse makes or receives: notification
 * webhooks, the reward fulfilment endpoint and signed server-side events.
 *
 * - `webhook-id`: the message id, the same on every retry of one message (receivers dedup on it);
 * - `webhook-timestamp`: unix seconds of this attempt;
 * - `webhook-signature`: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per secret,
 *   space-separated, so a receiver that knows either secret verifies during a rotation.
 *
 * Secrets are `whsec_<base64 key>`; the HMAC key is the decoded bytes. A secret not of that form (one a
 * client chose before the scheme) is used as its UTF-8 bytes, which receivers verify with their library's
 * raw-key option. Written on node:crypto, and tested against the `standardwebhooks` package's verifier.
 */
export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** A timestamp further than this from now is refused, so a captured message cannot be replayed later. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A new secret in the standard form: `whsec_` + base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(24).toString('base64')}`;
}

/** Whether a secret is in the standard form (`whsec_` + canonical base64 of at least 16 bytes). */
export function isStandardSecret(secret: string): boolean {
  const b64 = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : null;
  return b64 !== null && BASE64.test(b64) && Buffer.from(b64, 'base64').length >= 16;
}

/** The HMAC key of a secret (see the module comment). */
export function webhookKey(secret: string): Buffer {
  return isStandardSecret(secret)
    ? Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64')
    : Buffer.from(secret, 'utf8');
}

function mac(secret: string, id: string, timestamp: number, body: string): string {
  return createHmac('sha256', webhookKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
}

export interface SignedMessage {
  /** The message id: stable across retries of one message. */
  id: string;
  /** Unix seconds of this attempt. */
  timestamp: number;
  body: string;
  /** The current secret first, then any other still valid during a rotation. */
  secrets: readonly string[];
}

/** The three headers of a signed message. */
export function webhookHeaders(m: SignedMessage): Record<string, string> {
  return {
    [WEBHOOK_ID_HEADER]: m.id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(m.timestamp),
    [WEBHOOK_SIGNATURE_HEADER]: m.secrets.map((s) => `v1,${mac(s, m.id, m.timestamp, m.body)}`).join(' '),
  };
}

export type WebhookCheck = { ok: true; id: string; timestamp: number } | { ok: false; reason: string };

type HeaderBag = { get(name: string): string | null | undefined };

/**
 * Verifies a message against any of `secrets`: all three headers present, the timestamp within the
 * tolerance, and one `v1,` signature matching (others are ignored, as the scheme asks).
 */
export function verifyWebhook(
  secrets: readonly string[],
  headers: HeaderBag,
  body: string,
  nowSeconds: number,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): WebhookCheck {
  const id = headers.get(WEBHOOK_ID_HEADER);
  const ts = headers.get(WEBHOOK_TIMESTAMP_HEADER);
  const sig = headers.get(WEBHOOK_SIGNATURE_HEADER);
  if (!id || !ts || !sig)
    return { ok: false, reason: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  if (id.length > 256) return { ok: false, reason: 'webhook-id longer than 256 characters' };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'malformed webhook-timestamp' };
  const timestamp = Number(ts);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds)
    return { ok: false, reason: `webhook-timestamp outside the ${toleranceSeconds}-second tolerance` };
  const given = sig
    .split(' ')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  if (given.length === 0) return { ok: false, reason: 'no v1 signature in webhook-signature' };
  for (const secret of secrets) {
    const expected = Buffer.from(mac(secret, id, timestamp, body), 'base64');
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected)))
      return { ok: true, id, timestamp };
  }
  return { ok: false, reason: 'webhook-signature does not match the body' };
}
