import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { serviceMigrations } from '../../app/migrations.ts';
import { createTemporalClient } from '../../engine/client.ts';
import { createPlatform, type Platform } from '../../services/app.ts';
import { SIGNATURE_HEADER, signBody } from '../../services/event/signature.ts';
import { createSmtpMailer } from '../../services/notification/index.ts';
import { platformOpenApi } from '../../services/openapi.ts';
import type { Principal, Role } from '../../services/platform/auth.ts';
import { createPostgresBus } from '../../services/platform/bus/postgres-bus.ts';
import { type ClickHouse, createClickHouse } from '../../services/platform/clickhouse.ts';
import { type Config, loadConfig } from '../../services/platform/config.ts';
import {
  holds,
  PERMISSION_NAMES,
  PERMISSIONS,
  type Permission,
  ROLES,
} from '../../services/platform/permissions.ts';
import { PORTAL_SECTIONS } from '../../services/platform/portal.ts';
import { operationsOf } from '../support/openapi.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { serviceToken } from '../support/service-token.ts';

/**
 * What every route of the mounted platform needs, read from the routes themselves: the Hono app lists
 * what is mounted, and each public route's description (its `api.ts`, published as the OpenAPI document)
 * names its permission, or a service token, a session, or nothing. `/internal/v1/<service>/…` routes
 * take a service token for that service. Only the operator's routes outside the API (health, docs,
 * metrics, SDK files) are named here; a mounted route that is none of these fails the test.
 */
type Need =
  | Permission
  | `internal:${'campaign' | 'referral' | 'reward' | 'notification'}`
  | 'public'
  | 'session'
  | 'operator';
const INFRASTRUCTURE: Record<string, Need> = {
  'GET /health': 'public',
  'GET /docs/errors': 'public',
  'GET /docs/metrics': 'public',
  'GET /openapi.json': 'public',
  'GET /docs': 'public',
  'GET /docs/assets/init.js': 'public',
  'GET /docs/assets/:file': 'public',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /metrics': 'operator',
  'GET /sdk/:version/:file': 'public',
  // The portal's pages and assets are static files; every piece of data they show comes through the API.
  'GET /': 'public',
  'GET /assets/:file': 'public',
  ...Object.fromEntries(
    PORTAL_SECTIONS.flatMap((s) => [
      [`GET /${s}`, 'public'],
      [`GET /${s}/*`, 'public'],
    ]),
  ),
};
const INTERNAL_AUDIENCE: Record<string, Need> = {
  campaigns: 'internal:campaign',
  referrals: 'internal:referral',
  rewards: 'internal:reward',
  notifications: 'internal:notification',
};

/** Every documented route's need, from the OpenAPI document (x-permission and security). */
function documentedNeeds(): Record<string, Need | undefined> {
  const out: Record<string, Need | undefined> = {};
  for (const { method, path, op } of operationsOf(platformOpenApi())) {
    const route = `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`;
    const security = (op.security as Record<string, unknown>[]).flatMap((s) => Object.keys(s));
    out[route] =
      (op['x-permission'] as Permission | undefined) ??
      (security.includes('serviceToken')
        ? // A documented route taking a service token: the reward service's program registration.
          INTERNAL_AUDIENCE[`${path.split('/')[2]?.split('-')[0]}s`]
        : security.includes('sessionCookie')
          ? 'session'
          : 'public');
  }
  return out;
}

function needOf(route: string, documented: Record<string, Need | undefined>): Need | undefined {
  if (route in documented) return documented[route];
  if (route in INFRASTRUCTURE) return INFRASTRUCTURE[route];
  const m = /^[A-Z]+ \/internal\/v1\/([a-z]+)\//.exec(route);
  return m ? INTERNAL_AUDIENCE[m[1]!] : undefined;
}

/**
 * Who calls: every key kind and role (billing too), a key scoped to each permission, a member session in
 * every role, a session without its CSRF token, a platform admin's key and session, another tenant's
 * owner, a suspended tenant, and service tokens.
 */
interface Caller {
  name: string;
  /** The principal the key resolves to (null: no key). */
  principal: Pick<Principal, 'keyKind' | 'role' | 'clientStatus' | 'scopes' | 'via'> | null;
  /** A signed-in session: mutations need the CSRF token (false: a caller that does not send it). */
  session?: { csrf: boolean };
  headers: (method: string, path: string, body: string) => Record<string, string>;
  /** For service tokens: the audience the token names. */
  audience?: string;
}

/** Mounted routes, one per method and path; `use()` middleware (ALL on a prefix or a routed path) skipped. */
function mountedRoutes(platform: Platform): string[] {
  const routes = platform.app.routes;
  const concrete = new Set(routes.filter((r) => r.method !== 'ALL').map((r) => r.path));
  const out = new Set<string>();
  for (const r of routes) {
    if (r.method === 'ALL' && (r.path.endsWith('*') || concrete.has(r.path))) continue;
    out.add(`${r.method} ${r.path}`);
  }
  return [...out];
}

