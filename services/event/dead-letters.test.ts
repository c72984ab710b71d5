/**
 * Defence in depth behind the ingest's policy: outbox rows a sink refuses (written straight into the
 * outbox, as an older ingest or a bug could have) are isolated by bisecting the batch, retried a bounded
 * number of times, parked in event_dead_letters, and never hold back other rows or other tenants.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { sql } from 'kysely';
import type { BusMessage } from '../../contract/bus.ts';
import { waitFor } from '../../test/support/bus-contract.ts';
import { createTestClickHouse, type TestClickHouse } from '../../test/support/clickhouse.ts';
import { sampleEvent } from '../../test/support/event.ts';
import { type Moto, startMoto } from '../../test/support/moto.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import type { InspectableBus } from '../platform/bus/inspect.ts';
import { busMigrations, createPostgresBus } from '../platform/bus/postgres-bus.ts';
import { createSnsBus } from '../platform/bus/sns-bus.ts';
import { chSql } from '../platform/clickhouse.ts';
import { CANARY_CLIENT_ID } from './drainer.ts';
import { createEventsTable } from './events-table.ts';
import {
  countDeadLetters,
  createEventDrainer,
  type DrainerOptions,
  type EventDrainer,
  listDeadLetters,
} from './index.ts';
import { migrations } from './migrations/index.ts';

interface Row {
  client_id: string;
  event_id: string;
  event: string;
  payload: string;
}

/** An enriched event as the outbox stores it (what the ingest would have written). */
function stored(clientId: string, overrides: Record<string, unknown> = {}): Row {
  const e = {
    ...sampleEvent(),
    client_id: clientId,
    received_at: new Date().toISOString(),
    source: 'sdk',
    ...overrides,
  } as Record<string, unknown>;
  return {
    client_id: clientId,
    event_id: e.event_id as string,
    event: e.event as string,
    payload: JSON.stringify(e),
  };
}

/** Writes rows straight into the outbox in one transaction (one drainer read), bypassing the ingest. */
async function insertOutbox(tdb: TestDatabase, rows: Row[]): Promise<void> {
  await sql`
    insert into event_outbox (client_id, event_id, event, payload)
    select * from unnest(${rows.map((r) => r.client_id)}::text[], ${rows.map((r) => r.event_id)}::text[],
                         ${rows.map((r) => r.event)}::text[], ${rows.map((r) => r.payload)}::text[])`.execute(
    tdb.db,
  );
}

const quietLog = () => {};

