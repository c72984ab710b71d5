import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Service-to-service tokens: compact JWS, HS256, claims `{iss, aud, iat, exp}`. A token names the one
 * service it is for (`aud`) and lives a minute, so a token seen in one service's logs opens nothing else
 * and not for long. Minimal on purpose: one algorithm, fixed header, no key ids.
 */
export interface ServiceTokenClaims {
  iss: string;
  aud: string;
  iat: number;
  exp: number;
}

export type TokenRefusal = 'malformed' | 'bad-signature' | 'expired' | 'wrong-audience' | 'not-yet-valid';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
/** Clock skew tolerated between services, in seconds. */
const LEEWAY_S = 5;

const mac = (key: string, data: string) => createHmac('sha256', key).update(data).digest();

export function signServiceToken(key: string, claims: ServiceTokenClaims): string {
  const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/** Verifies signature, expiry and audience; returns the claims or why the token is refused. */
export function verifyServiceToken(
  key: string,
  token: string,
  audience: string,
  nowS = Math.floor(Date.now() / 1000),
): { ok: true; claims: ServiceTokenClaims } | { ok: false; reason: TokenRefusal } {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== HEADER) return { ok: false, reason: 'malformed' };
  const [head, payload, sig] = parts as [string, string, string];
  const expected = mac(key, `${head}.${payload}`);
  const got = Buffer.from(sig, 'base64url');
  if (got.length !== expected.length || !timingSafeEqual(got, expected))
    return { ok: false, reason: 'bad-signature' };
  let claims: Partial<ServiceTokenClaims>;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<ServiceTokenClaims>;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || typeof claims.aud !== 'string')
    return { ok: false, reason: 'malformed' };
  if (claims.exp + LEEWAY_S <= nowS) return { ok: false, reason: 'expired' };
  if (claims.iat - LEEWAY_S > nowS) return { ok: false, reason: 'not-yet-valid' };
  if (claims.aud !== audience) return { ok: false, reason: 'wrong-audience' };
  return { ok: true, claims: claims as ServiceTokenClaims };
}

/**
 * Mints tokens for one caller: a token per audience, valid `ttlS`, reused for `reuseS` so a busy worker
 * signs about twice a minute per service rather than once per call.
 */
export function createServiceTokenMinter(opts: {
  key: string;
  issuer: string;
  ttlS?: number;
  reuseS?: number;
  now?: () => number;
}): (audience: string) => string {
  const ttl = opts.ttlS ?? 60;
  const reuse = Math.min(opts.reuseS ?? 30, ttl - 10);
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { token: string; until: number }>();
  return (aud) => {
    const t = Math.floor(now() / 1000);
    const hit = cache.get(aud);
    if (hit && t < hit.until) return hit.token;
    const token = signServiceToken(opts.key, { iss: opts.issuer, aud, iat: t, exp: t + ttl });
    cache.set(aud, { token, until: t + reuse });
    return token;
  };
}
