import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestClickHouse, type TestClickHouse } from '../../test/support/clickhouse.ts';
import { chSql } from '../platform/clickhouse.ts';
import type { EnrichedEvent } from './enrich.ts';
import { createEventsTable, insertEventRows, toEventRow } from './events-table.ts';

let tch: TestClickHouse;
before(async () => {
  tch = await createTestClickHouse(createEventsTable);
});
after(() => tch.drop());

test('ClickHouse insert keeps every character (tabs, newlines, backslashes, quotes, unicode)', async () => {
  const tricky = 'a\tb\nc\r\\d "e" \'f\' \\t é – 😀 \\\\n';
  const e: EnrichedEvent = {
    event: 'purchase_completed',
    event_id: 'evt_tsv_1',
    client_id: 'cli_tsv',
    occurred_at: '2026-11-24T10:00:00.000Z',
    received_at: '2026-11-24T10:00:01.000Z',
    source: 'sdk',
    trust: 'sdk',
    participant_id: tricky,
    properties: { amount: 129.5, currency: 'EUR', note: tricky, nested: { x: [1, 'y\tz'] } },
    context: { page: { title: tricky }, geo: { country: 'FR' } },
  };
  const plain: EnrichedEvent = { ...e, event_id: 'evt_tsv_2', participant_id: 'u', properties: {} };
  await insertEventRows(tch.ch, [toEventRow(e), toEventRow(plain)]);
  const rows = await tch.ch.query<{
    event_id: string;
    participant_id: string;
    value: number;
    currency: string;
    country: string;
    properties: string;
    context: string;
    occurred_at: string;
  }>(
    chSql`SELECT event_id, participant_id, value, currency, country, properties, context,
                 toString(occurred_at, 'UTC') AS occurred_at
          FROM events ORDER BY event_id`,
  );
  assert.equal(rows.length, 2);
  const [a, b] = rows;
  assert.equal(a?.participant_id, tricky);
  assert.equal(a?.value, 129.5);
  assert.equal(a?.currency, 'EUR');
  assert.equal(a?.country, 'FR');
  assert.equal(a?.occurred_at, '2026-11-24 10:00:00');
  assert.deepEqual(JSON.parse(a?.properties ?? ''), e.properties);
  assert.deepEqual(JSON.parse(a?.context ?? ''), e.context);
  assert.equal(b?.value, 0);
  assert.equal(b?.properties, '{}');
});
