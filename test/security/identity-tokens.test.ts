// biome-ignore-all lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Subscription } from '../../contract/bus.ts';
import { createIdentityToken, createPulseServerClient } from '../../sdk/node/index.ts';
import { migrations as cmMigrations } from '../../services/client-management/migrations/index.ts';
import { revokeApiKey } from '../../services/client-management/repo.ts';
import { type ClientManagement, createClientManagement } from '../../services/client-management/service.ts';
import { createEventsTable } from '../../services/event/events-table.ts';
import { createEventApp, createEventDrainer, type EventDrainer } from '../../services/event/index.ts';
import { migrations as eventMigrations } from '../../services/event/migrations/index.ts';
import {
  migrations as notificationMigrations,
  startContactTracking,
} from '../../services/notification/index.ts';
import { findContact } from '../../services/notification/repo.ts';
import type { InspectableBus } from '../../services/platform/bus/inspect.ts';
import { busMigrations, createPostgresBus } from '../../services/platform/bus/postgres-bus.ts';
import { signIdentityToken } from '../../services/platform/identity-token.ts';
import {
  createRewardApp,
  createRewardService,
  registerProgram,
  migrations as rewardMigrations,
} from '../../services/reward/index.ts';
import { findReward } from '../../services/reward/lifecycle/repo.ts';
import { createTestClickHouse, type TestClickHouse } from '../support/clickhouse.ts';
import { sampleEvent } from '../support/event.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { testSecretBox } from '../support/secret-box.ts';

/**
 * Identity verification end to end: the real client-management key resolver, the real reward and event
 * apps over Postgres, the drainer into ClickHouse and the Postgres bus, and notification's contact
 * tracker learning emails from identify events. The client's server is the Node SDK over loopback HTTP.
 */
let tdb: TestDatabase;
let tch: TestClickHouse;
let bus: InspectableBus;
let drainer: EventDrainer;
let subs: Subscription[];
let cm: ClientManagement;
let app: Hono;
let server: ReturnType<typeof serve>;
let endpoint: string;
let A: Awaited<ReturnType<ClientManagement['createClient']>>;
let B: Awaited<ReturnType<ClientManagement['createClient']>>;
const rewardIds: string[] = [];

before(async () => {
  tdb = await createTestDatabase({
    'client-management': cmMigrations,
    event: eventMigrations,
    reward: rewardMigrations,
    notification: notificationMigrations,
    bus: busMigrations,
  });
  tch = await createTestClickHouse(createEventsTable);
  bus = createPostgresBus({ db: tdb.db, listenUrl: tdb.url, pollMs: 50, log: () => {} });
  subs = await startContactTracking(bus, tdb.db);
  drainer = createEventDrainer({
    db: tdb.db,
    ch: tch.ch,
    bus,
    clickhouse: { intervalMs: 100, batchRows: 100 },
    busSink: { intervalMs: 50, batchRows: 100 },
    retryBaseMs: 50,
    retryMaxMs: 400,
    log: () => {},
  });
  drainer.start();
  // No key cache, so a revoked key stops verifying tokens at once.
  const secretBox = testSecretBox();
  cm = createClientManagement(tdb.db, { hashSecret: 'identity-test', cacheMs: 0, secretBox });
  A = await cm.createClient({ name: 'Shop A' });
  B = await cm.createClient({ name: 'Shop B' });
  const service = createRewardService({ db: tdb.db, secretBox });
  const rewards = createRewardApp({
    db: tdb.db,
    resolver: cm.resolver,
    internalToken: 'it',
    service,
    secretBox,
  });
  const events = createEventApp({
    db: tdb.db,
    resolver: cm.resolver,
    hashSecret: 'identity-test',
    onAccepted: (n) => drainer.nudge(n),
  });
  app = new Hono().route('/', rewards).route('/', events);
  await registerProgram(tdb.db, {
    clientId: A.client.id,
    campaignId: 'cmp',
    version: 1,
    status: 'active',
    rewards: {
      coupon: {
        type: 'single',
        side: 'referee',
        give: { category: 'coupon', amount: 5, currency: 'USD', expires_in: '7d' },
        fulfilment: 'claim',
      },
      credit: {
        type: 'single',
        side: 'referee',
        give: { category: 'store_credit', amount: 10, currency: 'USD' },
      },
    },
  });
  for (const rule of ['coupon', 'credit']) {
    const r = await service.allocate({
      clientId: A.client.id,
      campaignId: 'cmp',
      version: 1,
      rule,
      side: 'referee',
      participantId: 'alice',
      idempotencyKey: `identity-test/${rule}`,
    });
    rewardIds.push((r as { reward_id: string }).reward_id);
  }
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  for (const s of subs) await s.stop();
  await drainer.stop();
  await bus.close();
  await tch.drop();
  await tdb.drop();
});

