import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import { serviceMigrations } from '../../app/migrations.ts';
import { createTemporalClient } from '../../engine/client.ts';
import { createPlatform, type Platform } from '../../services/app.ts';
import { createSmtpMailer } from '../../services/notification/index.ts';
import { createPostgresBus } from '../../services/platform/bus/postgres-bus.ts';
import { migrateClickHouse } from '../../services/platform/clickhouse-migrate.ts';
import { loadConfig } from '../../services/platform/config.ts';
import { createTestClickHouse, emptyEventRow, type TestClickHouse } from '../support/clickhouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { serviceToken } from '../support/service-token.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp.ts';

/**
 * One platform, two tenants. Client A (owner secret key and publishable key) calls every route the
 * platform serves with B's ids in every path parameter, query and body field, then with hostile values.
 * No answer may carry B's data, and none may be a 5xx.
 */

const SERVICES = fileURLToPath(new URL('../../services/', import.meta.url));
const SIGNUP = readFileSync(new URL('../../campaigns/signup.pulse.yaml', import.meta.url), 'utf8');
const INTERNAL = 'cross-tenant-internal-token';

/** The service an internal path belongs to: `/internal/v1/referrals/...` → `referral`. */
function audienceOf(path: string): string {
  if (path.startsWith('/v1/reward-programs')) return 'reward';
  const plural = path.split('/')[3] ?? '';
  return plural.replace(/s$/, '');
}

interface Tenant {
  clientId: string;
  secret: string;
  publishable: string;
  campaignId: string;
  participant: string;
  code: string;
  rewardId: string;
  email: string;
  memberId: string;
  keyId: string;
  notificationId: string;
  endpointId: string;
  endpointSecret: string;
  deliveryId: string;
  deadLetterId: string;
}

const HOSTILE = [
  "' OR 1=1 --",
  '%00',
  'a\u0000b',
  'x'.repeat(10_240),
  '-1',
  '-99999999999999999999',
  '99999999999999999999',
  '1e308',
  'NaN',
  '2026-02-30',
  '9999-99-99T99:99',
  '../../../etc/passwd',
  '<script>alert(1)</script>',
  '{"$gt":""}',
  '😀\u202e',
  ' ',
];
const QUERY_KEYS = [
  'limit',
  'offset',
  'cursor',
  'from',
  'to',
  'hours',
  'state',
  'period',
  'participant_id',
  'campaign_id',
  'status',
  'journey_id',
  'starting_after',
];

/** Body fields any route reads; the fuzz sets all of them to the hostile value at once. */
const BODY_KEYS = [
  'client_id',
  'campaign_id',
  'participant_id',
  'referee_id',
  'referrer_id',
  'referral_id',
  'code',
  'landing_url',
  'order_id',
  'ip_hash',
  'reward',
  'reward_id',
  'milestone',
  'leaderboard',
  'period',
  'idempotency_key',
  'status',
  'role',
  'kind',
  'name',
  'email',
  'subject',
  'text',
  'html',
  'locale',
  'template',
  'channel',
  'to',
  'topic',
  'url',
  'secret',
  'source',
  'file',
  'reason',
  'event',
  'event_id',
  'occurred_at',
  'anonymous_id',
];

