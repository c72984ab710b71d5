import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import { parse as parseYaml } from 'yaml';
import { serviceMigrations } from '../app/migrations.ts';
import { createCampaignSimulator } from '../app/simulator.ts';
import { createTemporalClient } from '../engine/client.ts';
import { buildSdk } from '../scripts/build-sdk.ts';
import { createSpecChecker, operationsOf } from '../test/support/openapi.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.ts';
import { serviceToken } from '../test/support/service-token.ts';
import { decodeQuotedPrintable, startTestSmtpServer, type TestSmtpServer } from '../test/support/smtp.ts';
import { createPlatform } from './app.ts';
import { loadSdkBundle } from './event/index.ts';
import { createSmtpMailer } from './notification/index.ts';
import { platformOpenApi } from './openapi.ts';
import { createPostgresBus } from './platform/bus/postgres-bus.ts';
import { createClickHouse } from './platform/clickhouse.ts';
import { loadConfig } from './platform/config.ts';

/**
 * Every documented operation, called at least once against the real platform (Postgres, ClickHouse,
 * Temporal), and every answer checked against the OpenAPI document: its status is documented and its
 * body validates against the documented schema.
 */

// biome-ignore lint/suspicious/noExplicitAny: answers are read as JSON here; the spec checker types them.
type Body = Record<string, any>;
// The shipped signup pulse, with a landing page so its share links redirect.
const SIGNUP = `${await readFile(new URL('../campaigns/signup.pulse.yaml', import.meta.url), 'utf8')}
landing:
  url: https://shop.example.com/join
`;
const spec = platformOpenApi();
const checker = createSpecChecker(spec);

