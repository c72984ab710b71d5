import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { testSecretBox } from '../../test/support/secret-box.ts';
import { serviceToken } from '../../test/support/service-token.ts';
import { migrations as cmMigrations, createClientManagement } from '../client-management/index.ts';
import { createNotificationApp, createSmtpMailer, migrations } from './index.ts';

const TOKEN = 'internal-test-token';

interface Received {
  body: string;
  headers: Record<string, string>;
}

/** A receiver on loopback answering the status `answer()` says (500 first, to fill the log with a failure). */
async function receiver(answer: () => number) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ body, headers: req.headers as Record<string, string> });
      res.statusCode = answer();
      res.end('receiver body that must never reach the log');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { received, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server };
}

describe('webhook endpoints: list, change, rotate, delivery log, redelivery, delete', () => {
  let t: TestDatabase;
  let app: ReturnType<typeof createNotificationApp>;
  let mailer: ReturnType<typeof createSmtpMailer>;
  let owner: string;
  let viewer: string;
  let otherOwner: string;
  let clientId: string;

  before(async () => {
    t = await createTestDatabase({ 'client-management': cmMigrations, notification: migrations });
    // Never used to send: webhooks only.
    mailer = createSmtpMailer({ host: '127.0.0.1', port: 9, from: 'Pulse <no-reply@pulse.test>' });
    const cm = createClientManagement(t.db, { hashSecret: 'x', cacheMs: 0, secretBox: testSecretBox() });
    const acme = await cm.createClient({ name: 'Acme' });
    owner = acme.secret.key;
    clientId = acme.client.id;
    viewer = (await cm.issueKey(clientId, 'secret', 'viewer')).key;
    otherOwner = (await cm.createClient({ name: 'Other' })).secret.key;
    app = createNotificationApp({
      db: t.db,
      mailer,
      resolver: cm.resolver,
      internalToken: TOKEN,
      secretBox: testSecretBox(),
      outbound: { allow: ['127.0.0.1/32'] },
    });
  });
  after(async () => {
    mailer.close();
    await t.drop();
  });

  const call = (key: string, method: string, path: string, body?: unknown) =>
    app.request(`/v1/notifications/webhook-endpoints${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const send = (key: string, topic = 'reward.allocated') =>
    app.request('/internal/v1/notifications/webhooks', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${serviceToken(TOKEN, 'notification')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ client_id: clientId, topic, payload: { amount: 10 }, idempotency_key: key }),
    });

  it('logs each delivery with status code, attempts, latency and a safe error, and redelivers one', async () => {
    let status = 500;
    const r = await receiver(() => status);
    try {
      const created = await call(owner, 'POST', '', { url: r.url, topics: ['reward.allocated'] });
      assert.equal(created.status, 201);
      const ep = (await created.json()) as { id: string; secret: string };

      // The journey's activity: a 500 fails the attempt (retryable), recorded in the log.
      assert.equal((await send('wf/a')).status, 503);
      assert.equal((await send('wf/a')).status, 503, 'the journey retries: a second attempt');
      const log1 = await call(owner, 'GET', `/${ep.id}/deliveries`);
      assert.equal(log1.status, 200);
      const page1 = (await log1.json()) as {
        data: {
          id: string;
          status: string;
          status_code: number;
          attempts: number;
          latency_ms: number;
          error: string;
          message_id: string;
        }[];
      };
      assert.equal(page1.data.length, 1, 'one entry per message, not per attempt');
      const [failed] = page1.data;
      assert.equal(failed!.status, 'failed');
      assert.equal(failed!.status_code, 500);
      assert.equal(failed!.attempts, 2);
      assert.equal(failed!.error, 'HTTP 500');
      assert.equal(failed!.message_id, 'wf/a');
      assert.ok(failed!.latency_ms >= 0 && failed!.latency_ms < 10_000);
      assert.doesNotMatch(JSON.stringify(page1), /receiver body/, 'the answer body never reaches the log');

      // The receiver is fixed: the client redelivers the logged message, the same id and body.
      status = 200;
      const again = await call(owner, 'POST', `/${ep.id}/deliveries/${failed!.id}/redeliver`);
      assert.equal(again.status, 200);
      const redelivered = ((await again.json()) as { delivery: typeof failed & { delivered_at: string } })
        .delivery;
      assert.equal(redelivered.status, 'delivered');
      assert.equal(redelivered.attempts, 3);
      assert.equal(redelivered.status_code, 200);
      assert.equal(r.received.length, 3);
      assert.equal(r.received[2]!.body, r.received[0]!.body, 'the same body as the first attempt');
      assert.equal(r.received[2]!.headers['webhook-id'], 'wf/a');
      new Webhook(ep.secret).verify(r.received[2]!.body, r.received[2]!.headers);

      // The journey's next retry finds the message delivered and sends nothing more.
      assert.deepEqual(await (await send('wf/a')).json(), { delivered: 1, refused: 0 });
      assert.equal(r.received.length, 3);

      const only = await call(owner, 'GET', `/${ep.id}/deliveries?status=failed`);
      assert.deepEqual(((await only.json()) as { data: unknown[] }).data, []);
      const bad = await call(owner, 'GET', `/${ep.id}/deliveries?status=lost`);
      assert.equal(bad.status, 400);
      assert.equal(
        ((await bad.json()) as { error: { details: { path: string }[] } }).error.details[0]!.path,
        'status',
      );

      const listed = (await (await call(owner, 'GET', '')).json()) as {
        data: { id: string; deliveries: { total: number; failed: number } }[];
      };
      const mine = listed.data.find((e) => e.id === ep.id);
      assert.deepEqual(mine?.deliveries.total, 1);
      assert.deepEqual(mine?.deliveries.failed, 0);
      assert.doesNotMatch(JSON.stringify(listed), /whsec_|enc:v1/, 'secrets are never listed');
    } finally {
      r.server.close();
    }
  });

  it('rotates the secret: both sign during the overlap, the new one alone after it', async () => {
    const r = await receiver(() => 200);
    try {
      const ep = (await (await call(owner, 'POST', '', { url: r.url, topics: ['rot.topic'] })).json()) as {
        id: string;
        secret: string;
      };
      const rotated = await call(owner, 'POST', `/${ep.id}/rotate-secret`, { overlap_seconds: 3600 });
      assert.equal(rotated.status, 200);
      const rot = (await rotated.json()) as { secret: string; previous_secret_expires_at: string };
      assert.notEqual(rot.secret, ep.secret);
      assert.ok(Date.parse(rot.previous_secret_expires_at) > Date.now() + 3_500_000);
      await send('wf/rot-1', 'rot.topic');
      const first = r.received.at(-1)!;
      // A receiver still on the old secret and one already on the new both verify.
      new Webhook(ep.secret).verify(first.body, first.headers);
      new Webhook(rot.secret).verify(first.body, first.headers);
      const shown = (await (await call(owner, 'GET', `/${ep.id}`)).json()) as {
        previous_secret_expires_at: string;
      };
      assert.equal(shown.previous_secret_expires_at, rot.previous_secret_expires_at);

      // overlap 0 ends the old secret at once.
      const now = (await (
        await call(owner, 'POST', `/${ep.id}/rotate-secret`, { overlap_seconds: 0 })
      ).json()) as {
        secret: string;
      };
      await send('wf/rot-2', 'rot.topic');
      const second = r.received.at(-1)!;
      new Webhook(now.secret).verify(second.body, second.headers);
      assert.throws(
        () => new Webhook(rot.secret).verify(second.body, second.headers),
        /No matching signature/,
      );
      const badBody = await call(owner, 'POST', `/${ep.id}/rotate-secret`, { overlap_seconds: 10_000_000 });
      assert.equal(badBody.status, 400);
      assert.match(JSON.stringify(await badBody.json()), /overlap_seconds/);
    } finally {
      r.server.close();
    }
  });

  it('refuses a second rotation while the overlap runs (409): the original secret keeps signing', async () => {
    const r = await receiver(() => 200);
    try {
      const ep = (await (await call(owner, 'POST', '', { url: r.url, topics: ['rot2.topic'] })).json()) as {
        id: string;
        secret: string;
      };
      // No body at all: every field is optional, so the defaults (a day's overlap).
      const first = await app.request(`/v1/notifications/webhook-endpoints/${ep.id}/rotate-secret`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner}` },
      });
      assert.equal(first.status, 200, await first.clone().text());
      const rot = (await first.json()) as { secret: string; previous_secret_expires_at: string };
      assert.ok(Date.parse(rot.previous_secret_expires_at) > Date.now() + 86_000_000);

      for (const body of [{}, { overlap_seconds: 60 }]) {
        const again = await call(owner, 'POST', `/${ep.id}/rotate-secret`, body);
        assert.equal(again.status, 409, JSON.stringify(body));
        const err = ((await again.json()) as { error: { code: string; details: { path: string }[] } }).error;
        assert.equal(err.code, 'CONFLICT');
        assert.equal(err.details[0]!.path, 'overlap_seconds');
      }
      // Nothing changed: the original and the first rotation's secret both still sign.
      await send('wf/rot2-1', 'rot2.topic');
      const m = r.received.at(-1)!;
      new Webhook(ep.secret).verify(m.body, m.headers);
      new Webhook(rot.secret).verify(m.body, m.headers);

      // overlap 0 says "end the old one now": allowed, and then only the newest signs.
      const now = await call(owner, 'POST', `/${ep.id}/rotate-secret`, { overlap_seconds: 0 });
      assert.equal(now.status, 200);
      const newest = (await now.json()) as { secret: string };
      await send('wf/rot2-2', 'rot2.topic');
      const m2 = r.received.at(-1)!;
      new Webhook(newest.secret).verify(m2.body, m2.headers);
      assert.throws(() => new Webhook(ep.secret).verify(m2.body, m2.headers), /No matching signature/);
      // With no overlap running, an ordinary rotation is accepted again.
      assert.equal(
        (await call(owner, 'POST', `/${ep.id}/rotate-secret`, { overlap_seconds: 60 })).status,
        200,
      );
      // A body that is there but not JSON is still refused.
      const garbage = await app.request(`/v1/notifications/webhook-endpoints/${ep.id}/rotate-secret`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' },
        body: '{',
      });
      assert.equal(garbage.status, 400);
    } finally {
      r.server.close();
    }
  });

  it('a failed redelivery keeps the message delivered, with the latest outcome in status code and error', async () => {
    let status = 200;
    const r = await receiver(() => status);
    try {
      const ep = (await (await call(owner, 'POST', '', { url: r.url, topics: ['keep.topic'] })).json()) as {
        id: string;
      };
      assert.equal((await send('wf/keep', 'keep.topic')).status, 200);
      const [entry] = (
        (await (await call(owner, 'GET', `/${ep.id}/deliveries`)).json()) as {
          data: { id: string; delivered_at: string }[];
        }
      ).data;
      assert.ok(entry?.delivered_at);
      status = 500;
      const again = await call(owner, 'POST', `/${ep.id}/deliveries/${entry.id}/redeliver`);
      assert.equal(again.status, 200);
      const d = (
        (await again.json()) as {
          delivery: {
            status: string;
            status_code: number;
            error: string;
            delivered_at: string;
            attempts: number;
          };
        }
      ).delivery;
      assert.equal(d.status, 'delivered', 'the receiver did get it once');
      assert.equal(d.delivered_at, entry.delivered_at, 'the first success stays recorded');
      assert.equal(d.status_code, 500);
      assert.equal(d.error, 'HTTP 500');
      assert.equal(d.attempts, 2);
      const failedOnly = (await (await call(owner, 'GET', `/${ep.id}/deliveries?status=failed`)).json()) as {
        data: unknown[];
      };
      assert.deepEqual(failedOnly.data, []);
    } finally {
      r.server.close();
    }
  });

  it('changes url, topics and enabled; a disabled endpoint receives nothing; delete removes it', async () => {
    const r = await receiver(() => 200);
    try {
      const ep = (await (await call(owner, 'POST', '', { url: r.url, topics: ['c.topic'] })).json()) as {
        id: string;
      };
      const off = await call(owner, 'PATCH', `/${ep.id}`, { enabled: false, topics: ['c.topic', 'b'] });
      assert.equal(off.status, 200);
      const offView = (await off.json()) as { enabled: boolean; topics: string[]; updated_at: string };
      assert.equal(offView.enabled, false);
      assert.deepEqual(offView.topics, ['c.topic', 'b']);
      assert.ok(offView.updated_at);
      const before = r.received.length;
      assert.deepEqual(await (await send('wf/off', 'c.topic')).json(), { delivered: 0, refused: 0 });
      assert.equal(r.received.length, before, 'disabled: nothing sent');

      const empty = await call(owner, 'PATCH', `/${ep.id}`, {});
      assert.equal(empty.status, 400, 'a change must change something');
      const wrongType = await call(owner, 'PATCH', `/${ep.id}`, { enabled: 'yes' });
      assert.equal(wrongType.status, 400);
      assert.match(JSON.stringify(await wrongType.json()), /enabled/);
      const inside = await call(owner, 'PATCH', `/${ep.id}`, { url: 'http://10.0.0.1/hook' });
      assert.equal(inside.status, 400);
      assert.match(JSON.stringify(await inside.json()), /"path":"url"/);

      const gone = await call(owner, 'DELETE', `/${ep.id}`);
      assert.deepEqual(await gone.json(), { deleted: true });
      assert.equal((await call(owner, 'GET', `/${ep.id}`)).status, 404);
      assert.equal((await call(owner, 'DELETE', `/${ep.id}`)).status, 404);
    } finally {
      r.server.close();
    }
  });

  it('scopes every route to the caller: another client reads 404, a viewer may read but not change', async () => {
    const ep = (await (await call(owner, 'POST', '', { url: 'http://127.0.0.1:9/x' })).json()) as {
      id: string;
    };
    for (const [method, path] of [
      ['GET', `/${ep.id}`],
      ['PATCH', `/${ep.id}`],
      ['DELETE', `/${ep.id}`],
      ['POST', `/${ep.id}/rotate-secret`],
      ['GET', `/${ep.id}/deliveries`],
      ['POST', `/${ep.id}/deliveries/whd_x/redeliver`],
    ] as const) {
      const res = await call(
        otherOwner,
        method,
        path,
        method === 'PATCH' ? { enabled: false } : method === 'POST' ? {} : undefined,
      );
      assert.equal(res.status, 404, `${method} ${path} of another client`);
    }
    const others = (await (await call(otherOwner, 'GET', '')).json()) as { data: unknown[] };
    assert.deepEqual(others.data, [], 'another client lists none of ours');
    assert.equal((await call(viewer, 'GET', `/${ep.id}`)).status, 200);
    assert.equal((await call(viewer, 'PATCH', `/${ep.id}`, { enabled: false })).status, 403);
    assert.equal((await call(viewer, 'DELETE', `/${ep.id}`)).status, 403);
    assert.equal((await call(viewer, 'POST', `/${ep.id}/rotate-secret`, {})).status, 403);
    assert.equal((await call(owner, 'GET', `/${ep.id}/deliveries?limit=0`)).status, 400);
  });
});
