import { randomBytes } from 'node:crypto';
import type { EventRow } from '../../services/event/events-table.ts';
import { type ClickHouse, chSql, createClickHouse, ident } from '../../services/platform/clickhouse.ts';

const CH_URL = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';

export interface TestClickHouse {
  ch: ClickHouse;
  url: string;
  database: string;
  drop(): Promise<void>;
}

/** A fresh ClickHouse database for one test file; `setup` receives it to apply DDL. */
export async function createTestClickHouse(
  setup?: (ch: ClickHouse) => Promise<void>,
): Promise<TestClickHouse> {
  const database = `pulse_test_${randomBytes(5).toString('hex')}`;
  const admin = createClickHouse(CH_URL, 'default');
  await admin.command(chSql`CREATE DATABASE IF NOT EXISTS ${ident(database)}`);
  await admin.close();
  const ch = createClickHouse(CH_URL, database);
  if (setup) await setup(ch);
  return {
    ch,
    url: CH_URL,
    database,
    async drop() {
      await ch.command(chSql`DROP DATABASE IF EXISTS ${ident(database)}`);
      await ch.close();
    },
  };
}

/** An events-table row with every column empty, for tests that seed ClickHouse directly. */
export function emptyEventRow(
  row: Pick<EventRow, 'event_id' | 'event' | 'client_id' | 'occurred_at' | 'received_at'> & Partial<EventRow>,
): EventRow & Record<string, unknown> {
  return {
    campaign_id: '',
    participant_id: '',
    anonymous_id: '',
    session_id: '',
    referral_id: '',
    referral_code: '',
    referrer_id: '',
    value: 0,
    currency: '',
    country: '',
    ip_hash: '',
    device_type: '',
    browser: '',
    os: '',
    source: '',
    utm_source: '',
    utm_medium: '',
    utm_campaign: '',
    properties: '{}',
    context: '{}',
    ...row,
  };
}
