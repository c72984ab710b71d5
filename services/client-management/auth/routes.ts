import { Hono } from 'hono';
import { AppError } from '../../../contract/errors.ts';
import type { DevLoginBody, SwitchClientBody } from '../../../contract/generated/api.generated.ts';
import { checkCsrf } from '../../platform/auth.ts';
import { readBody } from '../../platform/http.ts';
import { api } from '../../platform/openapi.ts';
import {
  type CookiePolicy,
  clearSessionCookie,
  safeReturnTo,
  sessionToken,
  setSessionCookie,
} from './cookies.ts';
import type { Oidc } from './oidc.ts';
import type { Sessions } from './sessions.ts';

export interface AuthRouteDeps {
  sessions: Sessions;
  cookies: CookiePolicy;
  /** `production` refuses the development login. */
  environment: 'development' | 'production';
  /** OIDC sign-in, when OIDC_ISSUER is configured. */
  oidc: Oidc | null;
}

/** Sign-in and sessions: `/v1/auth/*` (the contract the portal signs in with). */
export function createAuthRoutes(deps: AuthRouteDeps) {
  const { sessions, cookies } = deps;
  const live = async (token: string | undefined) => {
    const principal = token ? await sessions.resolve(token) : null;
    if (!token || !principal) throw new AppError('UNAUTHORIZED', 'not signed in (or the session has ended)');
    return { token, principal };
  };
  return new Hono()
    .get('/config', (c) =>
      c.json({
        dev_login: deps.environment !== 'production',
        oidc: deps.oidc ? { enabled: true, issuer: deps.oidc.issuer } : { enabled: false },
      }),
    )
    .post('/dev-login', async (c) => {
      if (deps.environment === 'production')
        throw new AppError(
          'DEV_LOGIN_DISABLED',
          'the development login is off in production: sign in through OIDC',
        );
      const body = await readBody<DevLoginBody>(c, api('devLoginBody'), 'development login');
      const {
        token,
        body: session,
        maxAgeSeconds,
      } = await sessions.start({
        email: body.email,
        clientId: body.client_id ?? null,
        via: 'dev',
      });
      setSessionCookie(c, cookies, token, maxAgeSeconds);
      return c.json(session, 200);
    })
    .get('/session', async (c) => {
      const token = sessionToken(c);
      const body = token ? await sessions.describe(token) : null;
      if (!body) throw new AppError('UNAUTHORIZED', 'not signed in (or the session has ended)');
      return c.json(body);
    })
    .post('/switch-client', async (c) => {
      const { token, principal } = await live(sessionToken(c));
      checkCsrf(c, principal);
      const { client_id } = await readBody<SwitchClientBody>(c, api('switchClientBody'), 'client switch');
      return c.json(await sessions.switchClient(token, client_id));
    })
    .post('/logout', async (c) => {
      const { principal } = await live(sessionToken(c));
      checkCsrf(c, principal);
      if (principal.session) await sessions.revoke(principal.session.id);
      clearSessionCookie(c, cookies);
      return c.body(null, 204);
    })
    .get('/login', async (c) => {
      if (!deps.oidc) throw new AppError('NOT_FOUND', 'OIDC sign-in is not configured (OIDC_ISSUER)');
      const { url, cookie } = await deps.oidc.begin(safeReturnTo(c.req.query('return_to')));
      deps.oidc.setFlowCookie(c, cookie, cookies);
      return c.redirect(url, 302);
    })
    .get('/callback', async (c) => {
      if (!deps.oidc) throw new AppError('NOT_FOUND', 'OIDC sign-in is not configured (OIDC_ISSUER)');
      const identity = await deps.oidc.complete(c);
      deps.oidc.clearFlowCookie(c, cookies);
      const { token, maxAgeSeconds } = await sessions.start({
        email: identity.email,
        name: identity.name,
        via: 'oidc',
        oidc: { issuer: identity.issuer, subject: identity.subject },
      });
      setSessionCookie(c, cookies, token, maxAgeSeconds);
      return c.redirect(identity.returnTo, 302);
    });
}
