// biome-ignore-all lint/suspicious/noExplicitAny: tests read arbitrary stored JSON
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { fakeResolver, purchase, sampleEvent } from '../../test/support/event.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { testSecretBox } from '../../test/support/secret-box.ts';
import { parseCidrList } from '../platform/cidr.ts';
import { newWebhookSecret } from '../platform/webhooks.ts';
import { hashIp } from './enrich.ts';
import { createEventApp } from './index.ts';
import { migrations } from './migrations/index.ts';
import { createMemoryRateLimiter } from './rate-limit.ts';
import { signBody } from './signature.ts';

let tdb: TestDatabase;
let app: ReturnType<typeof createEventApp>;
const SIGNING = 'whsec_test_secret';
/** A signing secret in the standard form, as keys issued now get. */
const STANDARD_SIGNING = newWebhookSecret();
const resolver = fakeResolver({
  pk_live: { clientId: 'cli_a' },
  pk_other: { clientId: 'cli_b' },
  pk_suspended: { clientId: 'cli_s', clientStatus: 'suspended' },
  pk_limited: { clientId: 'cli_limited' },
  sk_server: { clientId: 'cli_a', signingSecret: SIGNING },
  sk_standard: { clientId: 'cli_a', signingSecret: STANDARD_SIGNING },
});

before(async () => {
  tdb = await createTestDatabase({ event: migrations });
  const roomy = createMemoryRateLimiter({ capacity: 10_000, refillPerSecond: 10_000 });
  const tight = createMemoryRateLimiter({ capacity: 3, refillPerSecond: 0.5 });
  app = createEventApp({
    db: tdb.db,
    resolver,
    hashSecret: 'test-hash-secret',
    trustedProxies: parseCidrList('10.0.0.0/8').ranges,
    rateLimiter: { take: (key, cost) => (key === 'cli_limited' ? tight : roomy).take(key, cost) },
  });
});
after(() => tdb.drop());

const post = (path: string, body: unknown, headers: Record<string, string> = {}, peer = '10.0.0.2') =>
  app.request(
    path,
    {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    },
    // What @hono/node-server binds: the socket peer (here a load balancer inside the trusted range).
    { incoming: { socket: { remoteAddress: peer } } },
  );
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

async function stored(clientId: string, eventId: string) {
  const r = await sql<{ payload: string }>`
    select payload from event_outbox where client_id = ${clientId} and event_id = ${eventId}`.execute(tdb.db);
  return r.rows.map((x) => JSON.parse(x.payload) as Record<string, any>);
}