const fill = (path: string) =>
  path.replace(/:([A-Za-z]+)/g, (_, name: string) => `zz_${name.toLowerCase()}1`);

describe('role matrix: every route × every caller against the declared permissions', () => {
  let t: TestDatabase;
  let temporal: Client;
  let ch: ClickHouse;
  let config: Readonly<Config>;
  let platform: Platform;
  const callers: Caller[] = [];

  before(async () => {
    t = await createTestDatabase(serviceMigrations);
    // 885 requests from one address, most refused: budgets high enough that the rate limiter (tested in
    // services/platform/rate-limit.test.ts) never answers in place of the permission layer.
    config = loadConfig({
      ...process.env,
      DATABASE_URL: t.url,
      PULSE_RATE_AUTH_FAILURES: '100000/100000',
      PULSE_RATE_ANONYMOUS: '100000/100000',
      PULSE_PLATFORM_ADMINS: 'ops@matrix.test',
      PULSE_ENV: 'development',
    });
    temporal = await createTemporalClient(config.temporalAddress);
    ch = createClickHouse(config.clickhouseUrl, config.clickhouseDatabase);
    const bus = createPostgresBus({ db: t.db });
    const mailer = createSmtpMailer({ host: '127.0.0.1', port: 9, from: 'x@pulse.test' });
    platform = createPlatform({ config, db: t.db, ch, bus, mailer, temporal });
    const cm = platform.clientManagement;
    const a = await cm.createClient({ name: 'Tenant A' });
    const b = await cm.createClient({ name: 'Tenant B' });
    const admin = await cm.issueKey(null, 'admin');
    const bearer = (key: string, signingSecret?: string) => (method: string, path: string, body: string) => ({
      authorization: `Bearer ${key}`,
      // Server-side events must be signed: sign them, so that what is tested is the permission.
      ...(signingSecret && method === 'POST' && path.startsWith('/v1/events')
        ? { [SIGNATURE_HEADER]: signBody(signingSecret, body, Math.floor(Date.now() / 1000)) }
        : {}),
    });
    const active = 'active' as const;
    callers.push({ name: 'no key', principal: null, headers: () => ({}) });
    callers.push({
      name: 'publishable',
      principal: { keyKind: 'publishable', role: null, clientStatus: active },
      headers: bearer(a.publishable.key),
    });
    for (const role of ['viewer', 'analyst', 'manager', 'admin', 'owner'] as Role[]) {
      const k = role === 'owner' ? a.secret : await cm.issueKey(a.client.id, 'secret', role);
      callers.push({
        name: `secret ${role}`,
        principal: { keyKind: 'secret', role, clientStatus: active },
        headers: bearer(k.key, k.signing_secret),
      });
    }
    callers.push({
      name: 'platform admin',
      principal: { keyKind: 'admin', role: null, clientStatus: active },
      headers: bearer(admin.key),
    });
    callers.push({
      name: "another client's owner",
      principal: { keyKind: 'secret', role: 'owner', clientStatus: active },
      headers: bearer(b.secret.key, b.secret.signing_secret),
    });
    const c = await cm.createClient({ name: 'Tenant C (suspended)' });
    await cm.setStatus(c.client.id, 'suspended');
    callers.push({
      name: 'owner of a suspended client',
      principal: { keyKind: 'secret', role: 'owner', clientStatus: 'suspended' },
      headers: bearer(c.secret.key, c.secret.signing_secret),
    });
    callers.push({
      name: 'publishable key of a suspended client',
      principal: { keyKind: 'publishable', role: null, clientStatus: 'suspended' },
      headers: bearer(c.publishable.key),
    });
    const billing = await cm.issueKey(a.client.id, 'secret', 'billing');
    callers.push({
      name: 'secret billing',
      principal: { keyKind: 'secret', role: 'billing', clientStatus: active },
      headers: bearer(billing.key, billing.signing_secret),
    });
    // Signed-in people: a member of tenant A in every role, a platform admin, and an admin whose
    // requests lack the CSRF token (reads pass, changes are refused).
    const signIn = async (email: string) => {
      const res = await platform.app.request('/v1/auth/dev-login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      const cookie = /pulse_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
      const { csrf_token } = (await res.json()) as { csrf_token: string };
      return { cookie: `pulse_session=${cookie}`, csrf: csrf_token };
    };
    const sessionHeaders =
      (s: { cookie: string; csrf: string }, withCsrf = true) =>
      () => ({ cookie: s.cookie, ...(withCsrf ? { 'x-csrf-token': s.csrf } : {}) });
    for (const role of ROLES) {
      await cm.addMember(a.client.id, `${role}@matrix.test`, role);
      callers.push({
        name: `session of a ${role}`,
        principal: { keyKind: 'secret', role, clientStatus: active, via: 'session' },
        session: { csrf: true },
        headers: sessionHeaders(await signIn(`${role}@matrix.test`)),
      });
    }
    callers.push({
      name: 'session of an admin, without the CSRF token',
      principal: { keyKind: 'secret', role: 'admin', clientStatus: active, via: 'session' },
      session: { csrf: false },
      headers: sessionHeaders(await signIn('admin@matrix.test'), false),
    });
    callers.push({
      name: 'platform admin session',
      principal: { keyKind: 'admin', role: null, clientStatus: active, via: 'session' },
      session: { csrf: true },
      headers: sessionHeaders(await signIn('ops@matrix.test')),
    });
    // A key scoped to each permission a secret key can hold (an owner key: its role holds them all), so
    // every scope is checked against every route.
    for (const scope of PERMISSION_NAMES.filter((p) => PERMISSIONS[p].kinds.includes('secret' as never))) {
      const k = await cm.issueKey(a.client.id, 'secret', 'owner', null, null, { scopes: [scope] });
      callers.push({
        name: `owner key scoped to ${scope}`,
        principal: { keyKind: 'secret', role: 'owner', clientStatus: active, scopes: [scope] },
        headers: bearer(k.key, k.signing_secret),
      });
    }
    for (const aud of ['campaign', 'referral', 'reward', 'notification']) {
      callers.push({
        name: `service token for ${aud}`,
        principal: null,
        audience: aud,
        headers: () => ({ authorization: `Bearer ${serviceToken(config.internalSigningKey, aud)}` }),
      });
    }
  });
  after(async () => {
    await temporal.connection.close();
    await ch.close();
    await t.drop();
  });

  it('knows what every mounted route needs, and every documented route is mounted', () => {
    const documented = documentedNeeds();
    const mounted = mountedRoutes(platform);
    assert.deepEqual(
      mounted.filter((r) => needOf(r, documented) === undefined),
      [],
      'routes mounted without a description (permission) and outside the infrastructure list',
    );
    assert.deepEqual(
      Object.keys(documented).filter((r) => !mounted.includes(r)),
      [],
      'documented routes that are not mounted',
    );
  });

  it('answers 401/403 exactly where the matrix refuses, and never a 5xx', async () => {
    const wrong: string[] = [];
    let requests = 0;
    const documented = documentedNeeds();
    // Signing out ends the callers' sessions: last.
    const routes = mountedRoutes(platform).sort(
      (x, y) => Number(x === 'POST /v1/auth/logout') - Number(y === 'POST /v1/auth/logout'),
    );
    for (const route of routes) {
      const need = needOf(route, documented);
      if (!need) continue; // reported by the test above
      const [method, template] = route.split(' ') as [string, string];
      const path = fill(template);
      for (const caller of callers) {
        const allowed =
          need === 'public'
            ? true
            : need === 'operator'
              ? false
              : need === 'session'
                ? caller.session !== undefined && (caller.session.csrf || method === 'GET')
                : need.startsWith('internal:')
                  ? caller.audience === need.slice('internal:'.length)
                  : caller.principal !== null &&
                    holds(caller.principal, need as Permission) &&
                    // A session without the CSRF token may read, never change.
                    (caller.session?.csrf !== false || method === 'GET');
        const body = method === 'GET' ? undefined : '{}';
        const res = await platform.app.request(path, {
          method,
          headers: { 'content-type': 'application/json', ...caller.headers(method, path, body ?? '') },
          ...(body === undefined ? {} : { body }),
        });
        requests++;
        // A live stream (server-sent events) never ends: its status and headers are the answer.
        const streaming = res.headers.get('content-type')?.startsWith('text/event-stream');
        const text = streaming ? (await res.body?.cancel(), '') : await res.text();
        // A participant's own data also needs an identity token (identity-tokens.test.ts covers that
        // gate); here only the permission layer's answer counts.
        const identityGate = res.status === 401 && text.includes('"IDENTITY_REQUIRED"');
        // Member-only routes (a member's own report subscription) answer a key that is no member's with
        // NOT_A_MEMBER after the permission passed (weekly-report.test.ts covers that gate).
        const memberGate = res.status === 403 && !caller.session && text.includes('"NOT_A_MEMBER"');
        const refused = (res.status === 401 || res.status === 403) && !identityGate && !memberGate;
        if (allowed === refused || res.status >= 500)
          wrong.push(
            `${route} as ${caller.name}: ${res.status} (${allowed ? 'allowed' : 'refused'} by the matrix) ${text.slice(0, 160)}`,
          );
      }
    }
    console.log(`role matrix: ${requests} requests, ${wrong.length} wrong`);
    assert.deepEqual(wrong, []);
  });
});