describe('ClickHouse and the Postgres bus', () => {
  let tdb: TestDatabase;
  let tch: TestClickHouse;
  let bus: InspectableBus;
  let drainer: EventDrainer;
  let drainerOpts: DrainerOptions;
  const published: BusMessage[] = [];
  const logged: string[] = [];

  before(async () => {
    tdb = await createTestDatabase({ event: migrations, bus: busMigrations });
    tch = await createTestClickHouse(createEventsTable);
    bus = createPostgresBus({ db: tdb.db, listenUrl: tdb.url, pollMs: 100 });
    await bus.subscribe('dead_letter_test', 'event.#', async (m) => {
      published.push(m);
    });
    drainerOpts = {
      db: tdb.db,
      ch: tch.ch,
      bus,
      clickhouse: { intervalMs: 100, batchRows: 1_000 },
      busSink: { intervalMs: 100, batchRows: 1_000 },
      retryBaseMs: 50,
      retryMaxMs: 200,
      maxAttempts: 3,
      // With what each line carries: a refusal's message (quoting the row) must not reach the log.
      log: (m, e) => logged.push(e === undefined ? m : `${m} ${e instanceof Error ? e.message : String(e)}`),
    };
    drainer = createEventDrainer(drainerOpts);
  });

  after(async () => {
    await drainer.stop();
    await bus.close();
    await tch.drop();
    await tdb.drop();
  });

  const chCount = async (clientId: string) => {
    const [r] = await tch.ch.query<{ n: string }>(
      chSql`SELECT uniqExact(event_id) AS n FROM events WHERE client_id = ${clientId}`,
    );
    return Number(r?.n);
  };
  /** Rows of a client in ClickHouse once copies of one event are collapsed (what a merge leaves). */
  const chFinal = async (clientId: string) => {
    const [r] = await tch.ch.query<{ n: string }>(
      chSql`SELECT count() AS n FROM events FINAL WHERE client_id = ${clientId}`,
    );
    return Number(r?.n);
  };
  /** Whether ClickHouse's cursor has passed an event's outbox row (taken or parked). */
  const chCursorPassed = async (clientId: string, eventId: string) => {
    const r = await sql<{ passed: boolean }>`
      select (c.txid, c.seq) >= (o.txid, o.seq) as passed from event_outbox o, event_outbox_cursors c
      where c.sink = 'clickhouse' and o.client_id = ${clientId} and o.event_id = ${eventId}`.execute(tdb.db);
    return r.rows[0]?.passed === true;
  };

  test('rows stored with a lone surrogate (before the ingest policy) reach ClickHouse with U+FFFD', async () => {
    drainer.start();
    const old = stored('cli_legacy', { session_id: 'sess_\ud800' });
    await insertOutbox(tdb, [old]);
    drainer.nudge(1_000);
    await drainer.settle(10_000);
    const [r] = await tch.ch.query<{ s: string }>(
      chSql`SELECT session_id AS s FROM events WHERE client_id = 'cli_legacy'`,
    );
    assert.equal(r?.s, 'sess_\ufffd');
    await drainer.stop();
    published.length = 0;
  });

  test('a row ClickHouse refuses in a 1,000-row batch: 999 rows of another tenant land, the one is parked', async (t) => {
    // ClickHouse refuses a DateTime it cannot read (code 41); the Postgres outbox and bus (json) hold
    // the row, so only the ClickHouse sink must park it.
    const bad = stored('cli_bad', { occurred_at: 'the day before yesterday' });
    const good = Array.from({ length: 999 }, () => stored('cli_good'));
    await insertOutbox(tdb, [...good.slice(0, 500), bad, ...good.slice(500)]);
    const began = Date.now();
    drainer.start();
    await waitFor(async () => (await chCount('cli_good')) === 999, 'the 999 good rows in ClickHouse', 10_000);
    const landedMs = Date.now() - began;
    await waitFor(
      async () => (await listDeadLetters(tdb.db, 'cli_bad')).length === 1,
      'the bad row parked',
      10_000,
    );
    const [dead] = await listDeadLetters(tdb.db, 'cli_bad');
    assert.equal(dead?.sink, 'clickhouse');
    assert.equal(dead?.eventId, bad.event_id);
    assert.equal(dead?.attempts, 3);
    // The code of the refusal only: ClickHouse's parse error quotes the row, never kept or shown.
    assert.equal(dead?.error, 'ClickHouse refused the row: Code: 41');
    assert.ok(!logged.some((m) => m.includes('the day before yesterday')), 'nor logged');
    assert.deepEqual(await listDeadLetters(tdb.db, 'cli_good'), [], 'no good row parked');
    assert.equal(await chCount('cli_bad'), 0);
    // The bus took every row, the bad one included.
    await waitFor(
      () => published.filter((m) => /\.cli_(good|bad)\./.test(m.topic)).length === 1_000,
      'all 1,000 on the bus',
    );
    await drainer.settle(10_000);
    assert.equal(logged.filter((m) => m.includes('parked')).length, 1, 'logged once');
    assert.deepEqual(drainer.parked(), { clickhouse: 1, bus: 0 });
    assert.deepEqual(await countDeadLetters(tdb.db), [{ sink: 'clickhouse', clientId: 'cli_bad', count: 1 }]);
    assert.ok(landedMs < 10_000, `good rows landed in ${landedMs} ms`);
    t.diagnostic(`999 good rows in ClickHouse ${landedMs} ms after the drainer started`);
  });

  test('a row the bus refuses (payload not JSON) is parked; later rows of another tenant arrive', async () => {
    const before = published.length;
    const bad: Row = { ...stored('cli_bad'), payload: '{"event":"page_viewed","oops' };
    await insertOutbox(tdb, [bad]);
    const later = Array.from({ length: 20 }, () => stored('cli_other'));
    await insertOutbox(tdb, later);
    drainer.nudge(1_000);
    await waitFor(() => published.length === before + 20, 'the other tenant’s 20 messages', 10_000);
    await drainer.settle(10_000);
    const parked = (await listDeadLetters(tdb.db, 'cli_bad')).filter((d) => d.eventId === bad.event_id);
    assert.deepEqual(parked.map((d) => d.sink).sort(), ['bus', 'clickhouse']);
    assert.equal(await chCount('cli_other'), 20);
    assert.deepEqual(
      published.slice(before).map((m) => (m.payload as { client_id: string }).client_id),
      later.map(() => 'cli_other'),
    );
  });

  test('a sink refusing every row is an outage, not a poison: nothing is parked, the rows wait', async () => {
    await drainer.settle();
    const parkedBefore = (await countDeadLetters(tdb.db)).reduce((n, c) => n + c.count, 0);
    const loggedBefore = logged.length;
    // An unknown table is the server's state (code 60), never the rows' fault: not even bisected.
    await tch.ch.command(chSql`RENAME TABLE events TO events_away`);
    try {
      const rows = Array.from({ length: 30 }, () => stored('cli_outage'));
      await insertOutbox(tdb, rows);
      drainer.nudge(1_000);
      await new Promise((r) => setTimeout(r, 1_500)); // several failed attempts of every row
      assert.equal((await drainer.pending()).clickhouse, 30);
      const mine = logged.slice(loggedBefore);
      assert.ok(
        mine.some((m) => /write of 30 rows failed/.test(m)),
        'retried as an outage',
      );
      assert.ok(!mine.some((m) => /parked/.test(m)), 'nothing parked');
    } finally {
      // Back even when an assertion failed, so the tests after this one see a working sink.
      await tch.ch.command(chSql`RENAME TABLE events_away TO events`);
    }
    await drainer.settle(15_000);
    assert.equal(await chCount('cli_outage'), 30);
    const parkedAfter = (await countDeadLetters(tdb.db)).reduce((n, c) => n + c.count, 0);
    assert.equal(parkedAfter, parkedBefore);
  });
  test('a flood of bad rows is parked in bounded time; the good rows around them land', async (t) => {
    await drainer.settle();
    const rows: Row[] = [];
    for (let i = 0; i < 300; i++)
      rows.push(i % 20 === 3 ? stored('cli_flood', { occurred_at: `never ${i}` }) : stored('cli_calm'));
    const began = Date.now();
    await insertOutbox(tdb, rows);
    drainer.nudge(1_000);
    await drainer.settle(60_000);
    const ms = Date.now() - began;
    assert.equal(await chCount('cli_calm'), 285);
    const parked = await listDeadLetters(tdb.db, 'cli_flood', 1_000);
    assert.equal(parked.filter((d) => d.sink === 'clickhouse').length, 15);
    t.diagnostic(`300 rows with 15 bad: settled in ${ms} ms, 15 parked`);
  });

  test('a lone row ClickHouse refuses, with nothing behind it, is parked: the canary shows the sink is up', async () => {
    await drainer.settle();
    await tch.ch.command(chSql`CREATE MATERIALIZED VIEW events_handed ENGINE = MergeTree ORDER BY tuple()
      AS SELECT client_id, event_id FROM events`);
    const loggedBefore = logged.length;

    const bad = stored('cli_lone', { occurred_at: 'a lone bad time' });
    await insertOutbox(tdb, [bad]);
    drainer.nudge(1_000);
    // No other event arrives: the lone row must be parked on its own, within the retry budget.
    await waitFor(
      async () => (await listDeadLetters(tdb.db, 'cli_lone')).length === 1,
      'the lone row parked',
      10_000,
    );
    const [dead] = await listDeadLetters(tdb.db, 'cli_lone');
    assert.equal(dead?.sink, 'clickhouse');
    assert.equal(dead?.eventId, bad.event_id);
    assert.equal(dead?.attempts, 3);
    assert.equal(dead?.error, 'ClickHouse refused the row: Code: 41');
    await waitFor(() => chCursorPassed('cli_lone', bad.event_id), 'the cursor past the parked row', 10_000);
    await drainer.settle(10_000);

    // The canary is the one thing ClickHouse was handed: asked when the whole read was refused and again
    // before parking, never a client's row (a row taken earlier could hold data erased since).
    const handed = await tch.ch.query<{ client_id: string; n: string }>(
      chSql`SELECT client_id, count() AS n FROM events_handed GROUP BY client_id ORDER BY client_id`,
    );
    assert.deepEqual(
      handed.map((h) => [h.client_id, Number(h.n)]),
      [[CANARY_CLIENT_ID, 2]],
    );
    assert.equal(await chFinal(CANARY_CLIENT_ID), 1, 'one event however often it is sent');
    assert.equal(await chCount('cli_lone'), 0);
    const mine = logged.slice(loggedBefore);
    assert.equal(mine.filter((m) => /took the canary row/.test(m)).length, 1, 'the canary logged once');
    assert.equal(mine.filter((m) => m.includes('parked in event_dead_letters')).length, 1, 'parked once');
    assert.ok(!logged.some((m) => m.includes('a lone bad time')), 'the row’s data is never logged');
  });

  test('rows refused while the sink itself fails are not parked: the canary is asked again before parking', async () => {
    await drainer.settle();
    const bad = stored('cli_flap', { occurred_at: 'refused while the disk fills' });
    const good = stored('cli_flap_ok');
    await insertOutbox(tdb, [good, bad]);
    // The good row is taken; the bad one is retried alone. Before it is parked, ClickHouse starts
    // refusing everything (here: the canary's own day cannot be written), so the row must stay queued.
    await tch.ch.command(chSql`CREATE TABLE events_guard (d Date) ENGINE = Memory`);
    await tch.ch.command(chSql`CREATE MATERIALIZED VIEW events_refuse_canary TO events_guard
      AS SELECT throwIf(client_id = ${CANARY_CLIENT_ID}) AS d FROM events`);
    try {
      drainer.nudge(1_000);
      await waitFor(async () => (await chCount('cli_flap_ok')) === 1, 'the good row taken', 10_000);
      await new Promise((r) => setTimeout(r, 1_500)); // the bad row's retries, then the refused canary
      assert.deepEqual(
        await listDeadLetters(tdb.db, 'cli_flap'),
        [],
        'not parked while the canary is refused',
      );
      assert.ok((await drainer.pending()).clickhouse >= 1, 'still queued');
    } finally {
      await tch.ch.command(chSql`DROP TABLE events_refuse_canary`);
      await tch.ch.command(chSql`DROP TABLE events_guard`);
    }
    await waitFor(
      async () => (await listDeadLetters(tdb.db, 'cli_flap')).length === 1,
      'parked once the sink takes the canary again',
      15_000,
    );
    await drainer.settle(10_000);
  });
});