const secretOf = (c: typeof A) => c.secret.signing_secret ?? '';
const token = (c: typeof A, participant: string, o: { ttl_seconds?: number; now?: Date } = {}) =>
  createIdentityToken(secretOf(c), participant, { client_id: c.client.id, ...o });

async function req(
  method: string,
  path: string,
  o: { key?: string; identity?: string; body?: unknown } = {},
): Promise<{ status: number; body: any }> {
  const res = await app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${o.key ?? A.publishable.key}`,
      'content-type': 'application/json',
      ...(o.identity ? { 'x-pulse-identity': o.identity } : {}),
    },
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

const rewardsOf = (participant: string, o: { key?: string; identity?: string } = {}) =>
  req('GET', `/v1/reward-participants/${participant}/rewards`, o);
const balanceOf = (participant: string, o: { key?: string; identity?: string } = {}) =>
  req('GET', `/v1/reward-participants/${participant}/balance`, o);
const claim = (identity?: string) =>
  req('POST', `/v1/rewards/${rewardIds[0]}/claim`, {
    ...(identity ? { identity } : {}),
    body: { participant_id: 'alice', details: { email: 'alice@shop.test' } },
  });

describe('a publishable key reading a participant’s rewards', () => {
  const mac = (t: string) => t.slice(0, -2) + (t.endsWith('AA') ? 'BB' : 'AA');
  const swapped = () => {
    const [v, , m] = token(A, 'bob').split('.');
    const alice = token(A, 'alice').split('.')[1];
    return `${v}.${alice}.${m}`;
  };
  const cases: [string, () => string | undefined, string][] = [
    ['missing token', () => undefined, 'no identity token'],
    ['garbage token', () => 'not-a-token', 'malformed identity token'],
    [
      'expired token',
      () => token(A, 'alice', { ttl_seconds: 60, now: new Date(Date.now() - 3_600_000) }),
      'identity token expired',
    ],
    ['token for another participant', () => token(A, 'bob'), 'identity token is for another participant'],
    ['tampered mac', () => mac(token(A, 'alice')), 'identity token signature does not match'],
    ['payload of another token', swapped, 'identity token signature does not match'],
    ['token of another client', () => token(B, 'alice'), 'identity token signature does not match'],
    [
      'token naming another client',
      () =>
        signIdentityToken(secretOf(A), {
          participantId: 'alice',
          clientId: B.client.id,
          expiresAt: Math.floor(Date.now() / 1000) + 60,
        }),
      'identity token of another client',
    ],
    [
      'token living longer than 24 h',
      () =>
        signIdentityToken(secretOf(A), {
          participantId: 'alice',
          expiresAt: Math.floor(Date.now() / 1000) + 30 * 86_400,
        }),
      'identity token lives longer than 24 h',
    ],
  ];

  for (const [name, make, reason] of cases) {
    it(`${name}: only counts; balance and claim are refused with IDENTITY_REQUIRED`, async () => {
      const identity = make();
      const o = identity ? { identity } : {};
      const list = await rewardsOf('alice', o);
      assert.equal(list.status, 200);
      assert.deepEqual(list.body, {
        data: [],
        has_more: false,
        next_cursor: null,
        redacted: true,
        reason,
        counts: { total: 2, by_state: list.body.counts.by_state },
      });
      const text = JSON.stringify(list.body);
      for (const id of rewardIds) assert.ok(!text.includes(id), 'no reward id in the public view');
      const balance = await balanceOf('alice', o);
      assert.deepEqual([balance.status, balance.body.error.code], [401, 'IDENTITY_REQUIRED']);
      const claimed = await claim(identity);
      assert.deepEqual([claimed.status, claimed.body.error.code], [401, 'IDENTITY_REQUIRED']);
      assert.equal((await findReward(tdb.db, A.client.id, rewardIds[0] ?? ''))?.state, 'ELIGIBLE');
    });
  }

  it('a member’s personal secret key vouches for no participant', async () => {
    const { key } = await cm.addMember(A.client.id, 'ann@shop.test', 'owner');
    const t = createIdentityToken(key.signing_secret ?? '', 'alice');
    assert.equal(
      (await rewardsOf('alice', { identity: t })).body.reason,
      'identity token signature does not match',
    );
  });

  it('a revoked secret key’s tokens stop working', async () => {
    const extra = await cm.issueKey(A.client.id, 'secret', 'admin');
    const t = createIdentityToken(extra.signing_secret ?? '', 'alice');
    assert.equal((await rewardsOf('alice', { identity: t })).body.redacted, undefined, 'valid while live');
    assert.ok(await revokeApiKey(tdb.db, A.client.id, extra.id));
    const after = await rewardsOf('alice', { identity: t });
    assert.equal(after.body.reason, 'identity token signature does not match');
  });

  it('a token for alice never unlocks bob, nor alice of another client', async () => {
    const bob = await rewardsOf('bob', { identity: token(A, 'alice') });
    assert.equal(bob.body.reason, 'identity token is for another participant');
    const otherClient = await rewardsOf('alice', { key: B.publishable.key, identity: token(A, 'alice') });
    assert.deepEqual(otherClient.body.counts, { total: 0, by_state: {} });
    // Checked against B's secrets only, so A's token does not even verify.
    assert.equal(otherClient.body.reason, 'identity token signature does not match');
  });

  it('a valid token gives the full view, the balance and the claim; a secret key needs none', async () => {
    const identity = token(A, 'alice');
    const list = await rewardsOf('alice', { identity });
    assert.deepEqual(list.body.data.map((r: any) => r.id).sort(), [...rewardIds].sort());
    assert.ok(list.body.data.every((r: any) => 'fulfilment' in r));
    const balance = await balanceOf('alice', { identity });
    assert.equal(balance.status, 200);
    assert.ok(Array.isArray(balance.body.balances));
    const claimed = await claim(identity);
    assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
    assert.equal(claimed.body.reward.state, 'APPROVED');
    const server = await rewardsOf('alice', { key: A.secret.key });
    assert.equal(server.body.data.length, 2);
    assert.equal((await balanceOf('alice', { key: A.secret.key })).status, 200);
  });
});

describe('contact details from identify events', () => {
  const contact = () => findContact(tdb.db, A.client.id, 'alice');
  async function until(what: string, ok: (c: Awaited<ReturnType<typeof contact>>) => boolean) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const c = await contact();
      if (ok(c)) return c;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const identify = (traits: Record<string, unknown>, participant = 'alice') =>
    sampleEvent({ event: 'user_identified', participant_id: participant, traits });
  const batch = (events: unknown[], identity?: unknown) =>
    req('POST', `/v1/events/batch?key=${A.publishable.key}`, {
      body: { events, sent_at: new Date().toISOString(), ...(identity !== undefined ? { identity } : {}) },
    });

  it('a signed server identify sets the email (Node SDK over HTTP)', async () => {
    const pulse = createPulseServerClient({
      endpoint,
      secret_key: A.secret.key,
      signing_secret: secretOf(A),
      max_retries: 0,
    });
    await pulse.track({
      event: 'user_identified',
      participant_id: 'alice',
      traits: { email: 'alice@shop.test' },
    });
    await until('the server email', (c) => c?.email === 'alice@shop.test');
  });

  it('forged identifies (no token, another participant’s token, an expired one) never re-point the email', async () => {
    const none = await batch([identify({ email: 'evil@attacker.test', name: 'Forged 1' })]);
    assert.equal(none.status, 202);
    assert.deepEqual(none.body.results[0].stripped, ['traits.email']);
    // The rest of the event still counts: the name arrives, the email does not.
    await until('the first forged event', (c) => c?.name === 'Forged 1');
    assert.equal((await contact())?.email, 'alice@shop.test');

    const mallory = await batch(
      [identify({ email: 'evil@attacker.test', name: 'Forged 2' })],
      token(A, 'mallory'),
    );
    assert.deepEqual(mallory.body.results[0].stripped, ['traits.email']);
    await until('the second forged event', (c) => c?.name === 'Forged 2');
    assert.equal((await contact())?.email, 'alice@shop.test');

    const expired = await req('POST', '/v1/events', {
      identity: token(A, 'alice', { ttl_seconds: 60, now: new Date(Date.now() - 3_600_000) }),
      body: identify({ email: 'evil@attacker.test', phone: '+15550100', name: 'Forged 3' }),
    });
    assert.equal(expired.status, 202);
    assert.deepEqual(expired.body.stripped, ['traits.email', 'traits.phone']);
    await until('the third forged event', (c) => c?.name === 'Forged 3');
    assert.equal((await contact())?.email, 'alice@shop.test');
  });

  it('with a valid token for that participant the browser may change it; a later server identify wins', async () => {
    const ok = await batch([identify({ email: 'alice.new@shop.test' })], token(A, 'alice'));
    assert.equal(ok.body.results[0].stripped, undefined);
    await until('the verified browser email', (c) => c?.email === 'alice.new@shop.test');
    const pulse = createPulseServerClient({
      endpoint,
      secret_key: A.secret.key,
      signing_secret: secretOf(A),
    });
    await pulse.track({
      event: 'user_identified',
      participant_id: 'alice',
      traits: { email: 'alice@server.test' },
    });
    await until('the second server email', (c) => c?.email === 'alice@server.test');
  });

  it('an identity field that is not a token string is a 400 with its path', async () => {
    const bad = await batch([identify({ plan: 'pro' })], 42);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].path, 'identity');
  });
});