describe('cross-tenant attack: client A against client B, every route', () => {
  let t: TestDatabase;
  let chdb: TestClickHouse;
  let smtp: TestSmtpServer;
  let temporal: Client;
  let mailer: ReturnType<typeof createSmtpMailer>;
  let platform: Platform;
  let A: Tenant;
  let B: Tenant;
  let routes: { method: string; path: string }[];

  const call = async (
    method: string,
    path: string,
    opts: { key?: string; token?: string; body?: unknown; rawBody?: string } = {},
  ) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    // Internal routes take a short-lived token for the one service they belong to.
    if (opts.token) headers.authorization = `Bearer ${serviceToken(opts.token, audienceOf(path))}`;
    const init: RequestInit = { method, headers };
    if (method !== 'GET' && method !== 'HEAD') init.body = opts.rawBody ?? JSON.stringify(opts.body ?? {});
    const res = await platform.app.request(path, init);
    // A server-sent-events stream never ends: its first event is the answer to inspect.
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      return { status: res.status, text: first, headers: res.headers };
    }
    return { status: res.status, text: await res.text(), headers: res.headers };
  };
  const ok = async (method: string, path: string, opts: Parameters<typeof call>[2]) => {
    const r = await call(method, path, opts);
    assert.ok(r.status < 300, `${method} ${path} → ${r.status} ${r.text}`);
    return JSON.parse(r.text) as Record<string, unknown>;
  };

  async function tenant(name: string, domain: string): Promise<Tenant> {
    const created = await platform.clientManagement.createClient({ name });
    const clientId = created.client.id;
    const secret = created.secret.key;
    const deployed = await ok('POST', '/v1/campaigns/deploy', { key: secret, body: { source: SIGNUP } });
    const campaignId = deployed.campaign_id as string;
    await ok('POST', `/v1/campaigns/${campaignId}/status`, { key: secret, body: { status: 'active' } });
    const participant = `${domain}-referrer-${clientId.slice(-6)}`;
    const assets = await ok('POST', '/internal/v1/referrals/assets', {
      token: INTERNAL,
      body: { client_id: clientId, campaign_id: campaignId, participant_id: participant },
    });
    const reward = await ok('POST', '/internal/v1/rewards/allocate', {
      token: INTERNAL,
      body: {
        client_id: clientId,
        campaign_id: campaignId,
        version: 1,
        reward: 'signup_bonus',
        side: 'referrer',
        participant_id: participant,
        idempotency_key: `${domain}/reward-1`,
      },
    });
    const email = `owner.${clientId.slice(-6)}@${domain}.test`;
    const member = await ok('POST', '/v1/members', { key: secret, body: { email, role: 'manager' } });
    const key = await ok('POST', '/v1/api-keys', { key: secret, body: { kind: 'secret', role: 'viewer' } });
    const sent = await ok('POST', '/internal/v1/notifications/send', {
      token: INTERNAL,
      body: {
        client_id: clientId,
        campaign_id: campaignId,
        idempotency_key: `${domain}/welcome`,
        participant_id: participant,
        channel: 'in_app',
        template: 'welcome',
        to: `person.${clientId.slice(-6)}@${domain}.test`,
        data: { referral: { link: 'https://example.test/r', code: 'X' } },
      },
    });
    const endpoint = await ok('POST', '/v1/notifications/webhook-endpoints', {
      key: secret,
      body: { url: `https://93.184.216.34/hooks/${domain}`, topics: ['*'] },
    });
    // A logged delivery and a dead-lettered event of the tenant's, written as the sender and the drainer
    // write them (no network: the delivery's body predates stored bodies, so a redelivery answers 409).
    const deliveryId = `whd_${domain}_${clientId.slice(-6)}`;
    await sql`insert into webhook_deliveries (id, client_id, endpoint_id, idempotency_key, topic, status_code, error)
      values (${deliveryId}, ${clientId}, ${endpoint.id as string}, ${`${domain}/hook`}, 'reward.allocated', 500, 'HTTP 500')`.execute(
      t.db,
    );
    const parked = await sql<{ id: string }>`insert into event_dead_letters
        (sink, client_id, event_id, event, outbox_seq, payload, error, attempts)
      values ('clickhouse', ${clientId}, ${`${domain}-parked`}, 'page_viewed', 0, '{}', 'refused', 3)
      returning id::text as id`.execute(t.db);
    await ok('POST', '/v1/events', {
      key: created.publishable.key,
      body: {
        event: 'user_signed_up',
        event_id: `${domain}-evt-${clientId.slice(-6)}`,
        occurred_at: new Date().toISOString(),
        participant_id: participant,
        traits: { email },
      },
    });
    return {
      clientId,
      secret,
      publishable: created.publishable.key,
      campaignId,
      participant,
      code: (assets.code ?? (assets as { referral_code?: string }).referral_code) as string,
      rewardId: reward.reward_id as string,
      email,
      memberId: (member.member as { id: string })?.id,
      keyId: (key.key as { id: string })?.id,
      notificationId: sent.notification_id as string,
      endpointId: endpoint.id as string,
      endpointSecret: endpoint.secret as string,
      deliveryId,
      deadLetterId: parked.rows[0]!.id,
    };
  }

  before(async () => {
    t = await createTestDatabase(serviceMigrations);
    chdb = await createTestClickHouse((ch) => migrateClickHouse(ch, SERVICES).then(() => undefined));
    smtp = await startTestSmtpServer();
    const config = loadConfig({
      ...process.env,
      DATABASE_URL: t.url,
      CLICKHOUSE_DATABASE: chdb.database,
      PULSE_INTERNAL_TOKEN: INTERNAL,
      SMTP_PORT: String(smtp.port),
      // Thousands of calls from one address: the rate limiter is tested on its own.
      PULSE_RATE_AUTH_FAILURES: '100000/100000',
      PULSE_RATE_ANONYMOUS: '100000/100000',
    });
    temporal = await createTemporalClient(config.temporalAddress);
    mailer = createSmtpMailer({ host: '127.0.0.1', port: smtp.port, from: 'x@pulse.test' });
    platform = createPlatform({
      config,
      db: t.db,
      ch: chdb.ch,
      bus: createPostgresBus({ db: t.db }),
      mailer,
      temporal,
    });
    A = await tenant('Alpha', 'alpha');
    B = await tenant('Bravo', 'bravo');
    // B's analytics: a referred signup on B's leaderboard and funnel.
    const at = new Date().toISOString();
    await chdb.ch.insert('events', [
      analyticsRow(B, 'referral_shared', at),
      analyticsRow(B, 'user_signed_up', at),
    ]);
    const seen = new Set<string>();
    routes = [];
    for (const r of platform.app.routes) {
      if (r.method === 'ALL') continue;
      const k = `${r.method} ${r.path}`;
      if (seen.has(k)) continue;
      seen.add(k);
      routes.push({ method: r.method, path: r.path });
    }
  });
  after(async () => {
    await temporal?.connection.close();
    mailer?.close();
    await smtp?.close();
    await chdb?.drop();
    await t?.drop();
  });

  /** Every value of B's that A must never see. */
  const secretsOf = (x: Tenant) =>
    Object.entries(x).filter(([, v]) => typeof v === 'string' && v.length >= 6) as [string, string][];

  /** B's value for a path parameter, by its name and where it sits. */
  function fill(path: string, name: string, x: Tenant): string {
    switch (name) {
      case 'clientId':
        return x.clientId;
      case 'campaignId':
      case 'campaign':
        return x.campaignId;
      case 'rewardId':
        return x.rewardId;
      case 'participantId':
      case 'journeyKey':
        return x.participant;
      case 'code':
        return x.code;
      case 'board':
        return 'signup_bonus';
      case 'linkId':
        return `lnk_${x.participant}`;
      case 'keyId':
        return x.keyId;
      case 'version':
        return path.startsWith('/sdk/') ? 'latest' : '1';
      case 'file':
        return path.startsWith('/sdk/') ? 'pulse.iife.js' : 'swagger-ui.css';
      case 'name':
        return 'welcome';
      case 'deliveryId':
        return x.deliveryId;
      case 'id':
        if (path.includes('/admin/clients')) return x.clientId;
        if (path.includes('/admin/dead-letters')) return x.deadLetterId;
        if (path.includes('/webhook-endpoints')) return x.endpointId;
        if (path.includes('/api-keys')) return x.keyId;
        if (path.includes('/participants')) return x.participant;
        return x.campaignId;
      default:
        throw new Error(`no filler for :${name} in ${path}`);
    }
  }
  const withParams = (path: string, value: (name: string) => string) =>
    path.replace(/:([A-Za-z_]+)(\{[^}]*\})?/g, (_, name: string) => value(name));
  /** A's own value for a path parameter, except that erasure (irreversible) is aimed at nobody of A's. */
  const ownValue = (path: string, name: string) =>
    path.endsWith('/erase') && name === 'id' ? 'p_nobody_of_a' : fill(path, name, A);

  /** A body aimed at B: every tenant-ish field names B. */
  const bodyFor = (x: Tenant) => ({
    client_id: x.clientId,
    campaign_id: x.campaignId,
    participant_id: x.participant,
    referee_id: x.participant,
    code: x.code,
    reward_id: x.rewardId,
    version: 1,
    reward: 'signup_bonus',
    idempotency_key: 'attack-1',
    status: 'paused',
    role: 'viewer',
    kind: 'publishable',
    email: `attacker.${A.clientId.slice(-6)}@alpha.test`,
    subject: 'hi',
    text: 'hi',
    url: 'https://hooks.alpha.test/x',
    reason: 'attack',
    event: 'user_signed_up',
    event_id: `attack-${Math.random().toString(36).slice(2)}`,
    occurred_at: new Date().toISOString(),
  });

  it('enumerates the platform’s routes', () => {
    assert.ok(routes.length >= 40, `found ${routes.length} routes`);
    for (const probe of [
      'GET /v1/rewards/:rewardId',
      'GET /v1/campaigns/:id',
      'GET /v1/analytics/leaderboard',
    ])
      assert.ok(
        routes.some((r) => `${r.method} ${r.path}` === probe),
        probe,
      );
  });

  it('with A’s secret (owner) and publishable keys, no route reveals B’s data or answers 5xx', async () => {
    const leaks: string[] = [];
    let calls = 0;
    const bSecrets = secretsOf(B);
    const pathOf = (route: { path: string }, x: Tenant) =>
      withParams(route.path, (n) =>
        encodeURIComponent(x === A ? ownValue(route.path, n) : fill(route.path, n, x)),
      );
    const bQuery = `?${new URLSearchParams({ campaign_id: B.campaignId, participant_id: B.participant, referrer_id: B.participant, code: B.code })}`;
    for (const route of routes) {
      const hasBody = route.method !== 'GET';
      // B's ids aimed three ways: in the path, in the query (filters), in the body; one at a time, so that
      // whatever of B's comes back and was not in that very request is a leak.
      const attempts = [
        { aim: 'path', url: pathOf(route, B), body: {} },
        { aim: 'query', url: pathOf(route, A) + bQuery, body: {} },
        ...(hasBody ? [{ aim: 'body', url: pathOf(route, A), body: bodyFor(B) }] : []),
      ];
      for (const { aim, url, body } of attempts) {
        for (const key of [A.secret, A.publishable]) {
          const r = await call(route.method, url, { key, body });
          calls++;
          const label = `${route.method} ${route.path} (B in ${aim}, ${key === A.secret ? 'sk' : 'pk'}) → ${r.status}`;
          if (r.status >= 500) leaks.push(`${label}: 5xx ${r.text.slice(0, 200)}`);
          const sent = `${url}${JSON.stringify(body)}`;
          const seen = `${r.text}\n${r.headers.get('location') ?? ''}`;
          for (const [field, value] of bSecrets) {
            if (!seen.includes(value)) continue;
            // Repeating the caller's own input back (an error naming it, a filter echoed) is not a leak.
            if (sent.includes(value) || sent.includes(encodeURIComponent(value))) continue;
            leaks.push(`${label}: response carries B's ${field}: ${r.text.slice(0, 200)}`);
          }
        }
      }
    }
    console.log(`cross-tenant: ${routes.length} routes, ${calls} calls with A's keys`);
    assert.deepEqual(leaks, []);
  });

  it('A’s own data is visible to A (the test can see a leak when there is one)', async () => {
    const r = await call('GET', `/v1/rewards/${A.rewardId}`, { key: A.secret });
    assert.equal(r.status, 200);
    assert.ok(r.text.includes(A.participant), r.text);
    const b = await call('GET', `/v1/rewards/${B.rewardId}`, { key: B.secret });
    assert.ok(b.text.includes(B.participant));
    const board = await call('GET', '/v1/analytics/leaderboard', { key: B.secret });
    assert.ok(board.text.includes(B.participant), `B sees its own leaderboard: ${board.text}`);
  });

  it('B’s delivery id redelivered under A’s own endpoint is a 404, and nothing is sent or logged', async () => {
    // A fresh endpoint of A's (the sweep above may have deleted the first one), enabled; B's delivery
    // given a stored body, so a 404 can only come from the scoping, not from "no body to resend" (409).
    const own = await ok('POST', '/v1/notifications/webhook-endpoints', {
      key: A.secret,
      body: { url: 'https://93.184.216.34/hooks/alpha-own', topics: ['*'] },
    });
    await sql`update webhook_deliveries set payload = '{"secret":"of-bravo"}'
      where client_id = ${B.clientId} and id = ${B.deliveryId}`.execute(t.db);
    const log = () =>
      sql<{ client_id: string; endpoint_id: string; attempts: number; last_attempt_at: Date | null }>`
        select client_id, endpoint_id, attempts, last_attempt_at from webhook_deliveries
        where endpoint_id = ${own.id as string} or id = ${B.deliveryId} order by client_id`
        .execute(t.db)
        .then((r) => r.rows);
    const before = await log();
    assert.equal(before.length, 1, 'only B’s delivery exists');
    const r = await call(
      'POST',
      `/v1/notifications/webhook-endpoints/${own.id as string}/deliveries/${B.deliveryId}/redeliver`,
      { key: A.secret },
    );
    assert.equal(r.status, 404, r.text);
    assert.match(r.text, /"path":"deliveryId"/);
    assert.doesNotMatch(r.text, /of-bravo|bravo\/hook/, 'nothing of B’s delivery is shown');
    // No attempt was made: an attempt always writes the log (a row for A's endpoint, or B's updated).
    assert.deepEqual(await log(), before);
  });

  /** Internal routes are fuzzed with the service token: a buggy journey's input must be a 4xx too. */
  const credentials = (path: string) =>
    path.startsWith('/internal/') || path.startsWith('/v1/reward-programs')
      ? { token: INTERNAL }
      : { key: A.secret };

  it('hostile values in every path parameter, query parameter and body field never produce a 5xx', async () => {
    const failures: string[] = [];
    let calls = 0;
    for (const route of routes) {
      for (const value of HOSTILE) {
        // Encoded, the handler sees the value itself; raw, it sees whatever the URL parser makes of it.
        for (const encode of [true, false]) {
          if (!encode && value.length > 300) continue;
          const segment = encode
            ? encodeURIComponent(value)
            : value.replaceAll('/', '%2F').replaceAll('?', '%3F');
          const path = withParams(route.path, () => segment);
          const q = new URLSearchParams(Object.fromEntries(QUERY_KEYS.map((k) => [k, value])));
          const body = Object.fromEntries(BODY_KEYS.map((k) => [k, value]));
          const r = await call(route.method, `${path}?${q}`, { ...credentials(route.path), body }).catch(
            (err: unknown) => ({ status: 599, text: String(err), headers: new Headers() }),
          );
          calls++;
          if (r.status >= 500)
            failures.push(
              `${route.method} ${route.path} with ${JSON.stringify(value.slice(0, 30))}${encode ? '' : ' (raw)'} → ${r.status} ${r.text.slice(0, 160)}`,
            );
        }
      }
      // Bodies that are not the JSON object a route expects.
      if (route.method !== 'GET') {
        const path = withParams(route.path, (n) => encodeURIComponent(ownValue(route.path, n)));
        for (const rawBody of ['', 'null', '[]', '"x"', '{"a":', '{"client_id":{"$ne":null}}', '1e999']) {
          const r = await call(route.method, path, { ...credentials(route.path), rawBody });
          calls++;
          if (r.status >= 500)
            failures.push(
              `${route.method} ${route.path} with body ${rawBody} → ${r.status} ${r.text.slice(0, 160)}`,
            );
        }
      }
    }
    console.log(`fuzz: ${calls} calls, ${failures.length} 5xx`);
    assert.deepEqual(failures, []);
  });
});

function analyticsRow(x: Tenant, event: string, at: string) {
  return emptyEventRow({
    event_id: `${x.clientId}-${event}`,
    event,
    client_id: x.clientId,
    occurred_at: at,
    received_at: at,
    campaign_id: x.campaignId,
    participant_id: event === 'referral_shared' ? x.participant : `${x.participant}-friend`,
    referral_code: x.code,
    referrer_id: event === 'user_signed_up' ? x.participant : '',
  });
}
