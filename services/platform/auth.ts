import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { AppError } from '../../contract/errors.ts';
import {
  type KeyKind,
  PERMISSIONS,
  type Permission,
  type Role,
  refusal,
  roleAtLeast,
} from './permissions.ts';

/**
 * Who is calling. Publishable keys (`pk_…`) are embedded in websites and may only send events and read
 * a participant's own data; secret keys (`sk_…`) act for the client's server with a role; platform
 * admins act across clients.
 */
export type { Role };

export interface Principal {
  clientId: string;
  clientStatus: 'active' | 'suspended' | 'inactive';
  keyKind: KeyKind;
  keyId: string;
  role: Role | null;
  /** Secret used to verify HMAC-signed server-side events (secret keys only). */
  signingSecret?: string;
  /** The member acting (member sessions, and keys issued to a member). */
  memberId?: string;
  /** How the caller authenticated: an API key, or the `pulse_session` cookie of a signed-in person. */
  via?: 'key' | 'session';
  /** A scoped key's permissions (a subset of its role's); absent: everything its role holds. */
  scopes?: readonly Permission[];
  /** Session callers: the session, its CSRF token and the signed-in user. */
  session?: { id: string; csrfToken: string; userId: string };
}

/** The session cookie set by sign-in (HttpOnly, SameSite=Lax, Path=/). */
export const SESSION_COOKIE = 'pulse_session';
/** The header a cookie-authenticated mutation carries, equal to the session's csrf_token. */
export const CSRF_HEADER = 'x-csrf-token';

export interface ApiKeyResolver {
  /** Returns the principal for a raw key, or null when the key is unknown or revoked. */
  resolve(rawKey: string): Promise<Principal | null>;
  /**
   * Signing secrets of the client's live server keys, which sign participant identity tokens
   * (identity-token.ts). Without it no token verifies: publishable keys get only the public view.
   */
  identitySecrets?(clientId: string): Promise<readonly string[]>;
  /** Returns the principal of a live session token (the cookie's value), or null. */
  resolveSession?(token: string): Promise<Principal | null>;
}

export type AuthVariables = { principal: Principal };

export { roleAtLeast };

/** Reads the key from `Authorization: Bearer` or `X-Api-Key`. */
export function readApiKey(headers: { get(name: string): string | null | undefined }): string | null {
  const auth = headers.get('authorization');
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim() || null;
  return headers.get('x-api-key')?.trim() || null;
}

/**
 * The caller of a request, as far as a key or a session cookie tells (no permission checked): the rate
 * limiter, the idempotency layer and `authenticate` all start here. An API key wins over a cookie.
 */
export async function identifyCaller(
  resolver: ApiKeyResolver,
  c: Context,
  opts: { queryKey?: boolean } = {},
): Promise<Caller> {
  const seen = identified.get(c.req.raw);
  if (seen) return seen;
  const found = await identify(resolver, c, opts.queryKey ?? false);
  identified.set(c.req.raw, found);
  return found;
}

type Caller = { raw: string | null; principal: Principal | null; via: 'key' | 'session' | null };
/** One resolution per request, shared by the rate limiter, the idempotency layer and the route's gate. */
const identified = new WeakMap<Request, Caller>();

async function identify(resolver: ApiKeyResolver, c: Context, queryKey: boolean): Promise<Caller> {
  const raw = readApiKey(c.req.raw.headers) ?? (queryKey ? (c.req.query('key') ?? null) : null);
  if (raw) {
    const principal = await resolver.resolve(raw);
    return { raw, principal: principal && { ...principal, via: 'key' }, via: 'key' };
  }
  const token = resolver.resolveSession ? getCookie(c, SESSION_COOKIE) : undefined;
  if (token && resolver.resolveSession)
    return { raw: null, principal: await resolver.resolveSession(token), via: 'session' };
  return { raw: null, principal: null, via: null };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** 403 CSRF_FAILED unless a cookie-authenticated mutation carries the session's CSRF token. */
export function checkCsrf(c: Context, principal: Principal): void {
  if (principal.via !== 'session' || !principal.session || SAFE_METHODS.has(c.req.method)) return;
  const sent = Buffer.from(c.req.header(CSRF_HEADER) ?? '');
  const expected = Buffer.from(principal.session.csrfToken);
  if (sent.length !== expected.length || !timingSafeEqual(sent, expected))
    throw new AppError(
      'CSRF_FAILED',
      `a signed-in request that changes something needs the ${CSRF_HEADER} header of the session`,
    );
}

export interface AuthOptions {
  /** What the route does, as named in the permission matrix (permissions.ts). */
  permission: Permission;
}

/**
 * Hono middleware: 401 for a missing/unknown key, 403 when the key does not hold the route's permission
 * (wrong kind, role below the matrix's, or an inactive client).
 */
export function authenticate(
  resolver: ApiKeyResolver,
  opts: AuthOptions,
): MiddlewareHandler<{ Variables: AuthVariables }> {
  const acceptsPublishable = (PERMISSIONS[opts.permission].kinds as readonly string[]).includes(
    'publishable',
  );
  return async (c, next) => {
    const headerKey = readApiKey(c.req.raw.headers);
    if (!headerKey && !c.req.query('key') && resolver.resolveSession && getCookie(c, SESSION_COOKIE)) {
      const { principal } = await identifyCaller(resolver, c);
      if (!principal)
        throw new AppError('UNAUTHORIZED', 'the session has ended or was revoked: sign in again');
      checkCsrf(c, principal);
      const refused = refusal(principal, opts.permission);
      if (refused) throw new AppError(refused.code, refused.message);
      c.set('principal', principal);
      return next();
    }
    // Browsers cannot set headers on sendBeacon or on a widget's simple GET, so publishable keys (public
    // by design) may come as `?key=`; a secret key in a URL would land in logs, so it is refused.
    const queryKey = !headerKey && acceptsPublishable ? (c.req.query('key') ?? null) : null;
    const raw = headerKey ?? queryKey;
    if (!raw)
      throw new AppError(
        'UNAUTHORIZED',
        'missing API key (Authorization: Bearer <key> or X-Api-Key) or session',
      );
    const resolved = await resolver.resolve(raw);
    const principal = resolved ? { ...resolved, via: 'key' as const } : null;
    if (!principal) throw new AppError('UNAUTHORIZED', 'unknown or revoked API key');
    if (queryKey && principal.keyKind !== 'publishable') {
      throw new AppError('UNAUTHORIZED', 'only publishable keys may be passed in the URL');
    }
    const refused = refusal(principal, opts.permission);
    if (refused) throw new AppError(refused.code, refused.message);
    c.set('principal', principal);
    await next();
  };
}
