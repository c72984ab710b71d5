import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Hono } from 'hono';
import { sql } from 'kysely';
import type { BusMessage } from '../../contract/bus.ts';
import { waitFor } from '../../test/support/bus-contract.ts';
import { createTestClickHouse, type TestClickHouse } from '../../test/support/clickhouse.ts';
import { fakeResolver, purchase, sampleEvent } from '../../test/support/event.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { startTcpProxy, type TcpProxy } from '../../test/support/tcp-proxy.ts';
import type { InspectableBus } from '../platform/bus/inspect.ts';
import { busMigrations, createPostgresBus } from '../platform/bus/postgres-bus.ts';
import { type ClickHouse, chSql, createClickHouse } from '../platform/clickhouse.ts';
import { requestIds } from '../platform/request-id.ts';
import { createEventsTable } from './events-table.ts';
import { createEventApp, createEventDrainer, type EventDrainer } from './index.ts';
import { migrations } from './migrations/index.ts';

let tdb: TestDatabase;
let tch: TestClickHouse;
let proxy: TcpProxy;
let chViaProxy: ClickHouse;
let bus: InspectableBus;
let drainer: EventDrainer;
let app: ReturnType<typeof createEventApp>;
const published: BusMessage[] = [];

before(async () => {
  tdb = await createTestDatabase({ event: migrations, bus: busMigrations });
  tch = await createTestClickHouse(createEventsTable);
  const ch = new URL(tch.url);
  proxy = await startTcpProxy(ch.hostname, Number(ch.port || 8123));
  chViaProxy = createClickHouse(proxy.url, tch.database);
  bus = createPostgresBus({ db: tdb.db, listenUrl: tdb.url, pollMs: 100 });
  await bus.subscribe('drainer_test', 'event.#', async (m) => {
    published.push(m);
  });
  drainer = createEventDrainer({
    db: tdb.db,
    ch: chViaProxy,
    bus,
    clickhouse: { intervalMs: 200, batchRows: 40 },
    busSink: { intervalMs: 100, batchRows: 100 },
    retryBaseMs: 50,
    retryMaxMs: 400,
    log: () => {},
  });
  drainer.start();
  app = createEventApp({
    db: tdb.db,
    resolver: fakeResolver({ pk_a: { clientId: 'cli_a' } }),
    hashSecret: 's',
    onAccepted: (n) => drainer.nudge(n),
  });
});

after(async () => {
  await drainer.stop();
  await bus.close();
  await chViaProxy.close();
  await proxy.close();
  await tch.drop();
  await tdb.drop();
});

async function sendBatch(events: Record<string, unknown>[]): Promise<number> {
  const res = await app.request('/v1/events/batch', {
    method: 'POST',
    body: JSON.stringify({ events }),
    headers: { authorization: 'Bearer pk_a', 'content-type': 'application/json' },
  });
  assert.equal(res.status, 202);
  return ((await res.json()) as { accepted: number }).accepted;
}

async function chCounts(): Promise<{ rows: number; unique: number }> {
  const [r] = await tch.ch.query<{ rows: string; unique: string }>(
    chSql`SELECT count() AS rows, uniqExact(event_id) AS unique FROM events`,
  );
  return { rows: Number(r?.rows), unique: Number(r?.unique) };
}

test('events reach ClickHouse (typed columns) and the bus topic event.{type}.{client}.{campaign}', async () => {
  const p = purchase({
    campaign_id: 'camp_1',
    context: {
      marketing: { utm: { source: 'x', medium: 'social', campaign: 'launch' } },
      referral: { code: 'ALICE10', referrer_id: 'user_alice' },
    },
  });
  assert.equal(await sendBatch([p, sampleEvent()]), 2);
  await waitFor(async () => (await chCounts()).rows === 2, 'two rows in ClickHouse');
  const [row] = await tch.ch.query<Record<string, unknown>>(
    chSql`SELECT * FROM events WHERE event_id = ${p.event_id as string}`,
  );
  assert.equal(row?.client_id, 'cli_a');
  assert.equal(row?.campaign_id, 'camp_1');
  assert.equal(row?.value, 120.5);
  assert.equal(row?.currency, 'EUR');
  assert.equal(row?.referral_code, 'ALICE10');
  assert.equal(row?.referrer_id, 'user_alice');
  assert.equal(row?.utm_campaign, 'launch');
  assert.equal(JSON.parse(String(row?.properties)).order_id, (p.properties as { order_id: string }).order_id);
  await waitFor(() => published.length >= 2, 'two bus messages');
  const topics = published.map((m) => m.topic).sort();
  assert.deepEqual(topics, ['event.page_viewed.cli_a.none', 'event.purchase_completed.cli_a.camp_1']);
});