describe('POST /v1/events pipeline outcomes', () => {
  test('202 accepted, stored durably before the answer', async () => {
    const e = purchase();
    const res = await post('/v1/events', e, auth('pk_live'));
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { status: 'accepted', event_id: e.event_id });
    assert.equal((await stored('cli_a', e.event_id as string)).length, 1);
  });

  test('a replayed event id answers 202 "already processed" and is stored once', async () => {
    const e = purchase();
    assert.equal((await post('/v1/events', e, auth('pk_live'))).status, 202);
    const again = await post('/v1/events', e, auth('pk_live'));
    assert.equal(again.status, 202);
    assert.deepEqual(await again.json(), {
      status: 'duplicate',
      event_id: e.event_id,
      message: 'already processed',
    });
    assert.equal((await stored('cli_a', e.event_id as string)).length, 1);
  });

  test('the same event id from two clients is two events (dedup is per client)', async () => {
    const e = purchase();
    assert.equal((await post('/v1/events', e, auth('pk_live'))).status, 202);
    const other = await post('/v1/events', e, auth('pk_other'));
    assert.equal(((await other.json()) as { status: string }).status, 'accepted');
  });

  test('400 names the failing field path', async () => {
    const res = await post(
      '/v1/events',
      purchase({ properties: { order_id: 'o1', amount: 'lots', currency: 'eur' } }),
      auth('pk_live'),
    );
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
    assert.equal(body.error.code, 'VALIDATION_FAILED');
    const paths = body.error.details.map((d) => d.path).sort();
    assert.deepEqual(paths, ['properties.amount', 'properties.currency']);
  });

  test('400 for an unknown event type and for a missing identity', async () => {
    const bad = await post('/v1/events', sampleEvent({ event: 'made_up_event' }), auth('pk_live'));
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as any).error.details[0].path, 'event');
    const noId = sampleEvent();
    delete noId.anonymous_id;
    const res = await post('/v1/events', noId, auth('pk_live'));
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as any).error.details[0].path, 'participant_id');
  });

  test('400 for a body that is not JSON', async () => {
    const res = await post('/v1/events', '{nope', auth('pk_live'));
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as any).error.code, 'BAD_REQUEST');
  });

  test('401 for a missing or unknown key', async () => {
    assert.equal((await post('/v1/events', sampleEvent())).status, 401);
    const res = await post('/v1/events', sampleEvent(), auth('pk_nope'));
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as any).error.code, 'UNAUTHORIZED');
  });

  test('403 for an inactive client', async () => {
    const res = await post('/v1/events', sampleEvent(), { 'x-api-key': 'pk_suspended' });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as any).error.code, 'CLIENT_INACTIVE');
  });

  test('429 with Retry-After once the client bucket is empty', async () => {
    for (let i = 0; i < 3; i++)
      assert.equal((await post('/v1/events', sampleEvent(), auth('pk_limited'))).status, 202);
    const res = await post('/v1/events', sampleEvent(), auth('pk_limited'));
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '2');
    assert.equal(((await res.json()) as any).error.code, 'RATE_LIMITED');
  });

  test('an event naming another client is refused', async () => {
    const res = await post('/v1/events', sampleEvent({ client_id: 'cli_b' }), auth('pk_live'));
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as any).error.details[0].path, 'client_id');
  });
});

