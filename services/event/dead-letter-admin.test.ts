/**
 * The operator's dead-letter API over a real drainer: ClickHouse, the Postgres bus and the outbox. A row
 * parked while a sink was broken goes back through the drainer on retry and lands; a row the sink still
 * refuses is parked again; a discard removes it; only platform admins may see or act.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { BusMessage } from '../../contract/bus.ts';
import { waitFor } from '../../test/support/bus-contract.ts';
import { createTestClickHouse, type TestClickHouse } from '../../test/support/clickhouse.ts';
import { sampleEvent } from '../../test/support/event.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { testSecretBox } from '../../test/support/secret-box.ts';
import { migrations as cmMigrations, createClientManagement } from '../client-management/index.ts';
import type { InspectableBus } from '../platform/bus/inspect.ts';
import { busMigrations, createPostgresBus } from '../platform/bus/postgres-bus.ts';
import { chSql } from '../platform/clickhouse.ts';
import { createEventsTable } from './events-table.ts';
import { createEventApp, createEventDrainer, type EventDrainer, listDeadLetters } from './index.ts';
import { migrations } from './migrations/index.ts';
import { advanceCursor, type EventTables, parkDeadLetter, readAfter, readCursor } from './repo.ts';

interface Listed {
  data: { id: string; sink: string; client_id: string; event_id: string; error: string; attempts: number }[];
  has_more: boolean;
  next_cursor: string | null;
  counts: { sink: string; client_id: string; count: number }[];
}

function stored(clientId: string, overrides: Record<string, unknown> = {}) {
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

describe('admin dead letters', () => {
  let tdb: TestDatabase;
  let tch: TestClickHouse;
  let bus: InspectableBus;
  let drainer: EventDrainer;
  let app: ReturnType<typeof createEventApp>;
  let adminKey: string;
  let ownerKey: string;
  const published: BusMessage[] = [];
  /** Message ids the drainer handed to the bus, every time (the Postgres bus itself drops repeated ids). */
  const handed: string[] = [];

  before(async () => {
    tdb = await createTestDatabase({
      'client-management': cmMigrations,
      event: migrations,
      bus: busMigrations,
    });
    tch = await createTestClickHouse(createEventsTable);
    bus = createPostgresBus({ db: tdb.db, listenUrl: tdb.url, pollMs: 100 });
    await bus.subscribe('dead_letter_admin', 'event.#', async (m) => {
      published.push(m);
    });
    // Every row ClickHouse is given, repeats included (the events table collapses them by event id).
    await tch.ch.command(chSql`CREATE MATERIALIZED VIEW events_taken ENGINE = MergeTree ORDER BY tuple()
      AS SELECT client_id, event_id FROM events`);
    drainer = createEventDrainer({
      db: tdb.db,
      ch: tch.ch,
      bus: {
        ...bus,
        publishMany: async (messages) => {
          handed.push(...messages.flatMap((m) => (m.id ? [m.id] : [])));
          await bus.publishMany(messages);
        },
      },
      clickhouse: { intervalMs: 100, batchRows: 1_000 },
      busSink: { intervalMs: 100, batchRows: 1_000 },
      retryBaseMs: 50,
      retryMaxMs: 200,
      maxAttempts: 2,
      log: () => {},
    });
    const cm = createClientManagement(tdb.db, { hashSecret: 'x', cacheMs: 0, secretBox: testSecretBox() });
    adminKey = (await cm.issueKey(null, 'admin')).key;
    ownerKey = (await cm.createClient({ name: 'Acme' })).secret.key;
    app = createEventApp({ db: tdb.db, resolver: cm.resolver, hashSecret: 'x' });
  });
  after(async () => {
    await drainer.stop();
    await bus.close();
    await tch.drop();
    await tdb.drop();
  });

  const call = (method: string, path: string, key = adminKey) =>
    app.request(`/v1/admin/dead-letters${path}`, { method, headers: { authorization: `Bearer ${key}` } });
  const chCount = async (clientId: string) => {
    const [r] = await tch.ch.query<{ n: string }>(
      chSql`SELECT uniqExact(event_id) AS n FROM events WHERE client_id = ${clientId}`,
    );
    return Number(r?.n);
  };
  const chTaken = async (clientId: string, eventId: string) => {
    const [r] = await tch.ch.query<{ n: string }>(
      chSql`SELECT count() AS n FROM events_taken WHERE client_id = ${clientId} AND event_id = ${eventId}`,
    );
    return Number(r?.n);
  };
  /** Rows in one transaction: one drainer read. */
  const insertOutbox = (...rows: ReturnType<typeof stored>[]) =>
    sql`insert into event_outbox (client_id, event_id, event, payload)
        select * from unnest(${rows.map((r) => r.client_id)}::text[], ${rows.map((r) => r.event_id)}::text[],
          ${rows.map((r) => r.event)}::text[], ${rows.map((r) => r.payload)}::text[])`.execute(tdb.db);

  test('a row parked while ClickHouse was broken lands on retry; the bus is not given it again', async () => {
    // The state a past ClickHouse incident leaves: the bus took the event, ClickHouse's cursor moved past
    // it and the row sits in event_dead_letters.
    const good = stored('cli_incident');
    await insertOutbox(good);
    const edb = tdb.db as unknown as import('kysely').Kysely<EventTables>;
    const [row] = await readAfter(edb, await readCursor(edb, 'clickhouse'), 10);
    assert.equal(row?.event_id, good.event_id);
    await parkDeadLetter(edb, 'clickhouse', row!, 'Code: 241. Memory limit exceeded', 3);
    await advanceCursor(edb, 'clickhouse', { txid: row!.txid, seq: row!.seq });
    drainer.start();
    await drainer.settle(10_000);
    await waitFor(() => published.some((m) => m.id === `evt:cli_incident:${good.event_id}`), 'on the bus');
    assert.equal(await chCount('cli_incident'), 0, 'ClickHouse never had it');

    const listed = (await (await call('GET', '?client_id=cli_incident')).json()) as Listed;
    assert.equal(listed.data.length, 1);
    const [dead] = listed.data;
    assert.equal(dead!.sink, 'clickhouse');
    assert.equal(dead!.event_id, good.event_id);
    assert.match(dead!.error, /Memory limit/);
    assert.doesNotMatch(JSON.stringify(listed), /"payload"/, 'the client’s payload is not shown');
    assert.ok(
      listed.counts.some((c) => c.client_id === 'cli_incident' && c.sink === 'clickhouse' && c.count === 1),
    );

    const retried = await call('POST', `/${dead!.id}/retry`);
    assert.equal(retried.status, 200);
    assert.deepEqual(await retried.json(), { retried: true, event_id: good.event_id, sinks: 'clickhouse' });
    await waitFor(async () => (await chCount('cli_incident')) === 1, 'the event in ClickHouse', 10_000);
    // Settled: both cursors have passed the re-queued row, so the bus sink has read it by now.
    await drainer.settle(10_000);
    assert.deepEqual(await listDeadLetters(tdb.db, 'cli_incident'), [], 'no longer parked');
    assert.equal((await call('POST', `/${dead!.id}/retry`)).status, 404, 'a second retry finds nothing');
    const id = `evt:cli_incident:${good.event_id}`;
    assert.equal(handed.filter((m) => m === id).length, 1, 'the bus is not handed the event again');
    assert.equal(published.filter((m) => m.id === id).length, 1, 'subscribers got the event once');
    const outbox = await sql<{ n: number }>`select count(*)::int as n from event_outbox
      where client_id = 'cli_incident'`.execute(tdb.db);
    assert.equal(outbox.rows[0]?.n, 1, 'one outbox row: the dedup memory of the event is kept');
  });

  test('a row parked by the bus goes back to the bus only: ClickHouse is not given it again', async () => {
    // The state a past bus incident leaves: ClickHouse took the event, the bus parked it.
    await drainer.stop();
    const ev = stored('cli_bus_incident');
    await insertOutbox(ev);
    const edb = tdb.db as unknown as import('kysely').Kysely<EventTables>;
    const [row] = await readAfter(edb, await readCursor(edb, 'bus'), 10);
    assert.equal(row?.event_id, ev.event_id);
    await parkDeadLetter(edb, 'bus', row!, 'bus refused the event: SQLSTATE 22021', 3);
    await advanceCursor(edb, 'bus', { txid: row!.txid, seq: row!.seq });
    drainer.start();
    await drainer.settle(10_000);
    assert.equal(await chTaken('cli_bus_incident', ev.event_id), 1, 'ClickHouse took it');
    const id = `evt:cli_bus_incident:${ev.event_id}`;
    assert.equal(handed.filter((m) => m === id).length, 0, 'the bus never had it');

    const [dead] = ((await (await call('GET', '?client_id=cli_bus_incident')).json()) as Listed).data;
    const retried = await call('POST', `/${dead!.id}/retry`);
    assert.deepEqual(await retried.json(), { retried: true, event_id: ev.event_id, sinks: 'bus' });
    await waitFor(() => published.some((m) => m.id === id), 'on the bus after the retry', 10_000);
    await drainer.settle(10_000);
    assert.equal(await chTaken('cli_bus_incident', ev.event_id), 1, 'ClickHouse was not given it again');
    assert.equal(handed.filter((m) => m === id).length, 1);
  });

  test('a parked ClickHouse refusal keeps its code, never the row’s data', async () => {
    const marker = 'MARKER-7f3a-personal';
    // A value ClickHouse cannot parse into the row's DateTime: its parse error quotes the text.
    const bad = stored('cli_marker', { occurred_at: `${marker} 2024` });
    await insertOutbox(bad, stored('cli_calm'));
    drainer.nudge(1_000);
    await waitFor(async () => (await listDeadLetters(tdb.db, 'cli_marker')).length === 1, 'parked', 10_000);
    const listed = await (await call('GET', '?client_id=cli_marker')).text();
    const [dead] = (JSON.parse(listed) as Listed).data;
    assert.match(dead!.error, /^ClickHouse refused the row: Code: \d+/);
    assert.ok(!listed.includes(marker), listed);
    const one = await (await call('GET', `/${dead!.id}`)).text();
    assert.ok(!one.includes(marker), one);
    assert.ok(!JSON.stringify(await listDeadLetters(tdb.db, 'cli_marker')).includes(marker));
  });

  test('a row ClickHouse still refuses is parked again on retry; discard removes it for good', async () => {
    const bad = stored('cli_poison', { occurred_at: 'not a time' });
    await insertOutbox(bad, stored('cli_calm'));
    drainer.nudge(1_000);
    await waitFor(async () => (await listDeadLetters(tdb.db, 'cli_poison')).length === 1, 'parked', 10_000);
    const first = ((await (await call('GET', '?client_id=cli_poison&sink=clickhouse')).json()) as Listed)
      .data[0]!;
    assert.equal((await call('POST', `/${first.id}/retry`)).status, 200);
    // Alone in its read, with no other event arriving: ClickHouse taking the canary (a fixed synthetic
    // row) shows it is this row, not the sink.
    drainer.nudge(1_000);
    await waitFor(
      async () => {
        const l = ((await (await call('GET', '?client_id=cli_poison')).json()) as Listed).data;
        return l.length === 1 && l[0]!.id !== first.id;
      },
      'parked again under a new id',
      10_000,
    );
    await drainer.settle(10_000); // and both cursors passed it
    const again = ((await (await call('GET', '?client_id=cli_poison')).json()) as Listed).data[0]!;
    assert.equal((await call('GET', `/${again.id}`)).status, 200);
    const discarded = await call('DELETE', `/${again.id}`);
    assert.deepEqual(await discarded.json(), { discarded: true });
    assert.deepEqual(await listDeadLetters(tdb.db, 'cli_poison'), []);
    assert.equal((await call('DELETE', `/${again.id}`)).status, 404);
    assert.equal(await chCount('cli_poison'), 0);
  });

  test('pages across clients, validates its parameters, and refuses anyone but a platform admin', async () => {
    const edb = tdb.db as unknown as import('kysely').Kysely<EventTables>;
    for (const c of ['cli_p1', 'cli_p2', 'cli_p3']) {
      const r = stored(c);
      await insertOutbox(r);
      await parkDeadLetter(edb, 'bus', { seq: 0, ...r }, 'refused', 3);
    }
    const p1 = (await (await call('GET', '?sink=bus&limit=2')).json()) as Listed;
    assert.equal(p1.data.length, 2);
    assert.equal(p1.has_more, true);
    const p2 = (await (
      await call('GET', `?sink=bus&limit=2&starting_after=${p1.next_cursor}`)
    ).json()) as Listed;
    const clients = [...p1.data, ...p2.data].map((d) => d.client_id).sort();
    assert.deepEqual(clients, ['cli_p1', 'cli_p2', 'cli_p3'], 'every row once, across clients');
    assert.equal(p2.has_more, false);

    // Well-formed cursors of impossible times (month 13, 31 February) must not reach ::timestamptz.
    const forged = (at: string) => Buffer.from(`${at}|1`).toString('base64url');
    for (const bad of [
      '?sink=kafka',
      '?limit=500',
      '?starting_after=nope',
      '?client_id=%00',
      `?starting_after=${forged('2024-13-40T25:61:61.000000Z')}`,
      `?starting_after=${forged('2024-02-31T10:00:00.000000Z')}`,
    ]) {
      const res = await call('GET', bad);
      assert.equal(res.status, 400, bad);
      const body = (await res.json()) as { error: { details?: { path: string }[] } };
      if (bad.includes('starting_after'))
        assert.ok(
          body.error.details?.some((d) => d.path === 'starting_after'),
          JSON.stringify(body),
        );
    }
    assert.equal((await call('POST', '/abc/retry')).status, 400);
    assert.equal((await call('DELETE', '/99999999')).status, 404);
    assert.equal((await call('GET', '', ownerKey)).status, 403, 'a client owner is not a platform admin');
    assert.equal((await call('POST', `/${p1.data[0]!.id}/retry`, ownerKey)).status, 403);
    assert.equal((await call('DELETE', `/${p1.data[0]!.id}`, ownerKey)).status, 403);
    assert.equal((await app.request('/v1/admin/dead-letters')).status, 401);
  });
});
