import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sampleEvent } from '../../test/support/event.ts';
import { openTestPlatform, type TestPlatform } from '../../test/support/platform.ts';
import type { createPlatform } from '../app.ts';

const ORIGIN = 'https://shop.example.com';

describe('CORS for the browser routes', () => {
  let env: TestPlatform;
  let platform: ReturnType<typeof createPlatform>;

  before(async () => {
    env = await openTestPlatform();
    platform = env.build();
  });
  after(() => env.close());

  it('preflights allow Idempotency-Key and X-Correlation-Id on every SDK route', async () => {
    for (const [path, method] of [
      ['/v1/events', 'POST'],
      ['/v1/events/batch', 'POST'],
      ['/v1/referrals/codes/ABCDEFGH', 'GET'],
      ['/v1/reward-participants/p1/rewards', 'GET'],
    ] as const) {
      const res = await platform.app.request(path, {
        method: 'OPTIONS',
        headers: {
          origin: ORIGIN,
          'access-control-request-method': method,
          'access-control-request-headers': 'idempotency-key, x-correlation-id, authorization',
        },
      });
      assert.equal(res.status, 204, path);
      assert.equal(res.headers.get('access-control-allow-origin'), '*', path);
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/,\s*/);
      for (const h of ['idempotency-key', 'x-correlation-id', 'authorization', 'x-pulse-identity'])
        assert.ok(allowed.includes(h), `${path} allows ${h}: ${allowed}`);
    }
  });

  it('answers expose the request id, the rate-limit fields and Idempotent-Replayed, replays included', async () => {
    const { publishable } = await platform.clientManagement.createClient({ name: 'Cors' });
    const init = {
      method: 'POST',
      headers: {
        origin: ORIGIN,
        authorization: `Bearer ${publishable.key}`,
        'content-type': 'application/json',
        'idempotency-key': `cors-${randomUUID()}`,
      },
      body: JSON.stringify(sampleEvent()),
    };
    for (const replayed of [null, 'true']) {
      const res = await platform.app.request('/v1/events', init);
      assert.equal(res.status, 202);
      assert.equal(res.headers.get('idempotent-replayed'), replayed);
      const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/,\s*/);
      for (const h of [
        'x-request-id',
        'x-correlation-id',
        'ratelimit-limit',
        'ratelimit-remaining',
        'ratelimit-reset',
        'ratelimit-policy',
        'retry-after',
        'idempotent-replayed',
      ])
        assert.ok(exposed.includes(h), `exposes ${h}: ${exposed}`);
      assert.ok(res.headers.get('x-request-id') && res.headers.get('ratelimit-limit'));
    }
  });
});
