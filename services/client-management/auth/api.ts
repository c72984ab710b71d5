import { api, describe } from '../../platform/openapi.ts';

const RETURN_TO = {
  name: 'return_to',
  description: 'Where to go after signing in: a same-origin relative path (default `/`).',
  schema: { type: 'string', maxLength: 2000 },
};

/** The OpenAPI description of the sign-in and session routes (auth/routes.ts). */
export const authApi = [
  describe({
    method: 'get',
    path: '/v1/auth/config',
    operationId: 'authConfig',
    summary: 'How to sign in here',
    tags: ['auth'],
    auth: 'none',
    responses: { 200: api('authConfig') },
  }),
  describe({
    method: 'get',
    path: '/v1/auth/login',
    operationId: 'authLogin',
    summary: 'Start the OIDC sign-in',
    description:
      'Redirects to the OIDC provider (authorization code flow with PKCE S256, state and nonce). 404 when no provider is configured.',
    tags: ['auth'],
    auth: 'none',
    query: [RETURN_TO],
    responses: {
      302: {
        description: 'To the provider’s authorization endpoint',
        headers: { Location: 'The provider’s URL.' },
      },
    },
    errors: [404, 503],
  }),
  describe({
    method: 'get',
    path: '/v1/auth/callback',
    operationId: 'authCallback',
    summary: 'Finish the OIDC sign-in',
    description:
      'The provider’s redirect: checks state and PKCE, exchanges the code, verifies the ID token (JWKS, issuer, audience, nonce), matches the person to their memberships by subject or verified email, sets `pulse_session` and redirects to `return_to`.',
    tags: ['auth'],
    auth: 'none',
    query: [
      { name: 'code', description: 'The authorization code.', schema: { type: 'string' } },
      {
        name: 'state',
        description: 'The state sent with the authorization request.',
        schema: { type: 'string' },
      },
    ],
    responses: {
      302: {
        description: 'Signed in: to `return_to`',
        headers: { Location: 'The `return_to` path.', 'Set-Cookie': 'The `pulse_session` cookie.' },
      },
    },
    errors: [401, 403, 404, 503],
  }),
  describe({
    method: 'post',
    path: '/v1/auth/dev-login',
    operationId: 'devLogin',
    summary: 'Development sign-in (no identity provider)',
    description:
      'Signs in as a member by email and sets `pulse_session`. Refused with 403 DEV_LOGIN_DISABLED where PULSE_ENV=production; an email of PULSE_PLATFORM_ADMINS gets a platform-admin session.',
    tags: ['auth'],
    auth: 'none',
    body: api('devLoginBody'),
    errors: [403],
    responses: {
      200: {
        description: 'Signed in',
        schema: api('authSession'),
        headers: { 'Set-Cookie': 'The `pulse_session` cookie (HttpOnly, SameSite=Lax).' },
      },
    },
  }),
  describe({
    method: 'get',
    path: '/v1/auth/session',
    operationId: 'getSession',
    summary: 'The signed-in session',
    description: 'Who is signed in, the client they act in, their role and permissions, and the CSRF token.',
    tags: ['auth'],
    auth: 'session',
    responses: { 200: api('authSession') },
  }),
  describe({
    method: 'post',
    path: '/v1/auth/switch-client',
    operationId: 'switchClient',
    summary: 'Act in another of one’s clients',
    tags: ['auth'],
    auth: 'session',
    body: api('switchClientBody'),
    responses: { 200: api('authSession') },
    errors: [403],
  }),
  describe({
    method: 'post',
    path: '/v1/auth/logout',
    operationId: 'logout',
    summary: 'Sign out',
    description: 'Ends the session (server-side) and clears the cookie.',
    tags: ['auth'],
    auth: 'session',
    responses: { 204: { description: 'Signed out' } },
    errors: [403],
  }),
];
