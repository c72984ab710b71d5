import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { jwtVerify, SignJWT } from 'jose';
import * as client from 'openid-client';
import { AppError } from '../../../contract/errors.ts';
import type { Db } from '../../platform/db.ts';
import { keyedHash } from '../../platform/ids.ts';
import type { CookiePolicy } from './cookies.ts';
import { safeReturnTo } from './cookies.ts';
import * as repo from './repo.ts';

/** The short-lived cookie that carries one sign-in's state, nonce and PKCE verifier to the callback. */
export const FLOW_COOKIE = 'pulse_oidc_flow';
const FLOW_SECONDS = 600;

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  redirectUri: string;
  /** Signs the flow cookie. */
  hashSecret: string;
  /** Plain-http issuers are accepted only outside production (a provider on loopback). */
  allowHttp: boolean;
}

export interface OidcIdentity {
  issuer: string;
  subject: string;
  email: string;
  name: string | null;
  returnTo: string;
}

/**
 * OpenID Connect sign-in: the authorization code flow with PKCE (S256), state and nonce, through
 * `openid-client` (discovery, the token exchange, ID-token signature against the provider's JWKS, iss,
 * aud, exp and nonce). A person is matched by the linked subject, else by the verified email.
 */
export function createOidc(db: Db, s: OidcSettings) {
  let config: Promise<client.Configuration> | null = null;
  const flowKey = new TextEncoder().encode(keyedHash(s.hashSecret, 'oidc-flow-cookie'));

  function configuration(): Promise<client.Configuration> {
    config ??= client
      .discovery(
        new URL(s.issuer),
        s.clientId,
        { redirect_uris: [s.redirectUri], response_types: ['code'] },
        s.clientSecret ? client.ClientSecretBasic(s.clientSecret) : client.None(),
        s.allowHttp && s.issuer.startsWith('http:') ? { execute: [client.allowInsecureRequests] } : {},
      )
      .catch((err: unknown) => {
        config = null; // the next sign-in tries the discovery again
        throw new AppError(
          'UPSTREAM_UNAVAILABLE',
          `the OIDC provider's discovery failed: ${(err as Error).message}`,
        );
      });
    return config;
  }

  return {
    issuer: s.issuer,
    /** The provider's authorization URL and the signed flow cookie to set. */
    async begin(returnTo: string): Promise<{ url: string; cookie: string }> {
      const cfg = await configuration();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(cfg, {
        redirect_uri: s.redirectUri,
        scope: 'openid email profile',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      const cookie = await new SignJWT({ v: verifier, s: state, n: nonce, r: returnTo })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime(`${FLOW_SECONDS}s`)
        .sign(flowKey);
      return { url: url.href, cookie };
    },
    setFlowCookie(c: Context, value: string, policy: CookiePolicy) {
      setCookie(c, FLOW_COOKIE, value, {
        httpOnly: true,
        sameSite: 'Lax',
        path: '/v1/auth/callback',
        secure: policy.secure,
        maxAge: FLOW_SECONDS,
      });
    },
    clearFlowCookie(c: Context, policy: CookiePolicy) {
      deleteCookie(c, FLOW_COOKIE, { path: '/v1/auth/callback', secure: policy.secure });
    },
    /** Verifies the callback (state, code, PKCE, ID token, nonce) and returns who signed in. */
    async complete(c: Context): Promise<OidcIdentity> {
      const raw = getCookie(c, FLOW_COOKIE);
      if (!raw)
        throw new AppError('OIDC_FAILED', 'no sign-in in progress in this browser (start at /v1/auth/login)');
      let flow: { v: string; s: string; n: string; r: string };
      try {
        flow = (await jwtVerify(raw, flowKey, { algorithms: ['HS256'] })).payload as typeof flow;
      } catch {
        throw new AppError('OIDC_FAILED', 'the sign-in expired or its cookie was altered: sign in again');
      }
      const cfg = await configuration();
      // The callback URL as the provider sent the browser to it, on the registered redirect URI.
      const current = new URL(s.redirectUri);
      current.search = new URL(c.req.url).search;
      let claims:
        | (client.IDToken & { email?: unknown; email_verified?: unknown; name?: unknown })
        | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(cfg, current, {
          pkceCodeVerifier: flow.v,
          expectedState: flow.s,
          expectedNonce: flow.n,
          idTokenExpected: true,
        });
        claims = tokens.claims();
        // Providers that keep profile claims out of the ID token serve them at userinfo, for the same
        // subject (openid-client checks that `sub` matches the verified ID token's).
        if (claims && typeof claims.email !== 'string' && tokens.access_token) {
          const info = await client.fetchUserInfo(cfg, tokens.access_token, claims.sub);
          claims = { ...claims, email: info.email, email_verified: info.email_verified, name: info.name };
        }
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw new AppError('OIDC_FAILED', `the sign-in was not accepted: ${(err as Error).message}`);
      }
      if (!claims) throw new AppError('OIDC_FAILED', 'the provider returned no ID token');
      const linked = await repo.findUserBySubject(db, claims.iss, claims.sub);
      const email = linked?.email ?? (typeof claims.email === 'string' ? claims.email.toLowerCase() : null);
      if (!email) throw new AppError('OIDC_FAILED', 'the ID token carries no email');
      if (!linked && claims.email_verified !== true)
        throw new AppError('OIDC_FAILED', 'the provider has not verified this email');
      const name = typeof claims.name === 'string' ? claims.name.slice(0, 200) : null;
      return { issuer: claims.iss, subject: claims.sub, email, name, returnTo: safeReturnTo(flow.r) };
    },
  };
}

export type Oidc = ReturnType<typeof createOidc>;
