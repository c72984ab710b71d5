import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { StatusCode } from 'hono/utils/http-status';
import { AppError } from '../../contract/errors.ts';
import { type ApiKeyResolver, identifyCaller } from './auth.ts';
import type { Db } from './db.ts';
import {
  claimKey,
  completeKey,
  type IdempotencyRow,
  releaseKey,
  sweepExpiredKeys,
} from './idempotency-repo.ts';
import type { SecretBox } from './secret-box.ts';

/**
 * `Idempotency-Key` on every mutating request of the public API (POST, PUT, PATCH, DELETE), after
 * Stripe's semantics:
 *
 * - The key (1 to 255 printable ASCII characters) is scoped to the caller's client (a platform admin key:
 *   to that key), so two clients never see each other's keys; publishable keys (POST /v1/events) count
 *   for their client like secret keys.
 * - The first request with a key runs and its response (status, the headers that matter, body) is kept
 *   for 24 hours with a fingerprint of the request (method, path and query, SHA-256 of the body). The
 *   body is kept encrypted with the deployment's SecretBox: answers such as a created API key, a new
 *   webhook endpoint or a rotated signing secret carry a secret shown once, which must not rest in
 *   plaintext in this table for a day. A replay decrypts it, so it is still the same bytes.
 * - The same key with the same request gets the stored response again, with `Idempotent-Replayed: true`;
 *   with a different request, 422 IDEMPOTENCY_KEY_REUSED; while the first is still running, 409
 *   IDEMPOTENCY_IN_PROGRESS (retryable).
 * - 5xx answers (and thrown errors) are not kept, so a retry runs again; nor 401 and 429 (the request
 *   was not carried out). Other 4xx answers are kept: the same request fails the same way.
 * - Requests without a valid key are not remembered (the route refuses them); nor are `/internal` routes.
 *
 * Events: the key is checked before the event's own `event_id` dedup. A replay returns the first
 * answer (e.g. `accepted`); a new key with an event id already seen answers `duplicate` as before.
 */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEY_FORMAT = /^[\x20-\x7e]{1,255}$/;
/** Longer than any request may run (statement timeout 30 s, outbound calls 10 s): its holder is gone. */
const STALE_LOCK_MS = 2 * 60 * 1000;
/** Larger bodies are refused by every route anyway (the event batch, the largest, is ~3.3 MB). */
const MAX_FINGERPRINT_BYTES = 4 * 1024 * 1024;
/** Headers kept with a response; the rest (request ids, rate-limit fields) belong to each request. */
const KEPT_HEADERS = [
  'content-type',
  'location',
  'access-control-allow-origin',
  'access-control-expose-headers',
] as const;

export interface IdempotencyDeps {
  db: Db;
  resolver: ApiKeyResolver;
  /** Encrypts the stored response bodies (see above). */
  box: SecretBox;
  now?: () => Date;
  /** How often expired keys are swept (lazily, by a request). Default 10 minutes. */
  sweepEveryMs?: number;
}

const headerPath = 'headers.Idempotency-Key';

/** Hono middleware; mount it once on the composed app, after the rate limit and before the services. */
export function idempotency(deps: IdempotencyDeps): MiddlewareHandler {
  const now = deps.now ?? (() => new Date());
  const sweepEveryMs = deps.sweepEveryMs ?? 10 * 60 * 1000;
  let lastSweep = 0;

  return async (c, next) => {
    const key = c.req.header(IDEMPOTENCY_KEY_HEADER);
    if (key === undefined || !MUTATING.has(c.req.method)) return next();
    if (c.req.path === '/internal' || c.req.path.startsWith('/internal/')) return next();
    if (!KEY_FORMAT.test(key))
      throw new AppError('VALIDATION_FAILED', 'Idempotency-Key is invalid', [
        { path: headerPath, message: 'invalid key', expected: '1 to 255 printable ASCII characters' },
      ]);
    const { principal } = await identifyCaller(deps.resolver, c, { queryKey: true });
    if (!principal) return next();

    const admin = principal.keyKind === 'admin';
    const scope = admin ? `admin:${principal.keyId}` : principal.clientId;
    const at = now();
    if (at.getTime() - lastSweep >= sweepEveryMs) {
      lastSweep = at.getTime();
      await sweepExpiredKeys(deps.db, at);
    }
    const path = pathOf(c.req.url);
    const fingerprint = await fingerprintOf(c, path);
    const claim = await claimKey(deps.db, {
      scope,
      key,
      clientId: admin ? null : principal.clientId,
      fingerprint,
      method: c.req.method,
      path,
      now: at,
      expiresAt: new Date(at.getTime() + IDEMPOTENCY_TTL_MS),
      staleBefore: new Date(at.getTime() - STALE_LOCK_MS),
    });
    if (!claim.claimed) return answerExisting(c, claim.row, key, fingerprint, deps.box);

    try {
      await next();
    } catch (err) {
      await releaseKey(deps.db, scope, key, at);
      throw err;
    }
    const res = c.res;
    if (!kept(res.status)) {
      await releaseKey(deps.db, scope, key, at);
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const v = res.headers.get(name);
      if (v !== null) headers[name] = v;
    }
    const body = sealBody(deps.box, Buffer.from(await res.clone().arrayBuffer()));
    await completeKey(deps.db, scope, key, at, { status: res.status, headers, body });
  };
}