describe('every documented operation answers as documented', () => {
  let t: TestDatabase;
  let temporal: Client;
  let platform: ReturnType<typeof createPlatform>;
  let internalKey: string;
  let sdkDir: string;
  let smtp: TestSmtpServer;
  const covered = new Set<string>();
  const problems: string[] = [];

  /** One request through the whole app; the answer is checked against the spec and returned. */
  const call = async (
    method: string,
    path: string,
    opts: { key?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: Body; headers: Headers }> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await platform.app.request(path, {
      method,
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
    const type = res.headers.get('content-type');
    const text = await res.text();
    const body = (type?.includes('application/json') ? JSON.parse(text) : { text }) as Body;
    const r = checker.check(method, path, res.status, type, body);
    covered.add(r.operationId);
    for (const p of r.problems) problems.push(`${method} ${path} → ${res.status} (${r.operationId}): ${p}`);
    return { status: res.status, body, headers: res.headers };
  };
  const expect = (r: { status: number; body: Body }, status: number) =>
    assert.equal(r.status, status, JSON.stringify(r.body));

  before(async () => {
    t = await createTestDatabase(serviceMigrations);
    const config = loadConfig({
      ...process.env,
      DATABASE_URL: t.url,
      // Webhook and fulfilment URLs of this test point at loopback.
      PULSE_OUTBOUND_ALLOW: '127.0.0.1/32',
    });
    internalKey = config.internalSigningKey;
    smtp = await startTestSmtpServer();
    temporal = await createTemporalClient(config.temporalAddress);
    sdkDir = await mkdtemp(join(tmpdir(), 'pulse-spec-sdk-'));
    await buildSdk(`${sdkDir}/`);
    platform = createPlatform({
      sdk: await loadSdkBundle(sdkDir),
      config,
      db: t.db,
      ch: createClickHouse(config.clickhouseUrl, config.clickhouseDatabase),
      bus: createPostgresBus({ db: t.db }),
      // A real SMTP server on loopback: member invites are sent as emails.
      mailer: createSmtpMailer({ host: '127.0.0.1', port: smtp.port, from: 'x@pulse.test' }),
      temporal,
      simulator: createCampaignSimulator(),
    });
  });
  after(async () => {
    await smtp.close();
    await temporal.connection.close();
    await t.drop();
    await rm(sdkDir, { recursive: true, force: true });
  });

  it('admin, account, campaigns, journeys, events, referrals, rewards, analytics and notifications', async () => {
    const admin = (await platform.clientManagement.issueKey(null, 'admin')).key;

    // Admin: clients, pages of them, a bad cursor, a status change.
    const created = await call('POST', '/v1/admin/clients', { key: admin, body: { name: 'Spec Co' } });
    expect(created, 201);
    const clientId = created.body.client.id as string;
    const sk = created.body.keys.secret.key as string;
    const pk = created.body.keys.publishable.key as string;
    const other = await call('POST', '/v1/admin/clients', { key: admin, body: { name: 'Other Co' } });
    expect(await call('POST', '/v1/admin/clients', { key: admin, body: { name: '' } }), 400);
    const first = await call('GET', '/v1/admin/clients?limit=1', { key: admin });
    expect(first, 200);
    assert.equal(first.body.data.length, 1);
    assert.equal(first.body.has_more, true);
    const second = await call('GET', `/v1/admin/clients?limit=1&starting_after=${first.body.next_cursor}`, {
      key: admin,
    });
    assert.notEqual(second.body.data[0].id, first.body.data[0].id);
    const badCursor = await call('GET', '/v1/admin/clients?starting_after=nope!', { key: admin });
    expect(badCursor, 400);
    assert.equal(badCursor.body.error.details[0].path, 'starting_after');
    expect(
      await call('PATCH', `/v1/admin/clients/${other.body.client.id}`, {
        key: admin,
        body: { status: 'suspended' },
      }),
      200,
    );
    expect(await call('GET', '/v1/admin/clients', { key: sk }), 403);

    // Account: the client, members, keys.
    expect(await call('GET', '/v1/client', { key: sk }), 200);
    expect(await call('GET', '/v1/client'), 401);
    expect(
      await call('POST', '/v1/members', { key: sk, body: { email: 'ann@spec.test', role: 'manager' } }),
      201,
    );
    const badMember = await call('POST', '/v1/members', { key: sk, body: { email: 'x', role: 'boss' } });
    expect(badMember, 400);

    // Usage and plans, invoices, the audit log, data-subject requests.
    expect(await call('GET', '/v1/usage', { key: sk }), 200);
    expect(await call('GET', '/v1/usage?month=2026-13', { key: sk }), 400);
    expect(await call('GET', '/v1/plans', { key: sk }), 200);
    const lastMonth = new Date();
    lastMonth.setUTCDate(1);
    lastMonth.setUTCMonth(lastMonth.getUTCMonth() - 1);
    const invoiced = await call('POST', `/v1/admin/clients/${clientId}/invoices`, {
      key: admin,
      body: { month: lastMonth.toISOString().slice(0, 7) },
    });
    expect(invoiced, 201);
    expect(
      await call('POST', `/v1/admin/clients/${clientId}/invoices`, { key: admin, body: { month: 'now' } }),
      400,
    );
    expect(await call('GET', '/v1/invoices', { key: sk }), 200);
    expect(await call('GET', `/v1/invoices/${invoiced.body.invoice.id}`, { key: sk }), 200);
    expect(await call('GET', '/v1/invoices/inv_missing', { key: sk }), 404);
    expect(await call('GET', '/v1/audit?limit=2', { key: sk }), 200);
    expect(await call('GET', '/v1/audit?since=later', { key: sk }), 400);
    expect(await call('GET', '/v1/audit/export.csv', { key: sk }), 200);
    expect(await call('GET', '/v1/audit/export.jsonl', { key: sk }), 200);
    expect(await call('POST', '/v1/participants/spec-person/export', { key: sk }), 200);
    expect(await call('POST', '/v1/participants/spec-person/erase', { key: sk }), 200);
    assert.deepEqual(badMember.body.error.details.map((d: Body) => d.path).sort(), ['email', 'role']);
    expect(await call('GET', '/v1/members', { key: sk }), 200);

    // Sign-in: the development login, the session it opens, a client switch, sign-out; OIDC is not
    // configured here, so its two routes answer 404 (the OIDC test runs a real provider).
    expect(await call('GET', '/v1/auth/config'), 200);
    expect(await call('GET', '/v1/auth/login?return_to=/portal'), 404);
    expect(await call('GET', '/v1/auth/callback?code=x&state=y'), 404);
    expect(await call('POST', '/v1/auth/dev-login', { body: { email: 'nobody' } }), 400);
    expect(await call('POST', '/v1/auth/dev-login', { body: { email: 'nobody@spec.test' } }), 403);
    const signedIn = await call('POST', '/v1/auth/dev-login', { body: { email: 'ann@spec.test' } });
    expect(signedIn, 200);
    const cookie = /pulse_session=([^;]+)/.exec(signedIn.headers.get('set-cookie') ?? '')?.[1] ?? '';
    const asAnn = { cookie: `pulse_session=${cookie}`, 'x-csrf-token': signedIn.body.csrf_token as string };
    expect(await call('GET', '/v1/auth/session', { headers: asAnn }), 200);
    expect(await call('GET', '/v1/auth/session'), 401);
    expect(
      await call('POST', '/v1/auth/switch-client', { headers: asAnn, body: { client_id: clientId } }),
      200,
    );
    expect(await call('POST', '/v1/auth/switch-client', { headers: asAnn, body: { client_id: 7 } }), 400);
    // A member's own weekly report e-mail (analytics); a key that is no member's has none.
    const mySubscription = '/v1/analytics/report-subscriptions/me';
    expect(await call('GET', mySubscription, { headers: asAnn }), 200);
    expect(await call('PUT', mySubscription, { headers: asAnn, body: { weekly: true } }), 200);
    expect(await call('PUT', mySubscription, { headers: asAnn, body: { weekly: 1 } }), 400);
    expect(await call('GET', mySubscription, { key: sk }), 403);
    expect(await call('GET', '/v1/permissions'), 200);
    expect(await call('GET', `/v1/admin/clients/${clientId}`, { key: admin }), 200);
    expect(await call('GET', '/v1/admin/clients/cli_nope', { key: admin }), 404);
    expect(await call('GET', '/v1/admin/clients?status=suspended', { key: admin }), 200);
    expect(await call('GET', '/v1/admin/clients?status=gone', { key: admin }), 400);
    expect(
      await call('PATCH', `/v1/admin/clients/${clientId}`, {
        key: admin,
        body: { name: 'Spec Co.', plan: 'growth' },
      }),
      200,
    );
    expect(await call('PATCH', `/v1/admin/clients/${clientId}`, { key: admin, body: {} }), 400);

    // Members: an invite by email, its page, its acceptance; a role change, a removal, a transfer.
    const invited = await call('POST', '/v1/member-invites', {
      key: sk,
      body: { email: 'vic@spec.test', role: 'viewer' },
    });
    expect(invited, 201);
    expect(
      await call('POST', '/v1/member-invites', { key: sk, body: { email: 'vic@spec.test', role: 'x' } }),
      400,
    );
    expect(await call('GET', '/v1/member-invites', { key: sk }), 200);
    const mail = await smtp.waitFor((m) => m.to.includes('vic@spec.test'));
    const token = /invites\/accept\?token=([A-Za-z0-9._%-]+)/.exec(
      decodeQuotedPrintable(mail.raw).replace(/=\r?\n/g, ''),
    )?.[1];
    assert.ok(token, 'the invite email carries the link');
    expect(await call('GET', `/v1/auth/invites/accept?token=${token}`), 200);
    const accepted = await call('POST', '/v1/auth/invites/accept', {
      body: { token: decodeURIComponent(token) },
    });
    expect(accepted, 200);
    expect(
      await call('POST', '/v1/auth/invites/accept', { body: { token: decodeURIComponent(token) } }),
      410,
    );
    expect(await call('POST', '/v1/auth/invites/accept', { body: {} }), 400);
    const secondInvite = await call('POST', '/v1/member-invites', {
      key: sk,
      body: { email: 'zed@spec.test', role: 'viewer' },
    });
    expect(await call('DELETE', `/v1/member-invites/${secondInvite.body.invite.id}`, { key: sk }), 200);
    expect(await call('DELETE', `/v1/member-invites/${secondInvite.body.invite.id}`, { key: sk }), 404);
    const members = (await call('GET', '/v1/members?limit=100', { key: sk })).body.data as Body[];
    const vic = members.find((m) => m.email === 'vic@spec.test')!;
    expect(await call('PATCH', `/v1/members/${vic.id}`, { key: sk, body: { role: 'analyst' } }), 200);
    expect(await call('PATCH', `/v1/members/${vic.id}`, { key: sk, body: { role: 'boss' } }), 400);
    expect(await call('POST', `/v1/members/${vic.id}/transfer-ownership`, { key: sk }), 200);
    expect(await call('PATCH', `/v1/members/${vic.id}`, { key: sk, body: { role: 'viewer' } }), 409);
    expect(await call('DELETE', '/v1/members/mem_nope', { key: sk }), 404);
    const ann = members.find((m) => m.email === 'ann@spec.test')!;
    expect(await call('POST', '/v1/auth/logout', { headers: asAnn }), 204);
    expect(await call('GET', '/v1/auth/session', { headers: asAnn }), 401);
    expect(await call('DELETE', `/v1/members/${ann.id}`, { key: sk }), 200);
    const viewerKey = await call('POST', '/v1/api-keys', {
      key: sk,
      body: { kind: 'secret', role: 'viewer' },
    });
    expect(viewerKey, 201);
    expect(await call('POST', '/v1/api-keys', { key: sk, body: { kind: 'secret' } }), 400);
    const keys = await call('GET', '/v1/api-keys', { key: sk });
    assert.ok(keys.body.data.length >= 3);
    const rotated = await call('POST', `/v1/api-keys/${viewerKey.body.key.id}/rotate`, {
      key: sk,
      body: { overlap_seconds: 60 },
    });
    expect(rotated, 201);
    expect(await call('POST', `/v1/api-keys/${viewerKey.body.key.id}/rotate`, { key: sk, body: {} }), 404);
    expect(
      await call('POST', `/v1/api-keys/${rotated.body.key.id}/rotate`, {
        key: sk,
        body: { overlap_seconds: -1 },
      }),
      400,
    );
    expect(
      await call('POST', '/v1/api-keys', {
        key: sk,
        body: {
          kind: 'secret',
          role: 'viewer',
          scopes: ['campaign.read'],
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
        },
      }),
      201,
    );
    expect(await call('DELETE', `/v1/api-keys/${viewerKey.body.key.id}`, { key: sk }), 200);

    // Admin keys for a client: the operator's bootstrap of a tenant, and an incident revocation.
    const adminIssued = await call('POST', `/v1/admin/clients/${clientId}/api-keys`, {
      key: admin,
      body: { kind: 'secret', role: 'analyst', name: 'reporting' },
    });
    expect(adminIssued, 201);
    expect(
      await call('POST', '/v1/admin/clients/cli_nope/api-keys', {
        key: admin,
        body: { kind: 'publishable' },
      }),
      404,
    );
    const adminKeys = await call('GET', `/v1/admin/clients/${clientId}/api-keys`, { key: admin });
    expect(adminKeys, 200);
    assert.ok(adminKeys.body.data.some((k: Body) => k.name === 'reporting'));
    expect(
      await call('DELETE', `/v1/admin/clients/${clientId}/api-keys/${adminIssued.body.key.id}`, {
        key: admin,
      }),
      200,
    );

    // Campaigns: deploy (new, then idempotent), list, read, versions, status.
    const deploy = await call('POST', '/v1/campaigns/deploy', {
      key: sk,
      body: { source: SIGNUP, file: 'signup.pulse.yaml' },
    });
    expect(deploy, 201);
    const campaignId = deploy.body.campaign_id as string;
    expect(await call('POST', '/v1/campaigns/deploy', { key: sk, body: { source: SIGNUP } }), 200);
    const badDeploy = await call('POST', '/v1/campaigns/deploy', { key: sk, body: { file: 3 } });
    expect(badDeploy, 400);
    assert.deepEqual(badDeploy.body.error.details.map((d: Body) => d.path).sort(), ['file', 'source']);
    // Simulate: the same compile as a deploy, then the script on virtual time; nothing is stored.
    const script = parseYaml(
      await readFile(new URL('../campaigns/scripts/signup.events.yaml', import.meta.url), 'utf8'),
    ) as Body;
    const sim = await call('POST', '/v1/campaigns/simulate', { key: sk, body: { source: SIGNUP, script } });
    expect(sim, 200);
    assert.equal(sim.body.trace.journeys.length, 1);
    assert.match(sim.body.text as string, /AllocateReward/);
    const badSim = await call('POST', '/v1/campaigns/simulate', {
      key: sk,
      body: {
        source: SIGNUP.replace('event: user_signed_up', 'event: user_signed_upp'),
        script: { events: [] },
      },
    });
    expect(badSim, 400);
    assert.deepEqual(
      badSim.body.error.details.map((d: Body) => d.path),
      ['script.events'],
    );
    const badSource = await call('POST', '/v1/campaigns/simulate', {
      key: sk,
      body: { source: SIGNUP.replace('event: user_signed_up', 'event: user_signed_upp'), script },
    });
    expect(badSource, 400);
    assert.match(JSON.stringify(badSource.body.error.details), /UNKNOWN_EVENT/);
    expect(await call('GET', '/v1/campaigns', { key: sk }), 200);
    expect(await call('GET', `/v1/campaigns/${campaignId}`, { key: sk }), 200);
    expect(await call('GET', '/v1/campaigns/cmp_none', { key: sk }), 404);
    expect(await call('GET', `/v1/campaigns/${campaignId}/versions/1`, { key: sk }), 200);
    expect(
      await call('POST', `/v1/campaigns/${campaignId}/status`, { key: sk, body: { status: 'active' } }),
      200,
    );
    expect(
      await call('POST', `/v1/campaigns/${campaignId}/status`, { key: sk, body: { status: 'on' } }),
      400,
    );

    // Journeys: none started for this key.
    expect(await call('GET', `/v1/journeys/${campaignId}/nobody`, { key: sk }), 404);
    const journeys = await call('GET', `/v1/journeys?campaign_id=${campaignId}&limit=5`, { key: sk });
    expect(journeys, 200);
    assert.equal(Array.isArray(journeys.body.data), true);
    expect(await call('GET', '/v1/journeys?status=sleeping', { key: sk }), 400);
    // Approval tasks of a journey that does not exist (journeys with approval steps: engine tests and
    // test/e2e): 404, and a malformed decision is a 400 naming the field before Temporal is asked.
    expect(await call('GET', `/v1/journeys/${campaignId}/nobody/approvals`, { key: sk }), 404);
    const decision = { task: 'review', decision: 'approve' };
    expect(
      await call('POST', `/v1/journeys/${campaignId}/nobody/approvals`, { key: sk, body: decision }),
      404,
    );
    const bad = await call('POST', `/v1/journeys/${campaignId}/nobody/approvals`, {
      key: sk,
      body: { task: 'review', decision: 'maybe' },
    });
    expect(bad, 400);
    assert.ok(JSON.stringify(bad.body).includes('decision'), JSON.stringify(bad.body));
    // The trace of a journey that does not exist, a malformed cursor, and the (empty) approval inbox.
    expect(await call('GET', `/v1/journeys/${campaignId}/nobody/trace`, { key: sk }), 404);
    expect(await call('GET', `/v1/journeys/${campaignId}/nobody/trace?starting_after=x`, { key: sk }), 400);
    const inbox = await call('GET', `/v1/approvals?campaign_id=${campaignId}`, { key: sk });
    expect(inbox, 200);
    assert.deepEqual(inbox.body.data, []);
    expect(await call('GET', '/v1/approvals?limit=0', { key: sk }), 400);

    // Custom event types: declare (new, then unchanged), list, read, a custom event checked against it,
    // archive.
    const declared = {
      description: 'A webinar seat booked',
      properties: { type: 'object', properties: { seats: { type: 'integer' } }, required: ['seats'] },
    };
    expect(await call('PUT', '/v1/event-types/custom_seat_booked', { key: sk, body: declared }), 201);
    expect(await call('PUT', '/v1/event-types/custom_seat_booked', { key: sk, body: declared }), 200);
    const badType = await call('PUT', '/v1/event-types/custom_seat_booked', {
      key: sk,
      body: { properties: 1 },
    });
    expect(badType, 400);
    expect(await call('GET', '/v1/event-types', { key: sk }), 200);
    expect(await call('GET', '/v1/event-types/custom_seat_booked', { key: sk }), 200);
    expect(await call('GET', '/v1/event-types/custom_nothing', { key: sk }), 404);
    const custom = {
      event: 'custom_seat_booked',
      event_id: randomUUID(),
      occurred_at: new Date().toISOString(),
      anonymous_id: 'anon_1',
    };
    expect(await call('POST', '/v1/events', { key: pk, body: { ...custom, properties: { seats: 2 } } }), 202);
    const badCustom = await call('POST', '/v1/events', {
      key: pk,
      body: { ...custom, event_id: randomUUID(), properties: { seats: 'two' } },
    });
    expect(badCustom, 400);
    assert.equal(badCustom.body.error.details[0].path, 'properties.seats');
    expect(await call('DELETE', '/v1/event-types/custom_seat_booked', { key: sk }), 200);

    // Events: one, a batch, a batch of nothing usable.
    const event = {
      event: 'page_viewed',
      event_id: randomUUID(),
      occurred_at: new Date().toISOString(),
      anonymous_id: 'anon_1',
    };
    expect(await call('POST', '/v1/events', { key: pk, body: event }), 202);
    expect(await call('POST', '/v1/events', { key: pk, body: event }), 202);
    const batch = await call('POST', '/v1/events/batch', {
      key: pk,
      body: {
        events: [{ ...event, event_id: randomUUID() }, { event: 'nope' }],
        sent_at: new Date().toISOString(),
      },
    });
    expect(batch, 202);
    assert.equal(batch.body.rejected, 1);
    expect(await call('POST', '/v1/events/batch', { key: pk, body: { events: [{ event: 'nope' }] } }), 400);
    const emptyBatch = await call('POST', '/v1/events/batch', { key: pk, body: { events: [] } });
    expect(emptyBatch, 400);
    assert.equal(emptyBatch.body.error.details[0].path, 'events');

    // Referrals: a code made as the journey's activity would, checked, followed, listed.
    const assets = await platform.app.request('/internal/v1/referrals/assets', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${serviceToken(internalKey, 'referral')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        client_id: clientId,
        campaign_id: campaignId,
        participant_id: 'alice',
        landing_url: 'https://shop.example.com/join',
      }),
    });
    assert.equal(assets.status, 200);
    const code = ((await assets.json()) as { code: string }).code;
    const check = await call('GET', `/v1/referrals/codes/${code}`, { key: pk });
    assert.equal(check.body.valid, true);
    assert.equal((await call('GET', '/v1/referrals/codes/NOPE1234', { key: pk })).body.valid, false);
    const follow = await call('GET', `/r/${clientId}/${code}`);
    expect(follow, 302);
    assert.match(follow.headers.get('location') ?? '', /ref=/);
    expect(await call('GET', `/r/${clientId}/NOPE1234`), 404);
    expect(await call('GET', '/v1/referrals/participants/alice', { key: sk }), 200);
    // Codes and links: vanity codes (reserved and taken ones refused), a channel link that follows the
    // rotation, its QR codes, the funnel, the graph and deactivation.
    const codesOfAlice = '/v1/referrals/participants/alice/codes';
    const reserved = await call('POST', codesOfAlice, {
      key: sk,
      body: { campaign_id: campaignId, vanity: 'admin' },
    });
    expect(reserved, 400);
    assert.equal(reserved.body.error.details[0].path, 'code');
    const link = await call('POST', '/v1/referrals/participants/alice/links', {
      key: sk,
      body: { campaign_id: campaignId, channel: 'email' },
    });
    expect(link, 200);
    const vanity = await call('POST', codesOfAlice, {
      key: sk,
      body: { campaign_id: campaignId, vanity: 'alice-spec' },
    });
    expect(vanity, 201);
    assert.equal(vanity.body.retired, code);
    const taken = { campaign_id: campaignId, vanity: 'ALICE-SPEC' };
    expect(await call('POST', '/v1/referrals/participants/bob/codes', { key: sk, body: taken }), 409);
    expect(await call('GET', codesOfAlice, { key: sk }), 200);
    const chosen = { campaign_id: campaignId, code: 'carol-spec' };
    expect(
      await call('POST', '/v1/referrals/participants/carol/vanity-code', { key: sk, body: chosen }),
      201,
    );
    expect(
      await call('POST', '/v1/referrals/participants/carol/vanity-code', { key: pk, body: chosen }),
      401,
    );
    const viaLink = await call('GET', `/r/${clientId}/l/${link.body.id}`);
    expect(viaLink, 302);
    assert.match(viaLink.headers.get('location') ?? '', /ref=ALICE-SPEC/);
    expect(await call('GET', `/r/${clientId}/l/${link.body.id}/qr.png`), 200);
    expect(await call('GET', `/r/${clientId}/l/${link.body.id}/qr.svg`), 200);
    expect(await call('GET', `/r/${clientId}/l/lnk_nope/qr.svg`), 404);
    expect(await call('GET', `/r/${clientId}/l/lnk_nope`), 404);
    expect(
      await call('GET', `/v1/referrals/funnel?campaign_id=${campaignId}&group_by=referrer`, { key: sk }),
      200,
    );
    expect(await call('GET', '/v1/participants/alice/referrals', { key: sk }), 200);
    expect(await call('GET', '/v1/participants/alice/chain?limit=3', { key: sk }), 200);
    expect(await call('POST', `/v1/referrals/codes/${code}/deactivate`, { key: sk }), 200);
    expect(await call('POST', '/v1/referrals/codes/NOPE1234/deactivate', { key: sk }), 404);

    // Rewards: a program registered as the campaign service does, rewards allocated as activities do.
    const credit = { category: 'store_credit', amount: 10, currency: 'USD' };
    const program = await call('PUT', '/v1/reward-programs/camp_spec', {
      token: serviceToken(internalKey, 'reward'),
      body: {
        client_id: clientId,
        version: 1,
        status: 'active',
        rewards: {
          reviewed: { type: 'single', give: credit, fulfilment: 'approval' },
          reviewed_again: { type: 'single', give: credit, fulfilment: 'approval' },
          claimed: {
            type: 'single',
            give: { category: 'coupon', amount: 5, currency: 'USD', expires_in: '7d' },
            fulfilment: 'claim',
          },
          constraints: { budget: { amount: 1000, currency: 'USD' } },
        },
      },
    });
    expect(program, 200);
    expect(await call('PUT', '/v1/reward-programs/camp_spec', { key: sk, body: {} }), 401);
    let n = 0;
    const allocate = async (reward: string, participant: string) => {
      const r = await platform.app.request('/internal/v1/rewards/allocate', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${serviceToken(internalKey, 'reward')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          client_id: clientId,
          campaign_id: 'camp_spec',
          version: 1,
          reward,
          participant_id: participant,
          idempotency_key: `spec-${++n}`,
        }),
      });
      assert.equal(r.status, 200);
      return ((await r.json()) as { reward_id: string }).reward_id;
    };
    const toApprove = await allocate('reviewed', 'bob');
    const toReject = await allocate('reviewed_again', 'bob');
    const toClaim = await allocate('claimed', 'bob');

    const redacted = await call('GET', '/v1/reward-participants/bob/rewards', { key: pk });
    assert.equal(redacted.body.redacted, true);
    const full = await call('GET', '/v1/reward-participants/bob/rewards?limit=2', { key: sk });
    assert.equal(full.body.data.length, 2);
    assert.equal(full.body.has_more, true);
    const rest = await call(
      'GET',
      `/v1/reward-participants/bob/rewards?starting_after=${full.body.next_cursor}`,
      { key: sk },
    );
    assert.deepEqual(
      [...full.body.data, ...rest.body.data].map((r: Body) => r.id).sort(),
      [toApprove, toReject, toClaim].sort(),
    );
    expect(await call('GET', '/v1/reward-participants/bob/balance', { key: sk }), 200);
    expect(await call('GET', '/v1/reward-participants/bob/balance', { key: pk }), 401);
    expect(await call('GET', '/v1/rewards?state=PENDING', { key: sk }), 200);
    expect(await call('GET', '/v1/rewards?state=SOMEDAY', { key: sk }), 400);
    expect(await call('GET', `/v1/rewards/${toApprove}`, { key: sk }), 200);
    expect(await call('GET', '/v1/rewards/rwd_none', { key: sk }), 404);
    const queue = await call('GET', '/v1/reward-approvals', { key: sk });
    assert.deepEqual(
      queue.body.data.map((r: Body) => r.id),
      [toApprove, toReject],
    );
    expect(await call('POST', `/v1/reward-approvals/${toApprove}/approve`, { key: sk }), 200);
    expect(
      await call('POST', `/v1/reward-approvals/${toReject}/reject`, { key: sk, body: { reason: 'dup' } }),
      200,
    );
    expect(await call('POST', `/v1/reward-approvals/${toReject}/reject`, { key: sk, body: {} }), 400);
    // Fraud review: rewards held by the engine's verdict, decided, recorded; suspensions listed and lifted.
    const verdict = {
      score: 40,
      decision: 'review',
      reasons: [
        { rule: 'same_ip', signal: 'ip', weight: 40, severity: 'medium', detail: 'the referrer’s IP' },
      ],
      referrer_id: 'ref_spec',
    };
    const held = async (reward: string) => {
      const r = await platform.app.request('/internal/v1/rewards/allocate', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${serviceToken(internalKey, 'reward')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          client_id: clientId,
          campaign_id: 'camp_spec',
          version: 1,
          reward,
          participant_id: 'ref_spec',
          idempotency_key: `spec-held-${++n}`,
          fraud: verdict,
        }),
      });
      assert.equal(r.status, 200);
      return ((await r.json()) as { reward_id: string }).reward_id;
    };
    const heldA = await held('reviewed');
    const heldB = await held('reviewed_again');
    const reviews = await call('GET', '/v1/fraud-reviews', { key: sk });
    expect(reviews, 200);
    assert.deepEqual(
      reviews.body.data.map((r: Body) => r.id),
      [heldA, heldB],
    );
    expect(await call('POST', `/v1/fraud-reviews/${heldA}/approve`, { key: sk, body: {} }), 200);
    expect(await call('POST', `/v1/fraud-reviews/${heldA}/approve`, { key: sk, body: {} }), 409);
    expect(await call('POST', `/v1/fraud-reviews/${heldB}/reject`, { key: sk, body: {} }), 400);
    expect(
      await call('POST', `/v1/fraud-reviews/${heldB}/reject`, { key: sk, body: { reason: 'farmed link' } }),
      200,
    );
    expect(await call('POST', '/v1/fraud-reviews/rwd_none/reject', { key: sk, body: { reason: 'x' } }), 404);
    expect(await call('GET', '/v1/fraud-decisions?participant_id=ref_spec', { key: sk }), 200);
    expect(await call('GET', '/v1/fraud-suspensions', { key: sk }), 200);
    expect(
      await call('POST', '/v1/fraud-suspensions/ref_spec/lift', { key: sk, body: { reason: 'ok' } }),
      404,
    );
    expect(await call('POST', `/v1/rewards/${toReject}/redeem`, { key: sk }), 409);
    expect(await call('POST', `/v1/rewards/${toReject}/retry`, { key: sk }), 409);
    const claimed = await call('POST', `/v1/rewards/${toClaim}/claim`, {
      key: sk,
      body: { participant_id: 'bob' },
    });
    expect(claimed, 200);
    const coupon = String((await platform.rewardService.fulfilNow(clientId, toClaim)).fulfilment.reference);
    expect(await call('GET', `/v1/reward-coupons/${coupon}`, { key: sk }), 200);
    expect(await call('POST', `/v1/reward-coupons/${coupon}/redeem`, { key: sk }), 200);
    expect(await call('POST', '/v1/reward-coupons/NOPE/redeem', { key: sk }), 404);
    expect(await call('GET', '/v1/reward-leaderboards/camp_spec/top', { key: pk }), 404);
    expect(await call('GET', '/v1/reward-budgets/camp_spec', { key: sk }), 200);
    expect(
      await call('PUT', '/v1/reward-fulfilment-endpoint', {
        key: sk,
        body: { url: 'http://127.0.0.1:9/fulfil' },
      }),
      200,
    );
    expect(
      await call('PUT', '/v1/reward-programs/camp_spec/status', {
        token: serviceToken(internalKey, 'reward'),
        body: { client_id: clientId, status: 'paused' },
      }),
      200,
    );

    // Analytics (ClickHouse).
    expect(await call('GET', `/v1/analytics/funnel?campaign_id=${campaignId}`, { key: sk }), 200);
    expect(await call('GET', '/v1/analytics/funnel?from=2026-02-30', { key: sk }), 400);
    expect(await call('GET', `/v1/analytics/campaigns/${campaignId}/hourly?hours=48`, { key: sk }), 200);
    expect(await call('GET', '/v1/analytics/leaderboard?limit=5', { key: sk }), 200);
    for (const report of ['funnel', 'k-factor', 'cost', 'ltv', 'cohorts', 'rewards', 'segments', 'referrers'])
      expect(
        await call('GET', `/v1/analytics/reports/${report}?campaign_id=${campaignId}`, { key: sk }),
        200,
      );
    expect(await call('GET', '/v1/analytics/reports/segments?by=shoe_size', { key: sk }), 400);
    expect(
      await call('GET', `/v1/analytics/campaigns/${campaignId}/timeseries?grain=week`, { key: sk }),
      200,
    );
    expect(
      await call('POST', '/v1/analytics/reports', {
        key: sk,
        body: {
          metrics: ['events', 'revenue'],
          dimensions: ['kind'],
          grain: 'day',
          from: '2026-11-01',
          to: '2026-11-07',
        },
      }),
      200,
    );
    expect(await call('POST', '/v1/analytics/reports', { key: sk, body: { metrics: [] } }), 400);
    expect(await call('GET', `/v1/analytics/campaigns/${campaignId}/report.pdf`, { key: sk }), 200);
    {
      // Server-sent events: read the first event, then hang up.
      const path = `/v1/analytics/campaigns/${campaignId}/live?minutes=5`;
      const live = await platform.app.request(path, { headers: { authorization: `Bearer ${sk}` } });
      const reader = (live.body as ReadableStream<Uint8Array>).getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
      assert.match(first, /^event: counts\ndata: \{/);
      const r = checker.check('GET', path, live.status, live.headers.get('content-type'), { text: first });
      covered.add(r.operationId);
      for (const p of r.problems) problems.push(`GET ${path} → ${live.status} (${r.operationId}): ${p}`);
    }

    // Leaderboards: a campaign with a public board, three participants (Postgres path: no Redis here).
    const boardDeploy = await call('POST', '/v1/campaigns/deploy', {
      key: sk,
      body: {
        source: [
          'pulse: newsletter',
          'id: board-spec',
          'version: 1',
          'title: Board spec',
          'trigger: { event: newsletter_subscribed }',
          'leaderboards:',
          '  - { id: top, metric: { event: newsletter_subscribed }, period: weekly, public: { enabled: true, min_size: 2 } }',
          'steps:',
          '  - { id: done, end: completed }',
        ].join('\n'),
      },
    });
    expect(boardDeploy, 201);
    const boardCampaign = boardDeploy.body.campaign_id as string;
    expect(
      await call('POST', `/v1/campaigns/${boardCampaign}/status`, { key: sk, body: { status: 'active' } }),
      200,
    );
    for (const p of ['ann', 'bob', 'ann'])
      await platform.leaderboards.handleEvent({
        event: 'newsletter_subscribed',
        event_id: randomUUID(),
        client_id: clientId,
        occurred_at: new Date().toISOString(),
        participant_id: p,
      });
    const board = `/v1/campaigns/${boardCampaign}/leaderboards/top`;
    const standings = await call('GET', `${board}?limit=10`, { key: sk });
    expect(standings, 200);
    assert.deepEqual(
      standings.body.standings.map((s: Body) => s.participant_id),
      ['ann', 'bob'],
    );
    expect(await call('GET', `${board}?period=soon`, { key: sk }), 400);
    expect(await call('GET', `/v1/campaigns/${boardCampaign}/leaderboards/none`, { key: sk }), 404);
    expect(await call('GET', `${board}/participants/bob?around=1`, { key: sk }), 200);
    expect(await call('GET', `${board}/participants/bob?around=99`, { key: sk }), 400);
    expect(await call('POST', `${board}/rebuild`, { key: sk }), 200);
    expect(await call('POST', `${board}/rebuild`, { key: pk }), 403);
    expect(await call('GET', `/v1/public/leaderboards/${clientId}/${boardCampaign}/top`), 200);
    expect(await call('GET', `/v1/public/leaderboards/${clientId}/${boardCampaign}/none`), 404);

    // Notifications.
    expect(
      await call('PUT', '/v1/notifications/templates/welcome', {
        key: sk,
        body: { subject: 'Hi {{name}}', text: 'Welcome' },
      }),
      201,
    );
    expect(await call('PUT', '/v1/notifications/templates/welcome', { key: sk, body: { text: 1 } }), 400);
    expect(
      await call('PUT', '/v1/notifications/templates/welcome', {
        key: sk,
        body: { subject: 'Hi {% if %}', text: 'Welcome' },
      }),
      400,
    );
    expect(await call('GET', '/v1/notifications/templates?limit=1', { key: sk }), 200);
    expect(await call('GET', '/v1/notifications/templates?limit=0', { key: sk }), 400);
    expect(await call('GET', '/v1/notifications/templates/welcome', { key: sk }), 200);
    expect(await call('GET', '/v1/notifications/templates/no-such-template', { key: sk }), 404);
    const hook = await call('POST', '/v1/notifications/webhook-endpoints', {
      key: sk,
      body: { url: 'http://127.0.0.1:9/hook', topics: ['reward.*'] },
    });
    expect(hook, 201);
    const hookPath = `/v1/notifications/webhook-endpoints/${hook.body.id}`;
    expect(await call('GET', '/v1/notifications/webhook-endpoints?limit=5', { key: sk }), 200);
    expect(await call('GET', hookPath, { key: sk }), 200);
    expect(await call('GET', '/v1/notifications/webhook-endpoints/whe_nope', { key: sk }), 404);
    expect(await call('PATCH', hookPath, { key: sk, body: { topics: ['reward.allocated'] } }), 200);
    expect(await call('PATCH', hookPath, { key: sk, body: { enabled: 'no' } }), 400);
    expect(await call('POST', `${hookPath}/rotate-secret`, { key: sk, body: { overlap_seconds: 60 } }), 200);
    expect(await call('POST', `${hookPath}/rotate-secret`, { key: sk, body: { overlap_seconds: -1 } }), 400);
    // A logged failure, as the sender records it; its redelivery goes to the (closed) port again.
    await sql`insert into webhook_deliveries (id, client_id, endpoint_id, idempotency_key, topic, status_code,
        error, payload) values ('whd_spec', ${clientId}, ${hook.body.id as string}, 'spec/hook', 'reward.allocated',
        500, 'HTTP 500', '{"id":"spec/hook"}')`.execute(t.db);
    expect(await call('GET', `${hookPath}/deliveries?status=failed`, { key: sk }), 200);
    expect(await call('GET', `${hookPath}/deliveries?status=lost`, { key: sk }), 400);
    expect(await call('POST', `${hookPath}/deliveries/whd_spec/redeliver`, { key: sk }), 200);
    expect(await call('POST', `${hookPath}/deliveries/whd_nope/redeliver`, { key: sk }), 404);
    expect(
      await call('POST', '/v1/notifications/templates/welcome/preview', { key: sk, body: { locale: 'en' } }),
      200,
    );
    expect(
      await call('POST', '/v1/notifications/templates/welcome/preview', {
        key: sk,
        body: { source: { subject: '{{ a', text: 't' } },
      }),
      400,
    );
    expect(await call('POST', '/v1/notifications/templates/nope/preview', { key: sk, body: {} }), 404);
    expect(await call('DELETE', hookPath, { key: sk }), 200);
    expect(await call('DELETE', hookPath, { key: sk }), 404);

    // Dead-lettered events (the platform admin's): one parked row, listed, read, retried, then discarded.
    const park = (eventId: string) =>
      sql<{ id: string }>`insert into event_dead_letters
        (sink, client_id, event_id, event, outbox_seq, payload, error, attempts)
      values ('clickhouse', ${clientId}, ${eventId}, 'page_viewed', 0, '{}', 'refused', 3)
      returning id::text as id`.execute(t.db);
    const parked = (await park('spec-parked-1')).rows[0]!.id;
    expect(await call('GET', '/v1/admin/dead-letters?sink=clickhouse', { key: admin }), 200);
    expect(await call('GET', '/v1/admin/dead-letters?sink=kafka', { key: admin }), 400);
    expect(await call('GET', `/v1/admin/dead-letters/${parked}`, { key: admin }), 200);
    expect(await call('GET', '/v1/admin/dead-letters/x', { key: admin }), 400);
    expect(await call('POST', `/v1/admin/dead-letters/${parked}/retry`, { key: admin }), 200);
    expect(await call('POST', `/v1/admin/dead-letters/${parked}/retry`, { key: admin }), 404);
    const toDiscard = (await park('spec-parked-2')).rows[0]!.id;
    expect(await call('DELETE', `/v1/admin/dead-letters/${toDiscard}`, { key: admin }), 200);
    expect(await call('DELETE', `/v1/admin/dead-letters/${toDiscard}`, { key: admin }), 404);
    expect(await call('GET', '/v1/admin/dead-letters', { key: sk }), 403);
    expect(await call('GET', `/v1/admin/clients/${clientId}/usage`, { key: admin }), 200);
    expect(await call('GET', '/v1/admin/clients/cli_nope/usage', { key: admin }), 404);
    expect(await call('GET', '/v1/notifications/participants/bob', { key: sk }), 200);
    expect(await call('GET', '/v1/notifications?status=failed', { key: sk }), 200);
    expect(await call('GET', '/v1/notifications?status=lost', { key: sk }), 400);

    // The SDK: the snippet for a publishable key, and the versioned file it loads.
    const snippet = await call('GET', `/v1/sdk/snippet?key=${pk}`, { key: pk });
    expect(snippet, 200);
    const sdkPath = new URL(snippet.body.sdk_url as string).pathname;
    expect(await call('GET', sdkPath), 200);
    expect(await call('GET', '/sdk/latest/nope.js'), 404);

    assert.deepEqual(problems, [], `answers that break the spec:\n${problems.join('\n')}`);
    const missing = operationsOf(spec)
      .map((o) => o.operationId)
      .filter((id) => !covered.has(id));
    assert.deepEqual(missing, [], `operations never exercised: ${missing.join(', ')}`);
  });

  it('refuses every documented query bound it documents: out of range or unknown is a 400 naming the parameter', async () => {
    const { secret } = await platform.clientManagement.createClient({ name: 'Bounds Co' });
    const admin = (await platform.clientManagement.issueKey(null, 'admin')).key;
    const tried: string[] = [];
    for (const { method, path, op } of operationsOf(spec)) {
      const params = ((op.parameters as Body[]) ?? []).map((p) =>
        typeof p.$ref === 'string'
          ? ((spec.components as Body).parameters[String(p.$ref.split('/').pop())] as Body)
          : p,
      );
      for (const p of params.filter((x) => x.in === 'query')) {
        const s = p.schema as Body;
        const bad =
          typeof s.maximum === 'number'
            ? String(s.maximum + 1)
            : Array.isArray(s.enum)
              ? 'not-a-value'
              : null;
        if (bad === null) continue;
        const url = `${path.replace(/\{[^}]+\}/g, 'x1')}?${p.name}=${bad}`;
        const key = (op.security as Body[]).some((x) => 'adminKey' in x) ? admin : secret.key;
        const r = await call(method.toUpperCase(), url, { key });
        tried.push(`${method} ${url}`);
        assert.equal(r.status, 400, `${method} ${url}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.details[0].path, p.name, `${method} ${url}`);
      }
    }
    assert.ok(tried.length >= 12, tried.join(', '));
    assert.deepEqual(problems, []);
  });

  it('the checker itself refuses an undocumented status and a body that breaks the schema', () => {
    const wrongStatus = checker.check('GET', '/v1/client', 418, 'application/json', {});
    assert.match(wrongStatus.problems[0] ?? '', /418 is not documented/);
    const wrongBody = checker.check('GET', '/v1/client', 200, 'application/json', { client: { id: 1 } });
    assert.equal(wrongBody.operationId, 'getClient');
    assert.ok(
      wrongBody.problems.some((p) => p.startsWith('client.id')),
      wrongBody.problems.join('; '),
    );
    assert.ok(
      wrongBody.problems.some((p) => p.includes('client.name')),
      wrongBody.problems.join('; '),
    );
  });
});
