import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { sql } from 'kysely';
import { AppError } from '../../contract/errors.ts';
import { sampleEvent } from '../../test/support/event.ts';
import { openTestPlatform, type TestPlatform } from '../../test/support/platform.ts';
import { testSecretBox } from '../../test/support/secret-box.ts';
import type { createPlatform } from '../app.ts';
import { withErrorHandling } from './http.ts';
import { IDEMPOTENCY_TTL_MS, idempotency, REPLAYED_HEADER } from './idempotency.ts';
import { requestIds } from './request-id.ts';

type Platform = ReturnType<typeof createPlatform>;

const post = (key: string, idem: string | null, body: unknown, extra: Record<string, string> = {}) => ({
  method: 'POST',
  headers: {
    authorization: `Bearer ${key}`,
    'content-type': 'application/json',
    ...(idem === null ? {} : { 'idempotency-key': idem }),
    ...extra,
  },
  body: JSON.stringify(body),
});

describe('Idempotency-Key', () => {
  let env: TestPlatform;
  let build: () => Platform;

  before(async () => {
    env = await openTestPlatform();
    build = () => env.build();
  });
  after(() => env.close());

  const keyCount = async (p: Platform, sk: string) => {
    const res = await p.app.request('/v1/api-keys', { headers: { authorization: `Bearer ${sk}` } });
    return ((await res.json()) as { data: unknown[] }).data.length;
  };

  it('replays the stored response of a retry, without running it again', async () => {
    const p = build();
    const { secret } = await p.clientManagement.createClient({ name: 'Replay' });
    const idem = `replay-${randomUUID()}`;
    const first = await p.app.request('/v1/api-keys', post(secret.key, idem, { kind: 'publishable' }));
    assert.equal(first.status, 201);
    assert.equal(first.headers.get(REPLAYED_HEADER), null);
    const firstBody = await first.text();
    const before = await keyCount(p, secret.key);

    const again = await p.app.request('/v1/api-keys', post(secret.key, idem, { kind: 'publishable' }));
    assert.equal(again.status, 201);
    assert.equal(again.headers.get(REPLAYED_HEADER), 'true');
    assert.match(again.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(await again.text(), firstBody, 'the same key, byte for byte');
    assert.ok(again.headers.get('X-Request-Id'), 'the replay has its own request id');
    assert.notEqual(again.headers.get('X-Request-Id'), first.headers.get('X-Request-Id'));
    assert.equal(await keyCount(p, secret.key), before, 'no second key issued');

    const fresh = await p.app.request('/v1/api-keys', post(secret.key, `${idem}-2`, { kind: 'publishable' }));
    assert.equal(fresh.status, 201);
    assert.notEqual(await fresh.text(), firstBody, 'another key runs the request');
  });

  it('keeps no secret in plaintext: API key, endpoint creation and secret rotation answers are stored encrypted', async () => {
    const p = build();
    const { secret } = await p.clientManagement.createClient({ name: 'Sealed' });
    const idem = `sealed-${randomUUID()}`;
    const stored = async (k: string) =>
      (
        await sql<{
          body: Buffer;
        }>`select response_body as body from idempotency_keys where key = ${k}`.execute(env.db.db)
      ).rows[0]?.body.toString('utf8');
    type Answer = { id: string; secret: string; key: { key: string } };
    const cases: { path: (ep: string) => string; body: unknown; secretOf: (j: Answer) => string }[] = [
      {
        path: () => '/v1/api-keys',
        body: { kind: 'secret', role: 'viewer' },
        secretOf: (j) => j.key.key,
      },
      {
        path: () => '/v1/notifications/webhook-endpoints',
        body: { url: 'https://93.184.216.34/hooks/sealed' },
        secretOf: (j) => j.secret,
      },
      {
        path: (ep) => `/v1/notifications/webhook-endpoints/${ep}/rotate-secret`,
        body: { overlap_seconds: 0 },
        secretOf: (j) => j.secret,
      },
    ];
    let endpointId = '';
    for (const [i, c] of cases.entries()) {
      const k = `${idem}-${i}`;
      const path = c.path(endpointId);
      const first = await p.app.request(path, post(secret.key, k, c.body));
      assert.ok(first.status < 300, `${path} → ${first.status}`);
      const text = await first.text();
      const json = JSON.parse(text) as Answer;
      if (i === 1) endpointId = json.id;
      const shown = c.secretOf(json);
      assert.match(shown, /^(sk_|whsec_)/, `${path} answers a secret`);
      const row = await stored(k);
      assert.ok(row, `${path}: the answer is kept`);
      assert.ok(!row.includes(shown), `${path}: the stored body does not hold the secret`);
      assert.match(row, /^enc:v1:/);
      const again = await p.app.request(path, post(secret.key, k, c.body));
      assert.equal(again.headers.get(REPLAYED_HEADER), 'true');
      assert.equal(await again.text(), text, `${path}: the replay is the same bytes`);
    }
  });

  it('refuses the same key with a different request: 422 IDEMPOTENCY_KEY_REUSED naming the key', async () => {
    const p = build();
    const { secret } = await p.clientManagement.createClient({ name: 'Reuse' });
    const idem = `reuse-${randomUUID()}`;
    assert.equal(
      (await p.app.request('/v1/api-keys', post(secret.key, idem, { kind: 'publishable' }))).status,
      201,
    );
    for (const [path, body] of [
      ['/v1/api-keys', { kind: 'secret', role: 'viewer' }],
      ['/v1/members', { kind: 'publishable' }],
    ] as const) {
      const res = await p.app.request(path, post(secret.key, idem, body));
      assert.equal(res.status, 422, path);
      const { error } = (await res.json()) as {
        error: { code: string; message: string; details: { path: string }[] };
      };
      assert.equal(error.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.ok(error.message.includes(idem), error.message);
      assert.equal(error.details[0]?.path, 'headers.Idempotency-Key');
    }
    const bad = await p.app.request(
      '/v1/api-keys',
      post(secret.key, 'x'.repeat(256), { kind: 'publishable' }),
    );
    assert.equal(bad.status, 400);
    const tab = await p.app.request('/v1/api-keys', post(secret.key, 'a\tb', { kind: 'publishable' }));
    assert.equal(tab.status, 400);
  });

  it('keeps a 4xx answer: the retry gets the same refusal, replayed', async () => {
    const p = build();
    const { secret } = await p.clientManagement.createClient({ name: 'Four' });
    const idem = `four-${randomUUID()}`;
    const first = await p.app.request('/v1/api-keys', post(secret.key, idem, { kind: 'bogus' }));
    assert.equal(first.status, 400);
    const firstBody = (await first.json()) as { error: { code: string } };
    const again = await p.app.request('/v1/api-keys', post(secret.key, idem, { kind: 'bogus' }));
    assert.equal(again.status, 400);
    assert.equal(again.headers.get(REPLAYED_HEADER), 'true');
    assert.deepEqual(await again.json(), firstBody);
  });

  it('scopes keys per client: the same key in two clients runs twice', async () => {
    const p = build();
    const a = await p.clientManagement.createClient({ name: 'Tenant A' });
    const b = await p.clientManagement.createClient({ name: 'Tenant B' });
    const idem = `shared-${randomUUID()}`;
    const ra = await p.app.request('/v1/api-keys', post(a.secret.key, idem, { kind: 'publishable' }));
    const rb = await p.app.request('/v1/api-keys', post(b.secret.key, idem, { kind: 'publishable' }));
    assert.equal(ra.status, 201);
    assert.equal(rb.status, 201);
    assert.equal(rb.headers.get(REPLAYED_HEADER), null, "B never sees A's answer");
    const ka = ((await ra.json()) as { key: { client_id?: string; clientId?: string } }).key;
    const kb = ((await rb.json()) as { key: { client_id?: string; clientId?: string } }).key;
    assert.notDeepEqual(ka, kb);
    const rows = await sql<{ client_id: string }>`
      select client_id from idempotency_keys where key = ${idem} order by client_id`.execute(env.db.db);
    assert.deepEqual(rows.rows.map((r) => r.client_id).sort(), [a.client.id, b.client.id].sort());
  });

  it('POST /v1/events with a publishable key: a replay answers as the first time; event_id dedup still holds', async () => {
    const p = build();
    const { publishable } = await p.clientManagement.createClient({ name: 'Events' });
    const event = sampleEvent();
    const idem = `evt-${randomUUID()}`;
    const first = await p.app.request('/v1/events', post(publishable.key, idem, event));
    assert.equal(first.status, 202);
    assert.equal(((await first.json()) as { status: string }).status, 'accepted');
    const replay = await p.app.request('/v1/events', post(publishable.key, idem, event));
    assert.equal(replay.status, 202);
    assert.equal(replay.headers.get(REPLAYED_HEADER), 'true');
    assert.equal(replay.headers.get('access-control-allow-origin'), '*', 'browsers can read a replay');
    assert.equal(((await replay.json()) as { status: string }).status, 'accepted');
    const other = await p.app.request('/v1/events', post(publishable.key, `${idem}-b`, event));
    assert.equal(((await other.json()) as { status: string }).status, 'duplicate');
  });

  it('a concurrent request with the key while the first runs: 409 IDEMPOTENCY_IN_PROGRESS, retryable', async () => {
    const p = build();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let runs = 0;
    let entered: () => void = () => undefined;
    const started = new Promise<void>((r) => {
      entered = r;
    });
    p.app.post('/v1/zz-slow', async (c) => {
      runs++;
      entered();
      await gate;
      return c.json({ done: runs }, 201);
    });
    const { secret } = await p.clientManagement.createClient({ name: 'Slow' });
    const idem = `slow-${randomUUID()}`;
    const firstP = p.app.request('/v1/zz-slow', post(secret.key, idem, { a: 1 }));
    await started;
    const [second, third] = await Promise.all([
      p.app.request('/v1/zz-slow', post(secret.key, idem, { a: 1 })),
      p.app.request('/v1/zz-slow', post(secret.key, idem, { a: 1 })),
    ]);
    for (const res of [second, third]) {
      assert.equal(res.status, 409);
      const { error } = (await res.json()) as { error: { code: string } };
      assert.equal(error.code, 'IDEMPOTENCY_IN_PROGRESS');
      assert.equal(res.headers.get('Retry-After'), '1');
    }
    release();
    const first = await firstP;
    assert.equal(first.status, 201);
    const later = await p.app.request('/v1/zz-slow', post(secret.key, idem, { a: 1 }));
    assert.equal(later.headers.get(REPLAYED_HEADER), 'true');
    assert.deepEqual(await later.json(), { done: 1 });
    assert.equal(runs, 1, 'the handler ran once');
  });

  it('two requests racing for a new key: exactly one runs', async () => {
    const p = build();
    let runs = 0;
    p.app.post('/v1/zz-race', async (c) => {
      runs++;
      await new Promise((r) => setTimeout(r, 50));
      return c.json({ ok: true }, 201);
    });
    const { secret } = await p.clientManagement.createClient({ name: 'Race' });
    const idem = `race-${randomUUID()}`;
    const results = await Promise.all(
      [1, 2].map(() => p.app.request('/v1/zz-race', post(secret.key, idem, { a: 1 }))),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409]);
    assert.equal(runs, 1);
  });

  it('does not keep a 5xx: the retry runs again and can succeed', async () => {
    const p = build();
    let calls = 0;
    p.app.post('/v1/zz-flaky', (c) => {
      calls++;
      if (calls === 1) throw new Error('connection reset by peer');
      return c.json({ calls }, 201);
    });
    const { secret } = await p.clientManagement.createClient({ name: 'Flaky' });
    const idem = `flaky-${randomUUID()}`;
    const first = await p.app.request('/v1/zz-flaky', post(secret.key, idem, {}));
    assert.equal(first.status, 500);
    const retry = await p.app.request('/v1/zz-flaky', post(secret.key, idem, {}));
    assert.equal(retry.status, 201);
    assert.equal(retry.headers.get(REPLAYED_HEADER), null);
    assert.deepEqual(await retry.json(), { calls: 2 });
    const third = await p.app.request('/v1/zz-flaky', post(secret.key, idem, {}));
    assert.equal(third.headers.get(REPLAYED_HEADER), 'true');
    assert.deepEqual(await third.json(), { calls: 2 });
  });

  it('does not keep a 429 or 401 from inside the route: the retry after waiting runs', async () => {
    const p = build();
    let calls = 0;
    p.app.post('/v1/zz-busy', (c) => {
      calls++;
      if (calls === 1) throw new AppError('RATE_LIMITED', 'busy', [], { 'Retry-After': '1' });
      if (calls === 2) throw new AppError('BAD_SIGNATURE', 'signature timestamp outside the tolerance');
      return c.json({ calls }, 201);
    });
    const { secret } = await p.clientManagement.createClient({ name: 'Busy' });
    const idem = `busy-${randomUUID()}`;
    assert.equal((await p.app.request('/v1/zz-busy', post(secret.key, idem, {}))).status, 429);
    assert.equal((await p.app.request('/v1/zz-busy', post(secret.key, idem, {}))).status, 401);
    const third = await p.app.request('/v1/zz-busy', post(secret.key, idem, {}));
    assert.equal(third.status, 201);
    assert.equal(third.headers.get(REPLAYED_HEADER), null);
    assert.deepEqual(await third.json(), { calls: 3 });
  });

  it('GET and requests without a key are never remembered', async () => {
    const p = build();
    const { secret } = await p.clientManagement.createClient({ name: 'Reads' });
    const idem = `get-${randomUUID()}`;
    const res = await p.app.request('/v1/api-keys', {
      headers: { authorization: `Bearer ${secret.key}`, 'idempotency-key': idem },
    });
    assert.equal(res.status, 200);
    const unauth = await p.app.request('/v1/api-keys', post('sk_unknown', idem, { kind: 'publishable' }));
    assert.equal(unauth.status, 401);
    const rows = await sql<{
      n: number;
    }>`select count(*)::int as n from idempotency_keys where key = ${idem}`.execute(env.db.db);
    assert.equal(rows.rows[0]?.n, 0);
  });

  it('keys expire after 24 hours: the same key then runs a new request, and expired rows are swept', async () => {
    const p = build();
    const { secret } = await p.clientManagement.createClient({ name: 'Expiry' });
    let clock = Date.now();
    let runs = 0;
    const app = withErrorHandling(new Hono())
      .use('*', requestIds())
      .use(
        '*',
        idempotency({
          db: env.db.db,
          resolver: p.clientManagement.resolver,
          box: testSecretBox(),
          now: () => new Date(clock),
        }),
      )
      .post('/v1/zz-count', (c) => c.json({ run: ++runs }, 201));
    const idem = `expiry-${randomUUID()}`;
    assert.deepEqual(await (await app.request('/v1/zz-count', post(secret.key, idem, { a: 1 }))).json(), {
      run: 1,
    });
    clock += IDEMPOTENCY_TTL_MS - 60_000;
    const within = await app.request('/v1/zz-count', post(secret.key, idem, { a: 1 }));
    assert.equal(within.headers.get(REPLAYED_HEADER), 'true');
    // Past expiry a different request with the key is no longer a reuse: it runs.
    clock += 120_000;
    const afterTtl = await app.request('/v1/zz-count', post(secret.key, idem, { a: 2 }));
    assert.equal(afterTtl.status, 201);
    assert.deepEqual(await afterTtl.json(), { run: 2 });

    const stale = `expiry-stale-${randomUUID()}`;
    await app.request('/v1/zz-count', post(secret.key, stale, { a: 1 }));
    const count = async () =>
      (
        await sql<{
          n: number;
        }>`select count(*)::int as n from idempotency_keys where key = ${stale}`.execute(env.db.db)
      ).rows[0]?.n;
    assert.equal(await count(), 1);
    // The sweep runs lazily (here: the next request, 10 minutes after the last sweep).
    clock += IDEMPOTENCY_TTL_MS + 11 * 60_000;
    await app.request('/v1/zz-count', post(secret.key, `expiry-other-${randomUUID()}`, {}));
    assert.equal(await count(), 0, 'expired row swept');
  });

  it('over a real HTTP server: the body is still read by the route after its fingerprint', async () => {
    const p = build();
    const { publishable } = await p.clientManagement.createClient({ name: 'Http' });
    const server = serve({ fetch: p.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
      const event = sampleEvent();
      const idem = `http-${randomUUID()}`;
      const first = await fetch(url, post(publishable.key, idem, event));
      assert.equal(first.status, 202, await first.clone().text());
      const second = await fetch(url, post(publishable.key, idem, event));
      assert.equal(second.status, 202);
      assert.equal(second.headers.get(REPLAYED_HEADER), 'true');
      assert.deepEqual(await second.json(), await first.json());
      const changed = await fetch(url, post(publishable.key, idem, { ...event, event: 'signed_up' }));
      assert.equal(changed.status, 422);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
