import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createTestClickHouse, type TestClickHouse } from '../../test/support/clickhouse.ts';
import { fakeResolver, sampleEvent } from '../../test/support/event.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { createEventApp, createEventDrainer, type EventDrainer } from '../event/index.ts';
import { migrations as eventMigrations } from '../event/migrations/index.ts';
import { busMigrations, createPostgresBus } from '../platform/bus/postgres-bus.ts';
import { migrateClickHouse } from '../platform/clickhouse-migrate.ts';
import { createAnalyticsApp } from './index.ts';

const SERVICES = fileURLToPath(new URL('../', import.meta.url));

/** Live counters: an event accepted over HTTP moves the campaign's SSE counts within seconds. */
describe('live counters (server-sent events)', () => {
  let pg: TestDatabase;
  let ch: TestClickHouse;
  let drainer: EventDrainer;
  let server: ReturnType<typeof serve>;
  let base: string;
  let bus: ReturnType<typeof createPostgresBus>;

  before(async () => {
    pg = await createTestDatabase({ event: eventMigrations, bus: busMigrations });
    ch = await createTestClickHouse((c) => migrateClickHouse(c, SERVICES).then(() => undefined));
    bus = createPostgresBus({ db: pg.db, pollMs: 100 });
    // The drainer as `npm start` runs it (ClickHouse batches every 5 s unless a batch fills up).
    drainer = createEventDrainer({ db: pg.db, ch: ch.ch, bus, log: () => {} });
    drainer.start();
    const resolver = fakeResolver({
      pk_live: { clientId: 'acme' },
      sk_live: { clientId: 'acme', role: 'analyst' },
    });
    const app = new Hono()
      .route(
        '/',
        createEventApp({ db: pg.db, resolver, hashSecret: 's', onAccepted: (n) => drainer.nudge(n) }),
      )
      .route('/', createAnalyticsApp({ ch: ch.ch, resolver, livePollMs: 250 }));
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((r) => server.once('listening', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await drainer.stop();
    await bus.close();
    await new Promise<void>((r) => server.close(() => r()));
    await ch.drop();
    await pg.drop();
  });

  it('the count moves within seconds of an accepted event', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${base}/v1/analytics/campaigns/live1/live?minutes=5`, {
      headers: { authorization: 'Bearer sk_live' },
      signal: ctl.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const nextCounts = async (): Promise<Record<string, number>> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (block.includes('event: counts') && data) return JSON.parse(data.slice(6));
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    };
    try {
      const first = await nextCounts();
      assert.deepEqual([first.events, first.signups], [0, 0]);
      const t0 = performance.now();
      const accepted = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { authorization: 'Bearer pk_live', 'content-type': 'application/json' },
        body: JSON.stringify(
          sampleEvent({
            event: 'user_signed_up',
            campaign_id: 'live1',
            participant_id: 'u1',
            traits: { email: 'u1@example.com' },
          }),
        ),
      });
      assert.equal(accepted.status, 202, await accepted.text());
      // Unchanged counts come as a keep-alive every 15 polls; the first changed one is the move.
      let moved = await nextCounts();
      while (moved.events === 0 && performance.now() - t0 < 10_000) moved = await nextCounts();
      const seconds = (performance.now() - t0) / 1000;
      console.log(`live counters moved ${seconds.toFixed(2)} s after the event was accepted`);
      assert.deepEqual([moved.events, moved.signups], [1, 1]);
      assert.ok(seconds < 8, `within seconds (${seconds.toFixed(2)} s)`);
    } finally {
      ctl.abort();
    }
  });
});