describe('enrichment', () => {
  test('adds received_at, hashes the IP (never stores it), parses the user agent, reads the country', async () => {
    const e = sampleEvent({ occurred_at: '2020-01-01T00:00:00.000Z' });
    const res = await post('/v1/events', e, {
      ...auth('pk_live'),
      'x-forwarded-for': '203.0.113.9, 10.0.0.1',
      'cf-ipcountry': 'fr',
      'user-agent':
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
    });
    assert.equal(res.status, 202);
    const [p] = await stored('cli_a', e.event_id as string);
    assert.ok(p);
    assert.equal(p.client_id, 'cli_a');
    assert.equal(p.source, 'sdk');
    assert.equal(p.trust, 'sdk');
    assert.equal(p.occurred_at, '2020-01-01T00:00:00.000Z');
    assert.ok(Date.now() - Date.parse(p.received_at) < 10_000);
    assert.equal(p.context.geo.country, 'FR');
    assert.match(p.context.geo.ip_hash, /^[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(p).includes('203.0.113.9'), 'raw IP must not be stored');
    assert.deepEqual(
      [p.context.device.browser, p.context.device.os, p.context.device.type],
      ['Safari', 'iOS', 'mobile'],
    );
    assert.equal(p.context.device.screen, '1440x900');
  });

  test('the IP hashed is the one the trusted proxy saw; XFF from anyone else is ignored', async () => {
    const ipHashOf = async (headers: Record<string, string>, peer: string) => {
      const e = sampleEvent();
      assert.equal((await post('/v1/events', e, { ...auth('pk_live'), ...headers }, peer)).status, 202);
      return (await stored('cli_a', e.event_id as string))[0]?.context.geo.ip_hash;
    };
    const xff = { 'x-forwarded-for': '198.51.100.7, 203.0.113.9, 10.0.0.1' };
    // Behind our proxies: the rightmost address outside 10/8; the spoofed leftmost entry is not taken.
    assert.equal(await ipHashOf(xff, '10.0.0.2'), hashIp('test-hash-secret', '203.0.113.9'));
    // Straight from the internet: the header is the client's own claim, the socket peer counts.
    assert.equal(await ipHashOf(xff, '192.0.2.44'), hashIp('test-hash-secret', '192.0.2.44'));
  });

  test('a skewed device clock is corrected with the batch sent_at; future times are clamped', async () => {
    const skew = 3_600_000;
    const occurred = new Date(Date.now() + skew - 5_000).toISOString();
    const e = sampleEvent({ occurred_at: occurred });
    const res = await post(
      '/v1/events/batch',
      { events: [e], sent_at: new Date(Date.now() + skew).toISOString() },
      auth('pk_live'),
    );
    assert.equal(res.status, 202);
    const [p] = await stored('cli_a', e.event_id as string);
    const delta = Date.now() - Date.parse(p?.occurred_at);
    assert.ok(delta > 3_000 && delta < 8_000, `corrected to ~5 s ago, got ${delta} ms`);
  });
});

describe('POST /v1/events/batch', () => {
  test('per-event results: accepted, duplicate, rejected', async () => {
    const a = sampleEvent();
    const b = purchase();
    const res = await post(
      '/v1/events/batch',
      { events: [a, b, a, purchase({ properties: { amount: 3 } })] },
      auth('pk_live'),
    );
    assert.equal(res.status, 202);
    const body = (await res.json()) as any;
    assert.deepEqual([body.accepted, body.duplicates, body.rejected], [2, 1, 1]);
    assert.deepEqual(
      body.results.map((r: any) => r.status),
      ['accepted', 'accepted', 'duplicate', 'rejected'],
    );
    assert.deepEqual(body.results[3].errors.map((d: any) => d.path).sort(), [
      'properties.currency',
      'properties.order_id',
    ]);
  });

  test('more than 100 events is a 400', async () => {
    const events = Array.from({ length: 101 }, () => sampleEvent());
    const res = await post('/v1/events/batch', { events }, auth('pk_live'));
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as any).error.details[0].path, 'events');
  });

  test('sendBeacon form: publishable key in ?key=, text/plain body', async () => {
    const e = sampleEvent();
    const res = await app.request('/v1/events/batch?key=pk_live', {
      method: 'POST',
      body: JSON.stringify({ events: [e] }),
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
    });
    assert.equal(res.status, 202);
    assert.equal(((await res.json()) as any).accepted, 1);
  });

  test('a secret key in the URL is refused', async () => {
    const res = await post('/v1/events/batch?key=sk_server', { events: [sampleEvent()] });
    assert.equal(res.status, 403);
  });

  test('CORS preflight allows any origin with the auth headers', async () => {
    const res = await app.request('/v1/events/batch', {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
  });
});

describe('server-side events signed with Standard Webhooks', () => {
  const now = () => Math.floor(Date.now() / 1000);
  /** Signed by the standardwebhooks package, an implementation independent of ours. */
  const sign = (secret: string, body: string, at = now(), id = `msg_${Math.random()}`) => ({
    'webhook-id': id,
    'webhook-timestamp': String(at),
    'webhook-signature': new Webhook(secret).sign(id, new Date(at * 1000), body),
  });
  const send = (key: string, body: string, headers: Record<string, string>) =>
    post('/v1/events', body, { ...auth(key), ...headers });

  test('accepted as a server event; a replay within the window is a duplicate, not a second event', async () => {
    const e = purchase();
    const body = JSON.stringify(e);
    const headers = sign(STANDARD_SIGNING, body);
    const res = await send('sk_standard', body, headers);
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('Deprecation'), null);
    const [p] = await stored('cli_a', e.event_id as string);
    assert.equal(p?.trust, 'server');
    const replay = await send('sk_standard', body, headers);
    assert.equal(((await replay.json()) as any).status, 'duplicate');
    assert.equal((await stored('cli_a', e.event_id as string)).length, 1);
  });

  test('a legacy signing secret (not whsec_ + base64) is its raw bytes', async () => {
    const body = JSON.stringify(purchase());
    const id = 'msg_raw';
    const at = now();
    const sig = new Webhook(SIGNING, { format: 'raw' }).sign(id, new Date(at * 1000), body);
    const res = await send('sk_server', body, {
      'webhook-id': id,
      'webhook-timestamp': String(at),
      'webhook-signature': sig,
    });
    assert.equal(res.status, 202);
  });

  test('missing, wrong, tampered, stale or future signatures are 401 BAD_SIGNATURE', async () => {
    const body = JSON.stringify(purchase());
    const cases: [string, Record<string, string>][] = [
      ['none', {}],
      ['wrong secret', sign(newWebhookSecret(), body)],
      ['tampered', sign(STANDARD_SIGNING, body.replace('120.5', '999'))],
      ['stale', sign(STANDARD_SIGNING, body, now() - 301)],
      ['future', sign(STANDARD_SIGNING, body, now() + 301)],
      ['no id', { ...sign(STANDARD_SIGNING, body), 'webhook-id': '' }],
    ];
    for (const [name, headers] of cases) {
      const res = await send('sk_standard', body, headers);
      assert.equal(res.status, 401, name);
      assert.equal(((await res.json()) as any).error.code, 'BAD_SIGNATURE', name);
    }
  });

  test('the deprecated X-Pulse-Signature still works, answered with a Deprecation header', async () => {
    const body = JSON.stringify(purchase());
    const res = await send('sk_standard', body, {
      'x-pulse-signature': signBody(STANDARD_SIGNING, body, now()),
    });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get('Deprecation'), 'true');
    // Both sent: the Standard Webhooks headers decide (a bad one is not rescued by the old header).
    const both = await send('sk_standard', body, {
      'x-pulse-signature': signBody(STANDARD_SIGNING, body, now()),
      ...sign(newWebhookSecret(), body),
    });
    assert.equal(both.status, 401);
  });
});

