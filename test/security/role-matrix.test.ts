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
import { holds, type Permission } from '../../services/platform/permissions.ts';
import { operationsOf } from '../support/openapi.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { serviceToken } from '../support/service-token.ts';

/**
 * What every route of the mounted platform needs. A route that is mounted but missing here fails the
 * test, so a new route cannot ship without a declared permission. `internal:<service>` routes take a
 * service token for that service; `public` routes take nothing (health, share links); `operator` routes
 * take no API key at all (/metrics: PULSE_METRICS_TOKEN, or a loopback caller), so every caller here is refused.
 */
type Need =
  | Permission
  | `internal:${'campaign' | 'referral' | 'reward' | 'notification'}`
  | 'public'
  | 'operator';
const ROUTES: Record<string, Need> = {
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
  'GET /r/:clientId/:code': 'public',
  'GET /r/:clientId/l/:linkId': 'public',
  'GET /r/:clientId/l/:linkId/qr.png': 'public',
  'GET /r/:clientId/l/:linkId/qr.svg': 'public',
  'GET /sdk/:version/:file': 'public',
  'GET /v1/sdk/snippet': 'event.send',
  'POST /v1/admin/clients': 'client.admin',
  'GET /v1/admin/clients': 'client.admin',
  'PATCH /v1/admin/clients/:id': 'client.admin',
  'POST /v1/admin/clients/:id/api-keys': 'client.admin',
  'GET /v1/admin/clients/:id/api-keys': 'client.admin',
  'DELETE /v1/admin/clients/:id/api-keys/:keyId': 'client.admin',
  'GET /v1/client': 'client.read',
  'GET /v1/members': 'member.read',
  'POST /v1/members': 'member.invite',
  'GET /v1/api-keys': 'key.read',
  'POST /v1/api-keys': 'key.create',
  'DELETE /v1/api-keys/:id': 'key.revoke',
  'POST /v1/campaigns/deploy': 'campaign.deploy',
  'GET /v1/campaigns': 'campaign.read',
  'GET /v1/campaigns/:id': 'campaign.read',
  'GET /v1/campaigns/:id/versions/:version': 'campaign.read',
  'POST /v1/campaigns/:id/status': 'campaign.status',
  'GET /internal/v1/campaigns/:clientId/:campaignId': 'internal:campaign',
  'GET /v1/journeys': 'journey.read',
  'GET /v1/journeys/:campaignId/:journeyKey': 'journey.read',
  'GET /v1/journeys/:campaignId/:journeyKey/approvals': 'journey.read',
  'POST /v1/journeys/:campaignId/:journeyKey/approvals': 'approval.decide',
  'POST /v1/events': 'event.send',
  'POST /v1/events/batch': 'event.send',
  'GET /v1/referrals/codes/:code': 'referral.check',
  'GET /v1/referrals/participants/:id': 'referral.read',
  'POST /v1/referrals/participants/:id/vanity-code': 'referral.vanity',
  'POST /v1/referrals/participants/:id/codes': 'referral.manage',
  'GET /v1/referrals/participants/:id/codes': 'referral.read',
  'POST /v1/referrals/codes/:code/deactivate': 'referral.manage',
  'POST /v1/referrals/participants/:id/links': 'referral.manage',
  'GET /v1/referrals/funnel': 'referral.read',
  'GET /v1/participants/:id/referrals': 'referral.read',
  'GET /v1/participants/:id/chain': 'referral.read',
  'GET /v1/campaigns/:campaign/leaderboards/:board': 'leaderboard.read',
  'GET /v1/campaigns/:campaign/leaderboards/:board/participants/:id': 'leaderboard.read',
  'POST /v1/campaigns/:campaign/leaderboards/:board/rebuild': 'leaderboard.manage',
  'GET /v1/public/leaderboards/:clientId/:campaign/:board': 'public',
  'POST /internal/v1/referrals/assets': 'internal:referral',
  'POST /internal/v1/referrals/attribute': 'internal:referral',
  'POST /internal/v1/referrals/validate-conversion': 'internal:referral',
  'POST /internal/v1/referrals/fraud-check': 'internal:referral',
  'POST /internal/v1/rewards/eligibility': 'internal:reward',
  'POST /internal/v1/rewards/allocate': 'internal:reward',
  'POST /internal/v1/rewards/:rewardId/fulfil': 'internal:reward',
  'POST /internal/v1/rewards/:rewardId/revoke': 'internal:reward',
  'POST /internal/v1/rewards/milestones/check': 'internal:reward',
  'POST /internal/v1/rewards/leaderboards/calculate': 'internal:reward',
  'POST /internal/v1/rewards/expire': 'internal:reward',
  'POST /internal/v1/rewards/fulfilment/run': 'internal:reward',
  'PUT /v1/reward-programs/:campaignId': 'internal:reward',
  'PUT /v1/reward-programs/:campaignId/status': 'internal:reward',
  'GET /v1/reward-participants/:participantId/rewards': 'participant.rewards',
  'GET /v1/reward-participants/:participantId/balance': 'participant.rewards',
  'POST /v1/rewards/:rewardId/claim': 'participant.rewards',
  'GET /v1/reward-leaderboards/:campaignId/:board': 'participant.rewards',
  'GET /v1/rewards': 'reward.read',
  'GET /v1/rewards/:rewardId': 'reward.read',
  'POST /v1/rewards/:rewardId/redeem': 'reward.redeem',
  'POST /v1/rewards/:rewardId/retry': 'reward.redeem',
  'GET /v1/reward-approvals': 'reward.approve',
  'POST /v1/reward-approvals/:rewardId/approve': 'reward.approve',
  'POST /v1/reward-approvals/:rewardId/reject': 'reward.approve',
  'GET /v1/reward-coupons/:code': 'reward.read',
  'POST /v1/reward-coupons/:code/redeem': 'reward.redeem',
  'GET /v1/reward-budgets/:campaignId': 'reward.read',
  'PUT /v1/reward-fulfilment-endpoint': 'reward.configure',
  'GET /v1/analytics/funnel': 'analytics.read',
  'GET /v1/analytics/campaigns/:id/hourly': 'analytics.read',
  'GET /v1/analytics/leaderboard': 'analytics.read',
  'GET /v1/analytics/reports/funnel': 'analytics.read',
  'GET /v1/analytics/reports/k-factor': 'analytics.read',
  'GET /v1/analytics/reports/cost': 'analytics.read',
  'GET /v1/analytics/reports/ltv': 'analytics.read',
  'GET /v1/analytics/reports/cohorts': 'analytics.read',
  'GET /v1/analytics/reports/rewards': 'analytics.read',
  'GET /v1/analytics/reports/segments': 'analytics.read',
  'GET /v1/analytics/reports/referrers': 'analytics.read',
  'GET /v1/analytics/campaigns/:id/timeseries': 'analytics.read',
  'POST /v1/analytics/reports': 'analytics.read',
  'GET /v1/analytics/campaigns/:id/live': 'analytics.read',
  'GET /v1/analytics/campaigns/:id/report.pdf': 'analytics.export',
  'PUT /v1/notifications/templates/:name': 'notification.manage',
  'GET /v1/notifications/templates': 'notification.read',
  'GET /v1/notifications/templates/:name': 'notification.read',
  'POST /v1/notifications/webhook-endpoints': 'notification.manage',
  'GET /v1/notifications': 'notification.read',
  'GET /v1/notifications/participants/:id': 'notification.read',
  'GET /v1/event-types': 'event_type.read',
  'GET /v1/event-types/:name': 'event_type.read',
  'PUT /v1/event-types/:name': 'event_type.manage',
  'DELETE /v1/event-types/:name': 'event_type.manage',
  'POST /internal/v1/notifications/render': 'internal:notification',
  'POST /internal/v1/notifications/send': 'internal:notification',
  'POST /internal/v1/notifications/webhooks': 'internal:notification',
};

