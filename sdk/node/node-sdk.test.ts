import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { RateLimiter } from '../../services/event/rate-limit.ts';
import { type SdkTestServer, startSdkTestServer } from '../../test/support/sdk-server.ts';
import { createIdentityToken, createPulseServerClient, PulseError, stableEventId } from './index.ts';

let server: SdkTestServer;
let denyNext = 0;
// Real limiter semantics are tested in the service; here it only needs to say "wait 1 s" on demand.
const limiter: RateLimiter = {
  async take() {
    if (denyNext > 0) {
      denyNext--;
      return { allowed: false, retryAfterMs: 1_000, remaining: 0 };
    }
    return { allowed: true, retryAfterMs: 0, remaining: 100 };
  },
};

before(async () => {
  server = await startSdkTestServer({ rateLimiter: limiter });
});
after(() => server.close());

const client = (over: Partial<Parameters<typeof createPulseServerClient>[0]> = {}) =>
  createPulseServerClient({
    endpoint: server.endpoint,
    secret_key: server.secretKey,
    signing_secret: server.signingSecret,
    base_delay_ms: 50,
    ...over,
  });

test('a signed purchase is accepted as a server event; the same order again is a duplicate', async () => {
  const pulse = client();
  const r = await pulse.purchaseCompleted({
    participant_id: 'user_9',
    order_id: 'ord_1001',
    amount: 80,
    currency: 'USD',
  });
  assert.deepEqual(r, { status: 'accepted', event_id: stableEventId('purchase_completed', 'ord_1001') });
  const again = await pulse.purchaseCompleted({
    participant_id: 'user_9',
    order_id: 'ord_1001',
    amount: 80,
    currency: 'USD',
  });
  assert.equal(again.status, 'duplicate');
  const stored = (await server.events()).filter((e) => e.event_id === r.event_id);
  assert.equal(stored.length, 1);
  assert.equal(stored[0]?.source, 'server');
  assert.equal(stored[0]?.context.device.type, 'server');
});

test('subscription events and batches', async () => {
  const pulse = client();
  const s = await pulse.subscription('renewed', {
    participant_id: 'user_9',
    subscription_id: 'sub_1',
    plan: 'pro',
    period: '2026-12',
  });
  assert.equal(s.status, 'accepted');
  const b = await pulse.trackBatch([
    {
      event: 'subscription_cancelled',
      participant_id: 'u1',
      idempotency_key: 'sub_2:2026-12',
      properties: { plan: 'pro' },
    },
    { event: 'purchase_completed', participant_id: 'u1', properties: { amount: 1 } },
  ]);
  assert.deepEqual([b.accepted, b.rejected], [1, 1]);
});

test('429: waits for Retry-After and succeeds with the same event id', async () => {
  denyNext = 1;
  const t0 = Date.now();
  const r = await client().purchaseCompleted({
    participant_id: 'u2',
    order_id: 'ord_2002',
    amount: 5,
    currency: 'EUR',
  });
  assert.equal(r.status, 'accepted');
  assert.ok(Date.now() - t0 >= 950, 'honoured Retry-After: 1');
});

test('5xx and network errors are retried with backoff; the event lands once', async () => {
  // A flaky front: the first two requests fail with 503, then requests pass through to the real server.
  let failures = 2;
  const front: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (failures-- > 0) {
      res
        .writeHead(503, { 'content-type': 'application/json' })
        .end('{"error":{"code":"UPSTREAM_UNAVAILABLE"}}');
      return;
    }
    const up = await fetch(server.endpoint + (req.url ?? ''), {
      method: 'POST',
      headers: req.headers as Record<string, string>,
      body: Buffer.concat(chunks),
    });
    res.writeHead(up.status, { 'content-type': 'application/json' }).end(await up.text());
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
  try {
    const endpoint = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const r = await client({ endpoint }).track({
      event: 'switchup_completed',
      participant_id: 'u3',
      idempotency_key: 'switch-1',
      properties: { competitor: 'acme' },
    });
    assert.equal(r.status, 'accepted');
    assert.equal(failures, -1, 'two failures then one success');
    await assert.rejects(
      client({ endpoint: 'http://127.0.0.1:9', max_retries: 1 }).track({
        event: 'user_logged_in',
        participant_id: 'u',
      }),
      (e: PulseError) => e.code === 'NETWORK',
    );
  } finally {
    front.close();
  }
});

test('a wrong signing secret is refused (401) without retrying', async () => {
  const t0 = Date.now();
  // With a 2 s base delay, a single retry would take longer than the bound below.
  await assert.rejects(
    client({ signing_secret: 'whsec_wrong', base_delay_ms: 2_000 }).track({
      event: 'user_logged_in',
      participant_id: 'u',
    }),
    (e: PulseError) => e instanceof PulseError && e.status === 401 && e.code === 'BAD_SIGNATURE',
  );
  assert.ok(Date.now() - t0 < 1_000, 'no retry on 401');
});