test("the accepting request's correlation id is stored with each event and reaches the bus as metadata", async () => {
  const withIds = new Hono().use('*', requestIds()).route('/', app);
  const events = [purchase(), sampleEvent()];
  const res = await withIds.request('/v1/events/batch', {
    method: 'POST',
    body: JSON.stringify({ events }),
    headers: {
      authorization: 'Bearer pk_a',
      'content-type': 'application/json',
      'X-Correlation-Id': 'corr-drainer-1',
    },
  });
  assert.equal(res.status, 202);
  const ids = new Set(events.map((e) => `evt:cli_a:${String(e.event_id)}`));
  await waitFor(() => published.filter((m) => ids.has(m.id)).length === 2, 'both events on the bus');
  for (const m of published.filter((x) => ids.has(x.id))) {
    assert.equal(m.correlationId, 'corr-drainer-1');
    assert.equal((m.payload as { correlation_id?: unknown }).correlation_id, undefined);
  }
  const stored = await sql<{ correlation_id: string | null }>`
    select correlation_id from event_outbox where client_id = 'cli_a'
      and event_id = any(${events.map((e) => String(e.event_id))}::text[])`.execute(tdb.db);
  assert.deepEqual(
    stored.rows.map((r) => r.correlation_id),
    ['corr-drainer-1', 'corr-drainer-1'],
  );
});

test('a ClickHouse outage loses nothing: events wait in the outbox and land exactly once', async () => {
  await drainer.settle();
  const before = await chCounts();
  await proxy.cut();
  let accepted = 0;
  const sent: Record<string, unknown>[] = [];
  for (let i = 0; i < 12; i++) {
    const batch = Array.from({ length: 10 }, () => sampleEvent());
    sent.push(...batch);
    accepted += await sendBatch(batch);
  }
  // Retries by SDKs during the outage must not double-count either.
  const replay = await app.request('/v1/events/batch', {
    method: 'POST',
    body: JSON.stringify({ events: sent.slice(0, 10) }),
    headers: { authorization: 'Bearer pk_a' },
  });
  assert.equal(((await replay.json()) as { duplicates: number }).duplicates, 10);
  assert.equal(accepted, 120);
  await new Promise((r) => setTimeout(r, 800)); // several failed drain attempts
  assert.deepEqual(await chCounts(), before, 'nothing reached ClickHouse while it was down');
  assert.equal((await drainer.pending()).clickhouse, 120);
  // The bus is a separate sink: it is not held back by ClickHouse.
  await waitFor(() => published.length === before.rows + 120, 'bus messages during the outage');

  await proxy.restore();
  await drainer.settle(20_000);
  const afterCounts = await chCounts();
  assert.equal(afterCounts.rows, before.rows + 120, 'every event written once (no duplicate rows)');
  assert.equal(afterCounts.unique, before.rows + 120);
  const [{ n } = { n: '0' }] = await tch.ch.query<{ n: string }>(
    chSql`SELECT count() AS n FROM events FINAL`,
  );
  assert.equal(Number(n), before.rows + 120);
  assert.equal(published.length, before.rows + 120, 'each event published once');
});

test('restarts and a second drainer never write a row twice (advisory lock + persisted cursor)', async () => {
  await drainer.settle();
  const before = await chCounts();
  await drainer.stop();
  for (let i = 0; i < 5; i++) await sendBatch(Array.from({ length: 10 }, () => sampleEvent()));
  const opts = {
    db: tdb.db,
    ch: chViaProxy,
    bus,
    clickhouse: { intervalMs: 100, batchRows: 7 },
    busSink: { intervalMs: 100, batchRows: 7 },
    log: () => {},
  };
  const a = createEventDrainer(opts);
  const b = createEventDrainer(opts);
  a.start();
  b.start();
  for (let i = 0; i < 5; i++) await sendBatch(Array.from({ length: 10 }, () => sampleEvent()));
  await a.settle(20_000);
  await a.stop();
  await b.stop();
  const after = await chCounts();
  assert.equal(after.rows, before.rows + 100);
  assert.equal(after.unique, before.rows + 100);
  await waitFor(() => published.length === before.rows + 100, 'every event published once');
  drainer.start();
});
