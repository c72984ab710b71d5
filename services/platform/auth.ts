import type { MiddlewareHandler } from 'hono';
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
}

export interface ApiKeyResolver {
  /** Returns the principal for a raw key, or null when the key is unknown or revoked. */
  resolve(rawKey: string): Promise<Principal | null>;
  /**
   * Signing secrets of the client's live server keys, which sign participant identity tokens
   * (identity-token.ts). Without it no token verifies: publishable keys get only the public view.
   */
  identitySecrets?(clientId: string): Promise<readonly string[]>;
}

export type AuthVariables = { principal: Principal };

export { roleAtLeast };

/** Reads the key from `Authorization: Bearer` or `X-Api-Key`. */
export function readApiKey(headers: { get(name: string): string | null | undefined }): string | null {
  const auth = headers.get('authorization');
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim() || null;
  return headers.get('x-api-key')?.trim() || null;
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
    // Browsers cannot set headers on sendBeacon or on a widget's simple GET, so publishable keys (public
    // by design) may come as `?key=`; a secret key in a URL would land in logs, so it is refused.
    const queryKey = !headerKey && acceptsPublishable ? (c.req.query('key') ?? null) : null;
    const raw = headerKey ?? queryKey;
    if (!raw)
      throw new AppError('UNAUTHORIZED', 'missing API key (Authorization: Bearer <key> or X-Api-Key)');
    const principal = await resolver.resolve(raw);
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