/**
 * Whether an answer is kept for replay. Not 5xx (a fault: the retry should run), nor 401 and 429 (the
 * request was not carried out: a bad signature or timestamp, a spent budget; a retry after fixing or
 * waiting must run, not replay the refusal). Every other answer, 4xx included, is what the request does.
 */
function kept(status: number): boolean {
  return status < 500 && status !== 401 && status !== 429;
}

/** The stored form of a response body: the SecretBox's `enc:v1:…` of its base64 (any bytes survive). */
function sealBody(box: SecretBox, body: Buffer): Buffer {
  return Buffer.from(box.encrypt(body.toString('base64')), 'utf8');
}

/**
 * The response body again. A row written before bodies were encrypted (at most 24 hours old at the
 * upgrade) holds plain JSON, which never starts with the `enc:v1:` prefix, and is answered as it is.
 */
function openBody(box: SecretBox, stored: Buffer): Buffer {
  const text = stored.toString('utf8');
  return box.isEncrypted(text) ? Buffer.from(box.decrypt(text), 'base64') : stored;
}

function answerExisting(
  c: Context,
  row: IdempotencyRow,
  key: string,
  fingerprint: string,
  box: SecretBox,
): Response {
  if (row.fingerprint !== fingerprint)
    throw new AppError(
      'IDEMPOTENCY_KEY_REUSED',
      `Idempotency-Key "${key}" was already used for a different request (${row.method} ${row.path})`,
      [
        {
          path: headerPath,
          message: 'already used for another request',
          expected: 'a new key for a new request',
        },
      ],
    );
  if (row.state === 'in_progress')
    throw new AppError(
      'IDEMPOTENCY_IN_PROGRESS',
      `a request with Idempotency-Key "${key}" is still being processed; retry shortly`,
      [],
      { 'Retry-After': '1' },
    );
  const status = row.response_status ?? 200;
  const headers = new Headers(row.response_headers ?? {});
  headers.set(REPLAYED_HEADER, 'true');
  const noBody = status === 204 || status === 304 || !row.response_body;
  // c.newResponse keeps the headers set so far (request and correlation ids).
  return c.newResponse(
    noBody ? null : new Uint8Array(openBody(box, row.response_body as Buffer)),
    status as StatusCode,
    Object.fromEntries(headers),
  );
}

/** Path and query, without a publishable key passed as `?key=` (another key of the client is the same request). */
function pathOf(url: string): string {
  const u = new URL(url);
  u.searchParams.delete('key');
  u.searchParams.sort();
  const q = u.searchParams.toString();
  return q ? `${u.pathname}?${q}` : u.pathname;
}

async function fingerprintOf(c: Context, path: string): Promise<string> {
  const hash = createHash('sha256').update(`${c.req.method}\n${path}\n`);
  const stream = c.req.raw.clone().body;
  if (stream) {
    let size = 0;
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_FINGERPRINT_BYTES) {
        await reader.cancel();
        throw new AppError('PAYLOAD_TOO_LARGE', `request body larger than ${MAX_FINGERPRINT_BYTES} bytes`);
      }
      hash.update(value);
    }
  }
  return hash.digest('hex');
}