describe('server-side events signed with HMAC (deprecated X-Pulse-Signature)', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const send = (body: string, signature?: string) =>
    post('/v1/events', body, {
      ...auth('sk_server'),
      ...(signature ? { 'x-pulse-signature': signature } : {}),
    });

  test('a valid signature is accepted and marked as a server event', async () => {
    const e = purchase();
    const body = JSON.stringify(e);
    const res = await send(body, signBody(SIGNING, body, now()));
    assert.equal(res.status, 202);
    const [p] = await stored('cli_a', e.event_id as string);
    assert.equal(p?.source, 'server');
    assert.equal(p?.trust, 'server');
  });

  test('missing, wrong, tampered or stale signatures are 401', async () => {
    const body = JSON.stringify(purchase());
    const cases = [
      undefined,
      signBody('whsec_wrong', body, now()),
      signBody(SIGNING, body.replace('120.5', '999'), now()),
      signBody(SIGNING, body, now() - 301),
      't=abc,v1=zz',
    ];
    for (const sig of cases) {
      const res = await send(body, sig);
      assert.equal(res.status, 401, `signature ${sig}`);
      assert.equal(((await res.json()) as any).error.code, 'BAD_SIGNATURE');
    }
  });
});

describe('with the real client-management key resolver', () => {
  test('202 for an active client, 403 once suspended, 401 for an unknown key', async () => {
    const { migrations: cmMigrations } = await import('../client-management/migrations/index.ts');
    const { createClientManagement } = await import('../client-management/service.ts');
    const cdb = await createTestDatabase({ 'client-management': cmMigrations, event: migrations });
    try {
      const cm = createClientManagement(cdb.db, { hashSecret: 'h', secretBox: testSecretBox() });
      const { client, publishable } = await cm.createClient({ name: 'Acme' });
      const real = createEventApp({ db: cdb.db, resolver: cm.resolver, hashSecret: 'h' });
      const send = (key: string) =>
        real.request('/v1/events', {
          method: 'POST',
          body: JSON.stringify(sampleEvent()),
          headers: { authorization: `Bearer ${key}` },
        });
      assert.equal((await send(publishable.key)).status, 202);
      await cm.setStatus(client.id, 'suspended');
      const suspended = await send(publishable.key);
      assert.equal(suspended.status, 403);
      assert.equal(((await suspended.json()) as any).error.code, 'CLIENT_INACTIVE');
      assert.equal((await send(`${publishable.key}x`)).status, 401);
    } finally {
      await cdb.drop();
    }
  });
});