describe('SNS+SQS bus (moto)', () => {
  let moto: Moto;
  let tdb: TestDatabase;
  let tch: TestClickHouse;
  let bus: InspectableBus;
  let drainer: EventDrainer;
  let clients: { sns: SNSClient; sqs: SQSClient };
  const received: BusMessage[] = [];

  before(async () => {
    moto = await startMoto();
    const cfg = {
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    clients = { sns: new SNSClient(cfg), sqs: new SQSClient(cfg) };
    bus = createSnsBus({ ...clients, prefix: `dl${randomUUID().slice(0, 6)}`, waitTimeSeconds: 1 });
    await bus.subscribe('dead_letters', 'event.#', async (m) => {
      received.push(m);
    });
    tdb = await createTestDatabase({ event: migrations });
    tch = await createTestClickHouse(createEventsTable);
    drainer = createEventDrainer({
      db: tdb.db,
      ch: tch.ch,
      bus,
      busSink: { intervalMs: 100, batchRows: 100 },
      retryBaseMs: 50,
      retryMaxMs: 200,
      log: quietLog,
    });
  });

  after(async () => {
    await drainer.stop();
    await bus.close();
    clients.sns.destroy();
    clients.sqs.destroy();
    await moto.stop();
    await tch.drop();
    await tdb.drop();
  });

  test('a message too large for SNS is parked; the rest of the batch and later messages publish', async () => {
    // 300 KB: the outbox and ClickHouse take it; SNS (256 KiB) cannot.
    const big = stored('cli_big', { properties: { blob: 'b'.repeat(300_000) } });
    const first = Array.from({ length: 15 }, () => stored('cli_small'));
    // Entries of ~30 KB: ten of them exceed a 256 KiB PublishBatch, so the adapter must pack by size.
    const wide = Array.from({ length: 12 }, () =>
      stored('cli_small', { properties: { pad: 'p'.repeat(30_000) } }),
    );
    await insertOutbox(tdb, [...first.slice(0, 7), big, ...first.slice(7), ...wide]);
    drainer.start();
    const want = new Set([...first, ...wide].map((r) => r.event_id));
    const got = () => new Set(received.map((m) => (m.payload as { event_id: string }).event_id));
    await waitFor(() => [...want].every((id) => got().has(id)), 'the 27 small messages', 30_000);
    const later = Array.from({ length: 5 }, () => stored('cli_later'));
    await insertOutbox(tdb, later);
    drainer.nudge(1_000);
    await waitFor(
      () => later.every((r) => got().has(r.event_id)),
      'later messages of another tenant',
      30_000,
    );
    const [dead] = await listDeadLetters(tdb.db, 'cli_big');
    assert.equal(dead?.sink, 'bus');
    assert.equal(dead?.eventId, big.event_id);
    assert.equal(dead?.error, 'bus refused the event: PAYLOAD_TOO_LARGE');
    assert.ok(!got().has(big.event_id));
  });
});
