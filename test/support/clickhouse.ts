import { randomBytes } from 'node:crypto';
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
