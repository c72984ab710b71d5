import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTcpProxy, type TcpProxy } from '../../test/support/tcp-proxy.ts';
import type { ApiKeyResolver } from '../platform/auth.ts';
import { createClickHouse } from '../platform/clickhouse.ts';
import { loadConfig } from '../platform/config.ts';
import { createAnalyticsApp } from './index.ts';

const resolver: ApiKeyResolver = {
  async resolve() {
    return { clientId: 'A', clientStatus: 'active', keyKind: 'secret', keyId: 'k', role: 'analyst' };
  },
};
const ROUTES = ['/v1/analytics/funnel', '/v1/analytics/campaigns/c1/hourly', '/v1/analytics/leaderboard'];

async function expect503(app: ReturnType<typeof createAnalyticsApp>, label: string, boundMs: number) {
  for (const path of ROUTES) {
    const t0 = performance.now();
    const res = await app.request(path, { headers: { authorization: 'Bearer sk_x' } });
    const ms = performance.now() - t0;
    const text = await res.text();
    console.log(`clickhouse ${label}: ${path} → ${res.status} in ${ms.toFixed(0)} ms`);
    assert.equal(res.status, 503, `${path}: ${text}`);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.equal(JSON.parse(text).error.code, 'UPSTREAM_UNAVAILABLE');
    assert.doesNotMatch(text, /127\.0\.0\.1|ECONN|socket|timeout/i, 'no connection detail in the answer');
    assert.ok(ms < boundMs, `${path} answered in ${ms.toFixed(0)} ms (bound ${boundMs})`);
  }
}

describe('analytics while ClickHouse is unreachable', () => {
  let proxy: TcpProxy;
  const config = loadConfig({});
  before(async () => {
    const u = new URL(config.clickhouseUrl);
    proxy = await startTcpProxy(u.hostname, Number(u.port || 8123));
  });
  after(() => proxy.close());

  test('through a proxy: 200 while up, 503 with Retry-After once cut, 200 again after restore', async () => {
    const ch = createClickHouse(proxy.url, config.clickhouseDatabase, { requestTimeoutMs: 2_000 });
    const app = createAnalyticsApp({ ch, resolver });
    try {
      const up = await app.request('/v1/analytics/leaderboard', {
        headers: { authorization: 'Bearer sk_x' },
      });
      // The shared server may lack this database's views; anything but an outage answer is fine here.
      assert.notEqual(up.status, 503, await up.text());
      await proxy.cut();
      await expect503(app, 'cut', 2_000);
      await proxy.restore();
      const back = await app.request('/v1/analytics/leaderboard', {
        headers: { authorization: 'Bearer sk_x' },
      });
      assert.notEqual(back.status, 503);
    } finally {
      await ch.close();
    }
  });

  test('a server that accepts and never answers: 503 within the request timeout', async () => {
    const held: Socket[] = [];
    const hole = createServer((s) => {
      held.push(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', () => r()));
    const port = (hole.address() as { port: number }).port;
    const ch = createClickHouse(`http://127.0.0.1:${port}`, 'pulse', { requestTimeoutMs: 300 });
    try {
      await expect503(createAnalyticsApp({ ch, resolver }), 'silent', 1_500);
    } finally {
      await ch.close();
      for (const s of held) s.destroy();
      await new Promise<void>((r) => hole.close(() => r()));
    }
  });
});
