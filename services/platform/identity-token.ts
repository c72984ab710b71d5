import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ApiKeyResolver, Principal } from './auth.ts';

/**
 * Participant identity tokens ("identity verification"). A publishable key is public, so anyone who
 * knows a participant id could ask for that participant's data; the client's server therefore signs a
 * short-lived token saying "this browser is participant X of client C until T":
 *
 *   v1.<base64url(JSON {pid, exp, cid?})>.<base64url(HMAC-SHA256(secret, "v1.<payload>"))>
 *
 * The secret is the signing secret (whsec_…) of any live server key of the client (a secret key not tied
 * to a member) — the one its server already holds to sign server events — so there is no second secret to
 * distribute, and revoking the key revokes every token it signed. Browsers send the token as `X-Pulse-Identity` (or the `identity` field
 * of an event batch); every service checks it with this one module.
 */
export const IDENTITY_HEADER = 'x-pulse-identity';
/** Longest lifetime a token may have (from now): a leaked token is worth at most a day. */
export const IDENTITY_MAX_LIFETIME_SECONDS = 24 * 3600;
/** Tolerated clock difference between the client's server and ours. */
export const IDENTITY_CLOCK_SKEW_SECONDS = 60;
/** Longest token accepted before any work is done on it. */
export const IDENTITY_MAX_TOKEN_CHARS = 1024;

const SHAPE = /^v1\.([A-Za-z0-9_-]{1,900})\.([A-Za-z0-9_-]{43})$/;

export interface IdentityClaims {
  participantId: string;
  /** Unix seconds. */
  expiresAt: number;
  clientId?: string;
}

export type IdentityCheck =
  | { ok: true; participantId: string; expiresAt: number }
  | { ok: false; reason: string };

const mac = (secret: string, signed: string) => createHmac('sha256', secret).update(signed).digest();

/** Signs a token (the Node SDK's `createIdentityToken` computes the same). */
export function signIdentityToken(secret: string, c: IdentityClaims): string {
  const json = JSON.stringify({
    pid: c.participantId,
    exp: c.expiresAt,
    ...(c.clientId ? { cid: c.clientId } : {}),
  });
  const signed = `v1.${Buffer.from(json).toString('base64url')}`;
  return `${signed}.${mac(secret, signed).toString('base64url')}`;
}

/**
 * Checks a token against the client's secrets: shape and size first, then the MAC (timing-safe, before
 * the payload is parsed), then the client, the expiry and the lifetime bound. Never throws.
 */
export function verifyIdentityToken(
  token: unknown,
  o: { secrets: readonly string[]; clientId: string; nowSeconds: number },
): IdentityCheck {
  if (typeof token !== 'string' || token.length > IDENTITY_MAX_TOKEN_CHARS)
    return { ok: false, reason: 'malformed identity token' };
  const m = SHAPE.exec(token);
  if (!m?.[1] || !m[2]) return { ok: false, reason: 'malformed identity token' };
  const given = Buffer.from(m[2], 'base64url');
  const signed = `v1.${m[1]}`;
  let match = false;
  for (const secret of o.secrets) {
    const expected = mac(secret, signed);
    if (given.length === expected.length && timingSafeEqual(given, expected)) match = true;
  }
  if (!match) return { ok: false, reason: 'identity token signature does not match' };
  let claims: { pid?: unknown; exp?: unknown; cid?: unknown };
  try {
    claims = JSON.parse(Buffer.from(m[1], 'base64url').toString('utf8')) ?? {};
  } catch {
    return { ok: false, reason: 'malformed identity token' };
  }
  const { pid, exp, cid } = claims;
  if (typeof pid !== 'string' || pid.length === 0 || pid.length > 200 || !Number.isSafeInteger(exp))
    return { ok: false, reason: 'malformed identity token' };
  if (cid !== undefined && cid !== o.clientId)
    return { ok: false, reason: 'identity token of another client' };
  const expiresAt = exp as number;
  if (o.nowSeconds > expiresAt + IDENTITY_CLOCK_SKEW_SECONDS)
    return { ok: false, reason: 'identity token expired' };
  if (expiresAt - o.nowSeconds > IDENTITY_MAX_LIFETIME_SECONDS + IDENTITY_CLOCK_SKEW_SECONDS)
    return { ok: false, reason: 'identity token lives longer than 24 h' };
  return { ok: true, participantId: pid, expiresAt };
}

/** How far a caller may see one participant's data. */
export type ParticipantAccess = { full: true } | { full: false; reason: string };

/**
 * Secret keys (the client's server) see everything; a publishable key sees a participant's private data
 * only with a valid token for exactly that participant. A token for X never unlocks Y.
 */
export async function participantAccess(
  resolver: ApiKeyResolver,
  principal: Principal,
  token: string | null | undefined,
  participantId: string,
  now: Date,
): Promise<ParticipantAccess> {
  if (principal.keyKind !== 'publishable') return { full: true };
  const check = await verifyIdentity(resolver, principal, token, now);
  if (!check.ok) return { full: false, reason: check.reason };
  if (check.participantId !== participantId)
    return { full: false, reason: 'identity token is for another participant' };
  return { full: true };
}

/** Verifies a token sent with a publishable key against its client's secrets. */
export async function verifyIdentity(
  resolver: ApiKeyResolver,
  principal: Principal,
  token: string | null | undefined,
  now: Date,
): Promise<IdentityCheck> {
  if (!token) return { ok: false, reason: 'no identity token' };
  // Shape first, so a junk header costs no lookup.
  if (token.length > IDENTITY_MAX_TOKEN_CHARS || !SHAPE.test(token))
    return { ok: false, reason: 'malformed identity token' };
  const secrets = (await resolver.identitySecrets?.(principal.clientId)) ?? [];
  return verifyIdentityToken(token, {
    secrets,
    clientId: principal.clientId,
    nowSeconds: Math.floor(now.getTime() / 1000),
  });
}
