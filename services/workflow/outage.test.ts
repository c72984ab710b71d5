import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { createTemporalClient } from '../../engine/client.ts';
import { startTcpProxy, type TcpProxy } from '../../test/support/tcp-proxy.ts';
import type { ApiKeyResolver } from '../platform/auth.ts';
import { loadConfig } from '../platform/config.ts';
import { createWorkflowApp } from './index.ts';

const resolver: ApiKeyResolver = {
  async resolve() {
    return { clientId: 'cli_a', clientStatus: 'active', keyKind: 'secret', keyId: 'k', role: 'viewer' };
  },
};

describe('journey status while Temporal is unreachable', () => {
  let proxy: TcpProxy;
  let temporal: Client;
  before(async () => {
    const [host, port] = loadConfig({}).temporalAddress.split(':');
    proxy = await startTcpProxy(host ?? '127.0.0.1', Number(port ?? 7233));
    temporal = await createTemporalClient(`127.0.0.1:${proxy.port}`);
  });
  after(async () => {
    await temporal.connection.close();
    await proxy.close();
  });

  test('404 for an unknown journey while up; a bounded 503 once the connection is cut', async () => {
    const app = createWorkflowApp({ temporal, resolver, cursorKey: 'test-cursor-key' });
    const get = () => app.request('/v1/journeys/cmp_x/user-1', { headers: { authorization: 'Bearer sk' } });
    assert.equal((await get()).status, 404);
    await proxy.cut();
    const t0 = performance.now();
    const res = await get();
    const ms = performance.now() - t0;
    console.log(`temporal cut: journey status → ${res.status} in ${ms.toFixed(0)} ms`);
    assert.equal(res.status, 503, await res.text());
    assert.equal(res.headers.get('retry-after'), '5');
    // Measured ~3 s (the 2 s deadline plus the client’s reconnect attempt); generous for a loaded machine.
    assert.ok(ms < 6_000, `${ms.toFixed(0)} ms`);
  });

  test('the trace and the approval inbox answer a bounded 503 with Retry-After while the connection is cut', async () => {
    const app = createWorkflowApp({ temporal, resolver, cursorKey: 'test-cursor-key' });
    const get = (path: string) => app.request(path, { headers: { authorization: 'Bearer sk' } });
    await proxy.cut();
    for (const path of ['/v1/journeys/cmp_x/user-1/trace', '/v1/approvals']) {
      const t0 = performance.now();
      const res = await get(path);
      const ms = performance.now() - t0;
      console.log(`temporal cut: ${path} → ${res.status} in ${ms.toFixed(0)} ms`);
      assert.equal(res.status, 503, await res.text());
      assert.equal(res.headers.get('retry-after'), '5');
      // Their first call's 2 s deadline plus the client's reconnect attempt, like the status route.
      assert.ok(ms < 6_000, `${ms.toFixed(0)} ms`);
    }
  });

  test('connecting to a closed port fails within the connect timeout', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as { port: number }).port;
    await new Promise<void>((r) => s.close(() => r()));
    const t0 = performance.now();
    await assert.rejects(createTemporalClient(`127.0.0.1:${port}`, 'default', '500ms'));
    const ms = performance.now() - t0;
    console.log(`temporal closed port: connect failed after ${ms.toFixed(0)} ms`);
    assert.ok(ms < 3_000, `${ms.toFixed(0)} ms`);
  });
});