/** Who calls: every key kind and role, another tenant's owner, a suspended tenant, and service tokens. */
interface Caller {
  name: string;
  /** The principal the key resolves to (null: no key). */
  principal: Pick<Principal, 'keyKind' | 'role' | 'clientStatus'> | null;
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

  it('declares every mounted route, and nothing that is not mounted', () => {
    const mounted = mountedRoutes(platform);
    const undeclared = mounted.filter((r) => !(r in ROUTES));
    assert.deepEqual(undeclared, [], 'routes mounted without a declared permission');
    const stale = Object.keys(ROUTES).filter((r) => !mounted.includes(r));
    assert.deepEqual(stale, [], 'declared routes that are not mounted');
  });

  it('the OpenAPI document names the same permission (or service token, or none) as this matrix', () => {
    const differ: string[] = [];
    for (const { method, path, op } of operationsOf(platformOpenApi())) {
      const route = `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`;
      const security = (op.security as Record<string, unknown>[]).flatMap((s) => Object.keys(s));
      const documented =
        (op['x-permission'] as string | undefined) ??
        (security.includes('serviceToken') ? 'internal:reward' : security.length === 0 ? 'public' : '?');
      if (ROUTES[route] !== documented) differ.push(`${route}: spec ${documented}, matrix ${ROUTES[route]}`);
    }
    assert.deepEqual(differ, []);
  });

  it('answers 401/403 exactly where the matrix refuses, and never a 5xx', async () => {
    const wrong: string[] = [];
    let requests = 0;
    for (const route of mountedRoutes(platform)) {
      const need = ROUTES[route];
      if (!need) continue; // reported by the test above
      const [method, template] = route.split(' ') as [string, string];
      const path = fill(template);
      for (const caller of callers) {
        const allowed =
          need === 'public'
            ? true
            : need === 'operator'
              ? false
              : need.startsWith('internal:')
                ? caller.audience === need.slice('internal:'.length)
                : caller.principal !== null && holds(caller.principal, need as Permission);
        const body = method === 'GET' ? undefined : '{}';
        const res = await platform.app.request(path, {
          method,
          headers: { 'content-type': 'application/json', ...caller.headers(method, path, body ?? '') },
          ...(body === undefined ? {} : { body }),
        });
        requests++;
        // A server-sent-events stream never ends: its first event stands for the answer.
        const text = res.headers.get('content-type')?.startsWith('text/event-stream')
          ? await (async () => {
              const reader = (res.body as ReadableStream<Uint8Array>).getReader();
              const first = new TextDecoder().decode((await reader.read()).value);
              await reader.cancel();
              return first;
            })()
          : await res.text();
        // A participant's own data also needs an identity token (identity-tokens.test.ts covers that
        // gate); here only the permission layer's answer counts.
        const identityGate = res.status === 401 && text.includes('"IDENTITY_REQUIRED"');
        const refused = (res.status === 401 || res.status === 403) && !identityGate;
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