test('createIdentityToken: a token from the client server unlocks that participant’s rewards, only that one', async () => {
  const pulse = client({ client_id: server.clientId });
  const read = async (participant: string, token?: string) => {
    const res = await fetch(`${server.endpoint}/v1/reward-participants/${participant}/rewards`, {
      headers: {
        authorization: `Bearer ${server.publishableKey}`,
        ...(token ? { 'x-pulse-identity': token } : {}),
      },
    });
    return (await res.json()) as { data: { label: string }[]; redacted?: boolean };
  };
  const token = pulse.createIdentityToken('user_rewarded', { ttl_seconds: 300 });
  assert.match(token, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  const full = await read('user_rewarded', token);
  assert.deepEqual(
    full.data.map((r) => r.label),
    ['$10.00 store credit'],
  );
  assert.equal((await read('user_rewarded')).redacted, true, 'no token: the public view');
  const other = pulse.createIdentityToken('user_other');
  assert.equal((await read('user_rewarded', other)).redacted, true, 'a token for another participant');
  const stale = createIdentityToken(server.signingSecret, 'user_rewarded', {
    ttl_seconds: 60,
    now: new Date(Date.now() - 3_600_000),
  });
  assert.equal((await read('user_rewarded', stale)).redacted, true, 'an expired token');
  assert.throws(() => pulse.createIdentityToken('user_rewarded', { ttl_seconds: 86_401 }), RangeError);
  assert.throws(() => pulse.createIdentityToken('user_rewarded', { ttl_seconds: 0 }), RangeError);
  assert.throws(() => pulse.createIdentityToken(''), RangeError);
});

test('snake_case everywhere: options, payloads, and what goes over the wire', async () => {
  // Compile-time: the camelCase names of 0.1 are not options any more (secret_key is missing)...
  const camel = { endpoint: server.endpoint, secretKey: 'k', signing_secret: 's' };
  // @ts-expect-error secretKey is now secret_key
  assert.throws(() => createPulseServerClient(camel), /secretKey is now secret_key/);
  // ...and plain JavaScript callers get the new name at run time, never a silently ignored option.
  assert.throws(
    () => createPulseServerClient({ endpoint: server.endpoint, secret_key: '', signing_secret: 's' }),
    /secret_key is required/,
  );

  const seen: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  let failures = 1;
  const front: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
    if (failures-- > 0) {
      res
        .writeHead(503, { 'content-type': 'application/json' })
        .end('{"error":{"code":"UPSTREAM_UNAVAILABLE"}}');
      return;
    }
    const up = await fetch(server.endpoint + (req.url ?? ''), {
      method: 'POST',
      headers: req.headers as Record<string, string>,
      body: Buffer.concat(chunks),
    });
    res
      .writeHead(up.status, {
        'content-type': 'application/json',
        'x-deprecation': up.headers.get('deprecation') ?? 'none',
      })
      .end(await up.text());
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
  try {
    const endpoint = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const r = await client({ endpoint }).purchaseCompleted({
      participant_id: 'user_snake',
      order_id: 'ord_snake_1',
      amount: 12,
      currency: 'EUR',
      campaign_id: 'cmp_snake',
    });
    assert.deepEqual(r, { status: 'accepted', event_id: stableEventId('purchase_completed', 'ord_snake_1') });
    assert.equal(seen.length, 2, 'one 503, one retry');
    const [first, retry] = seen as [(typeof seen)[0], (typeof seen)[0]];
    const keysOf = (v: unknown, path = ''): string[] =>
      typeof v === 'object' && v !== null
        ? Object.entries(v).flatMap(([k, x]) => [`${path}${k}`, ...keysOf(x, `${path}${k}.`)])
        : [];
    const sent = JSON.parse(retry.body) as Record<string, unknown>;
    for (const k of keysOf(sent)) assert.match(k.split('.').pop() ?? '', /^[a-z0-9_]+$/, `field ${k}`);
    assert.equal(sent.participant_id, 'user_snake');
    assert.equal(sent.campaign_id, 'cmp_snake');
    assert.deepEqual(sent.properties, { order_id: 'ord_snake_1', amount: 12, currency: 'EUR' });
    // Signed with Standard Webhooks; one message id across retries, also sent as the Idempotency-Key.
    const id = first.headers['webhook-id'];
    assert.match(String(id), /^msg_/);
    assert.equal(retry.headers['webhook-id'], id);
    assert.equal(retry.headers['idempotency-key'], id);
    assert.ok(retry.headers['webhook-timestamp'] && retry.headers['webhook-signature']);
    assert.equal(retry.headers['x-pulse-signature'], undefined, 'the deprecated header is not sent');
    const stored = (await server.events()).find((e) => e.event_id === r.event_id);
    assert.equal(stored?.source, 'server');
  } finally {
    front.close();
  }
});
